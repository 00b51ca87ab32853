using RobustSeg.Engine;
using RobustSeg.Kernels;

namespace RobustSeg.Engine.Tests;

public class DeviceTests
{
    [TestCase("cpu", DeviceKind.Cpu)]
    [TestCase("ilgpu-cpu", DeviceKind.IlgpuCpu)]
    [TestCase("CPU", DeviceKind.Cpu)]
    public void ParsesKinds(string name, DeviceKind kind) => Assert.That(Device.Parse(name), Is.EqualTo(kind));

    [Test]
    public void AutoPicksCpuWithoutGpu()
    {
        if (Device.CudaAvailable()) Assert.Ignore("a CUDA device is present");
        Assert.That(Device.Parse("auto"), Is.EqualTo(DeviceKind.Cpu));
    }

    [Test]
    public void UnknownDeviceNameIsAClearError()
    {
        var e = Assert.Throws<UserInputException>(() => Device.Parse("tpu"));
        Assert.That(e!.Message, Does.Contain("tpu").And.Contain("cpu, ilgpu-cpu, cuda"));
    }

    [Test]
    public void MissingCudaIsAClearErrorNotACrash()
    {
        if (Device.CudaAvailable()) Assert.Ignore("a CUDA device is present");
        var e = Assert.Throws<DeviceUnavailableException>(() => Device.Get("cuda"));
        Assert.That(e!.Message, Does.Contain("no CUDA device"));
    }

    [Test]
    public void DevicesAreSharedAndDescribeThemselves()
    {
        Assert.That(Device.Get("cpu"), Is.SameAs(Device.Cpu));
        Assert.That(Device.Get("ilgpu-cpu").Describe(), Does.StartWith("ilgpu-cpu").And.Contain("ILGPU kernels"));
        Assert.That(Device.Cpu.Backend, Is.InstanceOf<Cpu.CpuBackend>());
        Assert.That(Device.Get("ilgpu-cpu").Backend, Is.InstanceOf<Ilgpu.IlgpuBackend>());
    }

    public struct OutOfRangeArgs { public ILGPU.ArrayView<float> Y; public int N, Chunk; }

    static void WritesPastTheEnd(ILGPU.Index1D i, OutOfRangeArgs a)
    {
        // Index N is one past the view: ILGPU's CPU accelerator asserts on it.
        a.Y[a.N + i] = 1f;
    }

    [Test]
    public void KernelAssertionBecomesAnExceptionOnTheCpuAccelerator()
    {
        var dev = Device.Get("ilgpu-cpu");
        using var scope = Tensor.Scope();
        // A view of 4 elements inside a larger pooled buffer: the write lands in the buffer, so the
        // process memory stays intact while the view's bounds check fails.
        var big = Tensor.Zeros(dev, 64);
        var view = big.View.SubView(0, 4);
        var e = Assert.Throws<KernelAssertionException>(() =>
            dev.Kernels.Launch(WritesPastTheEnd, 1, new OutOfRangeArgs { Y = view, N = 4, Chunk = 1 }));
        Assert.That(e!.Message, Does.Contain(nameof(WritesPastTheEnd)));
        // The device still works afterwards.
        var t = Tensor.Full(dev, 2f, 3);
        Assert.That(t.ToArray(), Is.EqualTo(new[] { 2f, 2f, 2f }));
    }
}
