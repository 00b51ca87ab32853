using System.CommandLine;
using RobustSeg.Engine;
using RobustSeg.Models;
using RobustSeg.Models.Import;
using RobustSeg.Nn;

namespace RobustSeg.Cli.Commands;

/// <summary>`robustseg import --pth FILE --arch psp|aspp --layers 50 --classes 21 [--ddcat] [--deploy] [--width W]
/// --out FILE.safetensors`: converts an original PyTorch checkpoint (restricted unpickling, strict keys and shapes)
/// into a RobustSeg checkpoint that carries its model description.</summary>
public sealed class ImportCommand : ICliCommand
{
    public Command Build()
    {
        var cmd = new Command("import", "Import an original DDC-AT / semseg PyTorch checkpoint (.pth) into a .safetensors checkpoint");
        var pth = new Option<string?>("--pth") { Description = "the .pth file (torch.save zip format)" };
        var backbone = new Option<string?>("--backbone") { Description = "instead of --pth: an ImageNet ResNet (semseg's initmodel/resnet50_v2.pth) to convert into a backbone .safetensors for TRAIN.backbone_weights (--layers, --width select the backbone it is checked against)" };
        var arch = new Option<string>("--arch") { Description = "psp (PSPNet) or aspp (DeepLabV3)", DefaultValueFactory = _ => "psp" };
        var layers = new Option<int>("--layers") { Description = "ResNet depth: 18, 34, 50, 101, 152", DefaultValueFactory = _ => 50 };
        var classes = new Option<int>("--classes") { Description = "number of classes (21 VOC, 19 Cityscapes)", DefaultValueFactory = _ => 21 };
        var zoom = new Option<int>("--zoom-factor") { Description = "output zoom factor (8 = input size)", DefaultValueFactory = _ => 8 };
        var width = new Option<double>("--width") { Description = "channel width multiplier (1 = the original)", DefaultValueFactory = _ => 1.0 };
        var ddcat = new Option<bool>("--ddcat") { Description = "the checkpoint is a DDC-AT model (cls1, mask1, cls2, aux_cls1)" };
        var deploy = new Option<bool>("--deploy") { Description = "with --ddcat: write the plain deployed model (cls1 -> cls, aux_cls1 -> aux)" };
        var output = new Option<string>("--out") { Description = "output .safetensors file", Required = true };
        foreach (var o in new Option[] { pth, backbone, arch, layers, classes, zoom, width, ddcat, deploy, output }) cmd.Options.Add(o);
        cmd.SetAction(pr =>
        {
            var cfg = new ModelConfig(pr.GetValue(arch)!, pr.GetValue(layers), pr.GetValue(classes), pr.GetValue(zoom),
                pr.GetValue(ddcat), pr.GetValue(width));
            if (pr.GetValue(deploy) && !cfg.Ddcat) throw new UserInputException("--deploy maps a DDC-AT checkpoint to the plain model: it needs --ddcat");
            if ((pr.GetValue(pth) is null) == (pr.GetValue(backbone) is null)) throw new UserInputException("import: give exactly one of --pth (a whole checkpoint) or --backbone (an ImageNet ResNet)");
            if (pr.GetValue(backbone) is { } bb) return ImportBackbone(bb, cfg with { Ddcat = false }, pr.GetValue(output)!);
            var src = pr.GetValue(pth)!;
            using var model = PthImport.Load(src, cfg, Device.Cpu, pr.GetValue(deploy), out var info);
            var md = new Dictionary<string, string> { ["source"] = Path.GetFileName(src), ["regime"] = cfg.Ddcat && !pr.GetValue(deploy) ? "ddcat" : "imported" };
            foreach (var (k, v) in info) md[k] = v;
            ModelFactory.Save(pr.GetValue(output)!, model, md);
            Console.WriteLine($"imported {src}: {model.Config.Describe()}, {model.StateDict().Count} tensors, " +
                $"{model.ParameterCount():N0} parameters -> {pr.GetValue(output)}");
            return 0;
        });
        return cmd;
    }

    /// <summary>Maps an ImageNet ResNet to our backbone names, checks it loads into the backbone of <paramref name="cfg"/>,
    /// and writes the backbone tensors (fc dropped) as .safetensors.</summary>
    static int ImportBackbone(string src, ModelConfig cfg, string output)
    {
        using var model = ModelFactory.Create(cfg, Device.Cpu);
        var dropped = RobustSeg.Adversarial.Loading.ModelLoader.LoadBackbone(model, src, "--backbone");
        var tensors = model.StateDict().Where(kv => BackboneImport.IsBackboneKey(kv.Key)).ToList();
        var md = new Dictionary<string, string> { ["source"] = Path.GetFileName(src), ["kind"] = "backbone", ["layers"] = cfg.Layers.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        RobustSeg.Nn.IO.SafeTensors.Save(output, tensors, md);
        Console.WriteLine($"imported backbone {src}: ResNet-{cfg.Layers}, {tensors.Count} tensors{(dropped.Count > 0 ? $" (dropped {string.Join(", ", dropped)})" : "")} -> {output}");
        return 0;
    }
}
