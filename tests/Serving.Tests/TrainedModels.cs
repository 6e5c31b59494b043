using Unified.Cli;
using Unified.Testing;
using Xunit;

namespace Unified.Serving.Tests;

/// <summary>A digits MLP and CNN trained by <c>unified fit</c> and exported by <c>unified export</c>, once for the test class.</summary>
public sealed class TrainedModels : IDisposable
{
    readonly TempDirectory dir = new();

    public TrainedModels()
    {
        foreach (string model in new[] { "mlp", "cnn" })
        {
            string runDir = dir.File(model);
            Run("fit", "--model", model, "--epochs", "1", "--max-steps", "30", "--threads", "1", "--run-dir", runDir);
            Run("export", "--checkpoint", Checkpoint(model), "--model", model, "--format", "onnx", "--output", Onnx(model));
        }
    }

    public string Checkpoint(string model) => Path.Combine(dir.File(model), "last.ckpt");

    public string Onnx(string model) => dir.File(model + ".onnx");

    static void Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = UnifiedCli.Run(args, output, error);
        Assert.True(code == 0, $"unified {string.Join(' ', args)} exited {code}: {error}");
    }

    public void Dispose() => dir.Dispose();
}
