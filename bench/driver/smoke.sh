# shellcheck shell=bash
# Smoke mode: every implementation in every scenario for a few checked rounds
# (one serial waiter per round, nobody leaves early), at 2 members and at 3
# (odd, and more than the CPUs of a 2-core machine). Sourced by scripts/bench.

BENCH_SMOKE_ROUNDS=100
BENCH_SMOKE_SKEWED_ROUNDS=10
BENCH_SMOKE_THREADS=(2 3)

# Runs one smoke check; prints one verdict line; returns non-zero on failure.
bench_smoke_one() {
  local implementation=$1 scenario=$2 threads=$3 rounds=$BENCH_SMOKE_ROUNDS line status
  [[ "$scenario" == skewed-* ]] && rounds=$BENCH_SMOKE_SKEWED_ROUNDS
  local what="$scenario T=$threads $implementation"
  line=$(bench_run_program "$implementation" "$scenario" "$threads" --smoke "$rounds")
  status=$?
  if [ "$status" -ne 0 ]; then
    printf 'FAIL  %s: %s\n' "$what" "$(bench_describe_failure "$status")"
    return 1
  fi
  if ! bench_check_binding "$implementation" "$(bench_field "$line" barrier_library)" 2>"$BENCH_RUN_ERRORS"; then
    printf 'FAIL  %s: %s\n' "$what" "$(cat "$BENCH_RUN_ERRORS")"
    return 1
  fi
  printf 'ok    %s (%s rounds)\n' "$what" "$rounds"
}

# The placement probe (run before 2-member trials on 2 CPUs): a reading,
# where this process may use two CPUs; with one it has nothing to measure
# (and scripts/bench never runs it). Prints one verdict line.
bench_smoke_probe() {
  local probe
  if [ "$(bench_cpu_count)" -lt 2 ]; then
    printf 'skip  bench-placement-probe: one usable CPU\n'
    return 0
  fi
  probe=$("$BENCH_BIN_DIR/bench-placement-probe" 1000 2>&1)
  if [[ "$(bench_field "$probe" line_pass_ns)" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
    printf 'ok    bench-placement-probe (%s)\n' "$probe"
    return 0
  fi
  printf 'FAIL  bench-placement-probe: %s\n' "$probe"
  return 1
}

bench_smoke() {
  local scenario threads implementation passed=0 failed=0
  for scenario in "${BENCH_SCENARIOS[@]}"; do
    for threads in "${BENCH_SMOKE_THREADS[@]}"; do
      for implementation in "${BENCH_AVAILABLE[@]}"; do
        bench_supports "$implementation" "$scenario" || continue
        if bench_smoke_one "$implementation" "$scenario" "$threads"; then
          passed=$((passed + 1))
        else
          failed=$((failed + 1))
        fi
      done
    done
  done
  if bench_smoke_probe; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
  echo "bench-smoke: $passed passed, $failed failed (implementations: ${BENCH_AVAILABLE[*]})"
  [ "$failed" -eq 0 ]
}
