using NUnit.Framework;
using RobustSeg.Tests;

namespace RobustSeg.Config.Tests;

/// <summary>The shared fuzz (tests/Shared/FileFuzz.cs) on YAML configs: each mutation of a shipped config loads (a
/// changed value may still be valid: YAML has no checksum, the schema and validator are the check) or is refused with
/// a ConfigException naming the file; managed allocation per load stays under 64x the file's size + 4 MiB (YAML's
/// node tree).</summary>
public class ConfigFuzzTests
{
    [Test]
    public void DamagedConfigsLoadOrFailNamingTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("rs-cfgfuzz-").FullName;
        try
        {
            var bytes = File.ReadAllBytes(Path.Combine(RepoPaths.Root, "config", "synthetic", "synthetic_psp18_ddcat.yaml"));
            var mutations = FileMutations.Standard(bytes.Length, 41, flips: 40)
                .Append(FileMutations.Replace("tab-indent", "\n  ", "\n\t"))
                .Append(FileMutations.Replace("unclosed-flow", ":", ": [a"));
            var run = new FuzzRun(dir, ".yaml").Run(bytes, mutations, path =>
            {
                var cfg = ConfigLoader.Load(path);
                return cfg.Source == path ? null : "source not recorded";
            }, 64L * bytes.Length + (4 << 20));
            Assert.That(run.Failures, Is.Empty, run.ToString());
            Assert.That(run.Refused, Is.GreaterThan(0), run.ToString());
        }
        finally { Directory.Delete(dir, true); }
    }
}
