using Xunit;

namespace Unified.Cli.Tests;

/// <summary>
/// <c>unified fit --fused</c>: Adam through libtorch's fused kernel (PyTorch's <c>fused=True</c>) trains as well as the
/// default bitwise step, to other weights; a resume is exact and keeps the choice.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class FusedFitTests : IDisposable
{
    readonly string temp = Directory.CreateTempSubdirectory("unified-fused-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    CliRun Fit(string runDirOrResume, params string[] extra)
    {
        string[] target = runDirOrResume.EndsWith(".ckpt", StringComparison.Ordinal) ? ["--resume", runDirOrResume] : ["--run-dir", Path.Combine(temp, runDirOrResume)];
        return CliRun.Of(["fit", "--threads", "1", "--epochs", "2", "--json", .. target, .. extra]);
    }

    static string Sha(CliRun run)
    {
        Assert.True(run.ExitCode == 0, run.Error);
        return run.Json().GetProperty("weights_sha256").GetString()!;
    }

    [Fact]
    public void FitFused_LearnsAsTheDefaultStepDoes_ResumesToTheUninterruptedWeights_AndAResumeWithoutFusedIsRefused()
    {
        var plain = Fit("plain");
        var fused = Fit("fused", "--fused");
        string capped = Path.Combine(temp, "capped", "last.ckpt");
        Assert.Equal(0, Fit("capped", "--fused", "--max-steps", "150").ExitCode);

        var refused = Fit(capped);
        var resumed = Fit(capped, "--fused");

        Assert.NotEqual(Sha(plain), Sha(fused));
        double plainAccuracy = plain.Json().GetProperty("val_accuracy").GetDouble(), fusedAccuracy = fused.Json().GetProperty("val_accuracy").GetDouble();
        Assert.True(Math.Abs(plainAccuracy - fusedAccuracy) <= 0.01, $"val_accuracy {plainAccuracy} (default) vs {fusedAccuracy} (--fused)");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--fused true (requested false)", refused.Error);
        Assert.Equal(Sha(fused), Sha(resumed));
        Assert.Equal(250, resumed.Json().GetProperty("steps").GetInt64());
    }
}
