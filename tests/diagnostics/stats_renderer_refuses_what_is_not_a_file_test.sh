#!/usr/bin/env bash
# Behaviour: barrier-shim-stats given a FIFO, a directory or /dev/zero says
# it is not a statistics file and exits 1 at once; it opened a FIFO without
# O_NONBLOCK and waited for a writer for ever (review 5).
# Usage: stats_renderer_refuses_what_is_not_a_file_test.sh RENDERER
set -u
renderer=$(readlink -f -- "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkfifo "$work/fifo"
failures=0
for file in "$work/fifo" "$work" /dev/zero; do
  output=$(timeout 10 "$renderer" "$file" 2>&1)
  status=$?
  if [ "$status" -eq 1 ] && grep -q 'not a barrier-shim statistics file\|Is a directory' <<<"$output"; then
    echo "PASS: $file: exit 1, $output"
  else
    echo "FAIL: $file: exit $status (124: it hung), output: $output"
    failures=$((failures + 1))
  fi
done
[ "$failures" -eq 0 ]
