namespace RobustSeg.Tests;

/// <summary>What a fuzzed checkpoint load is compared with: every command's strict state-dict check (names and shapes;
/// a mismatch is an input error naming the file), then the values where the format vouches for them.</summary>
public static class FuzzStateDicts
{
    public static string? Compare(string path, IReadOnlyDictionary<string, RobustSeg.Engine.Tensor> got,
        IReadOnlyDictionary<string, RobustSeg.Engine.Tensor> want, bool values)
    {
        RobustSeg.Nn.Module.CheckStateShapes(want.ToDictionary(kv => kv.Key, kv => kv.Value.Shape), got.ToDictionary(kv => kv.Key, kv => kv.Value.Shape),
            strict: true, path, "the original state dict");
        if (!values) return null;
        foreach (var (k, t) in want)
            if (t.DType == RobustSeg.Engine.DType.Int32 ? !got[k].ToIntArray().SequenceEqual(t.ToIntArray()) : !got[k].ToArray().SequenceEqual(t.ToArray()))
                return $"{k}: values differ";
        return null;
    }
}
