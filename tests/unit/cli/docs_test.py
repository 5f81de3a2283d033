#!/usr/bin/env python3
"""The docs against the code: every long option of `hairpin-check --help` in the man page, the
README's usage block and the bash completion, and nothing documented there that the CLI refuses;
the README's metric list against the metric names of src/report/prometheus.cpp; the README's kind
list against docs/findings.md (which tests/unit/core/kinds_test.cpp keeps equal to the code's
table; that test also checks that the README and the man page name every kind); and no document
or code comment citing a file that is not in the repository (such as CONTRACT.md).

usage: docs_test.py HAIRPIN_CHECK SOURCE_DIR
"""
import os
import re
import subprocess
import sys

binary, src = sys.argv[1], sys.argv[2]
failures = []


def fail(message):
    failures.append(message)
    print("FAIL:", message)


def read(rel):
    with open(os.path.join(src, rel), encoding="utf-8") as f:
        return f.read()


def man_text(text):
    """The man page with its escapes undone where they matter here: \\- is -."""
    return text.replace("\\-", "-")


# ---- options ----
help_text = subprocess.run([binary, "--help"], capture_output=True, text=True, timeout=30).stdout
# The option column of CLI11's help: "  -C,--named-conf PATH   description".
accepted, accepted_short = set(), set()
for names in re.findall(r"^  (-[^\s]+)", help_text, re.M):
    for name in names.split(","):
        (accepted if name.startswith("--") else accepted_short).add(name)
if len(accepted) < 20:
    fail(f"--help lists only {len(accepted)} long options: {sorted(accepted)}")

man = man_text(read("docs/hairpin-check.1"))
options_section = man.split("\n.SH OPTIONS", 1)[1].split("\n.SH ", 1)[0]
# The option headers: the line after each .TP.
man_headers = re.findall(r"^\.T[PQ]\n(.*)$", options_section, re.M)
man_documented = set()
for header in man_headers:
    man_documented |= set(re.findall(r"(--[a-z0-9][a-z0-9-]*)", header))
readme = read("README.md")
usage_block = readme.split("## Usage", 1)[1].split("```", 2)[1]
readme_usage = set(re.findall(r"(?<![\w-])(--[a-z0-9][a-z0-9-]*)", usage_block))
completion = read("contrib/hairpin-check.bash-completion")
completion_words = re.search(r'local opts="([^"]*)"', completion).group(1).split()
completion_options = {w for w in completion_words if w.startswith("--")}

for option in sorted(accepted):
    if option not in man_documented:
        fail(f"{option} (in --help) has no entry in the OPTIONS of docs/hairpin-check.1")
    if option not in readme_usage:
        fail(f"{option} (in --help) is not in the README's usage block")
    if option not in completion_options:
        fail(f"{option} (in --help) is not completed by contrib/hairpin-check.bash-completion")
for option in sorted(man_documented - accepted):
    fail(f"docs/hairpin-check.1 documents {option}, which --help does not list")
for option in sorted(readme_usage - accepted):
    fail(f"the README's usage block lists {option}, which --help does not list")
for option in sorted(completion_options - accepted):
    fail(f"the bash completion offers {option}, which --help does not list")
# Short options: each one --help shows has a man page entry and a README usage line.
man_short = set()
for header in man_headers:
    man_short |= set(re.findall(r"(?<![\w-])(-[a-zA-Z0-9])\b", header))
readme_short = set(re.findall(r"(?<![\w-])(-[a-zA-Z0-9])\b", usage_block))
for option in sorted(accepted_short):
    if option not in man_short:
        fail(f"{option} (in --help) has no entry in the OPTIONS of docs/hairpin-check.1")
    if option not in readme_short:
        fail(f"{option} (in --help) is not in the README's usage block")
    if option not in completion_words:
        fail(f"{option} (in --help) is not completed by contrib/hairpin-check.bash-completion")

# ---- metrics ----
code_metrics = set(re.findall(r'"(hairpin_[a-z_]+)', read("src/report/prometheus.cpp")))
if len(code_metrics) < 5:
    fail(f"found only {sorted(code_metrics)} in src/report/prometheus.cpp")
# A family written as a prefix with a wildcard (`hairpin_check_*`) is not a metric name.
readme_metrics = set(re.findall(r"\b(hairpin_[a-z_]*[a-z])(?![a-z_]*\*)", readme))
man_metrics = set(re.findall(r"\b(hairpin_[a-z_]*[a-z])(?![a-z_]*\*)", man))
for metric in sorted(code_metrics - readme_metrics):
    fail(f"metric {metric} (src/report/prometheus.cpp) is not in the README")
for metric in sorted(readme_metrics - code_metrics):
    fail(f"the README names metric {metric}, which src/report/prometheus.cpp does not write")
for metric in sorted(code_metrics - man_metrics):
    fail(f"metric {metric} (src/report/prometheus.cpp) is not in docs/hairpin-check.1")
for metric in sorted(man_metrics - code_metrics):
    fail(f"docs/hairpin-check.1 names metric {metric}, which src/report/prometheus.cpp does not write")

# ---- kinds ----
findings = read("docs/findings.md")
table_kinds = set(re.findall(r"^\| ([a-z][a-z-]+) \| (?:info|warning|critical|unknown)", findings, re.M))
if len(table_kinds) < 20:
    fail(f"docs/findings.md has only {len(table_kinds)} kinds")
kinds_section = readme.split("## Finding kinds", 1)[1].split("\n## ", 1)[0]
# The two lists: the paragraphs that start "Static" and "Live".
kind_lists = [p for p in kinds_section.split("\n\n") if p.lstrip().startswith(("Static", "Live"))]
if len(kind_lists) != 2:
    fail("the README's finding kinds have no 'Static ...' and 'Live ...' paragraphs")
readme_kinds = set(re.findall(r"`([a-z][a-z-]+)`", "\n".join(kind_lists)))
for kind in sorted(readme_kinds - table_kinds):
    fail(f"the README's finding kinds name {kind}, which docs/findings.md (the code's table) does not have")
for kind in sorted(table_kinds - readme_kinds):
    fail(f"kind {kind} is missing from the README's finding kinds")
completion_kinds = set(re.search(r'local kinds="([^"]*)"', completion).group(1).split())
for kind in sorted(table_kinds ^ completion_kinds):
    fail(f"kind {kind}: the bash completion's --accept kinds and docs/findings.md differ")

# ---- references to files outside the repository ----
tracked = subprocess.run(["git", "-C", src, "ls-files"], capture_output=True, text=True).stdout.split()
if not tracked:  # not a git checkout (a source tarball): every file under src
    for root, dirs, files in os.walk(src):
        dirs[:] = [d for d in dirs if not d.startswith(".") and not d.startswith("build")]
        tracked += [os.path.relpath(os.path.join(root, f), src) for f in files]
tracked_set = set(tracked)
basenames = {os.path.basename(p) for p in tracked}
outside = re.compile(r"CONTRACT\.md|STYLE\.md|\.\./shared/")
doc_ref = re.compile(r"(?<![\w./-])([\w./-]+\.md)\b")
link = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
checked = 0
for rel in tracked:
    if not (rel.endswith((".md", ".1", ".cpp", ".hpp", ".txt", ".sh", ".py", ".in", ".yml", ".conf", ".cfg"))
            or rel in ("CMakeLists.txt",) or rel.startswith(("contrib/", "scripts/", "docs/"))):
        continue
    if rel.startswith("tests/data/") or rel.startswith("tests/fuzz/corpus/") or rel == "tests/unit/cli/docs_test.py":
        continue
    try:
        text = read(rel)
    except (UnicodeDecodeError, FileNotFoundError, IsADirectoryError):
        continue
    checked += 1
    for m in outside.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        fail(f"{rel}:{line}: cites {m.group(0)}, which is not in the repository")
    base = os.path.dirname(rel)
    targets = set(doc_ref.findall(text))
    if rel.endswith(".md"):
        targets |= {t for t in link.findall(text) if "://" not in t and not t.startswith("mailto:")}
    for target in sorted(targets):
        if outside.search(target):
            continue  # said above
        candidates = {os.path.normpath(os.path.join(base, target)), os.path.normpath(target)}
        if candidates & tracked_set:
            continue
        # A directory link ("tests/lab/") or a bare name that is a file somewhere in the tree.
        if any(os.path.isdir(os.path.join(src, c)) for c in candidates) or os.path.basename(target) in basenames:
            continue
        fail(f"{rel}: refers to {target}, which is not in the repository")
if checked < 50:
    fail(f"only {checked} files checked for references")

if failures:
    print(f"{len(failures)} failure(s)")
    sys.exit(1)
print(f"PASS: {len(accepted)} long options, {len(code_metrics)} metrics, {len(table_kinds)} kinds, "
      f"references in {checked} files")
