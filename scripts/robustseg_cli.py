"""How the bench scripts run our CLI: the Release build's robustseg.dll through `dotnet`, built once per script run.

`dotnet run` builds on every call and leaves MSBuild nodes and the compiler server busy for seconds afterwards; on a
2-core machine that read as a no-defence training iteration of 470 ms instead of 290. So: build once without node
reuse, shut the build servers down, then run the dll. ROBUSTSEG_DLL (set by gpu-check.sh) runs a given build instead."""
import os
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DLL = os.path.join(ROOT, "src", "RobustSeg.Cli", "bin", "Release", "net10.0", "robustseg.dll")
_built = False


def command(build=True):
    """["dotnet", <dll>]: the arguments before `bench ...`; build=False uses the existing Release build."""
    global _built
    given = os.environ.get("ROBUSTSEG_DLL")
    if given:
        return ["dotnet", given]
    if build and not _built:
        subprocess.run(["dotnet", "build", "-c", "Release", "-nodeReuse:false", os.path.join(ROOT, "src", "RobustSeg.Cli")],
                       check=True, capture_output=True)
        subprocess.run(["dotnet", "build-server", "shutdown"], capture_output=True)
        _built = True
    if not os.path.exists(DLL):
        raise SystemExit(f"{DLL} is missing: dotnet build RobustSeg.sln -c Release first")
    return ["dotnet", DLL]
