namespace RobustSeg.Engine.IO;

/// <summary>The CRC-32 of PNG chunks and zip records (ISO 3309 polynomial; System.IO.Hashing is a separate package).
/// Slicing by 8: eight table lookups per 8 bytes, so a checkpoint's zip records are checked at memory-like speed.</summary>
public static class Crc32
{
    static readonly uint[] Table = BuildTable();   // 8 tables of 256: Table[k * 256 + b]

    static uint[] BuildTable()
    {
        var t = new uint[8 * 256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        for (int k = 1; k < 8; k++)
            for (int n = 0; n < 256; n++) t[k * 256 + n] = (t[(k - 1) * 256 + n] >> 8) ^ t[t[(k - 1) * 256 + n] & 0xFF];
        return t;
    }

    /// <summary>Continues a CRC register (start 0xFFFFFFFF, finish with ~) over <paramref name="data"/>.</summary>
    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = crc;
        var t = Table.AsSpan();
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
        {
            uint lo = c ^ System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data[i..]);
            uint hi = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data[(i + 4)..]);
            c = t[7 * 256 + (int)(lo & 0xFF)] ^ t[6 * 256 + (int)((lo >> 8) & 0xFF)] ^ t[5 * 256 + (int)((lo >> 16) & 0xFF)] ^ t[4 * 256 + (int)(lo >> 24)]
              ^ t[3 * 256 + (int)(hi & 0xFF)] ^ t[2 * 256 + (int)((hi >> 8) & 0xFF)] ^ t[256 + (int)((hi >> 16) & 0xFF)] ^ t[(int)(hi >> 24)];
        }
        for (; i < data.Length; i++) c = t[(int)((c ^ data[i]) & 0xFF)] ^ (c >> 8);
        return c;
    }

    /// <summary>The CRC-32 of a whole buffer, as zip stores it.</summary>
    public static uint Compute(ReadOnlySpan<byte> data) => ~Update(0xFFFFFFFFu, data);

    /// <summary>CRC over the chunk type and data, as PNG stores it.</summary>
    public static uint Chunk(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data) =>
        ~Update(Update(0xFFFFFFFFu, type), data);
}
