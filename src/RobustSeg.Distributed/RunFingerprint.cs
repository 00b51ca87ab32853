using System.Reflection;
using System.Security.Cryptography;
using System.Text;

namespace RobustSeg.Distributed;

/// <summary>Ranks must run the same code on the same config: a SHA-256 over the resolved config text and the
/// identity of the code (each given assembly's name, version and module version id, which a deterministic build
/// keeps equal for equal sources) is compared with rank 0's at start; a mismatch stops every rank with an error
/// naming the ranks that differ.</summary>
public static class RunFingerprint
{
    public static byte[] Of(string configText, IEnumerable<Assembly> code) =>
        Of(configText, string.Join(";", code.Select(a => $"{a.GetName().Name}/{a.GetName().Version}/{a.ManifestModule.ModuleVersionId}")));

    public static byte[] Of(string configText, string codeIdentity) =>
        SHA256.HashData(Encoding.UTF8.GetBytes(codeIdentity + "\n" + configText));

    /// <summary>Throws (on every rank alike) when any rank's fingerprint differs from rank 0's.</summary>
    public static void Check(IProcessGroup group, byte[] mine, string what)
    {
        if (group.WorldSize == 1) return;
        var root = (byte[])mine.Clone();
        group.Broadcast(root.AsSpan(), 0);
        var differs = new long[group.WorldSize];
        differs[group.Rank] = root.AsSpan().SequenceEqual(mine) ? 0 : 1;
        group.AllReduceSum(differs.AsSpan());
        var bad = Enumerable.Range(0, group.WorldSize).Where(r => differs[r] != 0).ToList();
        if (bad.Count > 0)
            throw new Engine.UserInputException(
                $"rank{(bad.Count > 1 ? "s" : "")} {string.Join(", ", bad)} started with a different {what} than rank 0 (fingerprints differ); start every rank with the same build, config and --set options");
    }
}
