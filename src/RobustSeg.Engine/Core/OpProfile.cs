using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace RobustSeg.Engine;

/// <summary>Per-op wall time and call counts collected by a <see cref="ProfilingBackend"/>, with the table
/// `bench train --profile` prints. Ops are keyed by backend method (convolutions also by kernel shape, or with
/// <see cref="ConvShapes"/> by their whole geometry), so a forward and its backward are separate rows.</summary>
public sealed class OpProfile
{
    /// <summary>Key each convolution by its whole geometry (images, channels, map, stride, padding, dilation: one row
    /// per layer shape) instead of its kernel shape (`--profile-shapes`).</summary>
    public bool ConvShapes { get; init; }

    /// <summary>The row a convolution op of geometry g is timed under.</summary>
    public string ConvKey(string op, in Conv2dGeom g) =>
        ConvShapes ? $"{op} {g.N}x{g.C}x{g.H}x{g.W}->{g.K} {g.Kh}x{g.Kw} s{g.Stride} p{g.Pad} d{g.Dil}"
        : g.IsPointwise ? op + " 1x1" : $"{op} {g.Kh}x{g.Kw}{(g.Dil > 1 ? " dilated" : "")}";

    readonly Dictionary<string, (long Calls, long Ticks)> _ops = new();
    int _depth;

    public IReadOnlyDictionary<string, (long Calls, long Ticks)> Ops => _ops;

    /// <summary>Total time inside ops, in seconds.</summary>
    public double OpSeconds => _ops.Values.Sum(v => v.Ticks) / (double)Stopwatch.Frequency;

    public void Clear() => _ops.Clear();

    internal Timer Start(string op, Device device) => new(this, op, device);

    void Add(string op, long ticks)
    {
        _ops.TryGetValue(op, out var v);
        _ops[op] = (v.Calls + 1, v.Ticks + ticks);
    }

    public readonly struct Timer : IDisposable
    {
        readonly OpProfile _p; readonly string _op; readonly Device _d; readonly long _t0; readonly bool _outer;

        internal Timer(OpProfile p, string op, Device d)
        {
            _p = p; _op = op; _d = d;
            _outer = p._depth++ == 0;
            if (_outer && d.Kind != DeviceKind.Cpu) d.Synchronize();
            _t0 = Stopwatch.GetTimestamp();
        }

        public void Dispose()
        {
            _p._depth--;
            if (!_outer) return;
            if (_d.Kind != DeviceKind.Cpu) _d.Synchronize();
            _p.Add(_op, Stopwatch.GetTimestamp() - _t0);
        }
    }

    /// <summary>The table: one row per op, largest first, with its share of <paramref name="totalSeconds"/> (the
    /// measured wall time of the profiled work) and a last row for the time outside ops (tape, allocation,
    /// host-side bookkeeping).</summary>
    public string Table(double totalSeconds, int iterations)
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        // The name column fits the longest row (a convolution's whole geometry under --profile-shapes).
        int w = Math.Max(36, _ops.Keys.Select(k => k.Length).DefaultIfEmpty(0).Max());
        string Name(string n) => n.PadRight(w);
        sb.AppendLine(string.Create(ci, $"{Name("op")} {"calls/it",9} {"ms/it",9} {"share",7}"));
        double per = Math.Max(1, iterations);
        foreach (var (op, v) in _ops.OrderByDescending(kv => kv.Value.Ticks))
        {
            double s = v.Ticks / (double)Stopwatch.Frequency;
            sb.AppendLine(string.Create(ci, $"{Name(op)} {v.Calls / per,9:F1} {1000 * s / per,9:F2} {100 * s / Math.Max(totalSeconds, 1e-12),6:F1}%"));
        }
        double other = Math.Max(0, totalSeconds - OpSeconds);
        sb.AppendLine(string.Create(ci, $"{Name("(outside ops: tape, allocation, host)")} {"",9} {1000 * other / per,9:F2} {100 * other / Math.Max(totalSeconds, 1e-12),6:F1}%"));
        sb.Append(string.Create(ci, $"{Name("total")} {"",9} {1000 * totalSeconds / per,9:F2} {100.0,6:F1}%"));
        return sb.ToString();
    }
}
