namespace RobustSeg.Data;

/// <summary>The CRC-32 of PNG chunks (ISO 3309 polynomial; System.IO.Hashing is a separate package).</summary>
internal static class Crc32
{
    static readonly uint[] Table = BuildTable();

    static uint[] BuildTable()
    {
        var t = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[n] = c;
        }
        return t;
    }

    public static uint Update(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = crc;
        foreach (var b in data) c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        return c;
    }

    /// <summary>CRC over the chunk type and data, as PNG stores it.</summary>
    public static uint Chunk(ReadOnlySpan<byte> type, ReadOnlySpan<byte> data) =>
        ~Update(Update(0xFFFFFFFFu, type), data);
}
