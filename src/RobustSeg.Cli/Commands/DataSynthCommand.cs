using System.CommandLine;
using System.Diagnostics;
using RobustSeg.Data;

namespace RobustSeg.Cli.Commands;

/// <summary>`robustseg data synth`: writes the seeded synthetic dataset (VOC layout + list files + data.yaml).</summary>
internal static class DataSynthCommand
{
    public static Command Build()
    {
        var d = new SyntheticOptions();
        var cmd = new Command("synth", "Generate the synthetic segmentation dataset (VOC layout, semseg list files, data.yaml)");
        var outDir = new Option<string>("--out") { Description = "output folder", Required = true };
        var train = new Option<int>("--train") { Description = "training images", DefaultValueFactory = _ => d.Train };
        var val = new Option<int>("--val") { Description = "validation images", DefaultValueFactory = _ => d.Val };
        var size = new Option<int>("--size") { Description = "image side, (size-1) % 8 == 0", DefaultValueFactory = _ => d.Size };
        var classes = new Option<int>("--classes") { Description = $"classes incl. background (2..{SyntheticScene.ObjectTypes.Length + 1})", DefaultValueFactory = _ => d.Classes };
        var seed = new Option<ulong>("--seed") { Description = "random seed", DefaultValueFactory = _ => d.Seed };
        var noise = new Option<double>("--noise") { Description = "per-pixel Gaussian noise, 0..255 units", DefaultValueFactory = _ => d.Noise };
        var plain = new Option<bool>("--no-class-colours") { Description = "random colours per object (only shape and texture tell classes apart: much harder)" };
        var saturation = new Option<double>("--class-saturation") { Description = "share of the class hues' saturation objects keep, (0, 1]", DefaultValueFactory = _ => d.ClassSaturation };
        foreach (var o in new Option[] { outDir, train, val, size, classes, seed, noise, plain, saturation }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var opts = new SyntheticOptions
            {
                Train = pr.GetValue(train), Val = pr.GetValue(val), Size = pr.GetValue(size),
                Classes = pr.GetValue(classes), Seed = pr.GetValue(seed), Noise = pr.GetValue(noise),
                ClassColours = !pr.GetValue(plain), ClassSaturation = pr.GetValue(saturation),
            };
            var sw = Stopwatch.StartNew();
            var info = SyntheticDataset.Generate(pr.GetValue(outDir)!, opts);
            Console.WriteLine($"wrote {info.TrainCount} train + {info.ValCount} val images ({opts.Size}x{opts.Size}, {info.Classes} classes: {string.Join(", ", info.ClassNames)}) to {info.Root} in {sw.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine($"lists: {info.TrainList}, {info.ValList}; config: {info.ConfigPath}");
            return 0;
        });
        return cmd;
    }
}
