using Unified.Samples;

// dotnet run --project samples/Unified.Samples -c Release -- --scenario NAME [--smoke]   (--list names them all)
return SampleRunner.Start(args);
