using TorchSharp;
using Unified.Core.Data;
using Unified.Core.Models;
using static TorchSharp.torch;

namespace Unified.Testing;

/// <summary>
/// The hand-written TorchSharp training loop that both front-ends must match bitwise: seed, build the MLP, Adam,
/// then zero_grad / forward / cross_entropy / backward / step over the loader's batches.
/// </summary>
public static class ReferenceLoop
{
    /// <summary>Trains a freshly seeded <see cref="DigitsMlp"/> on <paramref name="train"/> and returns it.</summary>
    public static DigitsMlp TrainDigitsMlp(IBatchLoader train, int epochs, long seed = 42, double learningRate = 1e-3)
    {
        torch.manual_seed(seed);
        var model = new DigitsMlp();
        using var optimizer = optim.Adam(model.parameters(), lr: learningRate);
        model.train();
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            foreach (var batch in train.Epoch(epoch))
            {
                using var scope = NewDisposeScope();
                using var _ = batch;
                optimizer.zero_grad();
                var logits = model.call(batch.Input);
                var loss = nn.functional.cross_entropy(logits, batch.Target);
                loss.backward();
                optimizer.step();
            }
        }
        return model;
    }
}
