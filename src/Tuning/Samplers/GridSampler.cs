using System.Text.Json;

namespace Unified.Tuning.Samplers;

/// <summary>
/// Every combination of the given values once (Optuna's <c>GridSampler</c>): each trial takes a grid point no
/// running or finished trial has (a random one, seeded), recorded as the trial's <c>grid_id</c>; when every point has
/// been taken the study stops. Parameters are combined in name order, as Optuna does.
/// </summary>
public sealed class GridSampler : ISampler
{
    const string GridIdKey = "grid_id";
    readonly string[] names;
    readonly IReadOnlyList<object?>[] values;
    readonly Random rng;
    readonly Lock gate = new();

    /// <summary>Creates the grid from each parameter's values.</summary>
    /// <exception cref="ArgumentException">No parameters, or a parameter without values.</exception>
    public GridSampler(IReadOnlyDictionary<string, IReadOnlyList<object?>> searchSpace, int? seed = null)
    {
        ArgumentNullException.ThrowIfNull(searchSpace);
        if (searchSpace.Count == 0) throw new ArgumentException("The grid needs at least one parameter.", nameof(searchSpace));
        foreach (var (name, list) in searchSpace)
            if (list is null || list.Count == 0) throw new ArgumentException($"Parameter '{name}' of the grid has no values.", nameof(searchSpace));
        names = searchSpace.Keys.Order(StringComparer.Ordinal).ToArray();
        values = names.Select(n => searchSpace[n]).ToArray();
        GridSize = values.Aggregate(1, (size, list) => checked(size * list.Count));
        rng = seed is int s ? new Random(s) : new Random();
    }

    /// <summary>The number of grid points.</summary>
    public int GridSize { get; }

    /// <inheritdoc />
    public void BeforeTrial(Study study, FrozenTrial trial)
    {
        if (trial.SystemAttrs.ContainsKey(GridIdKey) || trial.SystemAttrs.ContainsKey(Study.FixedParamsKey)) return;
        var unvisited = Unvisited(study);
        // Several workers may race for the last points: the late one re-evaluates a visited point, then the study stops.
        if (unvisited.Count == 0) unvisited = Enumerable.Range(0, GridSize).ToList();
        int id;
        lock (gate) id = unvisited[rng.Next(unvisited.Count)];
        study.Storage.SetSystemAttr(trial.TrialId, GridIdKey, id.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <inheritdoc />
    public double SampleIndependent(Study study, FrozenTrial trial, string name, ParameterDistribution distribution)
    {
        if (!trial.SystemAttrs.TryGetValue(GridIdKey, out var idJson))
            throw new InvalidOperationException("An enqueued trial under the grid sampler must fix every parameter.");
        int index = Array.IndexOf(names, name);
        if (index < 0) throw new ArgumentException($"Parameter '{name}' is not in the grid ({string.Join(", ", names)}): add it to the grid's search space.");
        return distribution.ToInternal(Point(idJson.GetInt32())[index]);
    }

    /// <inheritdoc />
    public void AfterTrial(Study study, FrozenTrial trial)
    {
        if (Unvisited(study).Count == 0) study.Stop();
    }

    object?[] Point(int id)
    {
        var point = new object?[names.Length];
        for (int i = names.Length - 1; i >= 0; i--)
        {
            point[i] = values[i][id % values[i].Count];
            id /= values[i].Count;
        }
        return point;
    }

    List<int> Unvisited(Study study)
    {
        var visited = study.Trials.Where(t => t.State != TrialState.Waiting && t.SystemAttrs.ContainsKey(GridIdKey))
            .Select(t => t.SystemAttrs[GridIdKey].GetInt32()).ToHashSet();
        return Enumerable.Range(0, GridSize).Where(i => !visited.Contains(i)).ToList();
    }
}
