#!/usr/bin/env bash
# Checks the files in systemd/:
#   1. `systemd-analyze security --offline=true` rates partitiond.service at most 2.0 ("OK");
#   2. `systemd-analyze verify` says nothing at all about it (no warning, no error);
#   3. systemd-sysusers and systemd-tmpfiles accept partitiond.sysusers and partitiond.tmpfiles and
#      make the user and the state directories as intended.
# Needs no running systemd (works in a container whatever PID 1 is): verify, sysusers and tmpfiles
# operate on a throwaway root directory holding copies of this host's system units, stubs for the
# programs the unit runs, and our files, so nothing on the host is read or changed.
# Usage: tests/packaging/check-systemd.sh [SOURCE_DIR]   (default: this checkout)
set -euo pipefail

src=${1:-$(cd "$(dirname "$0")/../.." && pwd)}
unit=$src/systemd/partitiond.service
max_exposure=2.0

fail() {
  echo "check-systemd: FAIL: $*" >&2
  exit 1
}

for tool in systemd-analyze systemd-sysusers systemd-tmpfiles; do
  command -v "$tool" >/dev/null || fail "$tool not found (Debian package systemd; see scripts/install-deps)"
done
for f in "$unit" "$src/systemd/partitiond.sysusers" "$src/systemd/partitiond.tmpfiles"; do
  [[ -f $f ]] || fail "missing $f"
done

# --- 1. Exposure score ------------------------------------------------------------------------
# The last line reads "→ Overall exposure level for partitiond.service: 1.1 OK 🙂" ("->" in a
# non-UTF-8 locale). --offline=true reads the file itself; nothing is asked of a running manager.
security=$(systemd-analyze security --offline=true --no-pager "$unit" 2>&1) ||
  fail "systemd-analyze security failed:"$'\n'"$security"
score=$(sed -n 's/.*Overall exposure level for [^:]*: *\([0-9][0-9]*\.[0-9]\).*/\1/p' <<<"$security")
[[ -n $score ]] || fail "no 'Overall exposure level' line in systemd-analyze security output:"$'\n'"$security"
if ! awk -v s="$score" -v m="$max_exposure" 'BEGIN { exit !(s <= m) }'; then
  echo "$security" >&2
  fail "exposure level $score is above $max_exposure (the ✗ lines above say what to tighten)"
fi
echo "check-systemd: exposure level $score (at most $max_exposure)"

# --- A throwaway root -------------------------------------------------------------------------
root=$(mktemp -d "${TMPDIR:-/tmp}/check-systemd.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/usr/bin" "$root/usr/sbin" "$root/usr/lib/systemd" "$root/etc"
# The merged-/usr layout of Debian 12, so /bin/kill and /usr/bin/kill are the same file.
ln -s usr/bin "$root/bin"
ln -s usr/sbin "$root/sbin"
ln -s usr/lib "$root/lib"
# verify resolves the unit's default dependencies (sysinit.target, basic.target, ...) and those it
# names (network-online.target) under the root, so the host's system units are copied in.
[[ -d /usr/lib/systemd/system ]] || fail "/usr/lib/systemd/system not found (Debian package systemd)"
cp -a /usr/lib/systemd/system "$root/usr/lib/systemd/"
cp "$unit" "$root/usr/lib/systemd/system/partitiond.service"
# verify checks that every Exec*= program is executable. /usr/bin/partitiond is what the package
# installs: a stub stands in for it. Any other program (/bin/kill from procps, a Depends of the
# package) must exist on this host and is copied, so a typo in its path is still caught.
while read -r program; do
  [[ -e $root$program ]] && continue
  mkdir -p "$(dirname "$root$program")"
  if [[ $program == /usr/bin/partitiond ]]; then
    printf '#!/bin/sh\nexit 0\n' >"$root$program"
    chmod 0755 "$root$program"
  elif [[ -x $program ]]; then
    cp -L "$program" "$root$program"
  else
    fail "the unit runs $program, which is not on this host (install its package, see scripts/install-deps)"
  fi
done < <(sed -n 's/^Exec[A-Za-z]*=[-@:+!]*\([^[:space:]]*\).*/\1/p' "$unit" | sort -u)

# --- 2. verify --------------------------------------------------------------------------------
# Any output is a finding: verify only prints warnings and errors, and some (unknown keys,
# unparsable values) do not change its exit status.
rc=0
verify=$(systemd-analyze verify --root="$root" partitiond.service 2>&1) || rc=$?
if [[ $rc -ne 0 || -n $verify ]]; then
  verify=${verify//$root\/lib\/systemd\/system\/partitiond.service/$unit}
  fail "systemd-analyze verify (exit $rc) reported:"$'\n'"${verify//$root/}"
fi
echo "check-systemd: systemd-analyze verify is clean"

# --- 3. sysusers and tmpfiles -----------------------------------------------------------------
mkdir -p "$root/usr/lib/sysusers.d" "$root/usr/lib/tmpfiles.d"
cp "$src/systemd/partitiond.sysusers" "$root/usr/lib/sysusers.d/partitiond.conf"
cp "$src/systemd/partitiond.tmpfiles" "$root/usr/lib/tmpfiles.d/partitiond.conf"
out=$(systemd-sysusers --root="$root" partitiond.conf 2>&1) || fail "systemd-sysusers failed:"$'\n'"$out"
grep -vE "^Creating (user|group) 'partitiond' " <<<"$out" | grep . >&2 &&
  fail "systemd-sysusers printed the unexpected lines above"
IFS=: read -r name _ uid gid _ home shell < <(grep '^partitiond:' "$root/etc/passwd") ||
  fail "systemd-sysusers made no user partitiond"
[[ $home == /var/lib/partitiond ]] || fail "user $name: home is $home, want /var/lib/partitiond"
[[ $shell == /usr/sbin/nologin ]] || fail "user $name: shell is $shell, want /usr/sbin/nologin"
((uid < 1000)) || fail "user $name: uid $uid is not a system uid"
grep -q "^partitiond:x:$gid:" "$root/etc/group" || fail "no group partitiond with gid $gid"
echo "check-systemd: sysusers makes system user partitiond ($uid:$gid, home $home, shell $shell)"

if [[ $(id -u) -ne 0 ]]; then
  echo "check-systemd: not root, so systemd-tmpfiles cannot chown: tmpfiles check skipped"
  exit 0
fi
out=$(systemd-tmpfiles --root="$root" --create partitiond.conf 2>&1) ||
  fail "systemd-tmpfiles failed:"$'\n'"$out"
[[ -z $out ]] || fail "systemd-tmpfiles printed:"$'\n'"$out"
for dir in /var/lib/partitiond /var/lib/partitiond/archive; do
  [[ -d $root$dir ]] || fail "systemd-tmpfiles did not make $dir"
  got=$(stat -c '%a %u:%g' "$root$dir")
  [[ $got == "700 $uid:$gid" ]] || fail "$dir is '$got', want '700 $uid:$gid' (mode, owner partitiond)"
done
echo "check-systemd: tmpfiles makes /var/lib/partitiond and its archive/ (0700, partitiond)"
