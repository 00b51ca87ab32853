using RobustSeg.Engine;
using RobustSeg.Models.Import;

namespace RobustSeg.Models.Tests;

public class StructureTests
{
    static Dictionary<string, int[]> Shapes(Module m) => m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.Shape);

    [Test]
    public void PspNet50HasTheOriginalKeysAndShapes()
    {
        using var m = ModelFactory.Create(new ModelConfig("psp", 50, 21), Device.Cpu);
        var s = Shapes(m);
        Assert.That(s["layer0.0.weight"], Is.EqualTo(new[] { 64, 3, 3, 3 }));
        Assert.That(s["layer0.3.weight"], Is.EqualTo(new[] { 64, 64, 3, 3 }));
        Assert.That(s["layer0.6.weight"], Is.EqualTo(new[] { 128, 64, 3, 3 }));
        Assert.That(s["layer0.7.running_var"], Is.EqualTo(new[] { 128 }));
        Assert.That(s["layer1.0.downsample.0.weight"], Is.EqualTo(new[] { 256, 128, 1, 1 }));
        Assert.That(s.ContainsKey("layer3.5.conv3.weight") && !s.ContainsKey("layer3.6.conv1.weight"));
        Assert.That(s["layer4.0.downsample.0.weight"], Is.EqualTo(new[] { 2048, 1024, 1, 1 }));
        Assert.That(s["ppm.features.0.1.weight"], Is.EqualTo(new[] { 512, 2048, 1, 1 }));
        Assert.That(s["ppm.features.3.2.num_batches_tracked"], Is.EqualTo(Array.Empty<int>()));
        Assert.That(s["cls.0.weight"], Is.EqualTo(new[] { 512, 4096, 3, 3 }));
        Assert.That(s["cls.4.weight"], Is.EqualTo(new[] { 21, 512, 1, 1 }));
        Assert.That(s["cls.4.bias"], Is.EqualTo(new[] { 21 }));
        Assert.That(s["aux.0.weight"], Is.EqualTo(new[] { 256, 1024, 3, 3 }));
        Assert.That(s["aux.4.bias"], Is.EqualTo(new[] { 21 }));
        Assert.That(s.Keys.Count(k => k.StartsWith("layer0.")), Is.EqualTo(18));
        // Dilation / stride per DESIGN section 4 (output stride 8).
        var l3 = (Conv2d)m.GetSubmodule("layer3.0.conv2")!;
        var l4 = (Conv2d)m.GetSubmodule("layer4.2.conv2")!;
        Assert.That((l3.Stride, l3.Dilation, l3.Padding), Is.EqualTo((1, 2, 2)));
        Assert.That((l4.Stride, l4.Dilation, l4.Padding), Is.EqualTo((1, 4, 4)));
        Assert.That(((Conv2d)m.GetSubmodule("layer3.0.downsample.0")!).Stride, Is.EqualTo(1));
        Assert.That(((Conv2d)m.GetSubmodule("layer2.0.conv2")!).Stride, Is.EqualTo(2));
        Assert.That(((Conv2d)m.GetSubmodule("layer2.0.conv1")!).Stride, Is.EqualTo(1));
        // PSPNet-ResNet50 (deep stem) with 21 classes, aux included: 49.08 M parameters.
        Assert.That(m.ParameterCount(), Is.EqualTo(49081578));
    }

    [Test]
    public void DeepLabV3AndDdcatHeads()
    {
        using var m = ModelFactory.Create(new ModelConfig("aspp", 50, 19, Ddcat: true), Device.Cpu);
        var s = Shapes(m);
        Assert.That(m, Is.InstanceOf<DeepLabV3Ddcat>());
        Assert.That(s["aspp.convs.0.0.weight"], Is.EqualTo(new[] { 256, 2048, 1, 1 }));
        Assert.That(s["aspp.convs.3.0.weight"], Is.EqualTo(new[] { 256, 2048, 3, 3 }));
        Assert.That(s["aspp.convs.4.1.weight"], Is.EqualTo(new[] { 256, 2048, 1, 1 }));
        Assert.That(s["aspp.convs.4.2.running_mean"], Is.EqualTo(new[] { 256 }));
        Assert.That(((Conv2d)m.GetSubmodule("aspp.convs.2.0")!).Dilation, Is.EqualTo(12));
        Assert.That(s["cls1.0.weight"], Is.EqualTo(new[] { 256, 1280, 1, 1 }));
        Assert.That(s["mask1.4.weight"], Is.EqualTo(new[] { 2, 256, 1, 1 }));
        Assert.That(s["cls2.4.bias"], Is.EqualTo(new[] { 19 }));
        Assert.That(s["aux_cls1.0.weight"], Is.EqualTo(new[] { 256, 1024, 1, 1 }));
        Assert.That(s.Keys.Any(k => k.StartsWith("cls.") || k.StartsWith("aux.")), Is.False);
        var heads = s.Keys.Select(k => k.Split('.')[0]).Distinct().ToArray();
        Assert.That(heads, Is.EqualTo(new[] { "layer0", "layer1", "layer2", "layer3", "layer4", "aspp", "cls1", "mask1", "cls2", "aux_cls1" }));

        using var plain = ModelFactory.Deploy(m);
        Assert.That(plain, Is.InstanceOf<DeepLabV3>());
        Assert.That(plain.StateDict()["cls.0.weight"].ToArray().Take(50), Is.EqualTo(m.StateDict()["cls1.0.weight"].ToArray().Take(50)));
        Assert.That(plain.StateDict()["aux.4.bias"].ToArray(), Is.EqualTo(m.StateDict()["aux_cls1.4.bias"].ToArray()));
    }

    [Test]
    public void BasicBlockWidthVariantInDilatedStages()
    {
        using var m = ModelFactory.Create(new ModelConfig("psp", 18, 5, Width: 0.5), Device.Cpu);
        var s = Shapes(m);
        Assert.That(s["layer0.0.weight"], Is.EqualTo(new[] { 32, 3, 3, 3 }));
        Assert.That(s["layer1.0.conv1.weight"], Is.EqualTo(new[] { 32, 64, 3, 3 }));
        Assert.That(s["layer4.1.conv2.weight"], Is.EqualTo(new[] { 256, 256, 3, 3 }));
        Assert.That(s["ppm.features.0.1.weight"], Is.EqualTo(new[] { 64, 256, 1, 1 }));
        Assert.That(s["cls.0.weight"], Is.EqualTo(new[] { 256, 512, 3, 3 }));
        Assert.That(s["aux.0.weight"], Is.EqualTo(new[] { 128, 128, 3, 3 }));
        Assert.That(s.ContainsKey("layer1.0.conv3.weight"), Is.False);
        var c1 = (Conv2d)m.GetSubmodule("layer4.0.conv1")!;
        var c2 = (Conv2d)m.GetSubmodule("layer4.0.conv2")!;
        Assert.That((c1.Stride, c1.Dilation, c2.Stride, c2.Dilation), Is.EqualTo((1, 4, 1, 4)));
    }

    [Test]
    public void SameSeedSameWeights()
    {
        var cfg = new ModelConfig("aspp", 18, 3, Width: 0.125, Seed: 5);
        using var a = ModelFactory.Create(cfg, Device.Cpu);
        using var b = ModelFactory.Create(cfg, Device.Cpu);
        using var c = ModelFactory.Create(cfg with { Seed = 6 }, Device.Cpu);
        Assert.That(a.StateDict()["layer2.1.conv1.weight"].ToArray(), Is.EqualTo(b.StateDict()["layer2.1.conv1.weight"].ToArray()));
        Assert.That(a.StateDict()["cls.0.weight"].ToArray(), Is.Not.EqualTo(c.StateDict()["cls.0.weight"].ToArray()));
    }

    [Test]
    public void InputSizeMustBe8kPlus1()
    {
        using var m = ModelFactory.Create(new ModelConfig("psp", 18, 3, Width: 0.125), Device.Cpu);
        using var x = Tensor.Zeros(Device.Cpu, 1, 3, 32, 33);
        var e = Assert.Throws<ArgumentException>(() => m.Run(x))!;
        Assert.That(e.Message, Does.Contain("height 32").And.Contain("multiple of 8").And.Contain("25 or 33"));
        using var x2 = Tensor.Zeros(Device.Cpu, 1, 4, 33, 33);
        Assert.That(Assert.Throws<ArgumentException>(() => m.Run(x2))!.Message, Does.Contain("(N, 3, H, W)"));
        Assert.That(m.OutputSize(473), Is.EqualTo(473));
        using var z = ModelFactory.Create(new ModelConfig("psp", 18, 3, ZoomFactor: 1, Width: 0.125), Device.Cpu);
        Assert.That(z.OutputSize(473), Is.EqualTo(60));
    }

    [Test]
    public void ConfigValidationAndMetadataRoundTrip()
    {
        Assert.Throws<UserInputException>(() => new ModelConfig("fcn").Validate());
        Assert.Throws<UserInputException>(() => new ModelConfig(Layers: 42).Validate());
        Assert.Throws<UserInputException>(() => new ModelConfig(ZoomFactor: 3).Validate());
        var cfg = new ModelConfig("aspp", 101, 19, 8, true, 0.5, 0.2f);
        Assert.That(ModelConfig.FromMetadata(cfg.ToMetadata()), Is.EqualTo(cfg));
        var md = cfg.ToMetadata(); md.Remove("model.layers");
        Assert.That(Assert.Throws<InvalidDataException>(() => ModelConfig.FromMetadata(md, "f.safetensors"))!.Message, Does.Contain("model.layers"));
    }

    [Test]
    public void SaveAndLoadCheckpointRebuildsTheModel()
    {
        var path = Path.Combine(Path.GetTempPath(), "rs-models-" + Guid.NewGuid().ToString("N") + ".safetensors");
        try
        {
            using var m = ModelFactory.Create(new ModelConfig("psp", 18, 4, Ddcat: true, Width: 0.125, Seed: 3), Device.Cpu);
            using var opt = m.CreateOptimizer();
            ModelFactory.Save(path, m, new Dictionary<string, string> { ["epoch"] = "7", ["regime"] = "ddcat" }, opt);
            var (loaded, md) = ModelFactory.Load(path, Device.Cpu);
            using (loaded)
            {
                Assert.That(loaded, Is.InstanceOf<PSPNetDdcat>());
                Assert.That(md["epoch"], Is.EqualTo("7"));
                Assert.That(loaded.StateDict()["mask1.4.weight"].ToArray(), Is.EqualTo(m.StateDict()["mask1.4.weight"].ToArray()));
            }
        }
        finally
        {
            File.Delete(path);
            File.Delete(Nn.IO.Checkpoint.OptimizerPath(path));
        }
    }

    [Test]
    public void OptimizerGroupsGiveHeadsTenTimesTheLr()
    {
        using var m = ModelFactory.Create(new ModelConfig("psp", 18, 4, Ddcat: true, Width: 0.125), Device.Cpu);
        using var opt = m.CreateOptimizer(0.01);
        Assert.That(opt.Groups[0].Parameters.All(p => p.Name.StartsWith("layer")));
        Assert.That(opt.Groups[1].Parameters.Select(p => p.Name.Split('.')[0]).Distinct(), Is.EquivalentTo(new[] { "ppm", "cls1", "mask1", "cls2", "aux_cls1" }));
        Assert.That(opt.Groups[1].Lr, Is.EqualTo(0.1).Within(1e-12));
        Assert.That(opt.Groups.Sum(g => g.Parameters.Count), Is.EqualTo(m.Parameters().Count()));
    }

    [TestCaseSource(typeof(TorchData), nameof(TorchData.Variants))]
    public void TorchCheckpointHasExactlyOurKeysAndShapes(string name)
    {
        var sd = PthReader.ReadStateDict(TorchData.Pth(name), Device.Cpu, out var info);
        try
        {
            using var m = ModelFactory.Create(TorchData.Config(name), Device.Cpu);
            var ours = Shapes(m);
            Assert.That(sd.Keys, Is.EquivalentTo(ours.Keys));
            foreach (var (k, t) in sd) Assert.That(t.Shape, Is.EqualTo(ours[k]), k);
            Assert.That(info["epoch"], Is.EqualTo("3"));
            Assert.That(sd.Keys.Where(k => k.EndsWith("num_batches_tracked")).All(k => sd[k].DType == DType.Int32 && sd[k].ToIntArray()[0] == 7));
        }
        finally { foreach (var t in sd.Values) t.Dispose(); }
    }
}
