using Unified.Core.Data;

namespace Unified.Ignite;

/// <summary>
/// The engine's position in its data, as Ignite's <c>_dataloader_iter</c>: passes over the data follow each other
/// (an epoch shorter than the data continues where the last one stopped), and a position (pass, offset) can be sought,
/// so that a resumed run gets the batches an uninterrupted one would (as Ignite's <c>DeterministicEngine</c>).
/// </summary>
internal sealed class DataCursor : IDisposable
{
    readonly IBatchLoader? loader;
    readonly IEnumerable<Batch>? batches;
    IEnumerator<Batch>? current;

    public DataCursor(IBatchLoader loader) => (this.loader, Length) = (loader, loader.Count);

    public DataCursor(IEnumerable<Batch> batches) =>
        (this.batches, Length) = (batches, batches switch { IReadOnlyCollection<Batch> c => c.Count, System.Collections.ICollection c => c.Count, _ => null });

    /// <summary>Batches per pass, when the data knows it.</summary>
    public int? Length { get; }

    /// <summary>Passes started before the current one.</summary>
    public int Pass { get; private set; }

    /// <summary>Batches handed out in the current pass.</summary>
    public int Offset { get; private set; }

    /// <summary>The next batch of the current pass; false when the pass is exhausted.</summary>
    public bool TryNext(out Batch batch)
    {
        current ??= Open();
        if (current.MoveNext())
        {
            Offset++;
            batch = current.Current;
            return true;
        }
        batch = null!;
        return false;
    }

    /// <summary>Starts the next pass (Ignite re-creates the iterator).</summary>
    public void NextPass() => Seek(Pass + 1, 0);

    /// <summary>Moves to batch <paramref name="offset"/> of pass <paramref name="pass"/>; the next <see cref="TryNext"/> returns it.</summary>
    public void Seek(int pass, int offset)
    {
        current?.Dispose();
        (current, Pass, Offset) = (null, pass, offset);
    }

    IEnumerator<Batch> Open() => loader is not null
        ? loader.Epoch(Pass, Offset).GetEnumerator()
        : batches!.Skip(Offset).GetEnumerator();

    public void Dispose() => Seek(Pass, Offset);
}
