#!/usr/bin/env bash
# One prepared check of RobustSeg on a CUDA machine (one H100/H200, PyTorch with CUDA installed):
#   bash scripts/gpu-check.sh
# Preflight (nvidia-smi, a Release build or the .gpu pack, `robustseg info` listing a cuda device) fails fast
# with one message and exit 1. A machine without the .NET SDK (a lent GPU machine: driver and PyTorch only)
# runs what `bash scripts/gpu-pack.sh` packed into .gpu/ on a machine with the SDK: carry .gpu along. Then every step runs under its own timeout, all steps within GPU_CHECK_BUDGET seconds
# (default 480), each logged to runs/gpu-check/NN-name.log; a failed step is recorded and the next one runs.
# Writes gpu-check-report.md (command, exit code, wall time, last lines of output per step) in the repository
# root and exits 1 if any step failed or was skipped.
# Knobs, for reruns and for dry runs without a GPU (defaults are what a first run wants):
#   GPU_CHECK_DEVICE=cuda   our --device (cpu/ilgpu-cpu skip the GPU preflight; torch then runs on the CPU)
#   GPU_CHECK_BUDGET=480    seconds for all steps together (the build is not counted)
#   GPU_CHECK_ONLY=REGEX    run only the steps whose name matches (e.g. 'train|test'); synth runs when a train does
#   GPU_CHECK_PREBUILT=1    use the .gpu pack even where dotnet is installed (to try the pack here)
set -u
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$(pwd)
DEV=${GPU_CHECK_DEVICE:-cuda}
BUDGET=${GPU_CHECK_BUDGET:-480}
ONLY=${GPU_CHECK_ONLY:-}
WORK=runs/gpu-check
REPORT=$ROOT/gpu-check-report.md
DLL=$ROOT/src/RobustSeg.Cli/bin/Release/net10.0/robustseg.dll

die() { echo "gpu-check: $*" >&2; exit 1; }

# ---- preflight: fail fast, before spending machine time --------------------------------------------------
command -v timeout >/dev/null 2>&1 || die "coreutils 'timeout' not found; nothing was run"
if [ "$DEV" = cuda ]; then
    command -v nvidia-smi >/dev/null 2>&1 || die "nvidia-smi not found: this is not a CUDA machine (no NVIDIA driver); nothing was run"
    nvidia-smi -L >/dev/null 2>&1 || die "nvidia-smi finds no GPU (driver not loaded?); nothing was run"
fi
mkdir -p "$WORK" || die "cannot create $WORK"
rm -f "$WORK"/*.log

# Without the SDK (a lent GPU machine has only the driver and PyTorch), run what scripts/gpu-pack.sh packed.
PACK=$ROOT/.gpu
if [ "${GPU_CHECK_PREBUILT:-0}" = 1 ] || ! command -v dotnet >/dev/null 2>&1; then
    [ -f "$PACK/dotnet-runtime.tar.xz" ] && [ -f "$PACK/app/robustseg.dll" ] ||
        die "dotnet not found on PATH and no .gpu pack: install the .NET 10 SDK, or run 'bash scripts/gpu-pack.sh' on a machine that has it and bring .gpu along; nothing was run"
    if [ "${GPU_CHECK_PREBUILT:-0}" = 1 ] && command -v dotnet >/dev/null 2>&1; then
        echo "gpu-check: GPU_CHECK_PREBUILT=1: using the .gpu pack instead of building" >&2
    fi
    rt=${TMPDIR:-/tmp}/robustseg-dotnet
    rm -rf "$rt" && mkdir -p "$rt" || die "cannot create $rt"
    if command -v xz >/dev/null 2>&1; then tar -C "$rt" -xJf "$PACK/dotnet-runtime.tar.xz"
    else python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$PACK/dotnet-runtime.tar.xz" "$rt"
    fi || die "cannot unpack $PACK/dotnet-runtime.tar.xz"
    export DOTNET_ROOT=$rt PATH=$rt:$PATH
    # The runtime wants ICU for cultures; we format with the invariant culture only.
    ldconfig -p 2>/dev/null | grep -q libicuuc || export DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1
    DLL=$PACK/app/robustseg.dll
    build_rc=0; build_s=0; BUILD_NOTE="prebuilt by scripts/gpu-pack.sh (no build here)"
else
    echo "gpu-check: building (dotnet build RobustSeg.sln -c Release, log $WORK/00-build.log)" >&2
    build_t0=$(date +%s)
    timeout --kill-after=15 600 dotnet build RobustSeg.sln -c Release >"$WORK/00-build.log" 2>&1
    build_rc=$?
    build_s=$(( $(date +%s) - build_t0 ))
    if [ $build_rc -ne 0 ]; then
        tail -n 30 "$WORK/00-build.log" >&2
        die "dotnet build RobustSeg.sln -c Release failed (exit $build_rc, log $WORK/00-build.log)"
    fi
    BUILD_NOTE="\`dotnet build RobustSeg.sln -c Release\` exit $build_rc in ${build_s}s"
fi
[ -f "$DLL" ] || die "$DLL is missing"
RS=(dotnet "$DLL")
# scripts/bench_model.py runs this same build rather than `dotnet run`.
export ROBUSTSEG_DLL=$DLL
# cuBLAS (our CUDA GEMM) and NCCL from the CUDA toolkit or PyTorch's wheels (nvidia-*) when the loader has none.
for lib in 'libcublas.so.1[0-9]' 'libnccl.so.2'; do
    if ! ldconfig -p 2>/dev/null | grep -q "${lib%%.so*}\.so"; then
        found=$(find /usr/local /usr/lib /opt -name "$lib" -print -quit 2>/dev/null)
        [ -n "$found" ] && export LD_LIBRARY_PATH=$(dirname "$found")${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
    fi
done

if [ "$DEV" = cuda ]; then
    info=$(timeout 60 "${RS[@]}" info 2>&1) || { echo "$info" >&2; die "robustseg info failed"; }
    echo "$info" | grep -q '^auto picks: cuda' || { echo "$info" >&2; die "robustseg info lists no cuda device (ILGPU finds no CUDA device or libcuda); nothing was run"; }
fi

# The python that imports torch with CUDA (or, for a dry run on cpu, any torch).
PY=""
for p in /usr/bin/python3 python3; do
    if [ "$DEV" = cuda ]; then probe='import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'
    else probe='import torch'; fi
    if command -v "$p" >/dev/null 2>&1 && "$p" -c "$probe" >/dev/null 2>&1; then PY=$(command -v "$p"); break; fi
done

# ---- steps --------------------------------------------------------------------------------------------------
T_START=$(date +%s)
DEADLINE=$(( T_START + BUDGET ))
N=0; FAILED=0
declare -a R_NAME R_CMD R_RC R_WALL R_LOG R_NOTE

# step NAME TIMEOUT_S CMD...: runs CMD under min(TIMEOUT_S, what is left of the budget), logs stdout+stderr.
step() {
    local name=$1 limit=$2; shift 2
    if [ -n "$ONLY" ] && ! [[ $name =~ $ONLY ]]; then return 0; fi
    N=$((N + 1))
    local log; log=$(printf '%s/%02d-%s.log' "$WORK" "$N" "$name")
    local left=$(( DEADLINE - $(date +%s) ))
    R_NAME[$N]=$name; R_CMD[$N]="$*"; R_LOG[$N]=$log; R_NOTE[$N]=""
    if [ $left -lt 5 ]; then
        R_RC[$N]=skipped; R_WALL[$N]=0; R_NOTE[$N]="skipped: the ${BUDGET}s budget was spent"
        : >"$log"; FAILED=$((FAILED + 1))
        echo "gpu-check: [$N] $name skipped (budget spent)" >&2
        return 0
    fi
    [ "$limit" -gt "$left" ] && limit=$left
    echo "gpu-check: [$N] $name (timeout ${limit}s): $*" >&2
    local t0; t0=$(date +%s.%N)
    { echo "\$ $*"; timeout --kill-after=10 "$limit" "$@"; } >"$log" 2>&1
    local rc=$?
    R_RC[$N]=$rc
    R_WALL[$N]=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then R_NOTE[$N]="timed out after ${limit}s"; fi
    [ $rc -ne 0 ] && FAILED=$((FAILED + 1))
    echo "gpu-check: [$N] $name exit $rc in ${R_WALL[$N]}s" >&2
}

# not_run NAME WHY: a step that cannot start (missing prerequisite), recorded as failed.
not_run() {
    if [ -n "$ONLY" ] && ! [[ $1 =~ $ONLY ]]; then return 0; fi
    N=$((N + 1)); R_NAME[$N]=$1; R_CMD[$N]="-"; R_RC[$N]="not run"; R_WALL[$N]=0; R_NOTE[$N]=$2
    R_LOG[$N]=$(printf '%s/%02d-%s.log' "$WORK" "$N" "$1"); echo "$2" >"${R_LOG[$N]}"
    FAILED=$((FAILED + 1)); echo "gpu-check: [$N] $1 not run: $2" >&2
}

DATA=$WORK/data
step info 20 "${RS[@]}" info
step gradcheck 120 "${RS[@]}" gradcheck --op all --device "$DEV"
step bench-gemm 25 "${RS[@]}" bench gemm --m 1024 --n 1024 --k 1024 --device "$DEV"
step bench-conv2d 30 "${RS[@]}" bench conv2d --device "$DEV"
step bench-batchnorm 20 "${RS[@]}" bench batchnorm --n 8 --c 256 --h 33 --w 33 --device "$DEV"
step bench-interpolate 20 "${RS[@]}" bench interpolate --n 2 --c 21 --h 29 --w 29 --oh 225 --ow 225 --device "$DEV"
step bench-model 60 "${RS[@]}" bench model --arch psp --layers 50 --classes 21 --size 225 --batch 1 --device "$DEV"
# NCCL on the GPU's buffers: a one-rank communicator summing PSPNet-50's gradient size (no MPI needed).
[ "$DEV" = cuda ] && step nccl-allreduce 40 "${RS[@]}" bench allreduce --backend nccl --device cuda
# The same with the ILGPU tiled GEMM instead of cuBLAS (the fallback where cuBLAS is absent).
step bench-model-ilgpu-gemm 60 env ROBUSTSEG_CUBLAS=0 "${RS[@]}" bench model --arch psp --layers 50 --classes 21 --size 225 --batch 1 --device "$DEV"
# Where a PSPNet-50 training iteration's time goes on the device (the engine's per-op profile).
step profile-train 90 "${RS[@]}" bench train --profile --regime ddcat --layers 50 --width 1 --size 225 --batch 2 --device "$DEV"
# The training and test steps need the data: synth runs whenever one of them does.
if [ -z "$ONLY" ] || [[ synth =~ $ONLY || train-nodefense =~ $ONLY || train-sat =~ $ONLY || train-ddcat =~ $ONLY || test =~ $ONLY || test-pgd =~ $ONLY || test-sea =~ $ONLY ]]; then
    rm -rf "$DATA"
    # 32 training images at batch 8: 4 iterations per epoch, enough to run every regime's step on the device.
    ONLY_SAVED=$ONLY; ONLY=""
    step synth 15 "${RS[@]}" data synth --out "$DATA" --train 32 --val 8
    ONLY=$ONLY_SAVED
fi
for regime in nodefense sat ddcat; do
    step "train-$regime" 35 "${RS[@]}" train --config "config/synthetic/synthetic_psp18_$regime.yaml" \
        --set "data_root=$DATA" --set epochs=1 --set save_freq=1 --set "save_path=$WORK/psp18_$regime/model" \
        --device "$DEV" --quiet
done
step test 30 "${RS[@]}" test --config config/synthetic/synthetic_psp18_ddcat.yaml --set "data_root=$DATA" \
    --checkpoint "$WORK/psp18_ddcat/model/train_epoch_1.safetensors" --save-dir "$WORK/psp18_ddcat/result" \
    --limit 4 --no-images --device "$DEV"
step test-pgd 40 "${RS[@]}" test --config config/synthetic/synthetic_psp18_ddcat.yaml --set "data_root=$DATA" \
    --checkpoint "$WORK/psp18_ddcat/model/train_epoch_1.safetensors" --save-dir "$WORK/psp18_ddcat/result-pgd" \
    --limit 4 --no-images --attack pgd --protocol strong --eps 8/255 --steps 10 --device "$DEV"
step test-sea 60 "${RS[@]}" test --config config/synthetic/synthetic_psp18_ddcat.yaml --set "data_root=$DATA" \
    --checkpoint "$WORK/psp18_ddcat/model/train_epoch_1.safetensors" --save-dir "$WORK/psp18_ddcat/result-sea" \
    --limit 2 --no-images --attack sea --steps 20 --eps 8/255 --device "$DEV"
if [ -n "$PY" ]; then
    # Float32 on both sides first (as ours computes); then torch with TF32 convolutions, its default on a GPU.
    step torch-model 70 "$PY" -u scripts/bench_model.py --arch psp --layers 50 --classes 21 --size 225 --batch 1 --device "$DEV"
    step torch-model-tf32 70 "$PY" -u scripts/bench_model.py --arch psp --layers 50 --classes 21 --size 225 --batch 1 --device "$DEV" --tf32
    step torch-model-aspp 70 "$PY" -u scripts/bench_model.py --arch aspp --layers 50 --classes 21 --size 225 --batch 1 --device "$DEV"
else
    not_run torch-model "no python (/usr/bin/python3, python3) imports torch$([ "$DEV" = cuda ] && echo ' with CUDA')"
fi

# ---- report -------------------------------------------------------------------------------------------------
total=$(( $(date +%s) - T_START ))
{
    echo "# gpu-check report"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M:%S UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), device \`$DEV\`"
    echo
    if command -v nvidia-smi >/dev/null 2>&1; then
        echo '```'; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 | head -n 5; echo '```'; echo
    fi
    echo "Build: $BUILD_NOTE. Steps: $N, failed or not run: $FAILED, ${total}s of the ${BUDGET}s budget. Python: ${PY:-none}."
    echo
    echo "| # | step | exit | wall s | note |"
    echo "|---|---|---|---:|---|"
    for i in $(seq 1 $N); do echo "| $i | ${R_NAME[$i]} | ${R_RC[$i]} | ${R_WALL[$i]} | ${R_NOTE[$i]} |"; done
    for i in $(seq 1 $N); do
        echo
        echo "## $i. ${R_NAME[$i]}: exit ${R_RC[$i]}, ${R_WALL[$i]} s${R_NOTE[$i]:+ (${R_NOTE[$i]})}"
        echo
        echo '```'
        echo "${R_CMD[$i]}"
        echo '```'
        echo
        echo "Last lines (full log: ${R_LOG[$i]}):"
        echo
        echo '```'
        tail -n 25 "${R_LOG[$i]}" 2>/dev/null | cut -c1-300
        echo '```'
    done
} >"$REPORT"
echo "gpu-check: $N steps, $FAILED failed or not run, ${total}s; report $REPORT" >&2
[ $FAILED -eq 0 ]
