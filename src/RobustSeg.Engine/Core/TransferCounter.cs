namespace RobustSeg.Engine;

/// <summary>Counts copies between host memory and device buffers (every such copy goes through
/// <see cref="Tensor"/>), so tests can hold training and attack loops to their transfer budget: on a GPU
/// each one is a PCIe round trip and, for reads, a synchronisation. Counted on every device, the CPU
/// included, because the budget is a property of the code path, not of the device.</summary>
public static class TransferCounter
{
    static long _toHost, _toDevice, _toHostBytes, _toDeviceBytes;

    /// <summary>Device-to-host reads since the last <see cref="Reset"/>.</summary>
    public static long ToHost => Interlocked.Read(ref _toHost);
    /// <summary>Host-to-device writes since the last <see cref="Reset"/>.</summary>
    public static long ToDevice => Interlocked.Read(ref _toDevice);
    public static long ToHostBytes => Interlocked.Read(ref _toHostBytes);
    public static long ToDeviceBytes => Interlocked.Read(ref _toDeviceBytes);

    public static void Reset()
    {
        Interlocked.Exchange(ref _toHost, 0);
        Interlocked.Exchange(ref _toDevice, 0);
        Interlocked.Exchange(ref _toHostBytes, 0);
        Interlocked.Exchange(ref _toDeviceBytes, 0);
    }

    internal static void Read(long bytes)
    {
        Interlocked.Increment(ref _toHost);
        Interlocked.Add(ref _toHostBytes, bytes);
    }

    internal static void Write(long bytes)
    {
        Interlocked.Increment(ref _toDevice);
        Interlocked.Add(ref _toDeviceBytes, bytes);
    }
}
