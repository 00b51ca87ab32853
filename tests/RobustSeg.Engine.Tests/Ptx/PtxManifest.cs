using System.Globalization;
using System.Text;

namespace RobustSeg.Engine.Tests.Ptx;

/// <summary>kernels/RobustSeg.Kernels/ptx-manifest.csv: one row per (kernel, requested architecture)
/// with the emitted .target, the PTX size and the shared-memory declarations. Kept in the repo so a
/// change in a kernel's shared footprint or a lost kernel shows up in review.</summary>
public sealed record PtxManifestRow(string Kernel, string Entry, string Arch, string Target, int PtxBytes, int SharedBytes, string SharedDecls)
{
    public const string Header = "kernel,entry,arch,target,ptx_bytes,shared_bytes,shared_decls";

    public string ToCsv() => string.Join(',', Kernel, Entry, Arch, Target,
        PtxBytes.ToString(CultureInfo.InvariantCulture), SharedBytes.ToString(CultureInfo.InvariantCulture), SharedDecls);

    /// <summary>The row without the PTX size: what must match the stored manifest exactly.</summary>
    public string Key => string.Join(',', Kernel, Entry, Arch, Target, SharedBytes, SharedDecls);

    public static PtxManifestRow Parse(string line)
    {
        var f = line.Split(',');
        if (f.Length != 7) throw new FormatException("ptx-manifest.csv: expected 7 fields: " + line);
        return new PtxManifestRow(f[0], f[1], f[2], f[3], int.Parse(f[4], CultureInfo.InvariantCulture),
            int.Parse(f[5], CultureInfo.InvariantCulture), f[6]);
    }

    public static string Format(IEnumerable<PtxManifestRow> rows)
    {
        var sb = new StringBuilder(Header).Append('\n');
        foreach (var r in rows) sb.Append(r.ToCsv()).Append('\n');
        return sb.ToString();
    }

    public static List<PtxManifestRow> Read(string path) =>
        File.ReadAllLines(path).Skip(1).Where(l => l.Length > 0).Select(Parse).ToList();
}
