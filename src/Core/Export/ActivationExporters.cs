using TorchSharp.Modules;

namespace Unified.Core.Export;

/// <summary>Built-in exporters of activations, softmaxes and the modules that are the identity in evaluation.</summary>
static class ActivationExporters
{
    public static void AddTo(OnnxExporterRegistry registry) => registry
        .Register<ReLU>((g, _, x) => g.Node("Relu", [x.Name]))
        .Register<Tanh>((g, _, x) => g.Node("Tanh", [x.Name]))
        .Register<Sigmoid>((g, _, x) => g.Node("Sigmoid", [x.Name]))
        .Register<SiLU>((g, _, x) => g.Node("Mul", [x.Name, g.Node("Sigmoid", [x.Name])]))
        .Register<GELU>(Gelu)
        .Register<Softmax>((g, m, x) => g.Node("Softmax", [x.Name], OnnxAttribute.Int("axis", m.dim)))
        .Register<LogSoftmax>((g, m, x) => g.Node("LogSoftmax", [x.Name], OnnxAttribute.Int("axis", m.dim)))
        .Register<Identity>((_, _, x) => x.Name)
        .Register<Dropout>((_, _, x) => x.Name);

    // The Gelu operator arrived in opset 20; the decomposition below is what PyTorch's exporter writes for earlier sets.
    static string Gelu(OnnxGraph g, GELU m, OnnxValue x)
    {
        string half = g.Constant("half", [0.5f]), one = g.Constant("one", [1f]);
        string inner;
        if (m.approximate == GELU.Approximate.tanh)
        {
            // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
            string cube = g.Node("Mul", [x.Name, g.Node("Mul", [x.Name, x.Name])]);
            string sum = g.Node("Add", [x.Name, g.Node("Mul", [cube, g.Constant("coefficient", [0.044715f])])]);
            inner = g.Node("Tanh", [g.Node("Mul", [sum, g.Constant("sqrt_2_over_pi", [(float)Math.Sqrt(2 / Math.PI)])])]);
        }
        else
        {
            // 0.5 x (1 + erf(x / sqrt(2)))
            inner = g.Node("Erf", [g.Node("Div", [x.Name, g.Constant("sqrt_2", [(float)Math.Sqrt(2)])])]);
        }
        return g.Node("Mul", [g.Node("Mul", [x.Name, g.Node("Add", [inner, one])]), half]);
    }
}
