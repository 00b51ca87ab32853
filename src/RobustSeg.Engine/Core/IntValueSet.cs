using System.Numerics;

namespace RobustSeg.Engine;

/// <summary>Which values in [0, 256) an int32 tensor holds, known on the host without reading the device:
/// recorded when labels are uploaded (they come from 8-bit PNGs) and carried by the ops that move or compare
/// int32 data. Cross-entropy uses it to validate labels with no device read; a tensor whose values are
/// unknown (or outside [0, 256)) has none and is checked on the device.</summary>
public readonly record struct IntValueSet(ulong W0, ulong W1, ulong W2, ulong W3)
{
    /// <summary>The set of the values in data; null when one lies outside [0, 256).</summary>
    public static IntValueSet? Of(ReadOnlySpan<int> data)
    {
        Span<ulong> w = stackalloc ulong[4];
        foreach (int v in data)
        {
            if ((uint)v > 255u) return null;
            w[v >> 6] |= 1UL << (v & 63);
        }
        return new IntValueSet(w[0], w[1], w[2], w[3]);
    }

    public static IntValueSet? Single(int v) => (uint)v > 255u ? null : Of([v]);

    public static readonly IntValueSet Binary = new(3UL, 0, 0, 0);

    public IntValueSet Union(IntValueSet o) => new(W0 | o.W0, W1 | o.W1, W2 | o.W2, W3 | o.W3);

    public static IntValueSet? Union(IntValueSet? a, IntValueSet? b) => a is { } x && b is { } y ? x.Union(y) : null;

    public bool Contains(int v) => (uint)v <= 255u && (Word(v >> 6) >> (v & 63) & 1UL) != 0;

    ulong Word(int i) => i switch { 0 => W0, 1 => W1, 2 => W2, _ => W3 };

    /// <summary>Every value is ignore or a class index in [0, classes).</summary>
    public bool AllLabels(int classes, int ignore)
    {
        for (int i = 0; i < 4; i++)
        {
            ulong w = Word(i);
            while (w != 0)
            {
                int v = i * 64 + BitOperations.TrailingZeroCount(w);
                if (v != ignore && v >= classes) return false;
                w &= w - 1;
            }
        }
        return true;
    }
}
