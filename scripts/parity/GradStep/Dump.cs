using RobustSeg.Engine;
using RobustSeg.Engine.IO;
using RobustSeg.Models;
using RobustSeg.Nn;
using RobustSeg.Nn.IO;

/// <summary>Runs the PSPNet forward by hand (so an intermediate can be named) and writes the gradient of the
/// training loss w.r.t. layer3.1's bn1 input and output, and the relu output, for comparison with torch.</summary>
static class Dump
{
    public static void Run(string[] args)
    {
        var (wPath, bPath, oPath, devName) = (args[1], args[2], args[3], args[4]);
        var dev = Device.Get(devName);
        var model = ModelFactory.Create(new ModelConfig("psp", 18, 5, 8, false, 0.25, 0f, 1), dev);
        using (var f = SafeTensors.Load(wPath, dev)) model.LoadStateDict(f.Tensors, strict: true, sourceName: wPath);
        var npz = Npy.ReadNpz(bPath);
        var x = Tensor.FromArray(dev, npz["x"].ToFloat(), npz["x"].Shape);
        var y = Tensor.FromArray(dev, npz["y"].ToInt(), npz["y"].Shape);
        model.Train();
        Module M(string p) => model.GetSubmodule(p) ?? throw new Exception(p);
        var h = Normalization.Normalize(x);
        foreach (var l in new[] { "layer0", "layer1", "layer2", "layer3.0" }) h = M(l).Forward(h);
        var c1 = M("layer3.1.conv1").Forward(h);
        var b1 = M("layer3.1.bn1").Forward(c1);
        var r1 = F.Relu(b1);
        var c2 = M("layer3.1.conv2").Forward(r1);
        var b2 = M("layer3.1.bn2").Forward(c2);
        var x3 = F.Relu(F.Add(b2, h));
        var fea = M("ppm").Forward(M("layer4").Forward(x3));
        var main = F.InterpolateBilinear(M("cls").Forward(fea), 65, 65);
        var aux = F.InterpolateBilinear(M("aux").Forward(x3), 65, 65);
        var loss = F.Add(F.CrossEntropy(main, y, 255), F.MulScalar(F.CrossEntropy(aux, y, 255), 0.4f));
        var g = Autograd.Grad(loss, [c1, b1, r1, c2, x3]);
        var names = new[] { "c1", "b1", "r1", "c2", "x3" };
        var o = new Dictionary<string, Tensor>();
        for (int i = 0; i < 5; i++) o["grad." + names[i]] = g[i]!;
        o["fwd.c1"] = c1; o["fwd.b1"] = b1; o["fwd.r1"] = r1;
        SafeTensors.Save(oPath, o);
        Console.WriteLine($"loss {loss.Item()}");
    }
}
