using RobustSeg.Engine;
using RobustSeg.Nn;
using RobustSeg.Nn.IO;

namespace RobustSeg.Models.Import;

/// <summary>ImageNet initialisation of the backbone, as the original's `pretrained=True`: semseg's deep-base ResNet
/// (`initmodel/resnet50_v2.pth`: conv1 bn1 conv2 bn2 conv3 bn3 layer1..layer4 fc) mapped into layer0 (conv1 -> layer0.0,
/// bn1 -> layer0.1, conv2 -> layer0.3, bn2 -> layer0.4, conv3 -> layer0.6, bn3 -> layer0.7) and layer1..layer4, with an
/// explicit key map instead of the original's silent `strict=False`: every backbone tensor must be found with its shape
/// (num_batches_tracked may be absent, older files lack it), `fc.*` is dropped and reported, any other key is an error.
/// The heads keep their own initialisation.</summary>
public static class BackboneImport
{
    static readonly Dictionary<string, string> Stem = new()
    {
        ["conv1"] = "layer0.0", ["bn1"] = "layer0.1", ["conv2"] = "layer0.3",
        ["bn2"] = "layer0.4", ["conv3"] = "layer0.6", ["bn3"] = "layer0.7",
    };

    /// <summary>What a load did: tensors copied, and the ImageNet keys it dropped (the classifier).</summary>
    public sealed record Result(int Loaded, IReadOnlyList<string> Dropped);

    /// <summary>Our name of an ImageNet ResNet key; null for the dropped classifier (`fc.*`).</summary>
    public static string? MapKey(string key, string source)
    {
        var k = key.StartsWith("module.", StringComparison.Ordinal) ? key["module.".Length..] : key;
        int dot = k.IndexOf('.');
        var head = dot < 0 ? k : k[..dot];
        if (head == "fc") return null;
        if (Stem.TryGetValue(head, out var ours)) return ours + k[head.Length..];
        if (head is "layer1" or "layer2" or "layer3" or "layer4") return k;
        throw new InvalidDataException($"{source}: unexpected key '{key}' in an ImageNet ResNet backbone (expected conv1..3, bn1..3, layer1..layer4, fc)");
    }

    /// <summary>An ImageNet ResNet state dict from `.pth` (zip or legacy; restricted unpickling) or `.safetensors`.</summary>
    public static Dictionary<string, Tensor> ReadFile(string path, Device device)
    {
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            // The caller owns (and disposes) the tensors.
            return SafeTensors.Load(path, device).Tensors;
        }
        return PthReader.ReadStateDict(path, device, out _);
    }

    /// <summary>The file's tensors under our names (fc dropped): what `robustseg import --backbone` writes.</summary>
    public static (Dictionary<string, Tensor> Mapped, List<string> Dropped) Map(IReadOnlyDictionary<string, Tensor> sd, string source)
    {
        var mapped = new Dictionary<string, Tensor>();
        var dropped = new List<string>();
        foreach (var (k, t) in sd)
        {
            var ours = MapKey(k, source);
            if (ours is null) { dropped.Add(k); continue; }
            if (!mapped.TryAdd(ours, t)) throw new InvalidDataException($"{source}: '{k}' maps to {ours}, which another key already gave");
        }
        dropped.Sort(StringComparer.Ordinal);
        return (mapped, dropped);
    }

    /// <summary>Copies a backbone file into <paramref name="model"/>'s layer0..layer4.</summary>
    public static Result Load(SegmentationModel model, string path)
    {
        var sd = ReadFile(path, model.Device);
        try
        {
            // A file already in our names (written by `import --backbone`) maps to itself.
            bool ours = sd.Keys.All(k => k.StartsWith("layer", StringComparison.Ordinal));
            var (mapped, dropped) = ours ? (new Dictionary<string, Tensor>(sd), new List<string>()) : Map(sd, path);
            var own = model.StateDict();
            var backbone = own.Keys.Where(IsBackboneKey).ToHashSet();
            var unexpected = mapped.Keys.Where(k => !backbone.Contains(k)).Order(StringComparer.Ordinal).ToList();
            var missing = backbone.Where(k => !mapped.ContainsKey(k) && !k.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
                .Order(StringComparer.Ordinal).ToList();
            if (unexpected.Count > 0 || missing.Count > 0)
                throw new StateDictMismatchException(path, $"the {model.Config.Describe()} backbone", missing, unexpected, []);
            model.LoadStateDict(mapped, strict: false, sourceName: path);
            return new Result(mapped.Count, dropped);
        }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }

    /// <summary>Whether a state-dict key belongs to the backbone (layer0..layer4), which ImageNet weights initialise.</summary>
    public static bool IsBackboneKey(string key) =>
        key.StartsWith("layer", StringComparison.Ordinal) && key.Length > 6 && key[5] is >= '0' and <= '4' && key[6] == '.';
}
