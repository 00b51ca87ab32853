using System.Diagnostics;

namespace RobustSeg.Engine;

/// <summary>ILGPU's CPU accelerator checks view bounds with Trace.Assert, whose default listener
/// kills the process. This listener records the failure so the launch site can throw instead.
/// (The out-of-range access has still happened; the guard is for tests and debugging.)</summary>
public static class KernelAssertGuard
{
    static volatile string? _lastFailure;
    static bool _installed;
    static readonly object Gate = new();

    sealed class RecordingListener : TraceListener
    {
        public override void Fail(string? message, string? detailMessage) =>
            _lastFailure = (message ?? "assertion failed") + (detailMessage is null ? "" : ": " + detailMessage);
        public override void Fail(string? message) => Fail(message, null);
        public override void Write(string? message) { }
        public override void WriteLine(string? message) { }
    }

    public static void Install()
    {
        lock (Gate)
        {
            if (_installed) return;
            _installed = true;
            Trace.Listeners.Clear();
            Trace.Listeners.Add(new RecordingListener());
        }
    }

    /// <summary>Throws if a kernel assertion failed since the last check.</summary>
    public static void ThrowIfFailed(string kernel)
    {
        var f = _lastFailure;
        if (f is null) return;
        _lastFailure = null;
        throw new KernelAssertionException($"kernel '{kernel}' failed an ILGPU assertion: {f}");
    }
}

public sealed class KernelAssertionException(string message) : Exception(message);
