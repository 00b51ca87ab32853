using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Attacks;

/// <summary>The labels of one attack call and what losses derive from them, computed once per call on the
/// device (the valid-pixel mask, its counts, on demand the one-hot encoding), so that attack steps read nothing
/// back; the host copy of the labels (per-image accuracy on the host, the one-hot's construction) is made on
/// first use.</summary>
public sealed class AttackTarget : IDisposable
{
    public Tensor Labels { get; }
    public int IgnoreIndex { get; }
    public int N { get; }
    public int PixelsPerImage { get; }
    /// <summary>1 at non-ignored pixels, 0 at ignored ones, float (N, H, W).</summary>
    public Tensor Valid { get; }
    /// <summary>1 / max(valid pixels, 1) of the whole batch, a one-element device tensor: the loss mean's scale.</summary>
    public Tensor InvValidTotal { get; }
    Tensor? _oneHot;
    int _oneHotClasses;
    int[]? _host;
    long[]? _validPerImage;

    public AttackTarget(Tensor labels, int ignoreIndex)
    {
        if (labels.DType != DType.Int32 || labels.Rank != 3)
            throw new ArgumentException($"attack labels must be int32 (N,H,W), got {labels.DType} {labels.ShapeString}");
        Labels = labels;
        IgnoreIndex = ignoreIndex;
        N = labels.Size(0);
        PixelsPerImage = labels.Size(1) * labels.Size(2);
        using (Tensor.NoScope())
        using (Autograd.NoGrad())
        {
            using var ignore = Tensor.FullInt(labels.Device, ignoreIndex, labels.Shape);
            using var ne = F.NotEqual(labels, ignore);
            Valid = F.ToFloat(ne);
            using var total = F.Sum(Valid);
            using var one = Tensor.Full(labels.Device, 1f, total.Shape);
            using var denom = F.Maximum(total, one);
            InvValidTotal = F.RDivScalar(1f, denom);
        }
    }

    /// <summary>The labels on the host (read once, on first use).</summary>
    public int[] HostLabels => _host ??= Labels.ToIntArray();

    /// <summary>Non-ignored pixels per image (host; reads the labels on first use).</summary>
    public long[] ValidPerImage
    {
        get
        {
            if (_validPerImage is not null) return _validPerImage;
            var host = HostLabels;
            var v = new long[N];
            for (int n = 0; n < N; n++)
            {
                long c = 0;
                for (int p = n * PixelsPerImage, e = p + PixelsPerImage; p < e; p++) if (host[p] != IgnoreIndex) c++;
                v[n] = c;
            }
            return _validPerImage = v;
        }
    }

    public long ValidTotal => ValidPerImage.Sum();

    /// <summary>Per image, the number of correctly classified valid pixels, as a float (N) device tensor
    /// (exact up to 2^24 pixels per image): what the worst-case selection compares, with no device read.</summary>
    public Tensor CorrectCounts(Tensor logits)
    {
        using var _ = Autograd.NoGrad();
        using var pred = F.Argmax(logits);
        using var eq = F.Equal(pred, Labels);
        using var hit = F.ToFloat(eq);
        using var ok = F.Mul(hit, Valid);
        using var rows = ok.ViewAs(N, PixelsPerImage);
        return F.Sum(rows, [1]);
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
    /// from the argmax of the logits (reads N counts).</summary>
    public double[] Accuracy(Tensor logits)
    {
        using var counts = CorrectCounts(logits);
        return AccuracyFromCounts(counts);
    }

    /// <summary>Accuracy per image from <see cref="CorrectCounts"/> (reads N counts).</summary>
    public double[] AccuracyFromCounts(Tensor correctCounts)
    {
        var ok = correctCounts.ToArray();
        var valid = ValidPerImage;
        var acc = new double[N];
        for (int n = 0; n < N; n++) acc[n] = valid[n] == 0 ? 1.0 : (double)ok[n] / valid[n];
        return acc;
    }

    public void Dispose()
    {
        _oneHot?.Dispose(); _oneHot = null;
        Valid.Dispose();
        InvValidTotal.Dispose();
    }
}
