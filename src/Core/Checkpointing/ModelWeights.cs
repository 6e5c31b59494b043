using System.Collections;
using System.IO.Compression;
using TorchSharp.PyBridge;
using Unified.Core.State;
using static TorchSharp.torch;

namespace Unified.Core.Checkpointing;

/// <summary>
/// Moves model weights between Unified and PyTorch: loads PyTorch state dicts (<c>torch.save(model.state_dict())</c>
/// zip files through TorchSharp.PyBridge's restricted unpickler, which builds tensors and dicts only and runs no code),
/// safetensors files and Unified checkpoints into a TorchSharp module with every name and shape mismatch reported key
/// by key; exports weights as safetensors (<c>safetensors.torch.load_file</c>) or as a PyTorch <c>.pt</c> (<c>torch.load</c>).
/// </summary>
/// <example><code>
/// var report = ModelWeights.Load(model, "resnet.pt", strict: false);
/// Console.WriteLine($"missing: {string.Join(", ", report.MissingKeys)}");
/// </code></example>
public static class ModelWeights
{
    /// <summary>
    /// Loads the weights in <paramref name="path"/> into <paramref name="module"/>: a PyTorch zip state dict
    /// (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>), a safetensors file, or a Unified checkpoint (its <c>model</c> part).
    /// The format is recognised by content, not by extension.
    /// </summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="CheckpointException">The file is damaged, not a state dict, or in an unsupported format.</exception>
    /// <exception cref="StateMismatchException">Names or shapes do not fit the module; every key is listed.</exception>
    public static StateLoadReport Load(nn.Module module, string path, bool strict = true)
    {
        using var stream = SafetensorsReader.OpenRead(path);
        Span<byte> magic = stackalloc byte[4];
        int read = stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false);
        stream.Position = 0;
        if (read == 4 && magic.SequenceEqual("PK\u0003\u0004"u8)) return LoadPyTorch(module, stream, path, strict);

        var header = SafetensorsReader.ReadHeader(stream, path);
        if (header.Metadata.GetValueOrDefault(CheckpointKeys.Format) is CheckpointKeys.FormatName or CheckpointUpgrades.Version0FormatName)
        {
            stream.Position = 0;
            using var checkpoint = CheckpointFile.Load(stream, path);
            return ModuleState.Load(module, checkpoint.Part(CheckpointKeys.ModelPart).Tensors, strict);
        }
        using var file = SafetensorsReader.ReadData(stream, path, header);
        return ModuleState.Load(module, file.Tensors, strict);
    }

    /// <summary>Writes <paramref name="module"/>'s state dict as safetensors (metadata <c>format: pt</c>, as Python's writer), atomically.</summary>
    public static void ExportSafetensors(nn.Module module, string path) =>
        SafetensorsWriter.Write(path, module.state_dict(), new Dictionary<string, string> { ["format"] = "pt" });

    /// <summary>Writes <paramref name="module"/>'s state dict as a PyTorch zip file that <c>torch.load</c> reads, atomically.</summary>
    public static void ExportPyTorch(nn.Module module, string path) =>
        AtomicFile.Write(path, stream => module.save_py(stream, leaveOpen: true));

    static StateLoadReport LoadPyTorch(nn.Module module, FileStream stream, string path, bool strict)
    {
        CheckArchive(stream, path);
        Hashtable table;
        try
        {
            table = PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true);
        }
        catch (Exception e) when (e is NotImplementedException or InvalidCastException or InvalidOperationException or InvalidDataException
                                      or Razorvine.Pickle.PickleException or IndexOutOfRangeException or ArgumentException or NullReferenceException)
        {
            throw new CheckpointFormatException($"'{path}' is not a PyTorch state dict that can be loaded ({e.Message}). Save it with torch.save(model.state_dict(), path).", e);
        }
        var tensors = new List<KeyValuePair<string, Tensor>>();
        try
        {
            foreach (DictionaryEntry entry in table)
            {
                if (entry.Key is not string key || entry.Value is not Tensor tensor)
                    throw new CheckpointFormatException($"'{path}' holds '{entry.Key}' = {entry.Value?.GetType().Name ?? "null"}; a state dict maps names to tensors.");
                tensors.Add(KeyValuePair.Create(key, tensor));
            }
            return ModuleState.Load(module, tensors, strict);
        }
        finally
        {
            foreach (var value in table.Values) (value as IDisposable)?.Dispose();
        }
    }

    // torch.save stores entries uncompressed (TorchSharp.PyBridge deflates some); bounding what the entries expand to
    // keeps a zip bomb out before the unpickler reads them.
    const int MaxExpansion = 16;

    static void CheckArchive(FileStream stream, string path)
    {
        try
        {
            using var archive = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            long total = 0;
            bool pickle = false;
            foreach (var entry in archive.Entries)
            {
                total += entry.Length;
                pickle |= entry.Name == "data.pkl";
            }
            if (!pickle) throw new CheckpointFormatException($"'{path}' is a zip file without data.pkl, so not a torch.save file.");
            if (total > MaxExpansion * stream.Length + (1 << 20))
                throw new CheckpointFormatException($"'{path}' expands to {total} bytes from {stream.Length}; more than {MaxExpansion}x is refused as a likely zip bomb.");
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointFormatException($"'{path}' is a damaged zip file ({e.Message}).", e);
        }
        stream.Position = 0;
    }
}
