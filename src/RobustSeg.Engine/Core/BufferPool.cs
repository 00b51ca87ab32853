using ILGPU;
using ILGPU.Runtime;

namespace RobustSeg.Engine;

/// <summary>Size-classed free lists of device buffers. CUDA has no caching allocator in ILGPU, so
/// without this every tensor would be a cuMemAlloc/cuMemFree pair. Buffers are 4-byte elements;
/// int32 tensors use the same buffers through a cast view.</summary>
public sealed class BufferPool(Device device) : IDisposable
{
    readonly Dictionary<long, Stack<MemoryBuffer1D<float, Stride1D.Dense>>> _free = new();
    readonly object _gate = new();
    long _cachedElements, _liveElements;

    public long CachedBytes { get { lock (_gate) return _cachedElements * 4; } }
    public long LiveBytes { get { lock (_gate) return _liveElements * 4; } }

    /// <summary>Powers of two up to 1 Mi elements, then multiples of 256 Ki elements (wastes under 25 %).</summary>
    public static long SizeClass(long n)
    {
        if (n <= 64) return 64;
        if (n <= 1 << 20) return 1L << (int)Math.Ceiling(Math.Log2(n));
        const long step = 1 << 18;
        return (n + step - 1) / step * step;
    }

    public MemoryBuffer1D<float, Stride1D.Dense> Rent(long n)
    {
        long cls = SizeClass(n);
        lock (_gate)
        {
            _liveElements += cls;
            if (_free.TryGetValue(cls, out var stack) && stack.Count > 0)
            {
                _cachedElements -= cls;
                return stack.Pop();
            }
        }
        try { return device.Accelerator.Allocate1D<float>(cls); }
        catch (Exception) when (TrimCache())
        {
            return device.Accelerator.Allocate1D<float>(cls);
        }
    }

    public void Return(MemoryBuffer1D<float, Stride1D.Dense> buffer)
    {
        lock (_gate)
        {
            long cls = buffer.Length;
            _liveElements -= cls;
            if (!_free.TryGetValue(cls, out var stack)) _free[cls] = stack = new();
            stack.Push(buffer);
            _cachedElements += cls;
        }
    }

    /// <summary>Frees every cached buffer. Returns true when something was freed.</summary>
    public bool TrimCache()
    {
        lock (_gate)
        {
            bool any = _cachedElements > 0;
            foreach (var s in _free.Values) while (s.Count > 0) s.Pop().Dispose();
            _cachedElements = 0;
            return any;
        }
    }

    public void Dispose() => TrimCache();
}
