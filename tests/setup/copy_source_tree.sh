#!/usr/bin/env bash
# Copies a source tree's files, without its build directories, into a new
# directory. In a git checkout: the tracked files as they are in the working
# tree (uncommitted changes included) and the untracked ones git does not
# ignore; otherwise everything but .git, build/ and build-*/.
#   copy_source_tree.sh SOURCE_ROOT DESTINATION
set -euo pipefail
source_root=$1 destination=$2
mkdir -p "$destination"
if git -C "$source_root" rev-parse --show-toplevel >/dev/null 2>&1; then
  # Tracked files deleted in the working tree are left out.
  git -C "$source_root" ls-files -z --cached --others --exclude-standard |
    (cd "$source_root" && while IFS= read -r -d '' file; do
       [ -e "$file" ] && printf '%s\0' "$file"
     done) |
    tar -C "$source_root" --null --no-recursion -T - -cf - | tar -C "$destination" -xf -
else
  tar -C "$source_root" --exclude=./.git --exclude=./build --exclude='./build-*' -cf - . |
    tar -C "$destination" -xf -
fi
