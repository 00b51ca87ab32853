using RobustSeg.Engine;
namespace RobustSeg.Data;

/// <summary>Options of the synthetic dataset (defaults: small and fast, a few seconds to generate).</summary>
public sealed record SyntheticOptions
{
    public int Train { get; init; } = 200;
    public int Val { get; init; } = 50;
    /// <summary>Image side; (size - 1) % 8 == 0 as the models require.</summary>
    public int Size { get; init; } = 65;
    /// <summary>Classes including background (0): 2..1+<see cref="SyntheticScene.ObjectTypes"/>.</summary>
    public int Classes { get; init; } = 5;
    public ulong Seed { get; init; }
    public int JpegQuality { get; init; } = 92;
    public int MinObjects { get; init; } = 1;
    public int MaxObjects { get; init; } = 3;
    /// <summary>Per-pixel Gaussian noise (0..255 units).</summary>
    public double Noise { get; init; } = 6;
    /// <summary>Give each object class its own hue (jittered) on top of its shape and texture, with a
    /// desaturated background, and coarser textures. Without it colours are random per object and only
    /// shape and texture tell classes apart: a much harder task that a small CPU model does not learn
    /// in minutes (PyTorch and ours both stay near background-only mIoU after 200 iterations).</summary>
    public bool ClassColours { get; init; } = true;
    /// <summary>With class colours: how much of the class hue's saturation objects keep (1 = full; lower values
    /// move the classes' colours towards grey and towards each other, so a small perturbation flips more pixels).</summary>
    public double ClassSaturation { get; init; } = 1.0;

    /// <summary>Every option that changes the images, as one line (written into data.yaml; `reproduce` compares it to
    /// decide whether an existing dataset is the one it asks for).</summary>
    public string Describe() => string.Format(System.Globalization.CultureInfo.InvariantCulture,
        "train={0} val={1} size={2} classes={3} seed={4} noise={5} class_colours={6} class_saturation={7} jpeg={8} objects={9}..{10}",
        Train, Val, Size, Classes, Seed, Noise, ClassColours ? "true" : "false", ClassSaturation, JpegQuality, MinObjects, MaxObjects);

    public void Validate()
    {
        if (Train < 1) throw new UserInputException($"synthetic: --train must be at least 1, got {Train}");
        if (Val < 0) throw new UserInputException($"synthetic: --val must be >= 0, got {Val}");
        if (Size < 17 || (Size - 1) % 8 != 0) throw new UserInputException($"synthetic: --size must be >= 17 with (size - 1) % 8 == 0 (e.g. 33, 65, 97, 129), got {Size}");
        if (Size > 4097) throw new UserInputException($"synthetic: --size {Size} is too large (at most 4097)");
        if (Classes < 2 || Classes > SyntheticScene.ObjectTypes.Length + 1)
            throw new UserInputException($"synthetic: --classes must be in [2, {SyntheticScene.ObjectTypes.Length + 1}] (background + object types), got {Classes}");
        if (JpegQuality is < 1 or > 100) throw new UserInputException($"synthetic: JPEG quality must be in [1, 100], got {JpegQuality}");
        if (MinObjects < 0 || MaxObjects < MinObjects) throw new UserInputException($"synthetic: need 0 <= min objects <= max objects, got {MinObjects}..{MaxObjects}");
        if (!(ClassSaturation > 0 && ClassSaturation <= 1)) throw new UserInputException($"synthetic: class saturation must be in (0, 1], got {ClassSaturation}");
        if (Noise < 0) throw new UserInputException($"synthetic: noise must be >= 0, got {Noise}");
    }
}
