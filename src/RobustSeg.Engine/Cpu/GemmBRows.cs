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
