#!/usr/bin/env bash
# Builds the Debian package from an already built tree (`cpack -G DEB`, which reuses the build) and
# checks it: every expected file is inside with the content of the source tree, the binary runs,
# /etc/partitiond/partitiond.yaml is a conffile, the maintainer scripts are there, and Depends
# names the package of every shared library the binary links (from dpkg-shlibdeps) plus procps.
# The package is left in BUILD_DIR/packaging/.
# Usage: tests/packaging/check-package.sh BUILD_DIR
set -euo pipefail

fail() {
  echo "check-package: FAIL: $*" >&2
  exit 1
}

[[ $# -eq 1 ]] || fail "usage: $0 BUILD_DIR"
build=$(cd "$1" && pwd) || fail "no build directory $1"
src=$(cd "$(dirname "$0")/../.." && pwd)
[[ -f $build/CPackConfig.cmake ]] ||
  fail "$build/CPackConfig.cmake missing: configure with include(cmake/install.cmake) in CMakeLists.txt"
for tool in cpack dpkg-deb dpkg-shlibdeps file objdump; do
  command -v "$tool" >/dev/null || fail "$tool not found (see scripts/install-deps)"
done

# --- Build the .deb ---------------------------------------------------------------------------
out=$build/packaging
rm -rf "$out"
mkdir -p "$out"
(cd "$build" && cpack -G DEB -B "$out") >"$out/cpack.log" 2>&1 ||
  fail "cpack -G DEB failed:"$'\n'"$(cat "$out/cpack.log")"
shopt -s nullglob
debs=("$out"/partitiond_*.deb)
shopt -u nullglob
[[ ${#debs[@]} -eq 1 ]] || fail "want one partitiond_*.deb in $out, found ${#debs[@]}"
deb=${debs[0]}
echo "check-package: built ${deb#"$build"/}"

# --- Files ------------------------------------------------------------------------------------
listing=$(dpkg-deb -c "$deb") || fail "dpkg-deb -c $deb failed"
# Tar listing: "-rw-r--r-- root/root 1425 2024-11-25 06:40 ./usr/share/...": the path is field 6.
paths=$(awk '{ print $6 }' <<<"$listing")
has() { grep -qxF "$1" <<<"$paths"; }

expected=(
  ./usr/bin/partitiond
  ./usr/lib/systemd/system/partitiond.service
  ./usr/lib/sysusers.d/partitiond.conf
  ./usr/lib/tmpfiles.d/partitiond.conf
  ./etc/partitiond/partitiond.yaml
  ./usr/share/doc/partitiond/README.md
  ./usr/share/doc/partitiond/examples/partitiond.example.yaml
  ./usr/share/partitiond/sql/schema.sql
  ./usr/share/partitiond/sql/role.sql
  ./usr/share/partitiond/grafana/
)
# Every file of sql/ (demo scripts included) and grafana/, so a new one cannot be forgotten.
[[ -n $(find "$src/sql/demo" -type f) ]] || fail "no files in $src/sql/demo"
while IFS= read -r f; do
  expected+=("./usr/share/partitiond/${f#"$src"/}")
done < <(for d in "$src/sql" "$src/grafana"; do [[ ! -d $d ]] || find "$d" -type f; done | sort)

missing=()
for p in "${expected[@]}"; do
  has "$p" || missing+=("$p")
done
[[ ${#missing[@]} -eq 0 ]] ||
  fail "missing from the package:$(printf '\n  %s' "${missing[@]}")"$'\n'"it holds:"$'\n'"$paths"
grep -qE '^-rwxr-xr-x root/root .* \./usr/bin/partitiond$' <<<"$listing" ||
  fail "./usr/bin/partitiond is not an executable owned by root"
echo "check-package: all ${#expected[@]} expected files and directories are inside"

# Installed content is the source's (catches a rule installing the wrong file under a right name).
x=$out/extracted
dpkg-deb -x "$deb" "$x"
same() { cmp -s "$1" "$x$2" || fail "$2 in the package differs from ${1#"$src"/}"; }
same "$src/systemd/partitiond.service" /usr/lib/systemd/system/partitiond.service
same "$src/systemd/partitiond.sysusers" /usr/lib/sysusers.d/partitiond.conf
same "$src/systemd/partitiond.tmpfiles" /usr/lib/tmpfiles.d/partitiond.conf
same "$src/config/partitiond.example.yaml" /etc/partitiond/partitiond.yaml
same "$src/README.md" /usr/share/doc/partitiond/README.md
version=$("$x/usr/bin/partitiond" version 2>&1) || fail "the packaged binary does not run: $version"
echo "check-package: the packaged binary runs: $version"

# --- Control data -----------------------------------------------------------------------------
field() { dpkg-deb -f "$deb" "$1"; }
[[ $(field Package) == partitiond ]] || fail "Package is '$(field Package)', want partitiond"
for f in Version Architecture Maintainer Description; do
  [[ -n $(field "$f") ]] || fail "control field $f is empty"
done
depends=$(field Depends)
[[ -n $depends ]] || fail "Depends is empty"
# The package names in Depends, without versions or alternatives' separators.
dep_names=$(sed 's/(.*)//; s/[[:space:]]//g' <<<"${depends//[,|]/$'\n'}" | grep .)

# The package of every library the binary links directly, found through the path ldd resolves.
# dpkg knows a file by the path its package ships it under (/lib or /usr/lib, the link or its
# target), so every spelling is asked for, all in one dpkg -S call (each call reads the whole
# database).
libs=$(ldd "$x/usr/bin/partitiond")
sonames=$(objdump -p "$x/usr/bin/partitiond" | awk '$1 == "NEEDED" { print $2 }')
[[ -n $sonames ]] || fail "objdump finds no NEEDED library in the packaged binary"
candidates=()
declare -A real_name
while read -r soname; do
  path=$(awk -v s="$soname" '$1 == s && $2 == "=>" { print $3 }' <<<"$libs")
  [[ -n $path ]] || fail "ldd does not resolve $soname"
  real=$(readlink -f "$path")
  real_name[$soname]=${real##*/}
  for p in "$path" "$real"; do
    candidates+=("$p" "${p#/usr}" "/usr${p#/usr}")
  done
done <<<"$sonames"
owners=$(dpkg -S "${candidates[@]}" 2>/dev/null || true)
wanted=(procps libpq5)
while read -r soname; do
  # Lines read "libpq5:amd64: /usr/lib/x86_64-linux-gnu/libpq.so.5"; match on the file name.
  pkg=$(awk -v a="$soname" -v b="${real_name[$soname]}" '{
          n = split($NF, part, "/"); if (part[n] == a || part[n] == b) { sub(/:.*/, ""); print; exit }
        }' <<<"$owners")
  [[ -n $pkg ]] || fail "no Debian package owns $soname"
  wanted+=("$pkg")
done <<<"$sonames"
# A library's shlibs may name a virtual package it provides (libspdlog1.10 -> libspdlog1.10-fmt9).
absent=()
for pkg in "${wanted[@]}"; do
  provides=$(dpkg-query -W -f='${Provides}' "$pkg" 2>/dev/null || true)
  names=$pkg$'\n'$(sed 's/([^)]*)//g; s/[[:space:]]//g; s/,/\n/g' <<<"$provides")
  grep -qxFf <(grep . <<<"$names") <<<"$dep_names" || absent+=("$pkg")
done
[[ ${#absent[@]} -eq 0 ]] || fail "Depends '$depends' lacks: ${absent[*]}"
echo "check-package: Depends: $depends"

grep -qxF /etc/partitiond/partitiond.yaml < <(dpkg-deb -I "$deb" conffiles 2>/dev/null) ||
  fail "/etc/partitiond/partitiond.yaml is not a conffile"
for script in postinst prerm postrm; do
  dpkg-deb -I "$deb" "$script" >/dev/null 2>&1 || fail "no $script in the package"
done
dpkg-deb -I "$deb" postinst | grep -q 'systemd-sysusers partitiond.conf' ||
  fail "postinst does not run systemd-sysusers"
dpkg-deb -I "$deb" postinst | grep -q 'systemd-tmpfiles --create partitiond.conf' ||
  fail "postinst does not run systemd-tmpfiles"
postinst_code=$(dpkg-deb -I "$deb" postinst | grep -v '^[[:space:]]*#')
if grep -qE 'systemctl( --[a-z-]+)* (enable|start|restart|reenable)( |$)|deb-systemd' <<<"$postinst_code"; then
  fail "postinst enables or starts the service; it must not"
fi
echo "check-package: conffile, maintainer scripts (sysusers, tmpfiles, no enable/start) are in place"
rm -rf "$x"
