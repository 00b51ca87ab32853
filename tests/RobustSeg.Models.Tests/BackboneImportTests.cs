using RobustSeg.Engine;
using RobustSeg.Engine.IO;
using RobustSeg.Models;
using RobustSeg.Models.Import;
using RobustSeg.Nn;
using RobustSeg.Nn.IO;

namespace RobustSeg.Models.Tests;

/// <summary>ImageNet backbones as the original's pretrained=True (data: scripts/gen_backbone_reference.py, a deep-base
/// ResNet-50 at width 1/16 with random weights, and what the original's PSPNet holds after loading it).</summary>
public class BackboneImportTests
{
    static string Dir => Path.Combine(AppContext.BaseDirectory, "Data", "backbone");
    static string Pth => Path.Combine(Dir, "resnet50_w16.pth");
    static SegmentationModel Model(bool ddcat = false) => ModelFactory.Create(new ModelConfig("psp", 50, 5, 8, ddcat, 0.0625, 0f, 3), Device.Cpu);

    static Dictionary<string, float[]> Snapshot(SegmentationModel m) => m.StateDict().ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());

    [TestCase(false)]
    [TestCase(true)]
    public void EveryBackboneTensorEqualsTheOriginalsAndTheHeadsAreUntouched(bool ddcat)
    {
        var expected = Npy.ReadNpz(Path.Combine(AppContext.BaseDirectory, "Data", "backbone", "expected_backbone.npz"));
        using var m = Model(ddcat);
        var before = Snapshot(m);
        var r = BackboneImport.Load(m, Pth);
        Assert.That(r.Dropped, Is.EqualTo(new[] { "fc.bias", "fc.weight" }));
        var after = Snapshot(m);
        var backbone = after.Keys.Where(BackboneImport.IsBackboneKey).ToList();
        Assert.That(backbone.Order(), Is.EquivalentTo(expected.Keys.Order()), "our backbone has exactly the original's tensors");
        foreach (var k in backbone)
            Assert.That(after[k], Is.EqualTo(expected[k].ToFloat()), k);
        var heads = after.Keys.Where(k => !BackboneImport.IsBackboneKey(k)).ToList();
        Assert.That(heads, Is.Not.Empty);
        foreach (var k in heads) Assert.That(after[k], Is.EqualTo(before[k]), $"{k} is a head tensor: it keeps its initialisation");
    }

    [Test]
    public void KeyMapIsTheOriginalsLayer0()
    {
        Assert.That(BackboneImport.MapKey("conv1.weight", "f"), Is.EqualTo("layer0.0.weight"));
        Assert.That(BackboneImport.MapKey("bn1.running_var", "f"), Is.EqualTo("layer0.1.running_var"));
        Assert.That(BackboneImport.MapKey("conv2.weight", "f"), Is.EqualTo("layer0.3.weight"));
        Assert.That(BackboneImport.MapKey("bn2.bias", "f"), Is.EqualTo("layer0.4.bias"));
        Assert.That(BackboneImport.MapKey("conv3.weight", "f"), Is.EqualTo("layer0.6.weight"));
        Assert.That(BackboneImport.MapKey("module.bn3.weight", "f"), Is.EqualTo("layer0.7.weight"));
        Assert.That(BackboneImport.MapKey("layer3.2.conv2.weight", "f"), Is.EqualTo("layer3.2.conv2.weight"));
        Assert.That(BackboneImport.MapKey("fc.weight", "f"), Is.Null);
        var e = Assert.Throws<InvalidDataException>(() => BackboneImport.MapKey("avgpool.x", "file.pth"));
        Assert.That(e!.Message, Does.Contain("file.pth").And.Contain("avgpool.x"));
    }

    static string WithChange(Func<Dictionary<string, Tensor>, Dictionary<string, Tensor>> change)
    {
        var sd = BackboneImport.ReadFile(Pth, Device.Cpu);
        var path = Path.Combine(Path.GetTempPath(), $"rs-bb-{Guid.NewGuid():N}.safetensors");
        SafeTensors.Save(path, change(sd));
        foreach (var t in sd.Values) t.Dispose();
        return path;
    }

    [Test]
    public void WrongShapeMissingAndUnknownKeysAreErrorsNamingTheKey()
    {
        var cases = new (string Key, Func<Dictionary<string, Tensor>, Dictionary<string, Tensor>> Change)[]
        {
            ("layer0.4.weight", sd => { sd["bn2.weight"] = Tensor.Zeros(Device.Cpu, 3); return sd; }),
            ("layer2.1.conv1.weight", sd => { sd.Remove("layer2.1.conv1.weight"); return sd; }),
            ("layer4.9.conv1.weight", sd => { sd["layer4.9.conv1.weight"] = Tensor.Zeros(Device.Cpu, 1); return sd; }),
            ("head.x", sd => { sd["head.x"] = Tensor.Zeros(Device.Cpu, 1); return sd; }),
        };
        foreach (var (key, change) in cases)
        {
            var path = WithChange(change);
            try
            {
                using var m = Model();
                var e = Assert.Catch(() => BackboneImport.Load(m, path), key)!;
                Assert.That(e, Is.InstanceOf<IUserInputError>().Or.InstanceOf<InvalidDataException>(), key);
                Assert.That(e.Message, Does.Contain(key).And.Contain(path), key);
            }
            finally { File.Delete(path); }
        }
    }

    [Test]
    public void SafetensorsFromTheImportedNamesLoadIdentically()
    {
        using var a = Model();
        BackboneImport.Load(a, Pth);
        var path = Path.Combine(Path.GetTempPath(), $"rs-bb-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensors.Save(path, a.StateDict().Where(kv => BackboneImport.IsBackboneKey(kv.Key)).ToList());
            using var b = Model();
            var r = BackboneImport.Load(b, path);
            Assert.That(r.Dropped, Is.Empty);
            var sa = Snapshot(a); var sb = Snapshot(b);
            foreach (var k in sa.Keys.Where(BackboneImport.IsBackboneKey)) Assert.That(sb[k], Is.EqualTo(sa[k]), k);
        }
        finally { File.Delete(path); }
    }
}
