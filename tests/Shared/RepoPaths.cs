namespace RobustSeg.Tests;

/// <summary>Shared by the test projects (linked into each): the repository root (the folder holding RobustSeg.sln), found from the test binaries.</summary>
public static class RepoPaths
{
    public static string Root { get; } = Find();

    static string Find()
    {
        var d = new DirectoryInfo(AppContext.BaseDirectory);
        while (d != null && !File.Exists(Path.Combine(d.FullName, "RobustSeg.sln"))) d = d.Parent;
        return d?.FullName ?? throw new InvalidOperationException("RobustSeg.sln not found above " + AppContext.BaseDirectory);
    }
}
