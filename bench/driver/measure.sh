# shellcheck shell=bash
# The measuring loop: every scenario and thread count, each implementation
# once per trial, the trials interleaved (glibc, shim, ..., then the next
# trial in reverse order) so that machine noise hits all of them alike.
# Sourced by scripts/bench; needs the other driver files.

BENCH_TRIALS_HEADER=scenario,implementation,threads,trial,status,rounds,ns_per_round,cpu_ns_per_round,line_pass_ns

# What passing a cache line between the CPUs costs just before a run of
# scenario $1 with $2 members (bench-placement-probe): only for 2-member
# rounds that spin (not the skewed ones, whose rounds take a millisecond),
# and only where BENCH_PROBE_PLACEMENT=1 (a 2-CPU machine, whose two members
# run on the two CPUs the probe measures). Empty otherwise.
bench_placement() {
  local scenario=$1 threads=$2 line
  [ "${BENCH_PROBE_PLACEMENT:-0}" = 1 ] && [ "$threads" = 2 ] || return 0
  case $scenario in skewed-*) return 0 ;; esac
  line=$("$BENCH_BIN_DIR/bench-placement-probe" 2>/dev/null) || return 0
  bench_field "$line" line_pass_ns
}

# The implementations of scenario $1, in order for trial $2.
bench_trial_order() {
  local scenario=$1 trial=$2 implementation order=()
  for implementation in "${BENCH_AVAILABLE[@]}"; do
    bench_supports "$implementation" "$scenario" && order+=("$implementation")
  done
  if [ $((trial % 2)) -eq 0 ]; then
    printf '%s\n' "${order[@]}" | tac
  else
    printf '%s\n' "${order[@]}"
  fi
}

bench_count_runs() {
  local scenario total=0
  for scenario in "${BENCH_SCENARIO_LIST[@]}"; do
    total=$((total + $(bench_trial_order "$scenario" 1 | wc -l) * ${#BENCH_THREAD_COUNTS[@]} * BENCH_TRIALS))
  done
  echo "$total"
}

# Runs one trial and appends its row to the trials file $5. A run bound to
# the wrong barrier library ends the benchmark: every number would be wrong.
bench_measure_one() {
  local implementation=$1 scenario=$2 threads=$3 trial=$4 trials_file=$5 line status placement
  placement=$(bench_placement "$scenario" "$threads")
  line=$(bench_run_program "$implementation" "$scenario" "$threads" \
    --time-ms "$BENCH_TIME_MS" --warmup-ms "$BENCH_WARMUP_MS")
  status=$?
  if [ "$status" -ne 0 ]; then
    bench_progress_done
    printf 'bench: %s %s T=%s trial %s failed: %s\n' "$implementation" "$scenario" "$threads" \
      "$trial" "$(bench_describe_failure "$status")" >&2
    echo "$scenario,$implementation,$threads,$trial,failed,,,,$placement" >>"$trials_file"
    return 0
  fi
  bench_check_binding "$implementation" "$(bench_field "$line" barrier_library)" || return 1
  printf '%s,%s,%s,%s,ok,%s,%s,%s,%s\n' "$scenario" "$implementation" "$threads" "$trial" \
    "$(bench_field "$line" rounds)" "$(bench_field "$line" ns_per_round)" \
    "$(bench_field "$line" cpu_ns_per_round)" "$placement" >>"$trials_file"
}

# Writes every trial to $1 (CSV). Returns non-zero only on a setup error.
bench_measure() {
  local trials_file=$1 scenario threads trial implementation done=0 total
  total=$(bench_count_runs)
  echo "$BENCH_TRIALS_HEADER" >"$trials_file"
  for scenario in "${BENCH_SCENARIO_LIST[@]}"; do
    for threads in "${BENCH_THREAD_COUNTS[@]}"; do
      for ((trial = 1; trial <= BENCH_TRIALS; ++trial)); do
        while read -r implementation; do
          bench_progress "$done" "$total" "$scenario T=$threads" "$implementation, trial $trial/$BENCH_TRIALS"
          bench_measure_one "$implementation" "$scenario" "$threads" "$trial" "$trials_file" || return 1
          done=$((done + 1))
        done < <(bench_trial_order "$scenario" "$trial")
      done
    done
  done
  bench_progress "$done" "$total" "done" ""
  bench_progress_done
}
