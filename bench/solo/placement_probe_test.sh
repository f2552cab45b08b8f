#!/usr/bin/env bash
# bench-placement-probe fails quickly, printing no figure, when its two
# threads cannot run on two CPUs: scripts/bench then records an empty
# line_pass_ns instead of waiting minutes for a figure that would be counted
# "far". Faults (probe_pin_fault.c, preloaded): the second thread's pin
# fails; the pin is ignored, so the threads share one CPU (as when a CPU is
# taken away during the run), where each pass waits for a preemption.
# Usage: placement_probe_test.sh PROBE FAULT_LIBRARY
set -u
probe=$1 fault_library=$2
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

if ! "$probe" 1000 >/dev/null 2>&1; then
  echo "SKIP: the probe needs two usable CPUs"
  exit 77
fi

# 1000 passes: a budget of 0.27 s; on one CPU at least 2 ms a round trip
# (one preemption each way at 1000 Hz), 2 s in all.
for fault in fail ignore; do
  start=$(date +%s%N)
  output=$(PROBE_PIN_FAULT=$fault LD_PRELOAD=$fault_library timeout 60 "$probe" 1000 2>&1)
  status=$?
  elapsed_ms=$((($(date +%s%N) - start) / 1000000))
  if [ "$status" -eq 0 ] || [[ "$output" == *line_pass_ns=* ]]; then
    fail "second pin '$fault': exit $status after $elapsed_ms ms, printed: $output"
  elif [ "$elapsed_ms" -gt 1000 ]; then
    fail "second pin '$fault': failed, but after $elapsed_ms ms"
  else
    echo "ok: second pin '$fault': exit $status after $elapsed_ms ms: $output"
  fi
done

[ "$failures" = 0 ] && echo "PASS: the probe fails fast without two CPUs of its own" && exit 0
exit 1
