using Xunit;

namespace Unified.Cli.Tests;

/// <summary>
/// The catalogue of bad inputs and faults a new user and a QA engineer tried against <c>unified fit</c> (issue 10):
/// every case exits with its code, says what is wrong on the first line of standard error (<c>error: …</c>), prints
/// no stack trace, and leaves every file of an existing run folder as it was. Paths: <c>{run}</c> the existing run
/// folder, <c>{ckpt}</c> its checkpoint, <c>{root}</c> the catalogue's files, <c>{new}</c> a fresh folder per case.
/// Cases with an environment variable run in a child process.
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class BadInputCatalogueTests(BadInputCatalogue catalogue) : IClassFixture<BadInputCatalogue>
{
    const int Usage = 2, Failure = 1;

    public static TheoryData<string, string[], int, string, string?> Cases => new()
    {
        // Flags out of range or unknown.
        { "unknown framework", ["--framework", "keras"], Usage, "--framework 'keras' is not known", null },
        { "unknown model", ["--model", "resnet"], Usage, "--model 'resnet' is not known", null },
        { "unknown accelerator", ["--accelerator", "tpu"], Usage, "--accelerator 'tpu' is not known", null },
        { "unknown precision", ["--precision", "fp8"], Usage, "--precision 'fp8' is not known", null },
        { "zero epochs", ["--epochs", "0"], Usage, "--epochs must be a positive integer", null },
        { "negative epochs", ["--epochs", "-1"], Usage, "--epochs must be a positive integer", null },
        { "epochs not a number", ["--epochs", "abc"], Usage, "abc", null },
        { "zero batch size", ["--batch-size", "0"], Usage, "--batch-size must be a positive integer", null },
        { "zero learning rate", ["--lr", "0"], Usage, "--lr must be a positive number", null },
        { "NaN learning rate", ["--lr", "NaN"], Usage, "--lr must be a positive number", null },
        { "learning rate beyond float", ["--lr", "1e38"], Usage, "--lr must be a positive number up to 1e+30", null },
        { "zero threads", ["--threads", "0"], Usage, "--threads must be a positive integer", null },
        { "zero devices", ["--devices", "0"], Usage, "--devices must be a positive integer", null },
        { "zero accumulation", ["--accumulate", "0"], Usage, "--accumulate must be a positive integer", null },
        { "negative clip", ["--clip-grad", "-1"], Usage, "--clip-grad must be a positive number", null },
        { "zero max steps", ["--max-steps", "0"], Usage, "--max-steps must be a positive integer", null },
        { "zero checkpoint interval", ["--ckpt-every-n-steps", "0"], Usage, "--ckpt-every-n-steps must be a positive integer", null },
        { "unknown logger", ["--logger", "wandb"], Usage, "--logger 'wandb' is not known", null },
        { "logger twice", ["--logger", "csv", "--logger", "csv"], Usage, "twice", null },
        { "unknown flag", ["--frobnicate"], Usage, "--frobnicate", null },
        // Run folders and resume.
        { "new fit into an existing run", ["--run-dir", "{run}"], Usage, "already holds a run", null },
        { "empty run dir", ["--run-dir", ""], Usage, "--run-dir must name a folder", null },
        { "run dir is a file", ["--run-dir", "{root}/not-a-folder"], Usage, "--run-dir '{root}/not-a-folder' is a file", null },
        { "resume a missing file", ["--resume", "{root}/missing.ckpt"], Usage, "does not exist", null },
        { "resume a folder", ["--resume", "{run}"], Usage, "is a folder; pass the checkpoint file inside it", null },
        { "resume a folder named .ckpt", ["--resume", "{root}/a-folder.ckpt"], Usage, "is a folder", null },
        { "resume with another batch size", ["--resume", "{ckpt}", "--batch-size", "32"], Usage, "--batch-size 64 (requested 32)", null },
        { "resume with another model", ["--resume", "{ckpt}", "--model", "cnn"], Usage, "--model mlp (requested cnn)", null },
        { "resume with another precision", ["--resume", "{ckpt}", "--precision", "bf16-mixed"], Usage, "--precision 32-true (requested bf16-mixed)", null },
        { "resume with another accumulation", ["--resume", "{ckpt}", "--accumulate", "2"], Usage, "--accumulate 1 (requested 2)", null },
        { "resume with another framework", ["--resume", "{ckpt}", "--framework", "ignite"], Usage, "--framework lightning (requested ignite)", null },
        { "resume with another seed", ["--resume", "{ckpt}", "--seed", "7"], Usage, "--seed 42 (requested 7)", null },
        { "resume a damaged checkpoint", ["--resume", "{root}/flipped.ckpt", "--run-dir", "{new}"], Failure, "flipped.ckpt", null },
        { "resume a file that is no checkpoint", ["--resume", "{root}/text.ckpt", "--run-dir", "{new}"], Failure, "text.ckpt", null },
        // Data.
        { "missing data", ["--data", "{root}/nowhere"], Failure, "does not exist", null },
        { "label 10 of 10 classes", ["--data", "{root}/label10-images-idx3-ubyte"], Failure, "label 10 at sample 5", null },
        { "label 200", ["--data", "{root}/label200-images-idx3-ubyte"], Failure, "label 200 at sample 97", null },
        { "20x20 images", ["--data", "{root}/small-images-idx3-ubyte"], Failure, "holds 20x20 images, but the model takes 28x28", null },
        { "28x0 images", ["--data", "{root}/empty-images-idx3-ubyte"], Failure, "28x0 images", null },
        { "CNN on 20x20 images", ["--data", "{root}/small-images-idx3-ubyte", "--model", "cnn"], Failure, "but the model takes 28x28", null },
        { "fewer labels than images", ["--data", "{root}/mismatch-images-idx3-ubyte"], Failure, "must match one to one", null },
        { "IDX sizes that overflow", ["--data", "{root}/overflow-images-idx3-ubyte"], Failure, "the header is damaged", null },
        { "truncated IDX", ["--data", "{root}/truncated-images-idx3-ubyte"], Failure, "the file is truncated", null },
        { "text instead of IDX", ["--data", "{root}/text-images-idx3-ubyte"], Failure, "is not an IDX file", null },
        { "IDX of floats", ["--data", "{root}/type-images-idx3-ubyte"], Failure, "only unsigned bytes", null },
        { "gzip bomb", ["--data", "{root}/bomb-images-idx3-ubyte.gz"], Failure, "bomb-images-idx3-ubyte.gz' declares 1x28x28 = 784 bytes of data but holds more", null },
        { "damaged gzip", ["--data", "{root}/damaged-images-idx3-ubyte.gz"], Failure, "damaged-images-idx3-ubyte.gz", null },
        { "/dev/zero as data", ["--data", "/dev/zero"], Usage, "is not named like an IDX images file", null },
        { "/dev/zero behind an IDX name", ["--data", "{root}/zero-images-idx3-ubyte"], Failure, "only unsigned bytes", null },
        { "batch size beyond the data", ["--batch-size", "2147483647", "--epochs", "1", "--run-dir", "{new}"], 0, "is larger than the 8000 training samples", null },
        // Training faults.
        { "learning rate that diverges", ["--lr", "1e20", "--epochs", "1", "--run-dir", "{new}"], Failure, "--skip-non-finite-loss", null },
        // The environment, in a child process.
        { "malloc switch not 0 or 1", ["--epochs", "1", "--max-steps", "1", "--run-dir", "{new}"], Usage, "UNIFIED_MALLOC_TUNING='banana' is not valid", "UNIFIED_MALLOC_TUNING=banana" },
        { "collective timeout beyond bounds", ["--epochs", "1", "--max-steps", "1", "--run-dir", "{new}"], Usage, "UNIFIED_DIST_TIMEOUT='1e99' is not valid", "UNIFIED_DIST_TIMEOUT=1e99" },
        { "trace switch not 0 or 1", ["--epochs", "1"], Usage, "UNIFIED_TRACE='yes please' is not valid", "UNIFIED_TRACE=yes please" },
        { "mlflow without a tracking URI", ["--logger", "mlflow", "--run-dir", "{new}"], Usage, "MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_URI=" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void BadInput_ExitsWithItsCode_SaysWhyOnOneLine_AndChangesNoFileOfTheExistingRun(string name, string[] args, int code, string fragment, string? environment)
    {
        string fresh = Path.Combine(catalogue.Root, "new-" + string.Concat(name.Where(char.IsAsciiLetterOrDigit)));
        string Expand(string text) => text.Replace("{run}", catalogue.Run).Replace("{ckpt}", catalogue.Checkpoint)
            .Replace("{root}", catalogue.Root).Replace("{new}", fresh);
        string[] command = ["fit", .. args.Select(Expand)];

        (int exit, string error) = environment is null ? InProcess(command) : Child(command, environment);

        string first = error.Split('\n').FirstOrDefault(l => l.StartsWith(code == 0 ? "warning: " : "error: ", StringComparison.Ordinal)) ?? "";
        Assert.True(exit == code, $"{name}: exit {exit}, expected {code}\n{error}");
        Assert.True(first.Contains(Expand(fragment), StringComparison.Ordinal), $"{name}: the first error line does not say '{Expand(fragment)}':\n{error}");
        Assert.DoesNotContain("   at ", error);
        Assert.DoesNotContain("Unhandled exception", error);
        Assert.Equal(catalogue.Snapshot, BadInputCatalogue.Hashes(catalogue.Run));
        // A refused new run leaves no folder behind; a failed one leaves only what it wrote itself.
        Assert.False(Directory.Exists(fresh) && code == Usage && Directory.EnumerateFileSystemEntries(fresh).Any(f => !f.EndsWith(".unified.lock")),
            $"{name}: a refused command wrote into {fresh}");
    }

    static (int, string) InProcess(string[] command)
    {
        var run = CliRun.Of(command);
        return (run.ExitCode, run.Error);
    }

    static (int, string) Child(string[] command, string environment)
    {
        string[] pair = environment.Split('=', 2);
        using var child = ChildFit.Start(command, new Dictionary<string, string> { [pair[0]] = pair[1] });
        int exit = child.WaitForExit(TimeSpan.FromMinutes(2));
        return (exit, child.Error);
    }
}
