#!/usr/bin/env bash
# The report's table of 2-member trials by placement (bench/report): trials
# probed close and far are summarised apart, with shim ÷ spin-one-line per
# placement, and a run without probes has no such table. Synthetic trials:
# close ones at 40-60 ns (probe 35-45 ns), far ones at 170-190 ns (probe
# 170-180 ns), so that mixing them would show in every median.
set -u
report_dir=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

header=scenario,implementation,threads,trial,status,rounds,ns_per_round,cpu_ns_per_round,line_pass_ns
{
  echo "$header"
  echo "private-threads,shim,2,1,ok,1000,60.0,120.0,40.0"
  echo "private-threads,shim,2,2,ok,1000,180.0,360.0,175.0"
  echo "private-threads,shim,2,3,ok,1000,50.0,100.0,45.0"
  echo "private-threads,shim,2,4,ok,1000,190.0,380.0,180.0"
  echo "private-threads,shim,2,5,ok,1000,40.0,80.0,35.0"
  echo "private-threads,spin-one-line,2,1,ok,1000,20.0,40.0,40.0"
  echo "private-threads,spin-one-line,2,2,ok,1000,170.0,340.0,175.0"
  echo "private-threads,spin-one-line,2,3,ok,1000,25.0,50.0,45.0"
  echo "private-threads,spin-one-line,2,4,ok,1000,170.0,340.0,170.0"
  echo "private-threads,spin-one-line,2,5,ok,1000,30.0,60.0,35.0"
} >"$work/trials.csv"
if ! python3 -B "$report_dir/summarize.py" --trials "$work/trials.csv" --out-dir "$work" \
     --cpus 2 --trial-ms 200 >"$work/out" 2>&1; then
  fail "summarize.py failed: $(cat "$work/out")"
fi
report=$work/results.md
grep -q '^## Two members, by placement' "$report" || fail "no placement table"
grep -q '^| private-threads | shim | 50.0 \[40.0–60.0\] ns (3) | 185 \[180–190\] ns (2) |$' "$report" ||
  fail "shim's row: $(grep '| private-threads | shim |' "$report")"
grep -q '^| private-threads | spin-one-line | 25.0 \[20.0–30.0\] ns (3) | 170 \[170–170\] ns (2) |$' "$report" ||
  fail "spin-one-line's row: $(grep '| private-threads | spin-one-line |' "$report")"
grep -q '^- private-threads: shim ÷ spin-one-line 2.00× close, 1.09× far\.$' "$report" ||
  fail "ratios: $(grep 'shim ÷ spin-one-line' "$report")"

# Without probes (more CPUs, or an older trials file): no such table.
cut -d, -f1-8 "$work/trials.csv" >"$work/unprobed.csv"
mkdir -p "$work/unprobed"
python3 -B "$report_dir/summarize.py" --trials "$work/unprobed.csv" --out-dir "$work/unprobed" \
  --cpus 2 --trial-ms 200 >/dev/null 2>&1 || fail "summarize.py failed without probes"
if grep -q 'by placement' "$work/unprobed/results.md"; then fail "a placement table without probes"; fi

[ "$failures" = 0 ] && echo "PASS: 2-member trials summarised by placement" && exit 0
exit 1
