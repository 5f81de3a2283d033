#!/usr/bin/python3
"""Asserts that one hairpin-check JSON report holds exactly the expected warning/critical findings.

   check_findings.py --json FILE --expect SPEC --exit N --rc N [--elapsed S --deadline S]
                     [--fields FIELDS] [--cited-file PATH]...

SPEC is the kinds column of expected.tsv: "-" for none, else items separated by spaces. An item is
one or more alternatives separated by "|"; an alternative is a finding kind with optional field
filters, e.g. `timeout{service=smtp;path=hairpin}` (`field=value` equal, `field~=regex` searched in
the field's text; write a space in a regex as \s; a `name` filter also matches any of the `names`
of a finding that stands for many names). An item that starts with "?" may be absent.
The report passes when every required item is matched by at least one warning/critical/unknown
finding and every warning/critical/unknown finding matches some item (info findings are not asserted).
Also checked: schema 1, `exit_code` and `status` consistent with the process's exit status, the exit
status expected, and the run within its deadline.
FIELDS (the optional fifth column of expected.tsv) asserts members of the report:
`vantage.internal_view=intra;vantage.external_view=extra` ("-" for none).
Each --cited-file PATH: every "PATH:LINE[:COL]: TEXT" a finding's evidence cites must be that line of
PATH (the cited text starts with the line's text, or is "policy P" at a ":CHAIN P [..]" line), so a
finding names the rule where it really is.
Exit status: 0 pass, 1 fail (each reason printed), 2 usage.
"""
import argparse
import json
import re
import sys

STATUS = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}
ASSERTED = ("warning", "critical", "unknown")
ALT = re.compile(r"^([a-z0-9-]+)(?:\{([^{}]*)\})?$")


def parse_spec(spec: str):
    """Returns [(optional, [(kind, {field: value})])]; raises ValueError on a malformed spec."""
    items = []
    if spec.strip() in ("", "-"):
        return items
    for word in spec.split():
        optional = word.startswith("?")
        alts = []
        for alt in word.lstrip("?").split("|"):
            m = ALT.match(alt)
            if not m:
                raise ValueError(f"malformed expectation '{alt}' in '{word}'")
            filters = {}
            for pair in filter(None, (m.group(2) or "").split(";")):
                key, sep, value = pair.partition("=")
                if not sep or not key:
                    raise ValueError(f"malformed filter '{pair}' in '{word}'")
                filters[key] = value
            alts.append((m.group(1), filters))
        items.append((optional, alts))
    return items


def field_matches(finding: dict, key: str, value: str) -> bool:
    # A finding for many names (count, names) matches a name filter on any of its names.
    if key.rstrip("~") == "name" and isinstance(finding.get("names"), list):
        others = [n for n in finding["names"] if isinstance(n, str)]
        if any(field_matches({"name": n}, key, value) for n in others):
            return True
    if key.endswith("~"):
        return key[:-1] in finding and re.search(value, str(finding[key[:-1]])) is not None
    return str(finding.get(key)) == value


def matches(finding: dict, alt) -> bool:
    kind, filters = alt
    return finding.get("kind") == kind and all(field_matches(finding, k, v) for k, v in filters.items())


def parse_fields(spec: str):
    """Returns [(dotted path, value)] of the FIELDS column; raises ValueError on a malformed one."""
    out = []
    for pair in filter(None, (spec or "").strip().split(";")):
        if pair == "-":
            continue
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"malformed report field '{pair}'")
        out.append((key, value))
    return out


def lookup(report: dict, path: str):
    cur = report
    for part in path.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    return cur


def citation_errors(findings, path: str):
    """Errors for citations of PATH in the findings' evidence that do not quote PATH's line."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().split("\n")
    except OSError as e:
        return [f"cannot read the cited file {path}: {e}"]
    errors = []
    cite = re.compile(re.escape(path) + r":(\d+)(?::\d+)?: ")
    for f in findings:
        ev = str(f.get("evidence", ""))
        for m in cite.finditer(ev):
            n = int(m.group(1))
            text = ev[m.end():]
            want = lines[n - 1].strip() if 0 < n <= len(lines) else None
            # A chain's policy is cited as "policy DROP" at its ":CHAIN DROP [0:0]" line.
            policy = re.match(r"^:\S+ (\S+) ", want or "")
            if policy and text.startswith("policy " + policy.group(1)):
                continue
            # An nft chain's policy is cited at its "chain NAME {" line, the policy in its base-chain
            # statement ("type ... hook ...; policy accept;") among the lines that follow.
            if re.match(r"^chain \S+ \{$", want or "") and text.startswith("policy "):
                word = text.split(" ", 2)[1].rstrip("):,")
                if any(re.search(r"\bpolicy " + re.escape(word) + r";", b) for b in lines[n:n + 3]):
                    continue
            if want is None or not want or not text.startswith(want):
                errors.append(f"{f.get('kind')} cites {path}:{n} as '{text[:80]}', but that line is "
                              + (repr(want) if want is not None else "past the end of the file"))
    return errors


def describe(f: dict) -> str:
    keys = ("severity", "name", "count", "service", "path", "address", "evidence")
    return f.get("kind", "?") + " (" + ", ".join(f"{k}={f[k]}" for k in keys if k in f) + ")"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--json", required=True)
    ap.add_argument("--expect", required=True)
    ap.add_argument("--exit", type=int, required=True, dest="want_rc")
    ap.add_argument("--rc", type=int, required=True)
    ap.add_argument("--elapsed", type=float)
    ap.add_argument("--deadline", type=float)
    ap.add_argument("--fields", default="")
    ap.add_argument("--cited-file", action="append", default=[])
    a = ap.parse_args()
    try:
        items = parse_spec(a.expect)
        fields = parse_fields(a.fields)
    except ValueError as e:
        print(f"FAIL  expected.tsv: {e}")
        return 2

    errors = []
    try:
        with open(a.json, encoding="utf-8") as fh:
            text = fh.read()
        report = json.loads(text)
        if not isinstance(report, dict):
            raise ValueError("top level is not an object")
    except (OSError, ValueError) as e:
        print(f"FAIL  output is not a JSON report: {e}")
        print("      first bytes: " + repr(text[:200]) if "text" in locals() else "")
        if a.rc != a.want_rc:
            print(f"FAIL  exit status {a.rc}, expected {a.want_rc}")
        return 1

    if report.get("schema") != 1:
        errors.append(f"schema is {report.get('schema')!r}, expected 1")
    if report.get("exit_code") != a.rc:
        errors.append(f"exit_code field {report.get('exit_code')!r} differs from the exit status {a.rc}")
    if report.get("status") != STATUS.get(a.rc):
        errors.append(f"status field {report.get('status')!r} does not match the exit status {a.rc}")
    if "views" not in report:
        errors.append("no 'views' member")
    if a.rc != a.want_rc:
        errors.append(f"exit status {a.rc}, expected {a.want_rc}")
    if a.elapsed is not None and a.deadline is not None and a.elapsed > a.deadline + 1:
        errors.append(f"ran {a.elapsed:.2f} s, past its deadline {a.deadline:g} s + 1 s")

    findings = report.get("findings", [])
    if not isinstance(findings, list):
        errors.append("'findings' is not a list")
        findings = []
    serious = [f for f in findings if isinstance(f, dict) and f.get("severity") in ASSERTED]
    for optional, alts in items:
        if not optional and not any(matches(f, alt) for f in serious for alt in alts):
            errors.append("missing finding: " + "|".join(k + (str(v) if v else "") for k, v in alts))
    for f in serious:
        if not any(matches(f, alt) for _, alts in items for alt in alts):
            errors.append("unexpected finding: " + describe(f))

    for key, value in fields:
        got = lookup(report, key)
        if got is None or str(got) != value:
            errors.append(f"report field {key} is {got!r}, expected {value!r}")
    for path in a.cited_file:
        errors.extend(citation_errors([f for f in findings if isinstance(f, dict)], path))

    for f in serious:
        print("      finding: " + describe(f))
    for e in errors:
        print("FAIL  " + e)
    if not errors:
        print(f"ok    {len(serious)} warning/critical/unknown finding(s) as expected, exit {a.rc}"
              + (f", {len(fields)} report field(s)" if fields else "")
              + (f", {a.elapsed:.2f} s" if a.elapsed is not None else ""))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
