namespace RobustSeg.Engine.Cpu;

/// <summary>An M x K GEMM operand A packed ahead in the layout <see cref="HostGemm"/>'s tasks read (its own packing's):
/// K block by K block (Shape.Kc wide, the last narrower), each block Panels panels of Shape.Mr rows, a panel kc x Mr
/// floats (row i of the panel at float i of each of its kc steps), rows past M zero. Packed once, it serves any number of
/// GEMMs and tasks (<see cref="HostGemm.SgemmPackedA"/>) instead of each task packing its own.</summary>
public readonly unsafe struct PackedA(float* p, HostGemm.MicroShape shape, int m, int k)
{
    public readonly float* P = p;
    public readonly HostGemm.MicroShape Shape = shape;
    public readonly int M = m, K = k;

    /// <summary>The i-th of operands of this shape packed one after another from P.</summary>
    public PackedA Next(int i) => new(P + i * Floats, Shape, M, K);

    public int Panels => (M + Shape.Mr - 1) / Shape.Mr;

    /// <summary>Floats the packed operand takes.</summary>
    public long Floats => (long)Panels * Shape.Mr * K;

    /// <summary>Where element (i, p) of A goes: its K block's start, its panel within the block, its step within the
    /// panel, its row within the step.</summary>
    public long Offset(int i, int p)
    {
        int mr = Shape.Mr, pc = p / Shape.Kc * Shape.Kc, kc = Math.Min(Shape.Kc, K - pc);
        return (long)pc * Panels * mr + (long)(i / mr) * mr * kc + (long)(p - pc) * mr + i % mr;
    }
}
