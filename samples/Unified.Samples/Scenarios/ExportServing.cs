using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Unified.Core.Export;
using Unified.Core.Models;
using Unified.Core.Runtime;
using Unified.Lightning;
using Unified.Serving;
using static TorchSharp.torch;

namespace Unified.Samples.Scenarios;

/// <summary>Train, export to ONNX, serve it with the Unified.Serving host on a free port and ask it for a prediction.</summary>
public static class ExportServing
{
    public static int Run(SampleOptions options) => RunAsync(options).GetAwaiter().GetResult();

    static async Task<int> RunAsync(SampleOptions options)
    {
        using var data = Digits.Load();
        Seed.Everything(42);
        using var module = new LitClassifier(new DigitsMlp());
        new Trainer(new TrainerOptions { MaxEpochs = 1, MaxSteps = options.Smoke ? 20 : null, LimitValBatches = options.ValBatches, Accelerator = "cpu" }).Fit(module, data);

        string onnx = Path.Combine(options.WorkDir, "mlp.onnx");
        using var sample = zeros(1, 784);
        var exported = OnnxExporter.Export((nn.Module<Tensor, Tensor>)module.Network, sample, onnx);
        Console.WriteLine($"exported {onnx} (opset {exported.Opset})");

        await using var host = await ServingHost.StartAsync(new ServingOptions { ModelPath = onnx, Port = 0 }, logging => logging.ClearProviders());
        Console.WriteLine($"listening on {host.Address}");
        var first = data.Validation!.Epoch(0).First();
        float[] row = first.Input[0].data<float>().ToArray();
        using var client = new HttpClient { BaseAddress = host.Address };
        var response = await client.PostAsJsonAsync("/predict", new { data = new[] { row } });
        string body = await response.Content.ReadAsStringAsync();
        Console.WriteLine($"POST /predict -> {(int)response.StatusCode} {body} (label {first.Target[0].item<long>()})");
        first.Dispose();
        return response.IsSuccessStatusCode && JsonDocument.Parse(body).RootElement.TryGetProperty("predictions", out _) ? 0 : 1;
    }
}
