using ILGPU;

namespace RobustSeg.Kernels;

// Every elementwise kernel: index i handles elements [i*Chunk, min((i+1)*Chunk, N)).
// On CUDA Chunk = 1 (one element per thread); on the CPU accelerator a chunk per index.

public struct FillArgs { public ArrayView<float> Y; public float Value; public int N, Chunk; }
public struct CopyArgs { public ArrayView<float> X, Y; public int N, Chunk; }
public struct UnaryArgs { public ArrayView<float> X, Y; public UnaryOp Op; public float P0, P1; public int N, Chunk; }
public struct UnaryGradArgs { public ArrayView<float> X, Y, DY, DX; public UnaryOp Op; public float P0, P1; public int N, Chunk; }
public struct BinaryArgs { public ArrayView<float> A, B, Y; public BinaryOp Op; public int N, Chunk; }
public struct AxpbyArgs { public ArrayView<float> X, Y, Out; public float A, B; public int N, Chunk; }
/// <summary>One SGD update of P from its gradient G and (HasBuf) momentum buffer Buf (Backend.SgdStep).</summary>
public struct SgdArgs { public ArrayView<float> P, G, Buf; public float NegLr, Momentum, WeightDecay; public int HasBuf, First, N, Chunk; }
/// <summary>y[n,c,s] = x[n,c,s] op v[c].</summary>
public struct ChannelArgs { public ArrayView<float> X, V, Y; public BinaryOp Op; public int C, S, N, Chunk; }
/// <summary>y = mask ? a : b; with Broadcast the mask is (N,S) against (N,C,S).</summary>
public struct WhereArgs { public ArrayView<int> Mask; public ArrayView<float> A, B, Y; public int Broadcast, C, S, N, Chunk; }
public struct RandArgs { public ArrayView<float> Y; public ulong Seed; public float Lo, Hi; public int N, Chunk; }
public struct IntCompareArgs { public ArrayView<int> A, B, Y; public IntCompareOp Op; public int N, Chunk; }
public struct IntToFloatArgs { public ArrayView<int> X; public ArrayView<float> Y; public int N, Chunk; }

public static class ElementwiseKernels
{
    public static void Fill(Index1D i, FillArgs a)
    {
        int s = i * a.Chunk, e = XMin(s + a.Chunk, a.N);
        for (int j = s; j < e; j++) a.Y[j] = a.Value;
    }

    public static void Copy(Index1D i, CopyArgs a)
    {
        int s = i * a.Chunk, e = XMin(s + a.Chunk, a.N);
        for (int j = s; j < e; j++) a.Y[j] = a.X[j];
    }

    public static void Unary(Index1D i, UnaryArgs a)
    {
        int s = i * a.Chunk, e = XMin(s + a.Chunk, a.N);
        for (int j = s; j < e; j++) a.Y[j] = ElementwiseMath.Unary(a.Op, a.X[j], a.P0, a.P1);
    }

    public static void UnaryGrad(Index1D i, UnaryGradArgs a)
    {
        int s = i * a.Chunk, e = XMin(s + a.Chunk, a.N);
        for (int j = s; j < e; j++) a.DX[j] = ElementwiseMath.UnaryGrad(a.Op, a.X[j], a.Y[j], a.DY[j], a.P0, a.P1);
    }

    public static void Binary(Index1D i, BinaryArgs a)
    {
        int s = i * a.Chunk, e = XMin(s + a.Chunk, a.N);
        for (int j = s; j < e; j++) a.Y[j] = ElementwiseMath.Binary(a.Op, a.A[j], a.B[j]);
    }

    public static void Axpby(Index1D i, AxpbyArgs a)
    {
        int s = i * a.Chunk, e = XMin(s + a.Chunk, a.N);
        for (int j = s; j < e; j++) a.Out[j] = a.A * a.X[j] + a.B * a.Y[j];
    }

    public static void SgdStep(Index1D i, SgdArgs a)
    {
        int s = i * a.Chunk, e = XMin(s + a.Chunk, a.N);
        for (int j = s; j < e; j++)
        {
            float p = a.P[j], d = a.WeightDecay != 0f ? a.G[j] + a.WeightDecay * p : a.G[j];
            if (a.HasBuf != 0)
            {
                if (a.First == 0) d = a.Momentum * a.Buf[j] + d;
                a.Buf[j] = d;
            }
            a.P[j] = p + a.NegLr * d;
        }
    }

    public static void Channel(Index1D i, ChannelArgs a)
    {
        int s = i * a.Chunk, e = XMin(s + a.Chunk, a.N);
        for (int j = s; j < e; j++)
        {
            int c = (j / a.S) % a.C;
            a.Y[j] = ElementwiseMath.Binary(a.Op, a.X[j], a.V[c]);
        }
    }

    public static void Where(Index1D i, WhereArgs a)
    {
        int s = i * a.Chunk, e = XMin(s + a.Chunk, a.N);
        for (int j = s; j < e; j++)
        {
            int m = a.Broadcast != 0 ? a.Mask[(j / (a.C * a.S)) * a.S + j % a.S] : a.Mask[j];
            a.Y[j] = m != 0 ? a.A[j] : a.B[j];
        }
    }

    public static void RandUniform(Index1D i, RandArgs a)
    {
        int s = i * a.Chunk, e = XMin(s + a.Chunk, a.N);
        for (int j = s; j < e; j++) a.Y[j] = a.Lo + (a.Hi - a.Lo) * ElementwiseMath.HashUniform(a.Seed, j);
    }

    public static void IntCompare(Index1D i, IntCompareArgs a)
    {
        int s = i * a.Chunk, e = XMin(s + a.Chunk, a.N);
        for (int j = s; j < e; j++)
        {
            bool eq = a.A[j] == a.B[j];
            a.Y[j] = (a.Op == IntCompareOp.Eq ? eq : !eq) ? 1 : 0;
        }
    }

    public static void IntToFloat(Index1D i, IntToFloatArgs a)
    {
        int s = i * a.Chunk, e = XMin(s + a.Chunk, a.N);
        for (int j = s; j < e; j++) a.Y[j] = a.X[j];
    }

    static int XMin(int a, int b) => a < b ? a : b;
}
