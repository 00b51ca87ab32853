using RobustSeg.Data.Transforms;
using RobustSeg.Engine;

namespace RobustSeg.Data;

/// <summary>A collated batch in host memory: images NCHW float, labels NHW int32 (null when the dataset has
/// no labels). Built by workers; turned into device tensors on the consuming thread.</summary>
public sealed class HostBatch
{
    public required float[] Images { get; init; }
    public required int[]? Labels { get; init; }
    public required int[] Indices { get; init; }
    public required int Height { get; init; }
    public required int Width { get; init; }
    public int Count => Indices.Length;

    public static HostBatch Collate(Sample[] samples, int[] indices, SegDataset dataset, PixelScale pixels)
    {
        int h = samples[0].Height, w = samples[0].Width;
        long plane = (long)h * w;
        bool labels = samples.All(s => s.Label is not null);
        var images = new float[samples.Length * 3 * plane];
        var lab = labels ? new int[samples.Length * plane] : null;
        for (int i = 0; i < samples.Length; i++)
        {
            var s = samples[i];
            if (s.Height != h || s.Width != w)
                throw new DataLoadException(dataset.Entries[indices[i]], indices[i], new InvalidDataException(
                    $"sample is {s.Width}x{s.Height} after transforms but the batch's first sample is {w}x{h}; use a Crop/Resize transform or batch size 1"));
            s.Image.WriteChw(images, i * 3 * plane, pixels == PixelScale.Unit ? 1f / 255 : 1f);
            if (lab is not null)
            {
                var d = s.Label!.Data;
                for (long p = 0; p < plane; p++) lab[i * plane + p] = d[p];
            }
        }
        return new HostBatch { Images = images, Labels = lab, Indices = indices, Height = h, Width = w };
    }

    public SegBatch ToDevice(Device device)
    {
        var img = Tensor.FromArray(device, Images, Count, 3, Height, Width);
        var lab = Labels is null ? null : Tensor.FromArray(device, Labels, Count, Height, Width);
        return new SegBatch(img, lab, Indices);
    }
}

/// <summary>A batch on the target device: Images (N,3,H,W) float, Labels (N,H,W) int32 or null, and the
/// dataset indices of its samples.</summary>
public sealed class SegBatch(Tensor images, Tensor? labels, int[] indices) : IDisposable
{
    public Tensor Images { get; } = images;
    public Tensor? Labels { get; } = labels;
    public int[] Indices { get; } = indices;
    public int Count => Indices.Length;

    public void Dispose()
    {
        Images.Dispose();
        Labels?.Dispose();
    }
}
