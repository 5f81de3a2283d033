#!/usr/bin/env bash
# Tool-level lab test: switches the lab to SCENARIO, runs hairpin-check in the client namespace
# (`--all`, `--static --all`, or one NAME) with JSON output and a 10 s deadline, and asserts against
# expected.tsv the exact set of warning/critical/unknown finding kinds, the exit status, the report
# fields of the optional fifth column, that every file:line of the router rules a finding cites is
# that line, and that the run kept its deadline.
#
#   tests/lab/scenario_test.sh SCENARIO [TARGET]          TARGET: --all (default), --static or a name
#   tests/lab/scenario_test.sh --json-file FILE [--rc N] [--elapsed S] SCENARIO [TARGET]
#       debug/self-test: assert a report saved earlier (or made by hand) instead of running the lab;
#       --rc is the exit status to assume (default: the expected one), --elapsed the run time (default 0).
# Exit status: 0 pass, 1 fail, 77 skipped (not root, no network namespaces).
set -uo pipefail
source "$(dirname "$0")/common.sh"
HERE=$(cd "$(dirname "$0")" && pwd)
DEADLINE=${HC_LAB_DEADLINE:-10}

json_file='' rc='' elapsed=''
while [ $# -gt 0 ]; do
  case $1 in
    --json-file) json_file=$2; shift 2 ;;
    --rc) rc=$2; shift 2 ;;
    --elapsed) elapsed=$2; shift 2 ;;
    --) shift; break ;;
    -*) [ "$1" = --all ] || [ "$1" = --static ] && break; echo "usage: scenario_test.sh [--json-file FILE [--rc N] [--elapsed S]] SCENARIO [TARGET]" >&2; exit 2 ;;
    *) break ;;
  esac
done
scen=${1:?usage: scenario_test.sh SCENARIO [TARGET]}
target=${2:---all}

row=$(awk -F'\t' -v s="$scen" -v t="$target" '!/^#/ && $1 == s && $2 == t {print; exit}' "$HERE/expected.tsv")
if [ -z "$row" ]; then
  echo "FAIL: no row for scenario '$scen' target '$target' in expected.tsv"
  exit 1
fi
expect=$(cut -f3 <<<"$row")
want_rc=$(cut -f4 <<<"$row")
fields=$(cut -s -f5 <<<"$row")
[ "$fields" != - ] || fields=''
# The optional sixth column: more arguments for hairpin-check, split on spaces, $RUN the run folder.
extra=$(cut -s -f6 <<<"$row")
echo "scenario $scen, target $target: expecting [$expect], exit $want_rc${fields:+, report fields [$fields]}"
# --static: no network at all, every name of the configuration.
args=("$target")
[ "$target" != --static ] || args=(--static --all)
if [ -n "$extra" ]; then
  read -r -a more <<<"${extra//\$RUN/$RUN}"
  args+=("${more[@]}")
fi
cited=()

if [ -n "$json_file" ]; then
  out=$json_file
  rc=${rc:-$want_rc}
  elapsed=${elapsed:-0}
else
  lab_require
  "$LAB" scenario "$scen" || { echo "FAIL: scripts/lab scenario $scen"; exit 1; }
  out=$(mktemp)
  err=$(mktemp)
  trap 'rm -f "$out" "$err"' EXIT
  t0=$(date +%s.%N)
  "$LAB" hairpin-check "${args[@]}" --format json -t "$DEADLINE" >"$out" 2>"$err"
  rc=$?
  t1=$(date +%s.%N)
  elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
  echo "hairpin-check exit $rc in ${elapsed}s"
  if [ -s "$err" ]; then
    echo "stderr:"
    head -c 2000 "$err" | sed 's/^/  /'
  fi
  if [ -n "${HC_LAB_KEEP_JSON:-}" ]; then
    mkdir -p "$HC_LAB_KEEP_JSON"
    cp "$out" "$HC_LAB_KEEP_JSON/$scen${target/#--all/}.json"
  fi
  cited=(--cited-file "$RUN/router.rules")
fi

python3 "$HERE/check_findings.py" --json "$out" --expect "$expect" --exit "$want_rc" --rc "$rc" \
  --elapsed "$elapsed" --deadline "$DEADLINE" --fields "$fields" "${cited[@]}"
