using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Attacks;

/// <summary>The labels of one attack call and what losses derive from them, computed once per call:
/// a host copy (per-image accuracy), the valid-pixel mask and, on demand, the one-hot encoding.</summary>
public sealed class AttackTarget : IDisposable
{
    public Tensor Labels { get; }
    public int IgnoreIndex { get; }
    public int[] HostLabels { get; }
    public int N { get; }
    public int PixelsPerImage { get; }
    /// <summary>Non-ignored pixels per image.</summary>
    public long[] ValidPerImage { get; }
    public long ValidTotal { get; }
    Tensor? _oneHot;
    int _oneHotClasses;

    public AttackTarget(Tensor labels, int ignoreIndex)
    {
        if (labels.DType != DType.Int32 || labels.Rank != 3)
            throw new ArgumentException($"attack labels must be int32 (N,H,W), got {labels.DType} {labels.ShapeString}");
        Labels = labels;
        IgnoreIndex = ignoreIndex;
        HostLabels = labels.ToIntArray();
        N = labels.Size(0);
        PixelsPerImage = labels.Size(1) * labels.Size(2);
        ValidPerImage = new long[N];
        for (int n = 0; n < N; n++)
        {
            long c = 0;
            for (int p = n * PixelsPerImage, e = p + PixelsPerImage; p < e; p++) if (HostLabels[p] != ignoreIndex) c++;
            ValidPerImage[n] = c;
            ValidTotal += c;
        }
    }

    /// <summary>(N,K,H,W) float one-hot of the labels; all zeros at ignored pixels (and labels outside [0,K)).</summary>
    public Tensor OneHot(int classes)
    {
        if (_oneHot is not null && _oneHotClasses == classes) return _oneHot;
        _oneHot?.Dispose();
        int h = Labels.Size(1), w = Labels.Size(2);
        var host = new float[(long)N * classes * PixelsPerImage];
        for (int n = 0; n < N; n++)
            for (int p = 0; p < PixelsPerImage; p++)
            {
                int l = HostLabels[n * PixelsPerImage + p];
                if (l != IgnoreIndex && l >= 0 && l < classes) host[((long)n * classes + l) * PixelsPerImage + p] = 1f;
            }
        using (Tensor.NoScope())
            _oneHot = Tensor.FromArray(Labels.Device, host, N, classes, h, w);
        _oneHotClasses = classes;
        return _oneHot;
    }

    /// <summary>Per image: correctly classified valid pixels / valid pixels (1 for an image with none),
    /// from the argmax of the logits.</summary>
    public double[] Accuracy(Tensor logits)
    {
        using var pred = F.Argmax(logits);
        var p = pred.ToIntArray();
        var acc = new double[N];
        for (int n = 0; n < N; n++)
        {
            long ok = 0;
            for (int i = n * PixelsPerImage, e = i + PixelsPerImage; i < e; i++)
                if (HostLabels[i] != IgnoreIndex && p[i] == HostLabels[i]) ok++;
            acc[n] = ValidPerImage[n] == 0 ? 1.0 : (double)ok / ValidPerImage[n];
        }
        return acc;
    }

    public void Dispose() { _oneHot?.Dispose(); _oneHot = null; }
}
