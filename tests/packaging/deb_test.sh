#!/usr/bin/env bash
# Builds the .deb with CPack in a scratch folder and checks what it installs.
set -euo pipefail
build=$1
command -v cpack >/dev/null && command -v dpkg-deb >/dev/null || { echo "SKIP: cpack or dpkg-deb missing"; exit 77; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
(cd "$build" && cpack -G DEB -B "$out" >/dev/null)
deb=$(ls "$out"/*.deb)
contents=$(dpkg-deb -c "$deb")
for f in ./usr/bin/hairpin-check ./usr/share/man/man1/hairpin-check.1 \
         ./usr/share/doc/hairpin-check/examples/named.conf ./usr/share/doc/hairpin-check/examples/router.rules \
         ./usr/share/doc/hairpin-check/examples/hairpin-check.service ./usr/share/doc/hairpin-check/README.md; do
  echo "$contents" | grep -q " $f\$" || { echo "FAIL: $f not in $(basename "$deb")"; echo "$contents"; exit 1; }
done
dpkg-deb -f "$deb" Package Version Depends
# The packaged binary runs from an unpacked tree.
dpkg-deb -x "$deb" "$out/root"
"$out/root/usr/bin/hairpin-check" --version
"$out/root/usr/bin/hairpin-check" --static -C "$out/root/usr/share/doc/hairpin-check/examples/named.conf" -q
echo "ok: $(basename "$deb") installs the binary, the man page and the examples"
