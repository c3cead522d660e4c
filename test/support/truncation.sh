#!/usr/bin/env bash
# Cuts a script after N bytes and gives each cut to bash, as `head -c N FILE | bash -s --
# --help` does when a download is cut short, and prints `ran N` for every cut that ran
# anything at all (a traced command, or any output), then `checked COUNT`.
#
#   truncation.sh model FILE WORKER WORKERS   every N from 0 to the file's size, one in WORKERS
#   truncation.sh pipe FILE N...              those N, through a real pipe into a new bash
#
# `model` runs each cut with eval in a forked subshell of this one process: bash parses and
# runs that text command by command exactly as it does its standard input, without paying
# for a new process that reads a pipe one byte at a time (a few hundred seconds for every cut
# of a 25 KB script). `pipe` runs the real thing, for a sample of cuts.
set -uo pipefail

mode=$1
file=$2
shift 2
trace=$(mktemp)
out=$(mktemp)
trap 'rm -f "$trace" "$out"' EXIT
checked=0

if [ "$mode" = model ]; then
  worker=$1
  workers=$2
  content=$(cat "$file" && printf x)
  content=${content%x}
  size=${#content}
  set -- --help
  for ((n = worker; n <= size; n += workers)); do
    (
      exec 3>"$trace"
      BASH_XTRACEFD=3
      PS4='+ '
      eval "set -x
${content:0:n}"
    ) >"$out" 2>/dev/null </dev/null
    if [ -s "$trace" ] || [ -s "$out" ]; then echo "ran $n"; fi
    checked=$((checked + 1))
  done
else
  for n in "$@"; do
    head -c "$n" "$file" | PS4='+TRACE+ ' bash -x -s -- --help >"$out" 2>"$trace"
    if grep -q '^+*TRACE+' "$trace" || [ -s "$out" ]; then echo "ran $n"; fi
    checked=$((checked + 1))
  done
fi
echo "checked $checked"
