using System.Text.RegularExpressions;
using ILGPU.Runtime.Cuda;
using RobustSeg.Kernels;

namespace RobustSeg.Engine.Tests.Ptx;

/// <summary>Issue 13 item 6: every kernel compiles through ILGPU's PTX backend for sm_80 and sm_90
/// without a GPU. ROBUSTSEG_UPDATE_PTX_MANIFEST=1 rewrites the stored manifest; otherwise the kernel
/// list, entry kind, .target and shared-memory declarations must match it (PTX sizes are reported only,
/// since any kernel edit changes them).</summary>
[TestFixture]
public sealed class PtxCompileTests
{
    const string ManifestRelative = "kernels/RobustSeg.Kernels/ptx-manifest.csv";
    static readonly (string Name, CudaArchitecture Arch)[] Archs = [("sm_80", CudaArchitecture.SM_80), ("sm_90", CudaArchitecture.SM_90)];

    static string RepoRoot() => RobustSeg.Tests.RepoPaths.Root;

    [Test]
    public void Enumerator_FindsNoOpenGenericKernels()
    {
        var open = KernelEnumerator.All().Where(k => k.Method.ContainsGenericParameters).Select(k => k.Name).ToList();
        Assert.That(open, Is.Empty, "generic kernels need closing over the engine's op structs in the PTX test");
    }

    /// <summary>Guards the enumeration rule: every Kernels-class method the engine launches is found.</summary>
    [Test]
    public void Enumerator_CoversEveryKernelTheEngineLaunches()
    {
        var found = KernelEnumerator.All().Select(k => k.Name).ToHashSet();
        var types = typeof(GemmKernels).Assembly.GetTypes().Where(t => t.IsPublic).ToDictionary(t => t.Name);
        var engine = Path.Combine(RepoRoot(), "src", "RobustSeg.Engine");
        var used = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(engine, "*.cs", SearchOption.AllDirectories))
            foreach (Match m in Regex.Matches(File.ReadAllText(file), @"\b(\w+Kernels)\.(\w+)\s*,"))
                if (types.TryGetValue(m.Groups[1].Value, out var t) && t.GetMethod(m.Groups[2].Value) is { } mi && mi.ReturnType == typeof(void))
                    used.Add($"{t.Name}.{mi.Name}");
        Assert.That(used, Is.Not.Empty, "the scan of the engine's launches found nothing: the pattern is stale");
        Assert.That(used.Where(u => !found.Contains(u)), Is.Empty, "kernels launched by the engine but missed by KernelEnumerator");
    }

    [Test]
    public void EveryKernel_CompilesToPtx_ForSm80AndSm90()
    {
        var kernels = KernelEnumerator.All();
        Assert.That(kernels, Has.Count.GreaterThan(30), "kernel enumeration lost kernels");
        var rows = new List<PtxManifestRow>();
        var failures = new List<string>();
        foreach (var (name, arch) in Archs)
        {
            // A failed compile can poison an ILGPU context (ilgpu-cpu.md section 1): a fresh one per arch,
            // and one more after each failure so later kernels are still judged on their own.
            var compiler = new PtxCompiler(arch);
            try
            {
                foreach (var k in kernels)
                {
                    try
                    {
                        var r = compiler.Compile(k);
                        Assert.That(r.Ptx, Does.Contain(".entry"), k.Name);
                        rows.Add(new PtxManifestRow(k.Name, k.Explicit ? "explicit" : "implicit", name, r.Target,
                            System.Text.Encoding.UTF8.GetByteCount(r.Ptx), r.Shared.Sum(s => s.Bytes),
                            string.Join(' ', r.Shared.Select(s => $"{s.Bytes}B@{s.Align}"))));
                    }
                    catch (Exception e) when (e is not AssertionException)
                    {
                        failures.Add($"{k.Name} ({name}): {e.GetType().Name}: {e.Message}");
                        compiler.Dispose();
                        compiler = new PtxCompiler(arch);
                    }
                }
            }
            finally { compiler.Dispose(); }
        }
        Assert.That(failures, Is.Empty, "kernels that do not compile to PTX:\n" + string.Join('\n', failures));

        // The shared-memory kernel must keep its static shared tiles in the PTX.
        Assert.That(rows.Where(r => r.Kernel == "GemmKernels.Tiled").Select(r => r.SharedBytes), Is.All.GreaterThan(0));

        var path = Path.Combine(RepoRoot(), ManifestRelative);
        string fresh = PtxManifestRow.Format(rows);
        TestContext.Out.WriteLine($"{kernels.Count} kernels x {Archs.Length} architectures compiled to PTX");
        if (Environment.GetEnvironmentVariable("ROBUSTSEG_UPDATE_PTX_MANIFEST") == "1")
        {
            File.WriteAllText(path, fresh);
            TestContext.Out.WriteLine("wrote " + path);
            return;
        }
        Assert.That(File.Exists(path), Is.True, $"{ManifestRelative} missing: run with ROBUSTSEG_UPDATE_PTX_MANIFEST=1");
        var stored = PtxManifestRow.Read(path);
        var storedKeys = stored.Select(r => r.Key).ToList();
        var freshKeys = rows.Select(r => r.Key).ToList();
        Assert.That(freshKeys, Is.EqualTo(storedKeys),
            $"{ManifestRelative} is stale (kernel list, .target or shared memory changed): rerun with ROBUSTSEG_UPDATE_PTX_MANIFEST=1 and review the diff");
        foreach (var (s, f) in stored.Zip(rows).Where(p => p.First.PtxBytes != p.Second.PtxBytes))
            TestContext.Out.WriteLine($"PTX size changed: {f.Kernel} {f.Arch}: {s.PtxBytes} -> {f.PtxBytes}");
    }
}
