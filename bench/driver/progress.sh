# shellcheck shell=bash
# The progress line on stderr: rewritten in place on a terminal, one line
# per step otherwise (logs, meson test). Sourced by scripts/bench.

BENCH_PROGRESS_START=$SECONDS
BENCH_PROGRESS_ON_TERMINAL=0
[ -t 2 ] && BENCH_PROGRESS_ON_TERMINAL=1

bench_format_seconds() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }

BENCH_PROGRESS_LAST_STEP=

# $1 runs done, $2 runs in all, $3 the step (scenario and thread count), $4
# what runs now within it. Off a terminal, a line only when the step changes.
bench_progress() {
  local done=$1 total=$2 step=$3 detail=$4 elapsed left=""
  if [ "$BENCH_PROGRESS_ON_TERMINAL" -eq 0 ]; then
    [ "$step" = "$BENCH_PROGRESS_LAST_STEP" ] && return 0
    BENCH_PROGRESS_LAST_STEP=$step
    detail=""
  fi
  elapsed=$((SECONDS - BENCH_PROGRESS_START))
  if [ "$done" -gt 0 ]; then
    left=", ~$(bench_format_seconds $((elapsed * (total - done) / done))) left"
  fi
  local line
  line=$(printf '[%4d/%d %3d%%] %s  (%s elapsed%s)' "$done" "$total" $((100 * done / total)) \
    "$step${detail:+  $detail}" "$(bench_format_seconds "$elapsed")" "$left")
  if [ "$BENCH_PROGRESS_ON_TERMINAL" -eq 1 ]; then
    printf '\r\033[K%s' "$line" >&2
  else
    printf '%s\n' "$line" >&2
  fi
}

# Ends the progress line (on a terminal) so that what follows starts clean.
bench_progress_done() {
  [ "$BENCH_PROGRESS_ON_TERMINAL" -eq 1 ] && printf '\r\033[K' >&2
  return 0
}
