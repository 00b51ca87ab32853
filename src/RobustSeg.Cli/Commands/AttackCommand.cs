using System.CommandLine;
using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Evaluation;
using RobustSeg.Adversarial.Loading;
using RobustSeg.Config;
using RobustSeg.Data;
using RobustSeg.Engine;

namespace RobustSeg.Cli.Commands;

/// <summary>`robustseg attack`: the study tool. Attacks one image through the protocols `test` uses and writes the adversarial image, the
/// perturbation, the input-gradient magnitude, predictions before/after, steps.csv (per-step loss,
/// flipped pixels, gradient norms, perturbation norms) and with --save-npy NumPy arrays.</summary>
public sealed class AttackCommand : ICliCommand
{
    public Command Build()
    {
        var cmd = new Command("attack", "Attack one image and record every step (study tool)");
        var config = new ConfigCliOptions();
        var checkpoint = new Option<string>("--checkpoint") { Description = "model checkpoint (.safetensors or an original .pth)", Required = true };
        var image = new Option<string>("--image") { Description = "input image (JPEG/PNG)", Required = true };
        var label = new Option<string?>("--label") { Description = "label PNG (default: the clean prediction is the target to move away from)" };
        var attack = new Option<string>("--attack") { Description = string.Join("|", AttackFactory.Names.Skip(1)), DefaultValueFactory = _ => "pgd" };
        var outDir = new Option<string>("--out") { Description = "output folder", Required = true };
        var saveNpy = new Option<bool>("--save-npy") { Description = "also write input.npy (normalised), probs_clean.npy, grad_step0.npy (w.r.t. the normalised input), adv.npy, probs_adv.npy" };
        var shared = new AttackCliOptions();
        var device = new Option<string>("--device") { Description = "cpu, ilgpu-cpu, cuda or auto", DefaultValueFactory = _ => "auto" };
        foreach (var o in new Option[] { checkpoint, image, label, attack, outDir, saveNpy, device }.Concat(config.All).Concat(shared.All))
            cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var cfg = config.Load(pr);
            var data = DataConfig.From(cfg);
            var (atk, opts, proto) = shared.Create(pr, pr.GetValue(attack)!, cfg.Train.IgnoreLabel);
            if (atk is null) throw new ConfigException("--attack none: nothing to study; pick an attack");

            var img = ImageIO.ReadRgb(pr.GetValue(image)!, data.MaxPixels);
            int h = img.Height, w = img.Width;
            var dev = Device.Get(pr.GetValue(device)!);
            using var model = ModelLoader.LoadForEval(pr.GetValue(checkpoint)!, cfg, dev);
            int[]? y = null;
            if (pr.GetValue(label) is { } lp)
            {
                var lab = LabelIO.Read(lp, data.MaxPixels, LabelFormats.LutFor(data.LabelFormat, lp));
                if (lab.Height != h || lab.Width != w) throw new InvalidDataException($"{lp}: label is {lab.Width}x{lab.Height}, image is {w}x{h}");
                y = lab.Data.Select(b => (int)b).ToArray();
            }
            // The same protocols as `test` (strong: one perturbation through the sliding-window inference; legacy: per
            // window), at the image's own size and the config's test crop.
            var settings = EvalSettings.From(cfg, data) with { Attack = atk, AttackOptions = opts, Protocol = proto };
            Console.WriteLine($"model {model.Config.Describe()} on {dev.Describe()}; image {w}x{h}, sliding window {settings.CropH}x{settings.CropW}");
            Console.WriteLine($"attack: {AttackSetup.Describe(atk, opts, proto)}; target: {(y is null ? "clean prediction" : "label")}");
            var study = new AttackStudy { Device = dev, Model = ModelLoader.AsForward(model), Settings = settings, SaveNpy = pr.GetValue(saveNpy) };
            var r = study.Run(img.ToChw(1f / 255f), h, w, y, pr.GetValue(outDir)!);
            Console.WriteLine($"pixel accuracy {r.CleanAccuracy:P2} -> {r.AdvAccuracy:P2} after {r.Steps} recorded steps; wrote {r.OutDir}");
            return 0;
        });
        return cmd;
    }
}
