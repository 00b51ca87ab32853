using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Runtime.CompilerServices;

namespace RobustSeg.Engine.Cpu;

/// <summary>Where a micro-kernel finds row p (NR floats) of its B panel. The kernels are generic over it, so one
/// kernel source serves packed panels and direct convolution, and the JIT compiles each pairing with the call inlined.</summary>
internal unsafe interface IBRows
{
    float* Row(int p);
}

/// <summary>A packed panel: row p at b + p * nr.</summary>
internal readonly unsafe struct PackedRows(float* b, int nr) : IBRows
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Row(int p) => b + (long)p * nr;
}

/// <summary>Rows read in place from a zero-padded image: row p (tap (c, ki, kj)) at x + off[p], x being the
/// panel's first output pixel; see <see cref="DirectConv"/>.</summary>
internal readonly unsafe struct OffsetRows(float* x, int* off) : IBRows
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Row(int p) => x + off[p];
}

/// <summary>Rows read from B itself (row p at src + p ld, an AVX-512 panel's 32 floats) and copied into a packed panel (row p
/// at dst + 32 p) as the kernel reads them, the rows Ahead on fetched: the first row panel's tiles pack B's block while
/// they multiply (<see cref="HostGemm.FusePackB"/>).</summary>
internal readonly unsafe struct PackingRows(float* src, long ld, float* dst) : IBRows
{
    const int Ahead = 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public float* Row(int p)
    {
        float* s = src + p * ld, d = dst + (long)p * 32;
        Sse.Prefetch0(s + Ahead * ld);
        Sse.Prefetch0(s + Ahead * ld + 16);
        Vector512.Store(Vector512.Load(s), d);
        Vector512.Store(Vector512.Load(s + 16), d + 16);
        return d;
    }
}
