#!/usr/bin/env bash
# The version is the same in meson.build (as meson reads it), in the man
# page's header and in `barrier-shim --version` run from the source tree.
# (installed_command_test.sh checks the installed command's.) One PASS/FAIL
# line per place; exits 1 if any failed.
#   version_test.sh SCRIPT MAN_PAGE SOURCE_ROOT
set -u
script=$1 man_page=$2 source_root=$3
failures=0

project_version=$(meson introspect --projectinfo "$source_root/meson.build" 2>/dev/null |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')
if [ -z "$project_version" ] || [ "$project_version" = undefined ]; then
  echo "FAIL: meson introspect gives the project's version (got '${project_version}')"
  exit 1
fi
echo "meson.build: version $project_version"

# .TH NAME SECTION DATE "SOURCE" "MANUAL": SOURCE is "barrier-shim VERSION".
man_version=$(sed -n 's/^\.TH [^"]*"barrier-shim \([^"]*\)".*/\1/p' "$man_page")
if [ "$man_version" = "$project_version" ]; then
  echo "PASS: the man page's header says barrier-shim $project_version"
else
  echo "FAIL: the man page's header says barrier-shim $project_version: it says '${man_version}'"
  grep '^\.TH' "$man_page" | sed 's/^/    /'
  failures=$((failures + 1))
fi

output=$(bash "$script" --version 2>&1)
status=$?
if [ "$status" -eq 0 ] && [ "$output" = "barrier-shim $project_version" ]; then
  echo "PASS: --version prints 'barrier-shim $project_version' and exits 0"
else
  echo "FAIL: --version prints 'barrier-shim $project_version' and exits 0"
  echo "    exit status $status; output: $output"
  failures=$((failures + 1))
fi

exit $((failures > 0))
