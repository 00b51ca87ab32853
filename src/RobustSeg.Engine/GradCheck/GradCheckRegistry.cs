using System.Reflection;

namespace RobustSeg.Engine.GradChecks;

public static class GradCheckRegistry
{
    static List<GradCheckCase>? _all;

    /// <summary>Every case from every [GradCheckCases] provider in the engine assembly.</summary>
    public static IReadOnlyList<GradCheckCase> All
    {
        get
        {
            if (_all is not null) return _all;
            var list = new List<GradCheckCase>();
            foreach (var t in typeof(GradCheckRegistry).Assembly.GetTypes())
            foreach (var m in t.GetMethods(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic))
                if (m.GetCustomAttribute<GradCheckCasesAttribute>() is not null)
                    list.AddRange((IEnumerable<GradCheckCase>)m.Invoke(null, null)!);
            list.Sort((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()));
            return _all = list;
        }
    }

    public static IEnumerable<string> Ops => All.Select(c => c.Op).Distinct();

    /// <summary>Cases of one op ("all" for every op). Unknown names are an error listing the known ones.</summary>
    public static IReadOnlyList<GradCheckCase> ForOp(string op)
    {
        if (op == "all") return All;
        var r = All.Where(c => c.Op == op).ToList();
        if (r.Count == 0) throw new UserInputException($"no gradient check for op '{op}'; known ops: {string.Join(", ", Ops)}");
        return r;
    }
}
