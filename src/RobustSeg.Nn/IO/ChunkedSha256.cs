using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace RobustSeg.Nn.IO;

/// <summary>A tensor's integrity digest: SHA-256 over the SHA-256 digests of its 8 MiB chunks. A plain SHA-256 is
/// sequential, so the largest tensor (a third of a PSPNet-50 checkpoint) would bound the check's time; chunks are
/// hashed on every core, each as soon as its bytes are read (SHA256.HashData takes the CPU's SHA instructions).</summary>
public static class ChunkedSha256
{
    public const int ChunkBytes = 8 << 20;

    static int Chunks(long bytes) => (int)Math.Max(1, (bytes + ChunkBytes - 1) / ChunkBytes);

    static void HashChunk(ReadOnlySpan<byte> data, int chunk, Span<byte> digest)
    {
        long start = (long)chunk * ChunkBytes;
        SHA256.HashData(data.Slice((int)start, (int)Math.Min(ChunkBytes, data.Length - start)), digest);
    }

    static string Combine(byte[] digests) => Convert.ToHexStringLower(SHA256.HashData(digests));

    /// <summary>The digest (hex), chunks hashed in parallel.</summary>
    public static string Hash(byte[] data)
    {
        var d = new byte[Chunks(data.Length) * 32];
        Parallel.For(0, d.Length / 32, c => HashChunk(data, c, d.AsSpan(c * 32, 32)));
        return Combine(d);
    }

    /// <summary>Starts hashing <paramref name="values"/>' bytes on the thread pool, one task per chunk; the result says
    /// whether the digest equals <paramref name="expected"/> (hex, any case).</summary>
    public static Task<bool> VerifyAsync<T>(T[] values, string expected) where T : unmanaged
    {
        long bytes = (long)values.Length * Marshal.SizeOf<T>();
        var d = new byte[Chunks(bytes) * 32];
        var parts = new Task[d.Length / 32];
        for (int c = 0; c < parts.Length; c++)
        {
            int chunk = c;
            parts[c] = Task.Run(() => HashChunk(MemoryMarshal.AsBytes(values.AsSpan()), chunk, d.AsSpan(chunk * 32, 32)));
        }
        return Task.WhenAll(parts).ContinueWith(t =>
        {
            t.GetAwaiter().GetResult();
            return string.Equals(Combine(d), expected, StringComparison.OrdinalIgnoreCase);
        }, TaskScheduler.Default);
    }
}
