using RobustSeg.Engine.Ilgpu;

namespace RobustSeg.Engine.Tests;

/// <summary>What can be checked of the cuBLAS GEMM without a GPU: it is never used off CUDA, and it takes every
/// layout the engine's GEMM tests use (transposes, padded leading dimensions, offsets, batches), so on CUDA those
/// run through cuBLAS rather than silently falling back; a layout cuBLAS would reject goes to the ILGPU kernel.
/// The products themselves are checked on a GPU by `gradcheck --op all --device cuda` (scripts/gpu-check.sh).</summary>
public class CuBlasTests
{
    [Test]
    public void NotCreatedForCpuAccelerators()
    {
        Assert.That(CuBlas.TryCreate(Device.Get(DeviceKind.IlgpuCpu).Accelerator), Is.Null);
        Assert.That(((IlgpuBackend)Device.Get(DeviceKind.IlgpuCpu).Backend).GemmPath, Is.EqualTo("ILGPU strip kernel"));
    }

    [TestCaseSource(typeof(GemmTests), nameof(GemmTests.Cases))]
    public void AcceptsEveryEngineLayout(GemmTests.Case c) => Assert.That(CuBlas.Accepts(c.Desc()), Is.True);

    [Test]
    public void RejectsLeadingDimensionsShorterThanRows()
    {
        var d = GemmDesc.Dense(4, 6, 5);
        Assert.That(CuBlas.Accepts(d), Is.True);
        d.Ldb = 5; // B is 5 x 6 row-major: a row of 6 cannot fit in 5
        Assert.That(CuBlas.Accepts(d), Is.False);
        d = GemmDesc.Dense(4, 6, 5, transA: true);
        d.Lda = 3; // op(A) = Aᵀ with A stored 5 x 4
        Assert.That(CuBlas.Accepts(d), Is.False);
    }
}
