namespace RobustSeg.Adversarial.Metrics;

/// <summary>semseg's intersectionAndUnion accumulated over a whole set: per class, intersection
/// (pred == label == c), union (pred == c or label == c) and target (label == c) pixel counts, with
/// pixels labelled <c>ignoreIndex</c> left out of all three.
///
/// Convention (kept from the original for parity): IoU_c = I_c / (U_c + 1e-10) and acc_c = I_c / (T_c + 1e-10),
/// and mIoU / mAcc average over ALL classes, so a class absent from both predictions and labels counts
/// as 0 (not skipped); allAcc = sum I / (sum T + 1e-10).</summary>
public sealed class SegMetricAccumulator
{
    public const double Guard = 1e-10;
    public int Classes { get; }
    public int IgnoreIndex { get; }
    public long[] Intersection { get; }
    public long[] Union { get; }
    public long[] Target { get; }
    public long[] Output { get; }

    public SegMetricAccumulator(int classes, int ignoreIndex = 255)
    {
        if (classes < 1) throw new ArgumentException($"classes must be >= 1, got {classes}");
        Classes = classes;
        IgnoreIndex = ignoreIndex;
        Intersection = new long[classes]; Union = new long[classes]; Target = new long[classes]; Output = new long[classes];
    }

    /// <summary>Adds one prediction/label pair (same length). Labels other than the ignore index must be
    /// in [0, classes) (else a DataFileException naming <paramref name="labelFile"/> when given); predictions
    /// must be in [0, classes). Validation during training and `test` both accumulate here.</summary>
    public void Add(ReadOnlySpan<int> pred, ReadOnlySpan<int> label, string? labelFile = null)
    {
        if (pred.Length != label.Length) throw new ArgumentException($"prediction has {pred.Length} pixels, label {label.Length}");
        var inter = new long[Classes]; var outp = new long[Classes]; var targ = new long[Classes];
        for (int i = 0; i < pred.Length; i++)
        {
            int l = label[i];
            if (l == IgnoreIndex) continue;
            int p = pred[i];
            if ((uint)l >= (uint)Classes)
            {
                var what = $"label value {l} at pixel {i} is outside [0, {Classes}) and not the ignore index {IgnoreIndex} (wrong DATA.classes or label_format?)";
                throw labelFile is null ? new ArgumentException(what) : new RobustSeg.Data.DataFileException(labelFile, what);
            }
            if ((uint)p >= (uint)Classes) throw new ArgumentException($"prediction value {p} at pixel {i} is outside [0, {Classes})");
            targ[l]++; outp[p]++;
            if (p == l) inter[l]++;
        }
        for (int c = 0; c < Classes; c++)
        {
            Intersection[c] += inter[c]; Target[c] += targ[c]; Output[c] += outp[c];
            Union[c] += outp[c] + targ[c] - inter[c];
        }
    }

    public SegScores Compute()
    {
        var iou = new double[Classes]; var acc = new double[Classes];
        long si = 0, st = 0;
        for (int c = 0; c < Classes; c++)
        {
            iou[c] = Intersection[c] / (Union[c] + Guard);
            acc[c] = Intersection[c] / (Target[c] + Guard);
            si += Intersection[c]; st += Target[c];
        }
        return new SegScores(iou, acc, iou.Average(), acc.Average(), si / (st + Guard),
            (long[])Intersection.Clone(), (long[])Union.Clone(), (long[])Target.Clone());
    }
}
