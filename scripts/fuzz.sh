#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz (clang, ASan + UBSan) into build-fuzz/ and runs each
# for a bounded time: scripts/fuzz.sh [SECONDS_PER_TARGET] (default 30). Prints each target's
# executions; a crash, leak, sanitizer finding or timeout fails the script, and its input is kept
# in build-fuzz/findings/ (and printed as base64 when small, so a CI log can reproduce it).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
build=build-fuzz

cmake -S tests/fuzz -B "$build" -G Ninja -DCMAKE_C_COMPILER=clang-14 -DCMAKE_CXX_COMPILER=clang++-14 >/dev/null
cmake --build "$build" --parallel "$(nproc)"

# Seed corpora from the repository's own files. The checkpoint target's first byte picks the parser
# (see checkpoint_fuzz.cpp): 0 the whole loader, 1 a bare pickle, 2 a bare safetensors JSON header.
seeds="$build/seeds"
rm -rf "$seeds" && mkdir -p "$seeds"/{checkpoint,config,image}
for f in tests/golden/loader/*.pt tests/golden/mc.pt tests/golden/seed_noise.pt; do
  (printf '\x00'; cat "$f") > "$seeds/checkpoint/$(basename "$f")"
done
printf '\x02{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"k":"v"}}' \
  > "$seeds/checkpoint/header.json"
for f in resources/configs/*.yaml resources/configs/demo/*.yaml tests/golden/*.yaml; do
  cp "$f" "$seeds/config/${f//\//_}"
done
cp tests/fuzz/seeds/image/* tests/fixtures/jpeg/*.jpg "$seeds/image/"  # fixtures: past findings too

mkdir -p "$build/findings"
printf '%-18s %12s %10s\n' target executions exec/s
failed=0
for target in checkpoint config image; do
  corpus="$build/corpus/$target"
  mkdir -p "$corpus"
  log="$build/$target.log"
  if "$build/${target}_fuzz" -max_total_time="$seconds" -max_len=65536 -rss_limit_mb=3072 -timeout=20 \
      -print_final_stats=1 -artifact_prefix="$build/findings/$target-" "$corpus" "$seeds/$target" >"$log" 2>&1; then
    status=""
  else
    status="  FAILED (log: $log)"
    failed=1
  fi
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  printf '%-18s %12s %10s%s\n' "${target}_fuzz" "${runs:-?}" "${rate:-?}" "$status"
done

if ((failed)); then
  for log in "$build"/*.log; do
    grep -q -E "ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|runtime error|SUMMARY" "$log" || continue
    echo "---- $log"; tail -n 60 "$log"
  done
  for finding in "$build"/findings/*; do
    [[ -f "$finding" ]] || continue
    echo "---- finding $finding ($(stat -c %s "$finding") bytes)"
    if (($(stat -c %s "$finding") <= 4096)); then base64 -w 0 "$finding"; echo; fi
  done
  exit 1
fi
