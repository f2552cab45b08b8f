# shellcheck shell=bash
# The implementations and scenarios the benchmark knows, and which program
# measures each. Sourced by scripts/bench; needs BENCH_BIN_DIR and BSHIM_LIB.

# shellcheck disable=SC2034 # used by the script that sources this file
BENCH_SCENARIOS=(private-threads pshared-threads pshared-processes skewed-threads skewed-processes)

# In table order. glibc and shim are the same program, with and without
# LD_PRELOAD; they stay next to each other so that their trials interleave.
# shim-flat is the shim without arrival trees (BARRIER_SHIM_ARRIVAL_TREE=0):
# the A/B of the trees, on machines where the shim chooses them.
BENCH_IMPLEMENTATIONS=(glibc shim shim-flat musl std::barrier libgomp spin spin-one-line dissemination tree)

bench_program_of() {
  case "$1" in
    glibc|shim|shim-flat) echo bench-pthread ;;
    musl) echo bench-pthread-musl ;;
    std::barrier) echo bench-std-barrier ;;
    libgomp) echo bench-openmp ;;
    spin) echo bench-spin ;;
    spin-one-line) echo bench-spin-one-line ;;
    dissemination) echo bench-dissemination ;;
    tree) echo bench-tree ;;
    *) return 1 ;;
  esac
}

# Whether implementation $1 takes part in scenario $2.
bench_supports() {
  case "$1" in
    glibc|shim|musl) return 0 ;;
    # Trees are for private barriers, chosen only with kTreeMinCpus (8) CPUs
    # (src/barrier/arrival_tree.h); with fewer, shim-flat would be the shim.
    shim-flat) [ "$(nproc)" -ge 8 ] && { [ "$2" = private-threads ] || [ "$2" = skewed-threads ]; } ;;
    # Spin barriers have no process-shared mode: that would repeat private-threads.
    spin|spin-one-line|dissemination|tree) [ "$2" != pshared-threads ] ;;
    # Thread-only barriers with no process-shared mode.
    *) [ "$2" = private-threads ] || [ "$2" = skewed-threads ] ;;
  esac
}

# The implementations whose program was built (musl needs musl-gcc, libgomp
# OpenMP support), one per line.
bench_available_implementations() {
  local implementation
  for implementation in "${BENCH_IMPLEMENTATIONS[@]}"; do
    [ -x "$BENCH_BIN_DIR/$(bench_program_of "$implementation")" ] || continue
    [[ "$implementation" != shim* ]] || [ -f "$BSHIM_LIB" ] || continue
    echo "$implementation"
  done
}

# Checks that a run was measuring what it says: the shim's runs must be bound
# to the shim, glibc's to libc, musl's static. $1 implementation, $2 the
# barrier_library the program reported. Explains on stderr when not.
bench_check_binding() {
  local implementation=$1 library=$2 expected
  case "$implementation" in
    shim|shim-flat) expected='*libbarrier-shim*' ;;
    glibc) expected='*/libc.so*' ;;
    musl) expected=static ;;
    *) return 0 ;;
  esac
  # shellcheck disable=SC2053
  [[ "$library" == $expected ]] && return 0
  printf 'bench: %s run used pthread_barrier_wait from %s (expected %s)\n' \
    "$implementation" "$library" "$expected" >&2
  return 1
}
