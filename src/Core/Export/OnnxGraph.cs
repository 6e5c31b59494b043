using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;

namespace Unified.Core.Export;

/// <summary>
/// The ONNX graph being built while a module tree is exported; module exporters (<see cref="OnnxModuleExport{TModule}"/>)
/// add nodes, weights and constants through it. Weights become initializers named as in the model's state dict
/// (<c>fc1.weight</c>); nodes are named after the module that made them (<c>/fc1/Gemm</c>).
/// </summary>
public sealed class OnnxGraph
{
    readonly OnnxExporterRegistry exporters;
    readonly Dictionary<nn.Module, string> paths = new(ReferenceEqualityComparer.Instance);
    readonly HashSet<string> names = [];
    readonly Dictionary<string, int> opCounts = [];
    string scope = "";

    internal OnnxGraph(nn.Module root, OnnxExporterRegistry exporters, int opset)
    {
        this.exporters = exporters;
        Opset = opset;
        paths[root] = "";
        foreach (var (name, module) in root.named_modules()) paths.TryAdd(module, name);
    }

    internal GraphProto Proto { get; } = new() { Name = "main_graph" };

    /// <summary>The operator set version being written.</summary>
    public int Opset { get; }

    /// <summary>
    /// Adds a node with one output and returns that output's name.
    /// </summary>
    /// <param name="opType">The ONNX operator (<c>"Relu"</c>, <c>"Gemm"</c>...), default domain.</param>
    /// <param name="inputs">Names of its inputs, in the operator's order (an empty string skips an optional input).</param>
    /// <param name="attributes">Its attributes.</param>
    public string Node(string opType, IReadOnlyList<string> inputs, params OnnxAttribute[] attributes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (string input in inputs)
            if (input.Length > 0 && !names.Contains(input))
                throw new ArgumentException($"{opType} in '{DisplayPath(scope)}' reads '{input}', which no earlier node, input or initializer of the graph produces.", nameof(inputs));
        int n = opCounts.GetValueOrDefault(opType);
        opCounts[opType] = n + 1;
        string nodeName = (scope.Length == 0 ? "/" : "/" + scope.Replace('.', '/') + "/") + opType + (n == 0 ? "" : "_" + n);
        string output = Unique(nodeName + "_output_0");
        var node = new NodeProto { OpType = opType, Name = nodeName };
        node.Input.AddRange(inputs);
        node.Output.Add(output);
        foreach (var attribute in attributes) node.Attribute.Add(ToProto(attribute));
        Proto.Node.Add(node);
        return output;
    }

    /// <summary>
    /// Exports a child module (through the registry) reading <paramref name="input"/>; returns its output with the shape
    /// the TorchSharp module itself gives for that input.
    /// </summary>
    /// <exception cref="OnnxExportException">No exporter is registered for the module's type, or it cannot export as configured.</exception>
    public OnnxValue Module(nn.Module<Tensor, Tensor> module, OnnxValue input)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(input);
        string path = PathOf(module);
        var export = exporters.Find(module.GetType()) ?? throw new OnnxExportException(module.GetType().FullName!, DisplayPath(path),
            $"Cannot export {module.GetType().FullName} at '{DisplayPath(path)}' to ONNX: no exporter is registered for this type. " +
            $"Register one before exporting: options.Exporters.Register<{module.GetType().Name}>((graph, module, input) => ...) returning the name of the module's output (see OnnxModuleExport).");
        string saved = scope;
        scope = path;
        string output;
        try
        {
            output = export(this, module, input);
        }
        finally
        {
            scope = saved;
        }
        if (!names.Contains(output))
            throw new InvalidOperationException($"The exporter of {module.GetType().Name} at '{DisplayPath(path)}' returned '{output}', which is not a value of the graph.");
        return Value(output, input, module.call);
    }

    /// <summary>
    /// Describes the graph value <paramref name="name"/> as what <paramref name="reference"/> (the TorchSharp computation
    /// it stands for) makes of <paramref name="source"/>: its shape and type come from running the reference on zeros.
    /// </summary>
    /// <example><code>var pooled = graph.Value(graph.Node("MaxPool", [x.Name], ...), x, t => nn.functional.max_pool2d(t, 2));</code></example>
    public OnnxValue Value(string name, OnnxValue source, Func<Tensor, Tensor> reference)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(reference);
        using var scopeOfProbe = NewDisposeScope();
        var probe = zeros(source.Shape.ToArray(), source.Type);
        var result = reference(probe);
        return new OnnxValue(name, result.shape, result.dtype);
    }

    /// <summary>Adds <paramref name="owner"/>'s parameter or buffer <paramref name="name"/> as an initializer (once) and returns its state-dict name.</summary>
    /// <exception cref="OnnxExportException">The module has no such parameter or buffer.</exception>
    public string Parameter(nn.Module owner, string name) => OptionalParameter(owner, name)
        ?? throw Unsupported(owner, $"it has no parameter or buffer named '{name}'");

    /// <summary>As <see cref="Parameter"/>, but returns null when the module has no such tensor (a layer built without bias).</summary>
    public string? OptionalParameter(nn.Module owner, string name)
    {
        ArgumentNullException.ThrowIfNull(owner);
        string path = PathOf(owner);
        string full = path.Length == 0 ? name : path + "." + name;
        if (names.Contains(full)) return full;
        Tensor? tensor = owner.named_parameters(recurse: false).FirstOrDefault(p => p.name == name).parameter;
        tensor ??= owner.named_buffers(recurse: false).FirstOrDefault(b => b.name == name).buffer;
        if (tensor is null) return null;
        AddInitializer(full, tensor);
        return full;
    }

    /// <summary>Adds a float constant (an initializer named after the current module) and returns its name; no shape makes a scalar.</summary>
    public string Constant(string name, float[] values, params long[] shape)
    {
        using var flat = tensor(values);
        using var shaped = flat.reshape(shape.Length == 0 && values.Length == 1 ? [] : shape.Length == 0 ? [values.Length] : shape);
        return AddInitializer(Unique(ConstantName(name)), shaped);
    }

    /// <summary>Adds an int64 constant (shapes, axes) and returns its name; no shape makes a 1-D tensor.</summary>
    public string Constant(string name, long[] values, params long[] shape)
    {
        using var flat = tensor(values);
        using var shaped = flat.reshape(shape.Length == 0 ? [values.Length] : shape);
        return AddInitializer(Unique(ConstantName(name)), shaped);
    }

    /// <summary>The module's path in the model (its state-dict prefix; empty for the model itself).</summary>
    /// <exception cref="ArgumentException">The module is not part of the model being exported.</exception>
    public string PathOf(nn.Module module) => paths.TryGetValue(module, out var path) ? path
        : throw new ArgumentException($"{module.GetType().Name} is not a registered submodule of the model being exported; register it (RegisterComponents) so that it is part of the state dict.", nameof(module));

    /// <summary>An exception saying that <paramref name="module"/> cannot export because of <paramref name="reason"/>, naming its type and path.</summary>
    public OnnxExportException Unsupported(nn.Module module, string reason)
    {
        string path = DisplayPath(paths.GetValueOrDefault(module, "?"));
        return new OnnxExportException(module.GetType().FullName!, path, $"Cannot export {module.GetType().Name} at '{path}' to ONNX: {reason}.");
    }

    internal OnnxValue AddInput(string name, long[] shape, ScalarType type, string batchAxis)
    {
        names.Add(name);
        Proto.Input.Add(ValueInfo(name, shape, type, batchAxis));
        return new OnnxValue(name, shape, type);
    }

    /// <summary>Makes <paramref name="value"/> the graph output called <paramref name="name"/>, renaming the node output that produced it.</summary>
    internal void AddOutput(OnnxValue value, string name, string batchAxis)
    {
        bool producedByNode = Proto.Node.Any(node => node.Output.Contains(value.Name));
        if (!producedByNode)
        {
            Proto.Node.Add(new NodeProto { OpType = "Identity", Name = "/Identity_output", Input = { value.Name }, Output = { name } });
        }
        else if (value.Name != name)
        {
            if (names.Contains(name)) throw new ArgumentException($"The output name '{name}' is already a value of the graph; choose another OutputName.");
            foreach (var node in Proto.Node)
            {
                for (int i = 0; i < node.Input.Count; i++) if (node.Input[i] == value.Name) node.Input[i] = name;
                for (int i = 0; i < node.Output.Count; i++) if (node.Output[i] == value.Name) node.Output[i] = name;
            }
        }
        Proto.Output.Add(ValueInfo(name, value.Shape.ToArray(), value.Type, batchAxis));
    }

    internal static string DisplayPath(string path) => path.Length == 0 ? "(root)" : path;

    static ValueInfoProto ValueInfo(string name, long[] shape, ScalarType type, string batchAxis)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = (int)OnnxTypes.ElementType(type), Shape = new TensorShapeProto() };
        for (int i = 0; i < shape.Length; i++)
            tensorType.Shape.Dim.Add(i == 0 ? new TensorShapeProto.Types.Dimension { DimParam = batchAxis } : new TensorShapeProto.Types.Dimension { DimValue = shape[i] });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }

    string ConstantName(string name) => (scope.Length == 0 ? "" : scope + ".") + "const." + name;

    string Unique(string name)
    {
        string candidate = name;
        for (int i = 1; names.Contains(candidate); i++) candidate = $"{name}_{i}";
        names.Add(candidate);
        return candidate;
    }

    string AddInitializer(string name, Tensor tensor)
    {
        names.Add(name);
        Proto.Initializer.Add(OnnxTypes.ToProto(name, tensor));
        return name;
    }

    static AttributeProto ToProto(OnnxAttribute attribute)
    {
        var proto = new AttributeProto { Name = attribute.Name };
        switch (attribute.Value)
        {
            case long i: proto.Type = AttributeProto.Types.AttributeType.Int; proto.I = i; break;
            case float f: proto.Type = AttributeProto.Types.AttributeType.Float; proto.F = f; break;
            case string s: proto.Type = AttributeProto.Types.AttributeType.String; proto.S = ByteString.CopyFromUtf8(s); break;
            case long[] ints: proto.Type = AttributeProto.Types.AttributeType.Ints; proto.Ints.AddRange(ints); break;
            case float[] floats: proto.Type = AttributeProto.Types.AttributeType.Floats; proto.Floats.AddRange(floats); break;
            default: throw new ArgumentException($"Attribute '{attribute.Name}' has a value of type {attribute.Value.GetType().Name}.");
        }
        return proto;
    }
}
