using RobustSeg.Engine.IO;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace RobustSeg.Data;

/// <summary>Writes label maps as 8-bit palette PNGs (VOC style: the index is the class, the palette only colours
/// it) or 8-bit greyscale PNGs (semseg's SegmentationClassAug / Cityscapes trainIds style). Written by hand so the
/// stored indices are exactly the class ids; files are written atomically.</summary>
public static class PngLabelWriter
{
    public static void WritePalette(string path, LabelMap labels, byte[] paletteRgb) =>
        AtomicFile.WriteAllBytes(path, EncodePalette(labels, paletteRgb));

    public static void WriteGrey(string path, LabelMap labels) =>
        AtomicFile.WriteAllBytes(path, Encode(labels, colorType: 0, palette: null));

    public static byte[] EncodePalette(LabelMap labels, byte[] paletteRgb)
    {
        if (paletteRgb.Length == 0 || paletteRgb.Length % 3 != 0 || paletteRgb.Length > 768)
            throw new ArgumentException($"palette must hold 1..256 RGB triples, got {paletteRgb.Length} bytes");
        // Indices beyond a short palette are invalid PNG: pad the palette to 256 entries (black).
        var pal = new byte[768];
        paletteRgb.CopyTo(pal, 0);
        return Encode(labels, colorType: 3, palette: pal);
    }

    static byte[] Encode(LabelMap labels, byte colorType, byte[]? palette)
    {
        using var ms = new MemoryStream();
        ms.Write([137, 80, 78, 71, 13, 10, 26, 10]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(ihdr, (uint)labels.Width);
        BinaryPrimitives.WriteUInt32BigEndian(ihdr.AsSpan(4), (uint)labels.Height);
        ihdr[8] = 8; ihdr[9] = colorType; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
        WriteChunk(ms, "IHDR", ihdr);
        if (palette is not null) WriteChunk(ms, "PLTE", palette);

        // Filter "Up" on every row but the first: cheap and compresses label maps well.
        int w = labels.Width, h = labels.Height;
        var raw = new byte[(long)h * (w + 1)];
        var d = labels.Data;
        for (int y = 0; y < h; y++)
        {
            long o = (long)y * (w + 1);
            raw[o] = (byte)(y == 0 ? 0 : 2);
            for (int x = 0; x < w; x++)
            {
                byte v = d[(long)y * w + x];
                raw[o + 1 + x] = y == 0 ? v : (byte)(v - d[(long)(y - 1) * w + x]);
            }
        }
        using var zbuf = new MemoryStream();
        using (var z = new ZLibStream(zbuf, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw);
        WriteChunk(ms, "IDAT", zbuf.ToArray());
        WriteChunk(ms, "IEND", []);
        return ms.ToArray();
    }

    static void WriteChunk(Stream s, string type, byte[] data)
    {
        Span<byte> len = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(len, (uint)data.Length);
        s.Write(len);
        var t = Encoding.ASCII.GetBytes(type);
        s.Write(t);
        s.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(len, Crc32.Chunk(t, data));
        s.Write(len);
    }
}
