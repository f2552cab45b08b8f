#!/bin/sh
# Behaviour (of the build, not the shim): a test program really references
# the barrier symbols at the versions it claims to bind, so that the
# *_symver_reaches_shim tests exercise what they say.
# usage: check_symbol_versions.sh OBJDUMP PROGRAM NAME=VERSION...
set -u
objdump=$1
program=$2
shift 2
table=$("$objdump" -T "$program") || { echo "SETUP: $objdump -T $program failed"; exit 2; }
for pair in "$@"; do
    name=${pair%%=*}
    version=${pair#*=}
    # Undefined dynamic symbol lines end in "(VERSION) NAME" or "VERSION NAME".
    found=$(printf '%s\n' "$table" | awk -v n="$name" '$0 ~ /\*UND\*/ && $NF == n { v = $(NF-1); gsub(/[()]/, "", v); print v }')
    if [ "$found" != "$version" ]; then
        echo "FAIL: $program references $name at version '${found:-none}', expected $version"
        exit 1
    fi
done
echo "PASS: $program references $*"
exit 0
