# shellcheck shell=bash
# Runs one benchmark program once. Sourced by scripts/bench; needs
# BENCH_BIN_DIR, BSHIM_LIB and BENCH_RUN_TIMEOUT.

# The variables that would change what a run measures: a preload of the
# caller's, and OpenMP settings (libgomp is measured with its defaults).
BENCH_CLEAN_ENVIRONMENT=(-u LD_PRELOAD -u BARRIER_SHIM_ARRIVAL_TREE -u OMP_NUM_THREADS -u OMP_WAIT_POLICY -u OMP_DYNAMIC
  -u OMP_PROC_BIND -u OMP_PLACES -u OMP_THREAD_LIMIT -u GOMP_SPINCOUNT)

# Runs implementation $1 in scenario $2 with $3 members, passing the rest as
# options. Prints the program's stdout; its stderr goes to the file named by
# BENCH_RUN_ERRORS. Returns the program's status (124 or 137: timed out).
bench_run_program() {
  local implementation=$1 scenario=$2 threads=$3
  shift 3
  local environment=("${BENCH_CLEAN_ENVIRONMENT[@]}")
  [ "$implementation" = shim ] && environment+=("LD_PRELOAD=$BSHIM_LIB")
  [ "$implementation" = shim-flat ] &&
    environment+=("LD_PRELOAD=$BSHIM_LIB" "BARRIER_SHIM_ARRIVAL_TREE=0")
  # timeout kills the whole process group, so a hung team of processes goes too.
  env "${environment[@]}" timeout -s KILL "$BENCH_RUN_TIMEOUT" \
    "$BENCH_BIN_DIR/$(bench_program_of "$implementation")" \
    --scenario "$scenario" --threads "$threads" "$@" 2>"$BENCH_RUN_ERRORS"
}

# The value of key $2 in result line $1 (barrier_library takes the rest of
# the line, since a path may hold spaces).
bench_field() {
  local line=$1 key=$2
  if [ "$key" = barrier_library ]; then
    [[ "$line" =~ barrier_library=(.*)$ ]] && echo "${BASH_REMATCH[1]}"
  else
    [[ "$line" =~ (^|\ )$key=([^ ]*) ]] && echo "${BASH_REMATCH[2]}"
  fi
}

# Describes a failed run from its status and its stderr, on one line.
bench_describe_failure() {
  local status=$1 detail
  detail=$(tail -n 3 "$BENCH_RUN_ERRORS" 2>/dev/null | tr '\n' ' ')
  if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
    echo "timed out after ${BENCH_RUN_TIMEOUT}s ${detail}"
  elif [ "$status" -gt 128 ]; then
    echo "killed by SIG$(kill -l $((status - 128)) 2>/dev/null) ${detail}"
  else
    echo "exit status $status ${detail}"
  fi
}
