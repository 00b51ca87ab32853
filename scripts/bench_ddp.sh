#!/usr/bin/env bash
# Data-parallel scaling on this machine (issue 14, item 6; a benchmark, not a test): 1 rank vs 2 ranks of ONE
# core each (ROBUSTSEG_THREADS=1), same global batch, on the synthetic PSPNet-ResNet18x0.25 at 65x65:
#   - training: seconds per iteration (median over iterations 2..), images/s, rank 0's share of time in collectives
#   - test: images/s of `test` under a 10-step PGD (wall time of the command, start-up included)
#   - the group's float sum (reduce + broadcast) bandwidth over 256 KB .. 64 MB
# Writes runs/bench-ddp/report.md. Needs a Release build (dotnet build RobustSeg.sln -c Release) and Open MPI.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$(pwd)
DLL=$ROOT/src/RobustSeg.Cli/bin/Release/net10.0/robustseg.dll
PROBE=$ROOT/tests/RobustSeg.Distributed.Probe/bin/Release/net10.0/RobustSeg.Distributed.Probe.dll
WORK=$ROOT/runs/bench-ddp
ITERS_EPOCHS=${BENCH_DDP_EPOCHS:-2}
MPI="mpirun --allow-run-as-root --oversubscribe -x ROBUSTSEG_THREADS=1 -x TERM=dumb"
rm -rf "$WORK"; mkdir -p "$WORK"; cd "$WORK"
dotnet "$DLL" data synth --out data --train 32 --val 16 --size 65 --seed 7 >/dev/null
CFG=$ROOT/config/synthetic/synthetic_psp18_nodefense.yaml
SETS="--set data_root=data --set batch_size=8 --set epochs=$ITERS_EPOCHS --set save_freq=$ITERS_EPOCHS --set print_freq=100 --set workers=0 --set backbone_weights="

median_iter() { # seconds column of train_log.csv, iterations 2.. (the first pays the JIT)
  awk -F, 'NR>2 {print $9}' "$1" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'
}
now() { date +%s.%N; }

for n in 1 2; do
  $MPI -np $n dotnet "$DLL" train --config "$CFG" $SETS --set sync_bn=True --set save_path=train_n$n --device cpu >"train_n$n.log" 2>&1
  t0=$(now)
  $MPI -np $n dotnet "$DLL" test --config "$CFG" --set data_root=data --checkpoint train_n$n/train_epoch_$ITERS_EPOCHS.safetensors \
    --attack pgd --steps 10 --eps 8/255 --no-images --save-dir test_n$n --device cpu >"test_n$n.log" 2>&1
  t1=$(now)
  echo "$t0 $t1" >"test_n$n.time"
done
$MPI -np 2 dotnet "$DLL" train --config "$CFG" $SETS --set sync_bn=False --set save_path=train_n2_local --device cpu >train_n2_local.log 2>&1
$MPI -np 2 dotnet "$PROBE" bandwidth >bandwidth.csv 2>bandwidth.err

s1=$(median_iter train_n1/train_log.csv); s2=$(median_iter train_n2/train_log.csv); s3=$(median_iter train_n2_local/train_log.csv)
w1=$(awk '{print $2-$1}' test_n1.time); w2=$(awk '{print $2-$1}' test_n2.time)
comm=$(grep -ao 'collectives ([0-9.]* %)' train_n2.log | grep -o '[0-9.]* %' || echo "?")
comm3=$(grep -ao 'collectives ([0-9.]* %)' train_n2_local.log | grep -o '[0-9.]* %' || echo "?")
{
  echo "# Data-parallel scaling, $(date -u +%F) ($(nproc) cores, machine shared with other jobs: numbers are disturbed)"
  echo
  echo "| run | 1 rank x 1 core | 2 ranks x 1 core | speed-up |"
  echo "|---|---|---|---|"
  awk -v a="$s1" -v b="$s2" 'BEGIN {printf "| train iteration (global batch 8, 65x65, sync_bn), s | %.3f | %.3f | %.2fx |\n", a, b, a/b}'
  awk -v a="$s1" -v b="$s2" 'BEGIN {printf "| train images/s | %.2f | %.2f | |\n", 8/a, 8/b}'
  awk -v a="$s1" -v b="$s3" 'BEGIN {printf "| train iteration, 2 ranks with sync_bn False, s | %.3f | %.3f | %.2fx |\n", a, b, a/b}'
  awk -v a="$w1" -v b="$w2" 'BEGIN {printf "| test, PGD-10, 16 images: images/s (wall, start-up included) | %.2f | %.2f | %.2fx |\n", 16/a, 16/b, a/b}'
  echo
  echo "Rank 0's time in collectives during training with 2 ranks: $comm with sync_bn, $comm3 without (gradients, sync_bn statistics, log record; waits for the other rank included). Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "Float sum (reduce to rank 0 + broadcast) between 2 ranks on this machine:"
  echo
  echo '```'; cat bandwidth.csv; echo '```'
} >report.md
cat report.md
