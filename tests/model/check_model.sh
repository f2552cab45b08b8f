#!/usr/bin/env bash
# Runs the model checks listed in models.txt with spin, one line per check:
# name, states stored, transitions, errors, seconds, verdict.
#
# A correct model passes when pan reports 0 errors and searched its whole
# state space (no depth limit, memory limit or other truncation): in a
# safety search (`pass`: assertions and invalid end states) or a progress
# search (`progress`: no cycle). A broken variant passes when pan reports at
# least one error of the kind models.txt names for it (an assertion
# violation, an invalid end state = deadlock, or a non-progress cycle).
# Exits 0 if every check passes, 1 otherwise, 77 (skipped) when spin or a C
# compiler is missing.
#
# Usage: check_model.sh [--only GLOB] [--keep]
#   --only GLOB  run only the checks whose name matches the shell pattern
#   --keep       keep the work directory (pan sources, outputs, trails)
# Environment: SPIN (default: spin), CC (default: cc), MODEL_MEMLIM_MB
# (default 2048) and MODEL_SECONDS (default 180): a search that needs more
# memory or time than that stops, and its check fails; MODEL_JOBS (default:
# the number of CPUs): checks run at once (each compiles and runs its own
# pan; the lines still come out in models.txt's order, once all are done).
set -u

model_dir=$(cd "$(dirname "$0")" && pwd)
spin_cmd=${SPIN:-spin}
cc_cmd=${CC:-cc}
memlim_mb=${MODEL_MEMLIM_MB:-2048}
seconds_limit=${MODEL_SECONDS:-180}
jobs_limit=${MODEL_JOBS:-$(nproc 2>/dev/null || echo 1)}
case $jobs_limit in ''|*[!0-9]*|0) jobs_limit=1 ;; esac
only='*'
keep=0
while [ $# -gt 0 ]; do
  case $1 in
    --only) only=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "usage: $0 [--only GLOB] [--keep]" >&2; exit 2 ;;
  esac
done

if ! command -v "$spin_cmd" >/dev/null 2>&1; then
  echo "SKIP: spin not found (Debian package spin)"
  exit 77
fi
if ! command -v "${cc_cmd%% *}" >/dev/null 2>&1; then
  echo "SKIP: no C compiler for pan ($cc_cmd)"
  exit 77
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/barrier-shim-model.XXXXXX")
if [ "$keep" = 1 ]; then
  echo "work directory: $work"
else
  trap 'rm -rf "$work"' EXIT
fi

# Prints why a run that should have passed did not, with the error trail.
explain_unexpected() {  # dir model defines...
  local dir=$1 model=$2
  shift 2
  echo "  --- pan output (tail) ---"
  tail -n 25 "$dir/pan.out" | sed 's/^/  /'
  if [ -f "$dir/$model.trail" ]; then
    echo "  --- error trail (tail) ---"
    (cd "$dir" && "$spin_cmd" -t -p -g "$@" "$model" 2>&1 | tail -n 40 | sed 's/^/  /')
  fi
}

# One check. Sets `line` to its report line; returns 0 if as expected.
run_check() {  # name model expect defines...
  local name=$1 model=$2 expect=$3
  shift 3
  local dir="$work/${name//\//_}"
  mkdir -p "$dir"
  cp "$model_dir"/*.pml "$dir"/
  local start=$EPOCHREALTIME
  if ! (cd "$dir" && "$spin_cmd" -a "$@" "$model" >spin.out 2>&1); then
    line=$(printf '%-40s %s' "$name" "FAIL: spin -a failed: $(tail -n 3 "$dir/spin.out" | tr '\n' ' ')")
    return 1
  fi
  # Safety checks (assertions, invalid end states): -DSAFETY. Progress
  # checks: -DNP and pan -l, which report any cycle that passes no progress
  # label; the models have none, so any cycle at all (a livelock, a spin
  # that can go on for ever) is an error. Both searches are exhaustive;
  # -DCOLLAPSE compresses stored states without loss. Broken variants stop
  # at their first error: compiling pan fast matters more for them than
  # running it fast.
  local mode=-DSAFETY pan_flags=""
  case $expect in progress|cycle) mode=-DNP; pan_flags=-l ;; esac
  local optimize=-O2
  case $expect in pass|progress) ;; *) optimize=-O0 ;; esac
  if ! (cd "$dir" && $cc_cmd $optimize -w $mode -DCOLLAPSE -DMEMLIM="$memlim_mb" \
          -o pan pan.c >cc.out 2>&1); then
    line=$(printf '%-40s %s' "$name" "FAIL: compiling pan failed: $(tail -n 3 "$dir/cc.out" | tr '\n' ' ')")
    return 1
  fi
  # -m: search depth limit, far above the models' depths (~400);
  # -w23: 2^23 hash slots.
  (cd "$dir" && timeout "$seconds_limit" ./pan $pan_flags -m100000 -w23 >pan.out 2>&1)
  local pan_status=$?
  local seconds
  seconds=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')

  local out="$dir/pan.out"
  local errors stored transitions first_error incomplete=""
  errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$out" | head -n 1)
  stored=$(awk '/states, stored/ { print $1; exit }' "$out")
  transitions=$(awk '/ transitions \(= / { print $1; exit }' "$out")
  first_error=$(grep -m 1 '^pan:1: ' "$out" | sed 's/^pan:1: //; s/ (at depth.*//')
  grep -q 'max search depth too small' "$out" && incomplete="depth limit reached"
  grep -q -e 'MEMLIM' -e 'out of memory' "$out" && incomplete="memory limit reached"
  [ -z "$errors" ] && incomplete="no result from pan"
  [ "$pan_status" = 124 ] && incomplete="time limit of ${seconds_limit}s reached"

  local verdict ok=1
  case $expect in
    pass|progress)
      if [ -n "$incomplete" ]; then
        verdict="FAIL: search incomplete ($incomplete)"
      elif [ "$errors" != 0 ]; then
        verdict="FAIL: $first_error"
      else
        verdict="ok: no error in the complete state space"
        ok=0
      fi
      ;;
    assertion|deadlock|cycle)
      local wanted
      case $expect in
        assertion) wanted='assertion violated' ;;
        deadlock) wanted='invalid end state' ;;
        cycle) wanted='non-progress cycle' ;;
      esac
      if [ -z "$errors" ] || [ "$errors" = 0 ]; then
        verdict="FAIL: broken variant not caught${incomplete:+ ($incomplete)}"
      elif [[ $first_error != "$wanted"* ]]; then
        verdict="FAIL: caught, but as '$first_error', not $expect"
      else
        verdict="ok: caught: $first_error"
        ok=0
      fi
      ;;
    *)
      verdict="FAIL: unknown expectation '$expect' in models.txt"
      ;;
  esac
  line=$(printf '%-40s %10s %11s %6s %6s  %s' "$name" "${stored:-?}" "${transitions:-?}" \
           "${errors:-?}" "$seconds" "$verdict")
  if [ "$ok" != 0 ]; then
    line+=$'\n'$(explain_unexpected "$dir" "$model" "$@")
  fi
  return "$ok"
}

printf '%-40s %10s %11s %6s %6s  %s\n' "check" "states" "transitions" "errors" "secs" "verdict"
checks=0
unexpected=0
# Checks marked `soak` in models.txt (the largest searches, a minute or more
# on 2 cores together) run only with BSHIM_SOAK=1 (scripts/test
# --soak); the rest cover every code path and every broken variant.
soak_skipped=0
while read -r name model expect defines; do
  case $name in ''|'#'*) continue ;; esac
  if [ "$name" = soak ]; then
    read -r name model expect defines <<<"$model $expect $defines"
    if [ "${BSHIM_SOAK:-}" != 1 ]; then
      soak_skipped=$((soak_skipped + 1))
      continue
    fi
  fi
  # shellcheck disable=SC2254
  case $name in $only) ;; *) continue ;; esac
  checks=$((checks + 1))
  # Each check in the background, its report line and verdict in files
  # named by its place in models.txt; at most jobs_limit at once.
  result=$work/result.$(printf '%04d' "$checks")
  (
    status=0
    # shellcheck disable=SC2086  # defines are separate words
    run_check "$name" "$model" "$expect" $defines || status=1
    printf '%s\n' "$line" >"$result.line"
    echo "$status" >"$result.status"
  ) </dev/null &
  while [ "$(jobs -rp | wc -l)" -ge "$jobs_limit" ]; do wait -n; done
done <"$model_dir/models.txt"
wait

if [ "$checks" = 0 ]; then
  echo "no check matches '$only'"
  exit 1
fi
for ((i = 1; i <= checks; i++)); do
  result=$work/result.$(printf '%04d' "$i")
  if [ -f "$result.line" ]; then cat "$result.line"; else echo "check $i: FAIL: no report"; fi
  [ "$(cat "$result.status" 2>/dev/null)" = 0 ] || unexpected=$((unexpected + 1))
done
echo "model: $checks checks, $((checks - unexpected)) as expected, $unexpected not" \
  "($soak_skipped larger ones only with BSHIM_SOAK=1)"
[ "$unexpected" = 0 ]
