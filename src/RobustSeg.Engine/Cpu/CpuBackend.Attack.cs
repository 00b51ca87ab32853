using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using RobustSeg.Kernels;

namespace RobustSeg.Engine.Cpu;

public sealed unsafe partial class CpuBackend
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override void AttackStep(Tensor x, Tensor g, Tensor x0, Tensor y, float alpha, float eps, bool useSign)
    {
        float* px = x.Ptr, pg = g.Ptr, p0 = x0.Ptr, py = y.Ptr;
        HostParallel.For(x.Numel, MinElems, (s, e) =>
        {
            long j = s;
            if (useSign && Vector256.IsHardwareAccelerated)
            {
                var va = Vector256.Create(alpha); var ve = Vector256.Create(eps);
                var zero = Vector256<float>.Zero; var one = Vector256<float>.One;
                for (; j + 8 <= e; j += 8)
                {
                    var gv = Vector256.Load(pg + j);
                    // sign(g) with sign(0) = 0
                    var dir = Vector256.ConditionalSelect(Vector256.GreaterThan(gv, zero), one, zero)
                            - Vector256.ConditionalSelect(Vector256.LessThan(gv, zero), one, zero);
                    var v = Vector256.Load(px + j) + va * dir;
                    var c = Vector256.Load(p0 + j);
                    v = Vector256.Min(Vector256.Max(v, c - ve), c + ve);
                    Vector256.Min(Vector256.Max(v, zero), one).Store(py + j);
                }
            }
            int us = useSign ? 1 : 0;
            for (; j < e; j++) py[j] = AttackMath.Step(px[j], pg[j], p0[j], alpha, eps, us);
        });
    }
}
