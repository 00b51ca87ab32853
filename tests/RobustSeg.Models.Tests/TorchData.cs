using RobustSeg.Engine.IO;

namespace RobustSeg.Models.Tests;

/// <summary>The reference files of scripts/gen_model_reference.py: a ResNet-18 layout at width 1/16,
/// 5 classes, dropout 0, input 2x3x17x17.</summary>
public static class TorchData
{
    public static string Dir => Path.Combine(TestContext.CurrentContext.TestDirectory, "Data", "torch");
    public static string Pth(string name) => Path.Combine(Dir, name + ".pth");
    public static Dictionary<string, NpyArray> Npz(string name) => Npy.ReadNpz(Path.Combine(Dir, name + ".npz"));

    public static ModelConfig Config(string name) =>
        new(name.StartsWith("psp") ? "psp" : "aspp", 18, 5, 8, name.EndsWith("_ddcat"), 0.0625, 0f);

    public static readonly string[] Variants = ["psp", "psp_ddcat", "aspp", "aspp_ddcat"];
}
