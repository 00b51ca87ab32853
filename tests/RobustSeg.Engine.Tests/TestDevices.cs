using RobustSeg.Engine;

namespace RobustSeg.Engine.Tests;

/// <summary>The devices every op is tested on (CI has no GPU: cuda runs through `robustseg gradcheck`).</summary>
public static class TestDevices
{
    public static readonly string[] Names = ["cpu", "ilgpu-cpu"];
    public static Device Get(string name) => Device.Get(name);
}
