using System.Globalization;
using Unified.Tuning.Samplers;
using Unified.Tuning.Storages;

namespace Unified.Tuning.Tests;

/// <summary>
/// One worker process of the shared-study tests (<c>dotnet Unified.Tuning.Tests.dll STORAGE STUDY TRIALS MODE DIR
/// TOTAL SEED</c>): runs TRIALS trials of a shifted quadratic in the shared study (MODE <c>hang</c>: the first trial
/// writes DIR/hanging-NUMBER and never returns, for the test to kill the worker mid-trial), then waits until the study
/// has TOTAL finished trials and prints <c>best NUMBER VALUE</c>.
/// </summary>
public static class TuningWorker
{
    /// <summary>The test assembly's entry point (xunit does not use it).</summary>
    public static int Main(string[] args)
    {
        if (args.Length != 7)
        {
            Console.Error.WriteLine("usage: dotnet Unified.Tuning.Tests.dll STORAGE STUDY TRIALS normal|hang DIR TOTAL SEED");
            return 2;
        }
        var (uri, name, trials, mode, dir, total, seed) = (args[0], args[1], int.Parse(args[2], CultureInfo.InvariantCulture), args[3], args[4],
            int.Parse(args[5], CultureInfo.InvariantCulture), int.Parse(args[6], CultureInfo.InvariantCulture));
        using var storage = StorageUri.Open(uri);
        var study = Study.Create(name, StudyDirection.Minimize, new TpeSampler(seed, startupTrials: 5), storage: storage, loadIfExists: true);
        study.Optimize(trial =>
        {
            double x = trial.SuggestFloat("x", -5, 5), y = trial.SuggestFloat("y", -5, 5);
            if (mode == "hang")
            {
                File.WriteAllText(Path.Combine(dir, $"hanging-{trial.Number}"), "");
                Thread.Sleep(Timeout.Infinite);
            }
            Thread.Sleep(20); // long enough for the workers' trials to interleave
            trial.SetUserAttr("pid", Environment.ProcessId);
            return (x - 1) * (x - 1) + (y + 2) * (y + 2);
        }, nTrials: trials);

        // Every worker reports the best trial once the study is done, so that all of them read the same final state.
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (study.Trials.Count(t => t.IsFinished) < total)
        {
            if (DateTime.UtcNow > deadline)
            {
                Console.Error.WriteLine($"the study has {study.Trials.Count(t => t.IsFinished)} finished trials, not {total}");
                return 1;
            }
            study.FailStaleTrials(); // a waiting worker reaps a dead one's trial as a running one would
            Thread.Sleep(50);
        }
        var best = study.BestTrial;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"best {best.Number} {best.Value:R}"));
        return 0;
    }
}
