using RobustSeg.Engine.IO;
using RobustSeg.Models.Import;

namespace RobustSeg.Models.Tests;

/// <summary>The imported tiny models against PyTorch (scripts/gen_model_reference.py): eval logits within 1e-4
/// (relative to the largest value), the CE input gradient within 1e-3, and a train-mode forward (batch
/// statistics, dropout 0) with its loss, two weight gradients and updated running statistics.</summary>
public class TorchEquivalenceTests
{
    static readonly object[] Cases = TorchData.Variants.SelectMany(v => new object[] { new object[] { v, "cpu" }, new object[] { v, "ilgpu-cpu" } }).ToArray();

    static void Close(float[] got, NpyArray want, double tol, string what)
    {
        var w = want.ToFloat();
        Assert.That(got.Length, Is.EqualTo(w.Length), what + " size");
        double maxAbs = w.Max(v => Math.Abs((double)v)), maxDiff = 0;
        int worst = 0;
        for (int i = 0; i < w.Length; i++)
        {
            double d = Math.Abs(got[i] - (double)w[i]);
            if (double.IsNaN(d)) d = double.PositiveInfinity;   // a NaN would pass every comparison below
            if (d > maxDiff) { maxDiff = d; worst = i; }
        }
        Assert.That(maxDiff, Is.LessThanOrEqualTo(tol * Math.Max(maxAbs, 1e-12)),
            $"{what}: max |diff| {maxDiff:G4} at {worst} (got {got[worst]:G6}, torch {w[worst]:G6}), max |torch| {maxAbs:G4}");
    }

    static Tensor Load(Device d, NpyArray a, bool integer = false) =>
        integer ? Tensor.FromArray(d, a.ToInt(), a.Shape) : Tensor.FromArray(d, a.ToFloat(), a.Shape);

    [TestCaseSource(nameof(Cases))]
    public void EvalLogitsAndInputGradient(string name, string device)
    {
        var dev = Device.Get(device);
        var data = TorchData.Npz(name);
        using var m = PthImport.Load(TorchData.Pth(name), TorchData.Config(name), dev, deploy: false, out _);
        m.Eval();
        using var scope = Tensor.Scope();
        var x = Load(dev, data["input"]);
        x.RequiresGrad = true;
        var labels = Load(dev, data["labels"], integer: true);
        var o = m.Run(x);
        Assert.That(o.Aux, Is.Null, "eval computes no aux head");
        Assert.That(o.Cls2, Is.Null, "eval computes no cls2 / mask head");
        Close(o.Logits.ToArray(), data["eval_logits"], 1e-4, "eval logits");
        var loss = F.CrossEntropy(o.Logits, labels);
        Assert.That(loss.Item(), Is.EqualTo(data["eval_loss"].Data[0]).Within(1e-4 * Math.Abs(data["eval_loss"].Data[0])));
        var g = Autograd.Grad(loss, [x])[0];
        Close(g.ToArray(), data["eval_input_grad"], 1e-3, "input gradient");

        // Inference path: under NoGrad intermediates are freed as soon as they are consumed.
        using var ng = Autograd.NoGrad();
        int before = scope.Count;
        var inf = m.Run(x);
        Close(inf.Logits.ToArray(), data["eval_logits"], 1e-4, "eval logits under NoGrad");
        Assert.That(scope.Count - before, Is.LessThan(12), "NoGrad inference frees its intermediates");
    }

    [TestCaseSource(nameof(Cases))]
    public void TrainModeForwardLossAndGradients(string name, string device)
    {
        var dev = Device.Get(device);
        var data = TorchData.Npz(name);
        using var m = PthImport.Load(TorchData.Pth(name), TorchData.Config(name), dev, deploy: false, out _);
        m.Train();
        try
        {
            using var scope = Tensor.Scope();
            var x = Load(dev, data["input"]);
            var labels = Load(dev, data["labels"], integer: true);
            var o = m.Run(x);
            Close(o.Logits.ToArray(), data["train_logits"], 1e-4, "train logits");
            Close(o.Aux!.ToArray(), data["train_aux"], 1e-4, "train aux logits");
            var loss = F.Add(F.CrossEntropy(o.Logits, labels), F.MulScalar(F.CrossEntropy(o.Aux, labels), 0.4f));
            if (m.IsDdcat)
            {
                Close(o.Cls1!.ToArray(), data["train_cls1"], 1e-4, "train cls1");
                Close(o.MaskLogits!.ToArray(), data["train_mask"], 1e-4, "train mask logits");
                var route = o.Route!.ToIntArray();
                var mask = data["train_mask"].ToFloat();
                int plane = route.Length / 2;
                for (int i = 0; i < route.Length; i++)
                {
                    int n = i / plane, p = i % plane;
                    float m0 = mask[(n * 2) * plane + p], m1 = mask[(n * 2 + 1) * plane + p];
                    if (Math.Abs(m0 - m1) > 1e-4) Assert.That(route[i], Is.EqualTo(m1 > m0 ? 1 : 0), $"route at {i}");
                }
                loss = F.Add(loss, F.CrossEntropy(o.MaskLogits, Load(dev, data["train_mask_target"], integer: true)));
            }
            Assert.That(loss.Item(), Is.EqualTo(data["train_loss"].Data[0]).Within(1e-4 * Math.Abs(data["train_loss"].Data[0])));
            loss.Backward();
            var sd = m.StateDict();
            Close(sd["layer0.0.weight"].Grad!.ToArray(), data["train_grad_layer0.0.weight"], 1e-3, "layer0.0.weight grad");
            Close(sd[(m.IsDdcat ? "cls1" : "cls") + ".4.weight"].Grad!.ToArray(), data["train_grad_head.4.weight"], 1e-3, "head weight grad");
            Close(sd["layer1.0.bn1.running_mean"].ToArray(), data["train_running_mean_layer1.0.bn1"], 1e-4, "running mean");
            Close(sd["layer4.1.bn2.running_var"].ToArray(), data["train_running_var_layer4.1.bn2"], 1e-4, "running var");
            Assert.That(sd["layer1.0.bn1.num_batches_tracked"].ToIntArray()[0], Is.EqualTo(8));
        }
        finally
        {
            foreach (var p in m.Parameters()) p.Grad?.Dispose();
        }
    }

    [Test]
    public void DdcatEvalCanComputeEveryHeadAndDeploysToCls1()
    {
        var dev = Device.Cpu;
        var data = TorchData.Npz("aspp_ddcat");
        using var m = PthImport.Load(TorchData.Pth("aspp_ddcat"), TorchData.Config("aspp_ddcat"), dev, false, out _);
        using var plain = ModelFactory.Deploy(m);
        m.Eval(); plain.Eval();
        using var scope = Tensor.Scope();
        using var ng = Autograd.NoGrad();
        var x = Load(dev, data["input"]);
        var all = m.Run(x, ForwardOptions.Routed);
        Assert.That(all.Cls2, Is.Not.Null);
        Assert.That(all.Route!.Shape, Is.EqualTo(new[] { 2, 17, 17 }));
        Close(all.Cls1!.ToArray(), data["eval_logits"], 1e-4, "cls1 with every head");
        Close(plain.Run(x).Logits.ToArray(), data["eval_logits"], 1e-4, "deployed plain model");
        // Routed output = cls2 where the mask head says 1, else cls1.
        var r = all.Route.ToIntArray(); var c1 = all.Cls1.ToArray(); var c2 = all.Cls2!.ToArray(); var lo = all.Logits.ToArray();
        int plane = 17 * 17;
        for (int i = 0; i < lo.Length; i++)
        {
            int n = i / (5 * plane), p = i % plane;
            Assert.That(lo[i], Is.EqualTo(r[n * plane + p] == 1 ? c2[i] : c1[i]));
        }
    }

    [Test]
    public void NormalizationMatchesImageNetStatistics()
    {
        using var scope = Tensor.Scope();
        var x = Tensor.Full(Device.Cpu, 0.5f, 1, 3, 2, 2);
        var y = Normalization.Normalize(x).ToArray();
        Assert.That(y[0], Is.EqualTo((0.5 - 0.485) / 0.229).Within(1e-5));
        Assert.That(y[4], Is.EqualTo((0.5 - 0.456) / 0.224).Within(1e-5));
        Assert.That(y[11], Is.EqualTo((0.5 - 0.406) / 0.225).Within(1e-5));
    }
}
