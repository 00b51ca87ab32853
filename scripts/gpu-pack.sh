#!/usr/bin/env bash
# Packs what scripts/gpu-check.sh needs on a GPU machine that has no .NET SDK and no NuGet access (a lent
# machine with only the NVIDIA driver and PyTorch): run it here, then carry `.gpu` with the working tree.
#   bash scripts/gpu-pack.sh
# Writes (git-ignored):
#   .gpu/app/                      the framework-dependent `robustseg` build (dotnet publish -c Release)
#   .gpu/dotnet-runtime.tar.xz     this SDK's `dotnet` host and Microsoft.NETCore.App runtime, nothing else
#                                  (uncompressed it is ~80 MB, over a 64 MiB transfer limit; xz brings it to ~25)
# gpu-check.sh uses them when `dotnet` is not on PATH (or GPU_CHECK_PREBUILT=1): it unpacks the runtime into
# a temporary folder and runs .gpu/app/robustseg.dll instead of building.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
command -v dotnet >/dev/null || { echo "gpu-pack: dotnet (the .NET 10 SDK) is needed here" >&2; exit 1; }
root=$(dirname "$(readlink -f "$(command -v dotnet)")")
ver=$(dotnet --list-runtimes | awk '$1 == "Microsoft.NETCore.App" { v = $2 } END { print v }')
[ -n "$ver" ] && [ -d "$root/shared/Microsoft.NETCore.App/$ver" ] || { echo "gpu-pack: no Microsoft.NETCore.App runtime under $root" >&2; exit 1; }
fxr=$(ls "$root/host/fxr" | sort -V | tail -n 1)

rm -rf .gpu/app
mkdir -p .gpu
# One runtime identifier: the native assets of other platforms (SkiaSharp ships ~15) would not fit a transfer.
dotnet publish src/RobustSeg.Cli -c Release -r linux-x64 --self-contained false -o .gpu/app --nologo -v quiet
tar -C "$root" -cf - dotnet "host/fxr/$fxr" "shared/Microsoft.NETCore.App/$ver" | xz -T0 -6 >.gpu/dotnet-runtime.tar.xz.tmp
mv .gpu/dotnet-runtime.tar.xz.tmp .gpu/dotnet-runtime.tar.xz
echo "gpu-pack: .gpu/app ($(du -sh .gpu/app | cut -f1)), .gpu/dotnet-runtime.tar.xz ($(du -sh .gpu/dotnet-runtime.tar.xz | cut -f1), runtime $ver)"
