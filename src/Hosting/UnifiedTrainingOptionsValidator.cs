using Microsoft.Extensions.Options;
using Unified.Adapters;

namespace Unified.Hosting;

/// <summary>Checks <see cref="UnifiedTrainingOptions"/> when the host starts, with messages that name the setting and the fix.</summary>
internal sealed class UnifiedTrainingOptionsValidator : IValidateOptions<UnifiedTrainingOptions>
{
    public ValidateOptionsResult Validate(string? name, UnifiedTrainingOptions options)
    {
        var failures = new List<string>();
        string framework = options.Framework?.Trim().ToLowerInvariant() ?? "";
        if (!Frameworks.Names.Contains(framework))
            failures.Add($"{UnifiedTrainingOptions.SectionName}:Framework is '{options.Framework}'; valid names: {string.Join(", ", Frameworks.Names)}.");
        if (options.Trainer is null) failures.Add($"{UnifiedTrainingOptions.SectionName}:Trainer is missing.");
        else
        {
            try
            {
                options.Trainer.Check();
            }
            catch (ArgumentException e)
            {
                failures.Add($"{UnifiedTrainingOptions.SectionName}:Trainer: {e.Message}");
            }
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
