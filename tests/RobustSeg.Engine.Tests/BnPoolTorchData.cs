using RobustSeg.Engine.IO;

namespace RobustSeg.Engine.Tests;

/// <summary>Helpers for the stored PyTorch values of scripts/gen_bnpool_reference.py.</summary>
static class BnPoolTorchData
{
    public static Dictionary<string, NpyArray> Load(string file) =>
        Npy.ReadNpz(Path.Combine(TestContext.CurrentContext.TestDirectory, "Data", "torch", file));

    /// <summary>Case names of an npz whose keys are "case.array".</summary>
    public static IEnumerable<string> Cases(string file) =>
        Load(file).Keys.Select(k => k[..k.IndexOf('.')]).Distinct().OrderBy(k => k, StringComparer.Ordinal);

    /// <summary>((i*mul + add) % 1009) / 504.5 - 1 + offset: the script's pattern(), exact in float32.</summary>
    public static float[] Pattern(int n, long mul, long add, double offset) =>
        Enumerable.Range(0, n).Select(i => (float)((i * mul + add) % 1009 / 504.5 - 1.0 + offset)).ToArray();

    public static double Rel(float[] a, float[] b) => InterpolateTests.Rel(a, b);

    public static void Close(float[] got, float[] want, double tol, string what) =>
        Assert.That(Rel(got, want), Is.LessThanOrEqualTo(tol), what);

    public static float[] Every(float[] a, int step) => a.Where((_, i) => i % step == 0).ToArray();
}
