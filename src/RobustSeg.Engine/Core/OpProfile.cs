using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace RobustSeg.Engine;

/// <summary>Per-op wall time and call counts collected by a <see cref="ProfilingBackend"/>, with the table
/// `bench train --profile` prints. Ops are keyed by backend method (convolutions also by kernel shape), so a
/// forward and its backward are separate rows.</summary>
public sealed class OpProfile
{
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
        sb.AppendLine(string.Create(ci, $"{"op",-36} {"calls/it",9} {"ms/it",9} {"share",7}"));
        double per = Math.Max(1, iterations);
        foreach (var (op, v) in _ops.OrderByDescending(kv => kv.Value.Ticks))
        {
            double s = v.Ticks / (double)Stopwatch.Frequency;
            sb.AppendLine(string.Create(ci, $"{op,-36} {v.Calls / per,9:F1} {1000 * s / per,9:F2} {100 * s / Math.Max(totalSeconds, 1e-12),6:F1}%"));
        }
        double other = Math.Max(0, totalSeconds - OpSeconds);
        sb.AppendLine(string.Create(ci, $"{"(outside ops: tape, allocation, host)",-36} {"",9} {1000 * other / per,9:F2} {100 * other / Math.Max(totalSeconds, 1e-12),6:F1}%"));
        sb.Append(string.Create(ci, $"{"total",-36} {"",9} {1000 * totalSeconds / per,9:F2} {100.0,6:F1}%"));
        return sb.ToString();
    }
}
