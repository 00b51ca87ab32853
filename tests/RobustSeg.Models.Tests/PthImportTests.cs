using System.IO.Compression;
using System.Text;
using RobustSeg.Models.Import;

namespace RobustSeg.Models.Tests;

public class PthImportTests
{
    // A crafted os.system('echo pwned') call, protocol 2: GLOBAL 'os system', a string, TUPLE1, REDUCE.
    static readonly byte[] OsSystemP2 = Convert.FromHexString("8002" + "63" + Convert.ToHexString(Encoding.ASCII.GetBytes("os\nsystem\n")) +
        "7100580a0000006563686f2070776e656471018571025271032e");
    // pickle.dumps(os.system reduce, protocol=2) on Linux (os.system is posix.system).
    static readonly byte[] PosixSystemP2 = Convert.FromHexString("800263706f7369780a73797374656d0a7100580a0000006563686f2070776e656471018571025271032e");
    // Protocol 4: STACK_GLOBAL over memoised strings 'builtins' 'eval'.
    static readonly byte[] EvalP4 = Convert.FromHexString("8004951f000000000000008c086275696c74696e73948c046576616c9493948c03312b3194859452942e");

    [Test]
    public void RefusesOsSystem()
    {
        var e = Assert.Throws<UnsafePickleException>(() => PthReader.UnpickleRestricted(OsSystemP2, "evil.pkl"))!;
        Assert.That(e.Global, Is.EqualTo("os.system"));
        Assert.That(e.Message, Does.Contain("evil.pkl").And.Contain("'os.system'"));
        Assert.That(Assert.Throws<UnsafePickleException>(() => PthReader.UnpickleRestricted(PosixSystemP2, "evil.pkl"))!.Global, Is.EqualTo("posix.system"));
    }

    [Test]
    public void RefusesStackGlobal()
    {
        var e = Assert.Throws<UnsafePickleException>(() => PthReader.UnpickleRestricted(EvalP4, "evil4.pkl"))!;
        Assert.That(e.Global, Is.EqualTo("builtins.eval"));
    }

    [Test]
    public void AllowsPlainData()
    {
        // {'a': [1, 2.5]} protocol 2.
        var p = Convert.FromHexString("80027d710058010000006171015d7102284b0147400400000000000065732e");
        var o = PthReader.UnpickleRestricted(p, "ok.pkl");
        Assert.That(o, Is.InstanceOf<System.Collections.IDictionary>());
    }

    [Test]
    public void RefusesEvilPickleInsideAZip()
    {
        var path = Path.Combine(Path.GetTempPath(), "rs-evil-" + Guid.NewGuid().ToString("N") + ".pth");
        try
        {
            using (var zip = ZipFile.Open(path, ZipArchiveMode.Create))
            {
                using var s = zip.CreateEntry("archive/data.pkl").Open();
                s.Write(OsSystemP2);
            }
            var e = Assert.Throws<UnsafePickleException>(() => PthReader.ReadStateDict(path, Device.Cpu, out _))!;
            Assert.That(e.Message, Does.Contain(path).And.Contain("os.system"));
        }
        finally { File.Delete(path); }
    }

    [Test]
    public void NonZipFileIsExplained()
    {
        var path = Path.Combine(Path.GetTempPath(), "rs-legacy-" + Guid.NewGuid().ToString("N") + ".pth");
        File.WriteAllBytes(path, OsSystemP2);
        try
        {
            Assert.That(Assert.Throws<InvalidDataException>(() => PthReader.ReadStateDict(path, Device.Cpu, out _))!.Message,
                Does.Contain("not a zip-format PyTorch checkpoint"));
        }
        finally { File.Delete(path); }
        Assert.Throws<FileNotFoundException>(() => PthReader.ReadStateDict("/nonexistent/x.pth", Device.Cpu, out _));
    }

    [Test]
    public void ImportsStrictlyAndDeploys()
    {
        using var m = PthImport.Load(TorchData.Pth("psp_ddcat"), TorchData.Config("psp_ddcat"), Device.Cpu, deploy: false, out var info);
        Assert.That(m, Is.InstanceOf<PSPNetDdcat>());
        Assert.That(info["epoch"], Is.EqualTo("3"));
        using var d = PthImport.Load(TorchData.Pth("psp_ddcat"), TorchData.Config("psp_ddcat"), Device.Cpu, deploy: true, out _);
        Assert.That(d, Is.InstanceOf<PSPNet>());
        Assert.That(d.StateDict()["cls.4.bias"].ToArray(), Is.EqualTo(m.StateDict()["cls1.4.bias"].ToArray()));
        Assert.That(d.StateDict()["aux.0.weight"].ToArray(), Is.EqualTo(m.StateDict()["aux_cls1.0.weight"].ToArray()));
        Assert.That(d.StateDict()["layer3.1.bn2.running_var"].ToArray(), Is.EqualTo(m.StateDict()["layer3.1.bn2.running_var"].ToArray()));
    }

    [Test]
    public void MismatchesAreListed()
    {
        var cfg = TorchData.Config("psp");
        var e = Assert.Throws<StateDictMismatchException>(() => PthImport.Load(TorchData.Pth("psp"), cfg with { Classes = 6 }, Device.Cpu, false, out _))!;
        Assert.That(e.MisShaped, Has.Count.EqualTo(4));
        Assert.That(e.MisShaped, Has.Some.StartsWith("cls.4.weight: expected [6, 32, 1, 1], got [5, 32, 1, 1]"));
        var e2 = Assert.Throws<StateDictMismatchException>(() => PthImport.Load(TorchData.Pth("psp"), cfg with { Arch = "aspp" }, Device.Cpu, false, out _))!;
        Assert.That(e2.Missing, Has.Some.StartsWith("aspp.convs.0.0.weight"));
        Assert.That(e2.Unexpected, Has.Some.StartsWith("ppm.features.0.1.weight"));
        Assert.That(Assert.Throws<InvalidDataException>(() => PthImport.Load(TorchData.Pth("psp_ddcat"), cfg, Device.Cpu, false, out _))!.Message,
            Does.Contain("--ddcat"));
        Assert.That(Assert.Throws<InvalidDataException>(() => PthImport.Load(TorchData.Pth("psp"), cfg with { Ddcat = true }, Device.Cpu, false, out _))!.Message,
            Does.Contain("drop --ddcat"));
    }
}
