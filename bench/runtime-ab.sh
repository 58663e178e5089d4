#!/usr/bin/env bash
# Two builds of the emulator side by side in one run: both in front of the
# same static nginx upstream, driven by wrk at concurrency 64 in alternating
# rounds (A, B, A, B, ...), so machine noise falls on both alike. Prints the
# median req/s of each for a cache miss (logs off), a miss with logs on and
# a cache hit, and B / A. Answers "did this change slow the runtime?".
#   bench/runtime-ab.sh BIN_A BIN_B [ROUNDS] [SECONDS]   (default 7 rounds of 3 s)
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: bench/runtime-ab.sh BIN_A BIN_B [ROUNDS] [SECONDS]" >&2; exit 2; }
bins=("$(realpath "$1")" "$(realpath "$2")"); rounds=${3:-7}; secs=${4:-3}
cd "$(dirname "$0")/.."
. bench/runtime-lib.sh
up=$(free_port)
static_upstream "$up"
ports=()
for i in 0 1; do
  p=$(free_port); ports+=("$p")
  "${bins[$i]}" emulator --listen "127.0.0.1:$p" --upstream "openai=http://127.0.0.1:$up/v1" >"$work/emulator$i.log" 2>&1 &
  pids+=($!)
done
wait_port "$up"; wait_port "${ports[0]}"; wait_port "${ports[1]}"
for p in "${ports[@]}"; do bench_gateways "$p"; done
post_lua <<'LUA'
function done(summary, latency, requests)
  io.stderr:write(string.format("RESULT %.0f %d\n", summary.requests / (summary.duration / 1e6),
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
LUA
rps() { # PORT GATEWAY SECONDS
  wrk -t2 -c64 -d"$3s" -s "$work/post.lua" "http://127.0.0.1:$1/v1/$acct/$2/openai/chat/completions" 2>"$work/wrk.err" >/dev/null
  read -r _ r errs < <(grep '^RESULT' "$work/wrk.err")
  [ "$errs" = 0 ] || { echo "$errs failed requests against port $1" >&2; exit 1; }
  echo "$r"
}
declare -A got
for gw in nolog log hit; do for i in 0 1; do rps "${ports[$i]}" "$gw" 1 >/dev/null; done; done # warm up
for r in $(seq "$rounds"); do
  for gw in nolog log hit; do
    for i in 0 1; do got[$gw,$i]+="$(rps "${ports[$i]}" "$gw" "$secs") "; done
  done
done
median() { tr ' ' '\n' <<<"$1" | grep . | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
echo "A = ${bins[0]}"
echo "B = ${bins[1]}"
echo "$(nproc) cores, $rounds alternating rounds of ${secs}s, wrk -c64"
echo
echo "| path | A req/s | B req/s | B / A |"
echo "|---|---:|---:|---:|"
for gw in nolog log hit; do
  a=$(median "${got[$gw,0]}"); b=$(median "${got[$gw,1]}")
  name=$(case $gw in nolog) echo "miss, logs off";; log) echo "miss, logs on";; hit) echo "cache hit";; esac)
  printf '| %s | %s | %s | %s |\n' "$name" "$a" "$b" "$(echo "$b $a" | awk '{ printf "%.2f", $1 / $2 }')"
done
