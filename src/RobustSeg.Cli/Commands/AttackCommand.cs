using System.CommandLine;
using RobustSeg.Adversarial.Attacks;
using RobustSeg.Adversarial.Evaluation;
using RobustSeg.Data;
using RobustSeg.Engine;

namespace RobustSeg.Cli.Commands;

/// <summary>`robustseg attack`: the study tool. Attacks one image and writes the adversarial image, the
/// perturbation, the input-gradient magnitude, predictions before/after, steps.csv (per-step loss,
/// flipped pixels, gradient norms, perturbation norms) and with --save-npy NumPy arrays.</summary>
public sealed class AttackCommand : ICliCommand
{
    public Command Build()
    {
        var cmd = new Command("attack", "Attack one image and record every step (study tool)");
        var config = new Option<string>("--config") { Description = "YAML config (DATA, TRAIN, TEST sections)", Required = true };
        var checkpoint = new Option<string>("--checkpoint") { Description = "model checkpoint (.safetensors or an original .pth)", Required = true };
        var image = new Option<string>("--image") { Description = "input image (JPEG/PNG)", Required = true };
        var label = new Option<string?>("--label") { Description = "label PNG (default: the clean prediction is the target to move away from)" };
        var attack = new Option<string>("--attack") { Description = string.Join("|", AttackFactory.Names.Skip(1)), DefaultValueFactory = _ => "pgd" };
        var outDir = new Option<string>("--out") { Description = "output folder", Required = true };
        var saveNpy = new Option<bool>("--save-npy") { Description = "also write input.npy, logits_clean.npy, grad_step0.npy, adv.npy, logits_adv.npy" };
        var shared = new AttackCliOptions();
        var device = new Option<string>("--device") { Description = "cpu, ilgpu-cpu, cuda or auto", DefaultValueFactory = _ => "auto" };
        foreach (var o in new Option[] { config, checkpoint, image, label, attack, outDir, saveNpy, device }.Concat(shared.All))
            cmd.Options.Add(o);
        cmd.SetAction(pr => TestCommand.NoLoaderIsUserError(() =>
        {
            var cfgPath = pr.GetValue(config)!;
            var cfg = EvalConfig.Load(cfgPath);
            var data = cfg.Data;
            var (atk, opts, proto) = shared.Create(pr, pr.GetValue(attack)!, cfg.IgnoreLabel);
            if (atk is null) throw new ArgumentException("--attack none: nothing to study; pick an attack");

            var img = ImageIO.ReadRgb(pr.GetValue(image)!);
            int h = img.Height, w = img.Width;
            var dev = Device.Get(pr.GetValue(device)!);
            using var model = EvalModelSource.Load(pr.GetValue(checkpoint)!, cfgPath, cfg, dev);
            var direct = model.Forward;
            // The network takes sides with (s-1) % 8 == 0; other sizes go through the sliding-window inference
            // (padding, windows of the test crop), whose log averaged softmax then stands for the logits.
            bool fits = (h - 1) % 8 == 0 && (w - 1) % 8 == 0 && h >= 9 && w >= 9;
            var forward = fits ? direct : new SlidingWindow(cfg.TestH, cfg.TestW, cfg.Classes, SegForwardExtensions.ImageNetMean).AsModel(direct);

            using var scope = Tensor.Scope();
            var x = Tensor.FromArray(dev, img.ToChw(1f / 255f), 1, 3, h, w);
            Tensor? y = null;
            if (pr.GetValue(label) is { } lp)
            {
                var lab = LabelIO.Read(lp, ImageIO.DefaultMaxPixels, LabelFormats.LutFor(data.LabelFormat, lp));
                if (lab.Height != h || lab.Width != w) throw new InvalidDataException($"{lp}: label is {lab.Width}x{lab.Height}, image is {w}x{h}");
                y = Tensor.FromArray(dev, lab.Data.Select(b => (int)b).ToArray(), 1, h, w);
            }
            Console.WriteLine($"model {model.Description} on {dev.Describe()}; image {w}x{h}{(fits ? "" : $" (sliding window {cfg.TestH}x{cfg.TestW})")}");
            Console.WriteLine($"attack: {AttackSetup.Describe(atk, opts, proto)}; target: {(y is null ? "clean prediction" : "label")}");
            var study = new AttackStudy { Model = forward, Attack = atk, Options = opts, SaveNpy = pr.GetValue(saveNpy) };
            var r = study.Run(x, y, pr.GetValue(outDir)!);
            Console.WriteLine($"pixel accuracy {r.CleanAccuracy:P2} -> {r.AdvAccuracy:P2} after {r.Steps} recorded steps; wrote {r.OutDir}");
            return 0;
        }));
        return cmd;
    }
}
