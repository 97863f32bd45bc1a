#!/usr/bin/env bash
# Data-parallel training throughput on one host: 1, 2 and 4 ranks of train-encoder (the demo
# transmitter, procedural primitives), one thread each, per-rank batch fixed (weak scaling).
# Prints samples/s over the timed steps (loss.csv's seconds column, after warm-up steps) and each
# rank's gradient-averaging time per step. Usage: bench/tools/data_parallel_scaling.sh [build/app/shape-cli]
set -euo pipefail
cli=${1:-build/app/shape-cli}
batch=${BATCH:-4} steps=${STEPS:-40} skip=${SKIP:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# samples/s between logged step $skip and the last step, from rank 0's loss.csv.
throughput() {  # loss.csv global-batch
  awk -F, -v skip="$skip" -v batch="$2" 'NR > 1 && $1 == skip { t0 = $2 } NR > 1 { t = $2; s = $1 }
    END { printf "%.2f", (s - skip) * batch / (t - t0) }' "$1"
}

printf '%-6s %-14s %-12s %s\n' ranks "global batch" "samples/s" "allreduce ms/step (per rank)"
for world in 1 2 4; do
  port=$((29500 + RANDOM % 1000))
  for ((rank = 0; rank < world; rank++)); do
    # One thread per process: hardware threads / LOCAL_WORLD_SIZE (2 for the single process).
    env_vars=(LOCAL_WORLD_SIZE=2)
    if ((world > 1)); then
      env_vars=(RANK=$rank WORLD_SIZE=$world LOCAL_RANK=$rank LOCAL_WORLD_SIZE=$world MASTER_ADDR=127.0.0.1
                MASTER_PORT=$port)
    fi
    env "${env_vars[@]}" "$cli" train-encoder --out "$work/w$world" --steps "$steps" --batch "$batch" \
      --log-every 1 --checkpoint-every 100000 > "$work/w$world.r$rank.log" 2>&1 &
  done
  wait
  averaging=$(grep -ho 'averaging gradients: [0-9.]* ms' "$work"/w$world.r*.log | awk '{print $3}' | paste -sd/ - || true)
  printf '%-6s %-14s %-12s %s\n' "$world" "$((batch * world))" "$(throughput "$work/w$world/loss.csv" $((batch * world)))" \
    "${averaging:--}"
done
