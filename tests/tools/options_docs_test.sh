#!/bin/sh
# Every long option that `hairpin-check --help` lists is documented in the README and the man page
# and completed by contrib/hairpin-check.bash-completion.
# usage: options_docs_test.sh HAIRPIN_CHECK SOURCE_DIR
set -u
bin=$1
src=$2
help=$("$bin" --help) || { echo "FAIL: $bin --help"; exit 1; }
options=$(printf '%s\n' "$help" | grep -o -- '--[a-z0-9][a-z0-9-]*' | sort -u)
[ "$(printf '%s\n' "$options" | wc -l)" -ge 30 ] || { echo "FAIL: only $(printf '%s\n' "$options" | wc -l) options in --help"; exit 1; }
man=$(sed 's/\\-/-/g' "$src/docs/hairpin-check.1")
fail=0
for o in $options; do
  # A whole option: --perfdata must not pass because of --perfdata-something.
  for doc in README.md man completion; do
    case $doc in
      README.md) text=$(cat "$src/README.md") ;;
      man) text=$man ;;
      completion) text=$(cat "$src/contrib/hairpin-check.bash-completion") ;;
    esac
    if ! printf '%s\n' "$text" | grep -Eq -- "$o([^a-z0-9-]|\$)"; then
      echo "FAIL: $o is not in the $doc"
      fail=1
    fi
  done
done
[ $fail -eq 0 ] && echo "PASS: $(printf '%s\n' "$options" | wc -l) options documented and completed"
exit $fail
