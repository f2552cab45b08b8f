# shellcheck shell=bash
# Which thread counts to measure. Sourced by scripts/bench.

# The CPUs this process may run on (nproc honours the affinity mask).
bench_cpu_count() { nproc; }

# 2, the CPU count, twice the CPU count (oversubscribed), and 4, 8, 16, 32
# where the machine has that many CPUs; sorted, one per line.
bench_default_thread_counts() {
  local cpus count
  cpus=$(bench_cpu_count)
  {
    echo 2
    echo "$cpus"
    echo $((2 * cpus))
    for count in 4 8 16 32; do
      [ "$count" -le "$cpus" ] && echo "$count"
    done
  } | awk '$1 >= 2' | sort -n -u
}

# Parses a --threads value such as 2,4,8 into one count per line, sorted;
# fails (message on stderr) on anything but integers of at least 2.
bench_parse_thread_counts() {
  local list=$1 count
  local IFS=,
  for count in $list; do
    if ! [[ "$count" =~ ^[0-9]+$ ]] || [ "$count" -lt 2 ] || [ "$count" -gt 4096 ]; then
      printf 'bench: bad thread count "%s" in --threads %s (integers 2..4096)\n' "$count" "$list" >&2
      return 1
    fi
    echo "$((10#$count))"
  done | sort -n -u
}
