using RobustSeg.Adversarial.Attacks;
using RobustSeg.Engine;

namespace RobustSeg.Adversarial.Evaluation;

/// <summary>semseg's scale_process: the (already resized) image is padded to at least the crop with the
/// mean colour (split evenly, the extra pixel at the bottom/right), cut into crop-sized windows with
/// stride ceil(2/3 crop) (the last window flush with the edge), the softmax of each window averaged where
/// windows overlap, and the padding cut off again. Everything here is on the tape, so an attack can go
/// through the whole inference.</summary>
public sealed class SlidingWindow : IDisposable
{
    public int CropH { get; }
    public int CropW { get; }
    public int Classes { get; }
    /// <summary>Pad colour in [0,1] space (the normalisation mean / 255: 0 after normalising).</summary>
    public float[] Fill01 { get; }
    public double StrideRate { get; init; } = 2.0 / 3.0;

    public SlidingWindow(int cropH, int cropW, int classes, float[] mean255)
    {
        if (cropH < 1 || cropW < 1) throw new ArgumentException($"crop must be positive, got {cropH}x{cropW}");
        CropH = cropH; CropW = cropW; Classes = classes;
        Fill01 = mean255.Select(m => m / 255f).ToArray();
    }

    public (int PadTop, int PadLeft, int H, int W) Padding(int h, int w)
    {
        int ph = Math.Max(CropH - h, 0), pw = Math.Max(CropW - w, 0);
        return (ph / 2, pw / 2, h + ph, w + pw);
    }

    /// <summary>Window origins (top, left) on an image of the padded size.</summary>
    public List<(int Top, int Left)> Windows(int paddedH, int paddedW)
    {
        int sh = (int)Math.Ceiling(CropH * StrideRate), sw = (int)Math.Ceiling(CropW * StrideRate);
        int gh = (int)Math.Ceiling((double)(paddedH - CropH) / sh) + 1, gw = (int)Math.Ceiling((double)(paddedW - CropW) / sw) + 1;
        var r = new List<(int, int)>();
        for (int i = 0; i < gh; i++)
            for (int j = 0; j < gw; j++)
            {
                int eh = Math.Min(i * sh + CropH, paddedH), ew = Math.Min(j * sw + CropW, paddedW);
                r.Add((eh - CropH, ew - CropW));
            }
        return r;
    }

    /// <summary>Averaged softmax (1,K,h,w) of a (1,3,h,w) image in [0,1]. <paramref name="windowTransform"/>
    /// (optional) replaces each padded window before the model sees it, with its index: the legacy protocol
    /// attacks each window on its own there.</summary>
    public Tensor Probabilities(SegForward model, Tensor image01, Func<Tensor, int, (int Top, int Left), Tensor>? windowTransform = null)
    {
        if (image01.Rank != 4 || image01.Size(0) != 1 || image01.Size(1) != 3)
            throw new ArgumentException($"sliding window takes one (1,3,H,W) image, got {image01.ShapeString}");
        int h = image01.Size(2), w = image01.Size(3);
        var (pt, pl, H, W) = Padding(h, w);
        var padded = (pt, pl, H, W) == (0, 0, h, w) ? image01 : F.Pad2d(image01, pt, pl, H, W, Fill01);
        var windows = Windows(H, W);
        Tensor? sum = null;
        var count = new float[H * W];
        for (int i = 0; i < windows.Count; i++)
        {
            var (top, left) = windows[i];
            var crop = windows.Count == 1 && H == CropH && W == CropW ? padded : F.Crop2d(padded, top, left, CropH, CropW);
            if (windowTransform is not null) crop = windowTransform(crop, i, (top, left));
            var logits = model(crop);
            if (logits.Size(1) != Classes || logits.Size(2) != CropH || logits.Size(3) != CropW)
                throw new InvalidOperationException($"model returned {logits.ShapeString} for a {CropH}x{CropW} window; expected (1,{Classes},{CropH},{CropW})");
            var p = F.Softmax(logits);
            var placed = windows.Count == 1 && H == CropH && W == CropW ? p : F.Pad2d(p, top, left, H, W);
            sum = sum is null ? placed : F.Add(sum, placed);
            for (int y = top; y < top + CropH; y++) for (int x = left; x < left + CropW; x++) count[y * W + x] += 1f;
        }
        var avg = F.Mul(sum!, InverseCount(image01.Device, H, W, count));
        return (pt, pl, H, W) == (0, 0, h, w) ? avg : F.Crop2d(avg, pt, pl, h, w);
    }

    readonly Dictionary<(Device, int, int), Tensor> _inverseCounts = [];

    /// <summary>1 / overlap count broadcast over the K planes, uploaded once and cached per padded size and
    /// device: attacks call this every step.</summary>
    Tensor InverseCount(Device dev, int H, int W, float[] count)
    {
        if (_inverseCounts.TryGetValue((dev, H, W), out var t) && !t.IsDisposed) return t;
        var inv = new float[H * W];
        for (int q = 0; q < H * W; q++) inv[q] = 1f / count[q];
        using (Tensor.NoScope())
        {
            using var plane = Tensor.FromArray(dev, inv, 1, 1, H, W);
            t = F.ExpandChannels(plane, Classes).Persist();
        }
        _inverseCounts[(dev, H, W)] = t;
        return t;
    }

    /// <summary>The averaged probabilities as log-probabilities: a SegForward over the whole image whose
    /// softmax is the sliding-window prediction (for attacks through the inference).</summary>
    public SegForward AsModel(SegForward windowModel) => x =>
    {
        var p = Probabilities(windowModel, x);
        return F.Log(F.AddScalar(p, 1e-12f));
    };

    public void Dispose()
    {
        foreach (var t in _inverseCounts.Values) t.Dispose();
        _inverseCounts.Clear();
    }
}
