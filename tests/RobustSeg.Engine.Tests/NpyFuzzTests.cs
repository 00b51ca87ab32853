using RobustSeg.Engine.IO;
using RobustSeg.Tests;

namespace RobustSeg.Engine.Tests;

/// <summary>The shared fuzz (tests/Shared/FileFuzz.cs) on .npy arrays (written by `attack --save-npy`, read by the
/// tests' reference data and by tools): each mutation reads the original array or is refused with an
/// InvalidDataException naming the file; the header's shape is checked against the bytes present before the data is
/// allocated, so a load allocates at most 2 doubles per float in the file + 1 MiB.</summary>
public class NpyFuzzTests
{
    [Test]
    public void DamagedNpyReadsCorrectlyOrFailsNamingTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("rs-npyfuzz-").FullName;
        try
        {
            var good = Path.Combine(dir, "a.npy");
            var values = Enumerable.Range(0, 2 * 3 * 5 * 7).Select(i => i * 0.5f).ToArray();
            Npy.Write(good, values, [2, 3, 5, 7]);
            var bytes = File.ReadAllBytes(good);
            var mutations = FileMutations.Standard(bytes.Length, 51, [6, 8, 10, 64])
                .Concat(FileMutations.Inflate32At("header-length", [8]))
                .Append(FileMutations.Replace("shape-huge", "(2, 3, 5, 7)", "(2000000000, 2000000000)"))
                .Append(FileMutations.Replace("shape-negative", "(2, 3, 5, 7)", "(2, -3, 5, 7)"))
                .Append(FileMutations.Replace("descr", "'<f4'", "'<c8'"));
            var run = new FuzzRun(dir, ".npy").Run(bytes, mutations, path =>
            {
                var a = Npy.Read(path);
                // A flip in the header's padding or in a value can still read: the shape must be the original one.
                return a.Shape.SequenceEqual(new[] { 2, 3, 5, 7 }) ? null : $"shape ({string.Join(", ", a.Shape)})";
            }, 16L * bytes.Length + (1 << 20));
            Assert.That(run.Failures, Is.Empty, run.ToString());
        }
        finally { Directory.Delete(dir, true); }
    }
}
