#!/usr/bin/env bash
# The runtime against a plain reverse proxy, out of process, in one run:
# a static upstream (nginx `return 200` with a chat-completion body), nginx
# `proxy_pass` to it (keepalive upstream, one worker) as the reference
# proxy, and `aigw emulator` in front of the same upstream (a cache miss
# with logs off, with logs on, and a cache hit). wrk drives each target at
# concurrency 1 and 64, in interleaved rounds; each cell is the median of
# the rounds. Needs Debian's nginx and wrk (apt-get install nginx wrk).
#   bench/runtime.sh [ROUNDS] [SECONDS]   (default 3 rounds of 5 s per cell)
#   bench/runtime.sh rss [REQUESTS]       RSS of the emulator every 100k
#                                         requests (default 1,000,000; logs on)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
. bench/runtime-lib.sh
# AIGW_BIN=PATH measures that binary instead (an older build, to compare).
aigw="${AIGW_BIN:-}"
[ -n "$aigw" ] || { cargo build --release -q -p aigw; aigw="$root/target/release/aigw"; }
up=$(free_port); px=$(free_port); emu=$(free_port)
static_upstream "$up"
nginx_conf proxy "upstream u { server 127.0.0.1:$up; keepalive 128; keepalive_requests 1000000; }
  server { listen 127.0.0.1:$px; keepalive_requests 1000000; location / { proxy_pass http://u; proxy_http_version 1.1; proxy_set_header Connection \"\"; } }"
"$aigw" emulator --listen "127.0.0.1:$emu" --upstream "openai=http://127.0.0.1:$up/v1" >"$work/emulator.log" 2>&1 &
emu_pid=$!
pids+=($emu_pid)
wait_port "$up"; wait_port "$px"; wait_port "$emu"
bench_gateways "$emu"
mode="${1:-}" arg1="${1:-}" arg2="${2:-}"

post_lua <<'EOF'
function done(summary, latency, requests)
  io.stderr:write(string.format("RESULT %d %d %.0f %d\n", latency:percentile(50), latency:percentile(99),
    summary.requests / (summary.duration / 1e6), summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
EOF
gw() { echo "http://127.0.0.1:$emu/v1/$acct/$1/openai/chat/completions"; }
names=("direct to upstream" "nginx proxy" "aigw miss, logs off" "aigw miss, logs on" "aigw cache hit")
urls=("http://127.0.0.1:$up/v1/chat/completions" "http://127.0.0.1:$px/v1/chat/completions" "$(gw nolog)" "$(gw log)" "$(gw hit)")

# wrk URL CONCURRENCY SECONDS → "p50_us p99_us rps"; a run with errors aborts.
load() {
  local threads=$(( $2 > 1 ? 2 : 1 ))
  wrk -t"$threads" -c"$2" -d"$3s" -s "$work/post.lua" "$1" 2>"$work/wrk.err" >/dev/null
  read -r _ p50 p99 rps errs < <(grep '^RESULT' "$work/wrk.err")
  [ "$errs" = 0 ] || { echo "$errs failed requests against $1" >&2; exit 1; }
  echo "$p50 $p99 $rps"
}
rss_mb() { awk '/VmRSS/ { printf "%.1f", $2 / 1024 }' "/proc/$emu_pid/status"; }

if [ "$mode" = rss ]; then
  total=${arg2:-1000000}
  echo "| requests | emulator RSS (MB) |"
  echo "|---:|---:|"
  echo "| 0 | $(rss_mb) |"
  done_n=0; next=100000; i=0
  while [ "$done_n" -lt "$total" ]; do
    # Rotate over the three gateways (logs on): misses and hits.
    target=$(gw log); [ $((i % 3)) = 1 ] && target=$(gw hit); i=$((i + 1))
    read -r _ _ rps < <(load "$target" 64 2)
    done_n=$(( done_n + ${rps%.*} * 2 ))
    if [ "$done_n" -ge "$next" ]; then echo "| $done_n | $(rss_mb) |"; next=$(( next + 100000 )); fi
  done
  exit 0
fi

rounds=${arg1:-3}; secs=${arg2:-5}
for u in "${urls[@]}"; do load "$u" 4 1 >/dev/null; done # warm up connections and the cache entry
declare -A cell
for r in $(seq "$rounds"); do
  for c in 1 64; do
    for i in "${!urls[@]}"; do cell[$i,$c,$r]=$(load "${urls[$i]}" "$c" "$secs"); done
  done
done
# median COLUMN(1..3) TARGET CONCURRENCY
median() {
  for r in $(seq "$rounds"); do echo "${cell[$2,$3,$r]}" | cut -d' ' -f"$1"; done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
echo "$(nginx -v 2>&1), $(wrk --version 2>&1 | head -n1 | cut -d' ' -f1-2), $(nproc) cores, $rounds rounds of ${secs}s per cell"
echo
echo "| path | p50 (µs) | p99 (µs) | req/s at c=1 | req/s at c=64 | p99 at c=64 (µs) |"
echo "|---|---:|---:|---:|---:|---:|"
for i in "${!urls[@]}"; do
  printf '| %s | %s | %s | %s | %s | %s |\n' "${names[$i]}" "$(median 1 "$i" 1)" "$(median 2 "$i" 1)" \
    "$(median 3 "$i" 1)" "$(median 3 "$i" 64)" "$(median 2 "$i" 64)"
done
ratio() { echo "$1 $2" | awk '{ if ($2 > 0) printf "%.2f", $1 / $2; else print "n/a" }'; }
added() { echo $(( $(median "$1" "$2" 1) - $(median "$1" 0 1) )); }
echo
echo "| ratio | logs off | logs on | target |"
echo "|---|---:|---:|---|"
printf '| aigw added / nginx added, p50 at c=1 | %s | %s | ≤ 2 |\n' "$(ratio "$(added 1 2)" "$(added 1 1)")" "$(ratio "$(added 1 3)" "$(added 1 1)")"
printf '| aigw added / nginx added, p99 at c=1 | %s | %s | ≤ 2 |\n' "$(ratio "$(added 2 2)" "$(added 2 1)")" "$(ratio "$(added 2 3)" "$(added 2 1)")"
printf '| aigw miss req/s / nginx req/s at c=64 | %s | %s | ≥ 0.75 |\n' "$(ratio "$(median 3 2 64)" "$(median 3 1 64)")" "$(ratio "$(median 3 3 64)" "$(median 3 1 64)")"
printf '| aigw hit req/s / nginx req/s at c=64 | | %s | ≥ 1.5 |\n' "$(ratio "$(median 3 4 64)" "$(median 3 1 64)")"
echo
echo "emulator RSS after the run: $(rss_mb) MB"
