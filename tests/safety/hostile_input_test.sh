#!/usr/bin/env bash
# Hostile input, through the real binary: nothing of a secret file leaked into any output format,
# nothing unbounded, no hang, no crash. Each case must end with exit 3 (config-error, UNKNOWN), a
# message naming the cause and the position, within 5 s and under a 500 MB address-space limit.
# The "secret" is a temporary file holding a recognisable string (never /etc/shadow).
set -euo pipefail
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0
secret="HC-SECRET-$$-5d1e0c"

# run NAME EXPECTED_EXIT PATTERN [ENV=VALUE...] -- ARGS...: every format, bounded in time and memory.
run() {
  local name=$1 want=$2 pattern=$3
  shift 3
  local envs=()
  while [ "$1" != "--" ]; do envs+=("$1"); shift; done
  shift
  local fmt rc out start end text_out=
  for fmt in text json nagios prometheus; do
    rc=0
    start=$(date +%s%N)
    out=$(env "${envs[@]}" timeout 10 bash -c 'ulimit -v 500000; exec "$0" "$@"' "$HC_BIN" "$@" --format "$fmt" 2>&1 </dev/null) || rc=$?
    end=$(date +%s%N)
    if [ $rc -ne "$want" ]; then echo "FAIL $name ($fmt): exit $rc, want $want"; echo "$out" | head -5; fail=1; return; fi
    if [ $(((end - start) / 1000000)) -gt 5000 ]; then echo "FAIL $name ($fmt): took $(((end - start) / 1000000)) ms"; fail=1; return; fi
    if [[ "$out" == *HC-SECRET* ]]; then echo "FAIL $name ($fmt): the secret is in the output:"; echo "$out" | grep -m3 HC-SECRET; fail=1; return; fi
    # The cause and position, as the text format words it (JSON escapes quotes, the Prometheus
    # exposition carries no evidence: there only the exit status and the absence of the secret).
    if [ "$fmt" = text ] && ! grep -qE -- "$pattern" <<<"$out"; then echo "FAIL $name ($fmt): no '$pattern' in:"; echo "$out" | head -8; fail=1; return; fi
    if [ "$fmt" = json ] && ! grep -q '"kind": *"config-error"' <<<"$out"; then echo "FAIL $name ($fmt): no config-error"; fail=1; return; fi
    [ "$fmt" != text ] || text_out=$out
  done
  echo "ok   $name: $(grep -oE -m1 -- "$pattern" <<<"$text_out" | head -1 | cut -c1-160)"
}

printf 'root:$6$%s:19000:0:99999:7:::\n"%s unterminated\n' "$secret" "$secret" >"$work/secret"
chmod 600 "$work/secret"
cat >"$work/db.ok" <<'Z'
$TTL 300
@ IN SOA ns h 1 3600 900 604800 300
@ IN NS ns
ns IN A 198.18.1.53
www IN A 198.18.1.10
Z
conf() {  # FILE ZONEFILE [EXTRA]: a named.conf with two views serving ZONEFILE
  printf 'options { directory "%s"; };\n%s\nview "intra" { match-clients { 198.18.1.0/24; }; zone "debugo.fr" { type master; file "%s"; }; };\nview "extra" { match-clients { any; }; zone "debugo.fr" { type master; file "db.ok"; }; };\n' \
    "$work" "${3:-}" "$2" >"$1"
}
static=(--static --all)

# 1. $INCLUDE of a secret file in a zone file.
{ cat "$work/db.ok"; echo "\$INCLUDE $work/secret"; } >"$work/db.inc"
conf "$work/inc.conf" db.inc
run zone-include-secret 3 'secret:1:1: [^"]*near .a word of' -- "${static[@]}" --named-conf "$work/inc.conf"

# 2. include of a secret file in named.conf; an unterminated string in named.conf itself.
conf "$work/include-secret.conf" db.ok "include \"$work/secret\";"
run conf-include-secret 3 'secret:2:1: unterminated quoted string near .a quoted string of' -- "${static[@]}" --named-conf "$work/include-secret.conf"
printf 'zone "%s%s\n' "$(printf 'x%.0s' {1..40})" "$secret" >"$work/unterminated.conf"
run conf-unterminated-string 3 'unterminated.conf:1:6: unterminated quoted string near ."x{31}\.\.\.' -- "${static[@]}" --named-conf "$work/unterminated.conf"

# 3. Devices: include "/dev/zero", --nat-rules /dev/zero.
conf "$work/zero.conf" db.ok 'include "/dev/zero";'
run conf-include-dev-zero 3 "zero.conf:2:1: cannot open '/dev/zero': not a regular file" -- "${static[@]}" --named-conf "$work/zero.conf"
conf "$work/plain.conf" db.ok
run nat-rules-dev-zero 3 '/dev/zero: cannot read the NAT rules: not a regular file' -- "${static[@]}" --named-conf "$work/plain.conf" --nat-rules /dev/zero

# 4. FIFOs (nobody writes to them: reading one would block forever).
mkfifo "$work/fifo"
run fifo-named-conf 3 "fifo': not a regular file" -- "${static[@]}" --named-conf "$work/fifo"
conf "$work/fifo-zone.conf" fifo
run fifo-zone-file 3 'file "fifo": cannot read [^ ]*/fifo: not a regular file' -- "${static[@]}" --named-conf "$work/fifo-zone.conf"
{ cat "$work/db.ok"; echo "\$INCLUDE fifo"; } >"$work/db.fifo"
conf "$work/fifo-include.conf" db.fifo
run fifo-zone-include 3 'db.fifo:6:10: cannot open [^ ]*/fifo: not a regular file' -- "${static[@]}" --named-conf "$work/fifo-include.conf"
conf "$work/fifo-conf-include.conf" db.ok 'include "fifo";'
run fifo-conf-include 3 "fifo-conf-include.conf:2:1: cannot open '[^']*/fifo': not a regular file" -- "${static[@]}" --named-conf "$work/fifo-conf-include.conf"
run fifo-nat-rules 3 'fifo: cannot read the NAT rules: not a regular file' -- "${static[@]}" --named-conf "$work/plain.conf" --nat-rules "$work/fifo"

# 5. 32 files each including the next one twice (2^32 reads if nothing stops it).
mkdir "$work/bomb"
for i in $(seq 0 31); do printf 'include "f%d.conf";\ninclude "f%d.conf";\n' $((i + 1)) $((i + 1)) >"$work/bomb/f$i.conf"; done
echo 'acl x { 10.0.0.0/8; };' >"$work/bomb/f32.conf"
conf "$work/bomb.conf" db.ok "include \"$work/bomb/f0.conf\";"
sed -i "s|directory \"$work\"|directory \"$work/bomb\"|; s|file \"db.ok\"|file \"$work/db.ok\"|g" "$work/bomb.conf"
run include-bomb 3 'f1[56].conf:[12]:1: includes nested too deeply \(more than 16, HC_MAX_INCLUDE_DEPTH\)|too many included files' -- "${static[@]}" --named-conf "$work/bomb.conf"
run include-bomb-files 3 'too many included files \(more than 1000, HC_MAX_INCLUDE_FILES' HC_MAX_INCLUDE_FILES=1000 -- "${static[@]}" --named-conf "$work/bomb.conf"
run include-bomb-bytes 3 'the configuration with its includes is larger than 20000 bytes \(HC_MAX_TOTAL_BYTES\)' HC_MAX_TOTAL_BYTES=20000 -- "${static[@]}" --named-conf "$work/bomb.conf"

# 6. $GENERATE: over the record limit; and within it with a 70-octet label on every name.
{ cat "$work/db.ok"; echo '$GENERATE 0-4194303 h$ A 198.18.1.1'; } >"$work/db.gen"
conf "$work/gen.conf" db.gen
run generate-4M 3 'db.gen:6:11: \$GENERATE would make 4194304 records, more than .*HC_MAX_GENERATED_RECORDS' -- "${static[@]}" --named-conf "$work/gen.conf"
{ cat "$work/db.ok"; echo "\$GENERATE 0-1048575 $(printf 'x%.0s' {1..70})\$ A 198.18.1.1"; } >"$work/db.label"
conf "$work/label.conf" db.label
run generate-long-label 3 'db.label:6: \.\.\. and 4095 more errors or warnings in the records of this \$GENERATE; its other 1044480 records are not read' -- "${static[@]}" --named-conf "$work/label.conf"

# 7. Size limits, raised or lowered through the environment.
run file-too-large 3 "plain.conf': larger than 100 bytes \(HC_MAX_FILE_BYTES\)" HC_MAX_FILE_BYTES=100 -- "${static[@]}" --named-conf "$work/plain.conf"

# 8. Deep nesting without any ACL, inside an include.
python3 -c 'print("options { " + "a { " * 5000 + "}; " * 5000 + "};")' >"$work/deep-inc.conf"
conf "$work/deep.conf" db.ok 'include "deep-inc.conf";'
run deep-nesting 3 'deep-inc.conf:1:[0-9]+: blocks nested too deeply \(more than 64, HC_MAX_BLOCK_DEPTH\)' -- "${static[@]}" --named-conf "$work/deep.conf"

# 9. Memory that runs out while reading: a named.conf of 150 MB of tokens under a 400 MB limit.
python3 - "$work/huge.conf" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    line = "acl a { " + "1.2.3.4; " * 1000 + "};\n"
    for _ in range(150 * 1024 * 1024 // len(line)):
        f.write(line)
PY
run out-of-memory 3 'out of memory while reading [^ ]*huge.conf' -- "${static[@]}" --named-conf "$work/huge.conf"

# 10. A chain of 30,000 ACL references (once a stack overflow: no output, no textfile): one error
#     at the reference that starts it, every format written, and the textfile too.
python3 - "$work/acl-deep.conf" "$work" <<'PY'
import sys
n = 30000
with open(sys.argv[1], "w") as f:
    f.write('options { directory "%s"; };\n' % sys.argv[2])
    f.write("".join("acl a%d { a%d; };\n" % (i, i + 1) for i in range(1, n)) + "acl a%d { 198.18.1.0/24; };\n" % n)
    f.write('view "intra" { match-clients { a1; }; zone "debugo.fr" { type master; file "db.ok"; }; };\n')
    f.write('view "extra" { match-clients { any; }; zone "debugo.fr" { type master; file "db.ok"; }; };\n')
PY
run acl-chain-30000 3 'acl-deep.conf:2:10: ACL references nested too deeply: .a1. -> .a2. -> .a3. -> .a4. -> ... goes 29999 lists deep' -- "${static[@]}" --named-conf "$work/acl-deep.conf" --textfile "$work/acl-deep.prom"
grep -qx 'hairpin_status 3' "$work/acl-deep.prom" || { echo "FAIL acl-chain-30000: no complete textfile"; fail=1; }

exit $fail
