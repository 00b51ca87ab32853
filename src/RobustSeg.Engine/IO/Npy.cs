using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace RobustSeg.Engine.IO;

/// <summary>An n-dimensional array read from / written to NumPy's .npy format (float32, float64 and
/// int32/int64, little-endian, C order). Values are kept as double for references, and float/int for use.</summary>
public sealed class NpyArray(int[] shape, double[] data)
{
    public int[] Shape { get; } = shape;
    public double[] Data { get; } = data;
    public float[] ToFloat() => Data.Select(v => (float)v).ToArray();
    public int[] ToInt() => Data.Select(v => (int)v).ToArray();
}

public static partial class Npy
{
    [GeneratedRegex(@"'descr'\s*:\s*'([^']+)'")] private static partial Regex DescrRe();
    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")] private static partial Regex FortranRe();
    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")] private static partial Regex ShapeRe();

    /// <summary>Reads one array. Every header value is checked against the bytes that are there before the data is
    /// allocated; a damaged file is an InvalidDataException naming <paramref name="name"/>.</summary>
    public static NpyArray Read(Stream s, string name)
    {
        try
        {
            using var br = new BinaryReader(s, Encoding.ASCII, leaveOpen: true);
            var magic = br.ReadBytes(6);
            if (magic.Length != 6 || magic[0] != 0x93 || Encoding.ASCII.GetString(magic, 1, 5) != "NUMPY")
                throw new InvalidDataException($"{name}: not a .npy file (bad magic)");
            int major = br.ReadByte(); br.ReadByte();
            if (major is < 1 or > 3) throw new InvalidDataException($"{name}: .npy format version {major} is not supported (1, 2 or 3)");
            long headerLen = major == 1 ? br.ReadUInt16() : br.ReadUInt32();
            if (s.CanSeek && headerLen > s.Length - s.Position) throw new InvalidDataException($"{name}: header length {headerLen} runs past the end of the file");
            var headerBytes = br.ReadBytes((int)Math.Min(headerLen, 1 << 20));
            if (headerBytes.Length != headerLen) throw new InvalidDataException($"{name}: the header is truncated or over 1 MiB");
            var header = Encoding.ASCII.GetString(headerBytes);
            var descr = DescrRe().Match(header).Groups[1].Value;
            int elem = descr switch
            {
                "<f4" or "<i4" => 4,
                "<f8" or "<i8" => 8,
                "|u1" or "|b1" => 1,
                _ => throw new InvalidDataException($"{name}: unsupported dtype '{descr}' (expected <f4, <f8, <i4, <i8, |u1, |b1)"),
            };
            if (FortranRe().Match(header).Groups[1].Value == "True") throw new InvalidDataException($"{name}: Fortran order is not supported");
            var shapeMatch = ShapeRe().Match(header);
            if (!shapeMatch.Success) throw new InvalidDataException($"{name}: the header has no shape");
            var shape = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(d => int.TryParse(d, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) ? v
                    : throw new InvalidDataException($"{name}: shape ({shapeMatch.Groups[1].Value}) is not a tuple of sizes 0..{int.MaxValue}")).ToArray();
            long n = 1;
            foreach (var d in shape) n = d == 0 ? 0 : n > (s.CanSeek ? s.Length : Array.MaxLength) / d ? long.MaxValue : n * d;
            if (n > Array.MaxLength || s.CanSeek && n * elem > s.Length - s.Position)
                throw new InvalidDataException($"{name}: shape ({string.Join(", ", shape)}) of {descr} needs more bytes than the file holds");
            var data = new double[n];
            for (long i = 0; i < n; i++)
                data[i] = descr switch
                {
                    "<f4" => br.ReadSingle(),
                    "<f8" => br.ReadDouble(),
                    "<i4" => br.ReadInt32(),
                    "<i8" => br.ReadInt64(),
                    _ => br.ReadByte(),
                };
            return new NpyArray(shape, data);
        }
        catch (EndOfStreamException e) { throw new InvalidDataException($"{name}: the file ends early", e); }
    }

    public static NpyArray Read(string path)
    {
        using var f = File.OpenRead(path);
        return Read(f, path);
    }

    /// <summary>All arrays of an .npz (zip of .npy) by name without the .npy suffix.</summary>
    public static Dictionary<string, NpyArray> ReadNpz(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var r = new Dictionary<string, NpyArray>();
        foreach (var e in zip.Entries)
        {
            using var s = e.Open();
            using var ms = new MemoryStream();
            s.CopyTo(ms);
            ms.Position = 0;
            r[e.FullName.EndsWith(".npy") ? e.FullName[..^4] : e.FullName] = Read(ms, $"{path}:{e.FullName}");
        }
        return r;
    }

    /// <summary>Writes float32 little-endian C-order .npy, atomically (temp file + rename).</summary>
    public static void Write(string path, float[] data, int[] shape)
    {
        if (Tensor.ShapeNumel(shape) != data.Length) throw new ArgumentException($"{path}: {data.Length} values for shape [{string.Join(",", shape)}]");
        var shapeText = shape.Length == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";
        var header = $"{{'descr': '<f4', 'fortran_order': False, 'shape': {shapeText}, }}";
        int total = 10 + header.Length + 1;
        header += new string(' ', (64 - total % 64) % 64) + "\n";
        AtomicFile.Write(path, f =>
        {
            using var bw = new BinaryWriter(f, Encoding.ASCII, leaveOpen: true);
            bw.Write((byte)0x93); bw.Write(Encoding.ASCII.GetBytes("NUMPY")); bw.Write((byte)1); bw.Write((byte)0);
            bw.Write((ushort)header.Length); bw.Write(Encoding.ASCII.GetBytes(header));
            foreach (var v in data) bw.Write(v);
        });
    }

    public static void Write(string path, Tensor t) => Write(path, t.ToArray(), t.Shape);
}
