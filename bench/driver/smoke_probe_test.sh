#!/usr/bin/env bash
# The smoke check's reading of bench-placement-probe (bench_smoke_probe in
# smoke.sh) passes where the probe can measure (two usable CPUs) and is
# skipped, not failed, where this process may use one CPU only (a 1-CPU
# runner, or taskset), where the probe has nothing to measure and exits 1.
# Usage: smoke_probe_test.sh BENCH_BIN_DIR
set -u
driver_dir=$(cd "$(dirname "$0")" && pwd)
export BENCH_BIN_DIR=$1 driver_dir
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

smoke_probe() {
  # shellcheck disable=SC2016  # expanded by the inner bash
  "$@" bash -c 'source "$driver_dir/run_trial.sh"; source "$driver_dir/thread_counts.sh"
                source "$driver_dir/smoke.sh"; bench_smoke_probe' 2>&1
}

first_cpu=$(taskset -cp $$ | sed 's/.*: *//; s/[,-].*//')
output=$(smoke_probe taskset -c "$first_cpu") || fail "on CPU $first_cpu alone: $output"
[[ "$output" == skip* ]] || fail "on CPU $first_cpu alone, not skipped: $output"
echo "one CPU: $output"

if [ "$(nproc)" -ge 2 ]; then
  output=$(smoke_probe env) || fail "on $(nproc) CPUs: $output"
  [[ "$output" == ok* ]] || fail "on $(nproc) CPUs, no reading: $output"
  echo "$(nproc) CPUs: $output"
fi

[ "$failures" = 0 ] && echo "PASS: the smoke's probe check reads two CPUs and skips one" && exit 0
exit 1
