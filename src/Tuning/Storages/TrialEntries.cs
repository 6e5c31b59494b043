using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Unified.Tuning.Storages;

/// <summary>
/// The one layout every storage keeps a trial in: a header (number, state, value, times) and entries named
/// <c>p:NAME</c> (parameter: distribution and internal value), <c>i:STEP</c> (intermediate value), <c>u:KEY</c> and
/// <c>s:KEY</c> (user and system attributes, JSON), so that the three storages read and write trials alike.
/// </summary>
internal static class TrialEntries
{
    public const string Param = "p:", Intermediate = "i:", User = "u:", System = "s:";

    public static string ParamValue(ParameterDistribution distribution, double internalValue) =>
        new JsonObject { ["distribution"] = distribution.ToJson(), ["value"] = internalValue }.ToJsonString();

    public static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    public static double ParseNumber(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);

    public static string Time(DateTime time) => time.ToUniversalTime().ToString("O", CultureInfo.InvariantCulture);

    public static DateTime? ParseTime(string? text) =>
        string.IsNullOrEmpty(text) ? null : DateTime.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);

    public static FrozenTrial Build(long trialId, int number, TrialState state, double? value, DateTime? start, DateTime? complete,
        IEnumerable<KeyValuePair<string, string>> entries)
    {
        var distributions = new Dictionary<string, ParameterDistribution>(StringComparer.Ordinal);
        var internals = new Dictionary<string, double>(StringComparer.Ordinal);
        var intermediate = new SortedDictionary<int, double>();
        var user = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var system = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var (key, text) in entries)
        {
            if (key.StartsWith(Param, StringComparison.Ordinal))
            {
                var node = JsonNode.Parse(text)!.AsObject();
                string name = key[Param.Length..];
                distributions[name] = ParameterDistribution.FromJson(node["distribution"]!.ToJsonString());
                internals[name] = (double)node["value"]!;
            }
            else if (key.StartsWith(Intermediate, StringComparison.Ordinal))
                intermediate[int.Parse(key[Intermediate.Length..], CultureInfo.InvariantCulture)] = ParseNumber(text);
            else if (key.StartsWith(User, StringComparison.Ordinal)) user[key[User.Length..]] = JsonDocument.Parse(text).RootElement.Clone();
            else if (key.StartsWith(System, StringComparison.Ordinal)) system[key[System.Length..]] = JsonDocument.Parse(text).RootElement.Clone();
        }
        return new FrozenTrial
        {
            TrialId = trialId, Number = number, State = state, Value = value, DatetimeStart = start, DatetimeComplete = complete,
            Distributions = distributions, InternalParams = internals, IntermediateValues = intermediate, UserAttrs = user, SystemAttrs = system,
        };
    }
}
