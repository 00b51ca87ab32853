using RobustSeg.Engine;
using RobustSeg.Engine.IO;
using RobustSeg.Models;
using RobustSeg.Nn;
using RobustSeg.Nn.IO;

/// <summary>The input gradient of an eval-mode PSPNet (CE mean over non-ignored pixels of the upsampled logits),
/// with the gradient at every stage boundary, so input_grad_precision.py can find where precision is lost.
/// args: inputgrad weights.safetensors input.npz out.safetensors layers classes width device</summary>
static class InputGrad
{
    public static void Run(string[] args)
    {
        var (wPath, bPath, oPath) = (args[1], args[2], args[3]);
        int layers = int.Parse(args[4]), classes = int.Parse(args[5]);
        double width = double.Parse(args[6], System.Globalization.CultureInfo.InvariantCulture);
        var dev = Device.Get(args[7]);
        var model = ModelFactory.Create(new ModelConfig("psp", layers, classes, 8, false, width, 0f, 1), dev);
        using (var f = SafeTensors.Load(wPath, dev)) model.LoadStateDict(f.Tensors, strict: true, sourceName: wPath);
        model.Eval();
        var npz = Npy.ReadNpz(bPath);
        var x = Tensor.FromArray(dev, npz["x"].ToFloat(), npz["x"].Shape);
        var y = Tensor.FromArray(dev, npz["y"].ToInt(), npz["y"].Shape);
        x.RequiresGrad = true;
        Module M(string p) => model.GetSubmodule(p) ?? throw new Exception(p);
        var stages = new List<(string, Tensor)> { ("x", x) };
        var h = Normalization.Normalize(x);
        stages.Add(("xn", h));
        foreach (var l in new[] { "layer0", "layer1", "layer2", "layer3", "layer4", "ppm" }) { h = M(l).Forward(h); stages.Add((l, h)); }
        // The classifier head op by op: conv 3x3, BN, ReLU, (dropout: identity in eval), conv 1x1.
        foreach (var l in new[] { "cls.0", "cls.1" }) { h = M(l).Forward(h); stages.Add((l, h)); }
        h = F.Relu(h); stages.Add(("cls.2", h));
        h = M("cls.4").Forward(h); stages.Add(("cls.4", h));
        var up = F.InterpolateBilinear(h, x.Size(2), x.Size(3));
        stages.Add(("up", up));
        var loss = F.CrossEntropy(up, y, 255);
        var g = Autograd.Grad(loss, stages.Select(s => s.Item2).ToArray());
        var o = new Dictionary<string, Tensor>();
        for (int i = 0; i < stages.Count; i++) { o["grad." + stages[i].Item1] = g[i]!; o["fwd." + stages[i].Item1] = stages[i].Item2.Detach(); }
        o["loss"] = Tensor.FromArray(dev, [loss.Item()], 1);
        SafeTensors.Save(oPath, o);
        Console.WriteLine($"loss {loss.Item()}");
    }
}
