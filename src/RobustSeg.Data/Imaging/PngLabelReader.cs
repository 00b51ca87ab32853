using RobustSeg.Engine.IO;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace RobustSeg.Data;

/// <summary>Reads label PNGs as raw indices. A general decoder converts palette PNGs to colours (ImageSharp 2.x
/// does so even when asked for L8), which destroys VOC's class indices; this reader keeps the stored values:
/// palette indices for colour type 3, grey levels for colour types 0 and 4 (bit depths 1..16, 16-bit values
/// must be below 256). RGB label images are refused with a message saying so.</summary>
public static class PngLabelReader
{
    static ReadOnlySpan<byte> Signature => [137, 80, 78, 71, 13, 10, 26, 10];

    public static LabelMap Read(string path, long maxPixels = ImageIO.DefaultMaxPixels)
    {
        ImageIO.RequireFile(path, "label");
        byte[] bytes = File.ReadAllBytes(path);
        return Decode(bytes, path, maxPixels);
    }

    /// <summary>Reads only the header: (width, height).</summary>
    public static (int Width, int Height) ReadSize(string path)
    {
        ImageIO.RequireFile(path, "label");
        Span<byte> head = stackalloc byte[33];
        using (var fs = File.OpenRead(path))
        {
            int n = fs.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
            if (n < head.Length) throw new ImageDecodeException(path, "not a PNG file (too short)");
        }
        if (!head[..8].SequenceEqual(Signature)) throw new ImageDecodeException(path, "not a PNG file (label images must be PNG)");
        if (Encoding.ASCII.GetString(head.Slice(12, 4)) != "IHDR") throw new ImageDecodeException(path, "corrupt PNG (first chunk is not IHDR)");
        return ((int)BinaryPrimitives.ReadUInt32BigEndian(head[16..]), (int)BinaryPrimitives.ReadUInt32BigEndian(head[20..]));
    }

    public static LabelMap Decode(byte[] png, string path, long maxPixels = ImageIO.DefaultMaxPixels)
    {
        if (png.Length < 8 || !png.AsSpan(0, 8).SequenceEqual(Signature))
            throw new ImageDecodeException(path, "not a PNG file (label images must be PNG)");
        int pos = 8;
        int width = 0, height = 0, bitDepth = 0, colorType = -1;
        bool seenHeader = false, seenEnd = false;
        var idat = new MemoryStream();
        while (pos < png.Length)
        {
            if (pos + 12 > png.Length) throw new ImageDecodeException(path, "corrupt PNG (truncated chunk header)");
            uint len = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            if (len > int.MaxValue || pos + 12 + (long)len > png.Length) throw new ImageDecodeException(path, "corrupt PNG (truncated chunk)");
            var type = png.AsSpan(pos + 4, 4);
            var data = png.AsSpan(pos + 8, (int)len);
            uint crc = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos + 8 + (int)len));
            string name = Encoding.ASCII.GetString(type);
            if (Crc32.Chunk(type, data) != crc) throw new ImageDecodeException(path, $"corrupt PNG (CRC mismatch in {name} chunk)");
            pos += 12 + (int)len;
            switch (name)
            {
                case "IHDR":
                    if (len != 13) throw new ImageDecodeException(path, "corrupt PNG (IHDR length)");
                    width = (int)BinaryPrimitives.ReadUInt32BigEndian(data);
                    height = (int)BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
                    bitDepth = data[8];
                    colorType = data[9];
                    if (data[12] != 0) throw new ImageDecodeException(path, "interlaced (Adam7) label PNGs are not supported; re-save without interlacing");
                    if (colorType is 2 or 6) throw new ImageDecodeException(path, "label PNG is RGB colour; expected class indices (8-bit greyscale or palette PNG)");
                    if (colorType is not (0 or 3 or 4)) throw new ImageDecodeException(path, $"unsupported PNG colour type {colorType}");
                    if (colorType == 3 ? bitDepth is not (1 or 2 or 4 or 8) : colorType == 0 ? bitDepth is not (1 or 2 or 4 or 8 or 16) : bitDepth is not (8 or 16))
                        throw new ImageDecodeException(path, $"invalid PNG bit depth {bitDepth} for colour type {colorType}");
                    ImageIO.CheckPixels(path, width, height, maxPixels);
                    seenHeader = true;
                    break;
                case "IDAT":
                    if (!seenHeader) throw new ImageDecodeException(path, "corrupt PNG (IDAT before IHDR)");
                    idat.Write(data);
                    break;
                case "IEND":
                    seenEnd = true;
                    break;
            }
            if (seenEnd) break;
        }
        if (!seenHeader) throw new ImageDecodeException(path, "corrupt PNG (no IHDR chunk)");
        if (idat.Length == 0) throw new ImageDecodeException(path, "corrupt PNG (no image data)");

        int channels = colorType == 4 ? 2 : 1;
        int bitsPerPixel = bitDepth * channels;
        int rowBytes = (int)(((long)width * bitsPerPixel + 7) / 8);
        int filterBpp = Math.Max(1, bitsPerPixel / 8);
        long rawLen = (long)height * (rowBytes + 1);
        if (rawLen > int.MaxValue) throw new ImageDecodeException(path, "PNG too large to decode");
        var raw = new byte[rawLen];
        idat.Position = 0;
        try
        {
            using var z = new ZLibStream(idat, CompressionMode.Decompress);
            int got = z.ReadAtLeast(raw, raw.Length, throwOnEndOfStream: false);
            if (got < raw.Length) throw new ImageDecodeException(path, $"corrupt PNG (image data truncated: {got} of {raw.Length} bytes)");
        }
        catch (InvalidDataException e)
        {
            throw new ImageDecodeException(path, $"corrupt PNG (bad compressed data: {e.Message})", e);
        }

        var labels = new LabelMap(height, width);
        var prev = new byte[rowBytes];
        var cur = new byte[rowBytes];
        for (int y = 0; y < height; y++)
        {
            int rowStart = y * (rowBytes + 1);
            byte filter = raw[rowStart];
            raw.AsSpan(rowStart + 1, rowBytes).CopyTo(cur);
            Unfilter(filter, cur, prev, filterBpp, path, y);
            ExtractRow(cur, labels.Data.AsSpan(y * width, width), bitDepth, channels, path, y);
            (prev, cur) = (cur, prev);
        }
        return labels;
    }

    static void Unfilter(byte filter, byte[] cur, byte[] prev, int bpp, string path, int y)
    {
        int n = cur.Length;
        switch (filter)
        {
            case 0: break;
            case 1: for (int i = bpp; i < n; i++) cur[i] += cur[i - bpp]; break;
            case 2: for (int i = 0; i < n; i++) cur[i] += prev[i]; break;
            case 3:
                for (int i = 0; i < n; i++)
                    cur[i] += (byte)(((i >= bpp ? cur[i - bpp] : 0) + prev[i]) >> 1);
                break;
            case 4:
                for (int i = 0; i < n; i++)
                {
                    int a = i >= bpp ? cur[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
                    int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
                    cur[i] += (byte)(pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
                }
                break;
            default: throw new ImageDecodeException(path, $"corrupt PNG (unknown filter type {filter} on row {y})");
        }
    }

    static void ExtractRow(byte[] row, Span<byte> dst, int bitDepth, int channels, string path, int y)
    {
        int w = dst.Length;
        switch (bitDepth)
        {
            case 8:
                for (int x = 0; x < w; x++) dst[x] = row[x * channels];
                break;
            case 16:
                for (int x = 0; x < w; x++)
                {
                    int v = (row[x * 2 * channels] << 8) | row[x * 2 * channels + 1];
                    if (v > 255) throw new ImageDecodeException(path, $"16-bit label value {v} at row {y}, column {x} does not fit a class index (0..255)");
                    dst[x] = (byte)v;
                }
                break;
            default:
                int perByte = 8 / bitDepth, mask = (1 << bitDepth) - 1;
                for (int x = 0; x < w; x++)
                {
                    int shift = 8 - bitDepth * (x % perByte + 1);
                    dst[x] = (byte)((row[x / perByte] >> shift) & mask);
                }
                break;
        }
    }
}
