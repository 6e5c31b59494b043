using static TorchSharp.torch;

namespace Unified.Core.Export;

/// <summary>
/// Says how a module of type <typeparamref name="TModule"/> exports: adds its nodes to <paramref name="graph"/>,
/// reading <paramref name="input"/>, and returns the name of the value it outputs. Child modules export through
/// <see cref="OnnxGraph.Module"/>, weights through <see cref="OnnxGraph.Parameter"/>.
/// </summary>
/// <example><code>
/// // y = x + body(x)
/// registry.Register&lt;Residual&gt;((graph, block, x) => graph.Node("Add", [x.Name, graph.Module(block.Body, x).Name]));
/// </code></example>
public delegate string OnnxModuleExport<in TModule>(OnnxGraph graph, TModule module, OnnxValue input) where TModule : nn.Module<Tensor, Tensor>;
