# The verdict lines of the shell tests, sourced: `pass NAME` prints a PASS
# line; `fail NAME DETAIL...` prints a FAIL line with its details indented
# and counts it in $failures, which the test turns into its exit status.
failures=${failures:-0}

pass() { echo "PASS: $1"; }

fail() {  # fail NAME DETAIL...
  echo "FAIL: $1"
  shift
  printf '    %s\n' "$@"
  failures=$((failures + 1))
}
