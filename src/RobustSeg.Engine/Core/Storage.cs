using ILGPU;
using ILGPU.Runtime;

namespace RobustSeg.Engine;

/// <summary>A pooled buffer shared by a tensor and its reshaped views; returned to the pool when the
/// last holder lets go.</summary>
public sealed class Storage
{
    MemoryBuffer1D<float, Stride1D.Dense>? _buffer;
    int _refs = 1;
    public Device Device { get; }
    public long Length { get; }

    internal Storage(Device device, long length)
    {
        Device = device;
        Length = length;
        _buffer = device.Pool.Rent(Math.Max(1, length));
    }

    public bool IsReleased => _buffer is null;

    public ArrayView<float> View =>
        (_buffer ?? throw new ObjectDisposedException("tensor storage", "the tensor was disposed (did a Tensor.Scope end before it was used?)"))
        .View.SubView(0, Math.Max(1, Length));

    internal void AddRef() => Interlocked.Increment(ref _refs);

    internal void Release()
    {
        if (Interlocked.Decrement(ref _refs) != 0) return;
        var b = _buffer;
        _buffer = null;
        if (b is not null) Device.Pool.Return(b);
    }
}
