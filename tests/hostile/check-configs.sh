#!/usr/bin/env bash
# Runs the hostile config corpus (tests/hostile/configs/*.yaml) through the real binary.
# Usage: check-configs.sh PARTITIOND
#
# Each file states in its header comment what must happen:
#   # expect-exit: N          exit code of `check-config` (and of `plan` when N is 2)
#   # expect-stderr: TEXT     the whole of stderr, one line ({file} stands for the file's path)
#   # expect-stdout: TEXT     the whole of stdout, one line (valid configs)
#   # never-printed: WORD     a secret that must appear in no output of any command
# Invalid configs must fail identically in `check-config` and `plan` (before any connection), so
# the message is the config loader's and not a later failure's. Every database in the corpus is
# unreachable, so nothing here can touch a real database.
set -uo pipefail

bin=${1:?usage: check-configs.sh PARTITIOND}
corpus="$(cd "$(dirname "$0")" && pwd)/configs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0
checked=0

fail() {
  echo "FAIL $1: $2" >&2
  failures=$((failures + 1))
}

header() {  # header FILE KEY: the value of "# KEY: value", empty when absent
  sed -n "s/^# $2: //p" "$1" | head -n 1
}

# run FILE NAME ARGS...: runs the binary, output in $work/NAME.out and $work/NAME.err; sets $code.
run() {
  local name=$1
  shift
  "$bin" "$@" >"$work/$name.out" 2>"$work/$name.err"
  code=$?
}

expect_whole() {  # expect_whole FILE WHAT EXPECTED ACTUAL_FILE
  local actual
  actual=$(cat "$4")
  [[ "$actual" == "$3" ]] || fail "$1" "$2 was [$actual], expected [$3]"
}

for file in "$corpus"/*.yaml; do
  checked=$((checked + 1))
  exit_code=$(header "$file" expect-exit)
  stderr=$(header "$file" expect-stderr)
  stdout=$(header "$file" expect-stdout)
  secret=$(header "$file" never-printed)
  if [[ -z "$exit_code" || ( -z "$stderr" && -z "$stdout" ) ]]; then
    fail "$file" "no expect-exit and expect-stderr/expect-stdout header"
    continue
  fi
  run check check-config --config "$file"
  [[ "$code" == "$exit_code" ]] || fail "$file" "check-config exited $code, expected $exit_code"
  if [[ -n "$stderr" ]]; then
    expect_whole "$file" "check-config stderr" "${stderr//\{file\}/$file}" "$work/check.err"
  fi
  if [[ -n "$stdout" ]]; then
    expect_whole "$file" "check-config stdout" "${stdout//\{file\}/$file}" "$work/check.out"
  fi
  if [[ "$exit_code" == 2 ]]; then
    run plan plan --config "$file" --format json
    [[ "$code" == 2 ]] || fail "$file" "plan exited $code, expected 2"
    cmp -s "$work/check.err" "$work/plan.err" || fail "$file" "plan's stderr differs from check-config's"
  fi
  if [[ -n "$secret" ]]; then
    for command in "check-config --connect" "plan" "once" "status --format json"; do
      # shellcheck disable=SC2086 # the command is two words on purpose
      run secret $command --config "$file"
      if grep -qF -- "$secret" "$work/secret.out" "$work/secret.err"; then
        fail "$file" "'$command' printed the secret"
      fi
    done
  fi
done

echo "$checked corpus file(s), $failures failure(s)"
[[ "$checked" -gt 0 && "$failures" -eq 0 ]]
