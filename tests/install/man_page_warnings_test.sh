#!/usr/bin/env bash
# barrier-shim(1) formats without a single groff warning (every warning
# category enabled: -ww), as text and as the man viewer would show it.
# Exits 1 on any warning or error, 77 (meson: skipped) without groff.
#   man_page_warnings_test.sh MAN_PAGE
set -u
man_page=$1
command -v groff >/dev/null || { echo "SKIP: groff is not installed (Debian: groff-base)"; exit 77; }

failures=0
for device in utf8 ascii; do
  warnings=$(groff -man -T"$device" -ww -z "$man_page" 2>&1)
  status=$?
  if [ "$status" -eq 0 ] && [ -z "$warnings" ]; then
    echo "PASS: groff -man -T$device -ww: no warnings"
  else
    echo "FAIL: groff -man -T$device -ww: exit status $status"
    sed 's/^/    /' <<<"$warnings"
    failures=$((failures + 1))
  fi
done
exit $((failures > 0))
