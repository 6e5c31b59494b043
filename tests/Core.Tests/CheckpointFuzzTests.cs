using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using TorchSharp;
using Unified.Core.Checkpointing;
using Unified.Core.State;
using Unified.Testing;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Unified.Core.Tests;

/// <summary>
/// Feeds thousands of mutated checkpoints to the loader: every one must be refused with a specific checkpoint exception,
/// none may crash the process, and none may make it allocate more than a small multiple of the file's size, measured as
/// the managed bytes this thread allocated (<c>GC.GetAllocatedBytesForCurrentThread</c>) plus the native tensor bytes the
/// reader allocated (its own count of <c>torch.empty</c> sizes).
/// </summary>
[Collection(TorchCollection.Name)]
public sealed class CheckpointFuzzTests(ITestOutputHelper log) : IDisposable
{
    const int PerKind = 300;
    // Fixed costs (exception objects and their messages, the JSON reader's buffers) dominate for files of a few KB.
    const long ManagedSlack = 16 * 1024;
    const int ManagedFactor = 4;

    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    enum Kind { Truncation, BitFlips, HugeShape, HugeHeaderLength, Offsets, WrongDtype, BadJson, BadChecksum }

    static readonly Type[] Specific = [typeof(CheckpointFormatException), typeof(CheckpointChecksumException), typeof(CheckpointVersionException), typeof(StateMismatchException)];

    byte[] Original(out Func<Dictionary<string, IStateful>> targets)
    {
        manual_seed(5);
        var model = nn.Linear(8, 4);
        var adam = optim.Adam(model.parameters());
        using (var scope = NewDisposeScope())
        {
            nn.functional.mse_loss(model.call(rand(3, 8)), zeros(3, 4)).backward();
            adam.step();
        }
        string path = temp.File("base.ckpt");
        Dictionary<string, IStateful> Parts() => new()
        {
            ["model"] = new ModuleState(model), ["optimizer"] = new OptimizerState(adam), ["loop"] = new LoopProgress { Epoch = 2, BatchesDone = 3, GlobalStep = 17 }, ["rng"] = new RngState(),
        };
        CheckpointFile.Save(path, Parts());
        targets = Parts;
        return File.ReadAllBytes(path);
    }

    [Fact]
    public void Load_OfThousandsOfMutatedCheckpoints_RefusesEachWithASpecificExceptionWithinItsMemoryBudget()
    {
        byte[] original = Original(out var targets);
        using (var clean = CheckpointFile.Load(new MemoryStream(original), "clean")) clean.Restore(targets());
        var random = new Random(20261127);
        var byType = new Dictionary<string, int>();
        var byKind = new Dictionary<Kind, int>();
        double worstManagedRatio = 0;
        long worstNative = 0, worstManaged = 0;
        int cases = 0;

        foreach (Kind kind in Enum.GetValues<Kind>())
        {
            for (int i = 0; i < PerKind; i++)
            {
                byte[] mutated = Mutate(kind, original, random);
                if (mutated.AsSpan().SequenceEqual(original)) { i--; continue; }
                cases++;
                var stream = new MemoryStream(mutated);
                SafetensorsReader.AllocatedTensorBytes = 0;
                long before = GC.GetAllocatedBytesForCurrentThread();
                Exception? refused = null;
                try
                {
                    using var contents = CheckpointFile.Load(stream, $"{kind} #{i}");
                    contents.Restore(targets());
                }
                catch (Exception e)
                {
                    refused = e;
                }
                long managed = GC.GetAllocatedBytesForCurrentThread() - before;

                Assert.True(refused is not null, $"{kind} #{i}: a mutated checkpoint of {mutated.Length} bytes loaded");
                Assert.True(Specific.Contains(refused.GetType()), $"{kind} #{i}: refused with {refused.GetType().Name}: {refused.Message}");
                Assert.False(string.IsNullOrWhiteSpace(refused.Message));
                Assert.True(SafetensorsReader.AllocatedTensorBytes <= mutated.Length,
                    $"{kind} #{i}: {SafetensorsReader.AllocatedTensorBytes} tensor bytes allocated for a {mutated.Length}-byte file");
                Assert.True(managed <= ManagedFactor * mutated.Length + ManagedSlack, $"{kind} #{i}: {managed} managed bytes for a {mutated.Length}-byte file");
                worstManagedRatio = Math.Max(worstManagedRatio, (double)managed / Math.Max(mutated.Length, 1));
                worstNative = Math.Max(worstNative, SafetensorsReader.AllocatedTensorBytes);
                worstManaged = Math.Max(worstManaged, managed);
                byType[refused.GetType().Name] = byType.GetValueOrDefault(refused.GetType().Name) + 1;
                byKind[kind] = byKind.GetValueOrDefault(kind) + 1;
            }
        }

        log.WriteLine($"{cases} mutated checkpoints of a {original.Length}-byte original; refused as: {string.Join(", ", byType.Select(kv => $"{kv.Key} {kv.Value}"))}");
        log.WriteLine($"managed allocation per load: at most {worstManaged} bytes, at most {worstManagedRatio:F1} x its file's size (tiny truncated files, fixed costs); "
            + $"native tensor allocation at most {worstNative} bytes");
        Assert.True(cases >= 2000);
        Assert.True(byType.Count >= 2, "the mutations should reach both the layout checks and the checksums");
    }

    static byte[] Mutate(Kind kind, byte[] original, Random random)
    {
        var (header, data) = Split(original);
        switch (kind)
        {
            case Kind.Truncation:
                return original[..random.Next(0, original.Length)];
            case Kind.BitFlips:
            {
                var bytes = (byte[])original.Clone();
                for (int n = random.Next(1, 5); n > 0; n--) bytes[random.Next(bytes.Length)] ^= (byte)(1 << random.Next(8));
                return bytes;
            }
            case Kind.HugeShape:
            {
                long[][] shapes = [[1L << 62], [1L << 31, 1L << 31, 4], [long.MaxValue], [0, 1L << 62, 1L << 62], [.. Enumerable.Repeat(2L, 70)], [3, 1L << 40], [-1], [0]];
                var entry = RandomEntry(header, random);
                entry["shape"] = new JsonArray(shapes[random.Next(shapes.Length)].Select(d => (JsonNode?)d).ToArray());
                return Join(header, data);
            }
            case Kind.HugeHeaderLength:
            {
                var bytes = (byte[])original.Clone();
                ulong length = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
                ulong[] choices = [ulong.MaxValue, 1UL << 40, 100_000_001, (ulong)original.Length, (ulong)original.Length - 8, length + 1, length - 1, length + 8, 0, 1, (ulong)random.NextInt64()];
                BinaryPrimitives.WriteUInt64LittleEndian(bytes, choices[random.Next(choices.Length)]);
                return bytes;
            }
            case Kind.Offsets:
            {
                var entry = RandomEntry(header, random);
                var offsets = entry["data_offsets"]!.AsArray();
                long begin = offsets[0]!.GetValue<long>(), end = offsets[1]!.GetValue<long>();
                long delta = random.Next(1, 64) * (random.Next(2) == 0 ? 1 : -1);
                (begin, end) = random.Next(3) switch
                {
                    0 => (begin + delta, end + delta),         // overlaps a neighbour or leaves a hole
                    1 => (begin, end + delta),                // size no longer matches the shape
                    _ => (0, end - begin),                    // collides with the first tensor
                };
                entry["data_offsets"] = new JsonArray(begin, end);
                return Join(header, data);
            }
            case Kind.WrongDtype:
            {
                string[] dtypes = ["F64", "F32", "F16", "BF16", "I64", "I32", "I8", "U8", "BOOL", "F8_E4M3", "C64", "", "f32", "U64"];
                var entry = RandomEntry(header, random);
                string current = entry["dtype"]!.GetValue<string>();
                string next = dtypes.Where(d => d != current).ElementAt(random.Next(dtypes.Length - 1));
                entry["dtype"] = random.Next(10) == 0 ? JsonValue.Create(42) : next;
                return Join(header, data);
            }
            case Kind.BadJson:
            {
                string json = header.ToJsonString();
                int at = random.Next(json.Length);
                string[] junk = ["{", "}", "\"", ",", ":", "[", "]", "\\", "null", "\u0000", "1e999", "\"x\":"];
                json = random.Next(3) switch
                {
                    0 => json.Remove(at, 1),
                    1 => json.Insert(at, junk[random.Next(junk.Length)]),
                    _ => json.Replace("\"state\":", "\"state\":\"{broken\",\"x\":", StringComparison.Ordinal),
                };
                return Join(json, data);
            }
            default: // BadChecksum
            {
                var metadata = header["__metadata__"]!.AsObject();
                if (random.Next(3) == 0)
                {
                    var bytes = (byte[])original.Clone();
                    bytes[bytes.Length - 1 - random.Next(data.Length)] ^= (byte)(1 << random.Next(8));
                    return bytes;
                }
                string key = random.Next(2) == 0 ? "data_sha256" : "header_sha256";
                metadata[key] = random.Next(4) == 0 ? "not-a-digest" : Convert.ToHexStringLower(Guid.NewGuid().ToByteArray().Concat(Guid.NewGuid().ToByteArray()).ToArray());
                return Join(header, data);
            }
        }
    }

    static (JsonObject Header, byte[] Data) Split(byte[] file)
    {
        int length = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
        return (JsonNode.Parse(file.AsSpan(8, length))!.AsObject(), file[(8 + length)..]);
    }

    static JsonObject RandomEntry(JsonObject header, Random random)
    {
        var names = header.Select(kv => kv.Key).Where(k => k != "__metadata__").ToList();
        return header[names[random.Next(names.Count)]]!.AsObject();
    }

    static byte[] Join(JsonObject header, byte[] data) => Join(header.ToJsonString(), data);

    static byte[] Join(string header, byte[] data) => [.. RawSafetensors.Build(header, data)];
}
