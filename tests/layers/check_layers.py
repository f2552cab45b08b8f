#!/usr/bin/env python3
"""Checks the architecture of src/ and preload/ as written in src/README.md.

  check_layers.py SOURCE_ROOT        checks the tree; exits 1 on any breach
  check_layers.py --self-test        plants one breach of each rule in a copy
                                     of a small tree and expects each caught

Rules:
  1. src/ has no source file at its top level: every file lies in a folder.
  2. An include between folders of src/ goes only to a folder the including
     folder may use (ALLOWED below); folder-qualified includes only
     ("os/futex.h"), so that every arrow is visible to this check.
  3. No file under src/ calls dlsym, dlvsym or dlopen: resolving symbols is
     the preload layer's job.
  4. src/ never includes anything from preload/.
"""
import os
import re
import shutil
import sys
import tempfile

# Who may include whom. A folder may always include its own files.
ALLOWED = {
    "os": set(),
    "contract": {"os"},
    "threads": {"os", "contract"},
    "unmap_lock": {"os", "contract", "threads"},
    "robust": {"os", "contract"},
    "barrier": {"os", "contract", "threads", "unmap_lock", "robust"},
    "diagnostics": {"os", "contract"},
}
SOURCE_SUFFIXES = (".h", ".cc", ".c", ".hpp", ".cpp")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# A call, not a mention in a comment: the name followed by "(" outside //.
SYMBOL_LOOKUP = re.compile(r"\b(dlsym|dlvsym|dlopen)\s*\(")


def code_without_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def breaches(root):
    found = []
    src = os.path.join(root, "src")
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        if os.path.isfile(path) and name.endswith(SOURCE_SUFFIXES):
            found.append(f"src/{name}: a source file at the top level of src/")
        if os.path.isdir(path) and name not in ALLOWED:
            found.append(f"src/{name}/: a folder this check does not know (add it to ALLOWED)")
    for folder in sorted(ALLOWED):
        base = os.path.join(src, folder)
        if not os.path.isdir(base):
            continue
        for directory, _, files in os.walk(base):
            for name in sorted(files):
                if not name.endswith(SOURCE_SUFFIXES):
                    continue
                path = os.path.join(directory, name)
                shown = os.path.relpath(path, root)
                with open(path, encoding="utf-8") as source:
                    text = source.read()
                for included in INCLUDE.findall(text):
                    target = included.split("/")[0] if "/" in included else None
                    if target is None:
                        found.append(f"{shown}: includes \"{included}\" without its folder")
                    elif target == "preload" or included.startswith("../"):
                        found.append(f"{shown}: includes \"{included}\" from outside src/")
                    elif target not in ALLOWED:
                        found.append(f"{shown}: includes \"{included}\" from an unknown folder")
                    elif target != folder and target not in ALLOWED[folder]:
                        found.append(f"{shown}: {folder}/ includes {target}/ (\"{included}\"), "
                                     f"which {folder}/ may not use")
                if SYMBOL_LOOKUP.search(code_without_comments(text)):
                    found.append(f"{shown}: calls dlsym/dlvsym/dlopen (only preload/ may)")
    return found


def self_test():
    """Each planted breach must be reported; the clean tree must pass."""
    plants = {
        "source at top level": ("src/stray.cc", "int stray;\n"),
        "upward include": ("src/os/futex.h", '#include "barrier/barrier.h"\n'),
        "sideways include": ("src/barrier/wait.cc", '#include "diagnostics/watchdog.h"\n'),
        "core includes barrier": ("src/diagnostics/x.cc", '#include "barrier/arrive.h"\n'),
        "unqualified include": ("src/robust/r.cc", '#include "futex.h"\n'),
        "dlsym in core": ("src/unmap_lock/u.cc", "void* f() { return dlsym(0, \"x\"); }\n"),
        "include from preload": ("src/barrier/b.cc", '#include "preload/real_functions.h"\n'),
    }
    failures = 0
    with tempfile.TemporaryDirectory() as clean:
        for folder in ALLOWED:
            os.makedirs(os.path.join(clean, "src", folder))
        with open(os.path.join(clean, "src", "barrier", "ok.cc"), "w") as ok:
            ok.write('#include "os/futex.h"\n#include "robust/break_round.h"\n'
                     "// dlsym( in a comment is no call\n")
        if breaches(clean):
            print(f"FAIL: the clean tree reported {breaches(clean)}")
            failures += 1
        for what, (relative, text) in plants.items():
            with tempfile.TemporaryDirectory() as planted:
                shutil.copytree(clean, planted, dirs_exist_ok=True)
                with open(os.path.join(planted, relative), "a") as source:
                    source.write(text)
                caught = breaches(planted)
                print(("PASS" if caught else "FAIL") + f": planted {what}: {caught}")
                failures += 0 if caught else 1
    return failures


def main():
    if sys.argv[1:] == ["--self-test"]:
        sys.exit(1 if self_test() else 0)
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    found = breaches(sys.argv[1])
    for line in found:
        print("FAIL: " + line)
    if not found:
        print("PASS: src/ has no top-level source, every include follows the layers, "
              "no dlsym outside preload/")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
