using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/Unified.Benchmarks -- --filter '*'  (add --job short for a quick run)
//
// The benchmarks run in this process (BenchmarkDotNet's in-process toolchain, --inProcess): its default toolchain
// builds a generated project that rebuilds the whole project graph into a folder of its own, and that project misses
// what this solution's projects declare (the ASP.NET Core framework reference of src/Cli, warnings as errors), so it
// does not build here. This process is already the Release build; each benchmark still gets its own warm-up.
string[] arguments = args.Any(a => a is "--inProcess" or "-i") ? args : [.. args, "--inProcess"];
BenchmarkSwitcher.FromAssembly(typeof(Unified.Benchmarks.StepKernel).Assembly).Run(arguments);
