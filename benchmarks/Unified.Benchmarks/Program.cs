using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/Unified.Benchmarks -- --filter '*'  (add --job short for a quick run)
BenchmarkSwitcher.FromAssembly(typeof(Unified.Benchmarks.StepKernel).Assembly).Run(args);
