using System.Reflection;
using ILGPU;
using RobustSeg.Kernels;

namespace RobustSeg.Engine.Tests.Ptx;

/// <summary>Finds every ILGPU kernel of RobustSeg.Kernels by reflection, so a new kernel is covered by
/// the PTX compile test without registering it. Implicitly grouped: public static void methods whose
/// first parameter is an ILGPU index type. Explicitly grouped: public static void methods of a
/// *Kernels class without an index parameter (they read Grid/Group themselves, e.g. GemmKernels.Tiled).
/// The kernels take their arguments as one struct and none is generic (an open generic kernel would
/// need closing over the engine's op structs; the test fails on one so that is not silently skipped).</summary>
public static class KernelEnumerator
{
    public sealed record KernelEntry(MethodInfo Method, bool Explicit)
    {
        public string Name => $"{Method.DeclaringType!.Name}.{Method.Name}";
    }

    static readonly Type[] IndexTypes = [typeof(Index1D), typeof(Index2D), typeof(Index3D)];

    public static IReadOnlyList<KernelEntry> All()
    {
        var list = new List<KernelEntry>();
        foreach (var t in typeof(GemmKernels).Assembly.GetTypes().Where(t => t.IsPublic && t.IsAbstract && t.IsSealed))
            foreach (var m in t.GetMethods(BindingFlags.Public | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                if (m.ReturnType != typeof(void)) continue;
                var ps = m.GetParameters();
                bool indexed = ps.Length > 0 && IndexTypes.Contains(ps[0].ParameterType);
                if (indexed) list.Add(new KernelEntry(m, false));
                else if (t.Name.EndsWith("Kernels", StringComparison.Ordinal)) list.Add(new KernelEntry(m, true));
            }
        return list.OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
    }
}
