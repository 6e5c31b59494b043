using Unified.Cli;

return UnifiedCli.Run(args, Console.Out, Console.Error);
