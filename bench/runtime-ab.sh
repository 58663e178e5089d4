#!/usr/bin/env bash
# Two builds of the emulator side by side in one run: both in front of the
# same static nginx upstream, driven by wrk at concurrency 64 in alternating
# rounds (A, B, A, B, ...), so machine noise falls on both alike. Prints the
# median req/s of each for a cache miss (logs off), a miss with logs on and
# a cache hit, and B / A. Answers "did this change slow the runtime?".
#   bench/runtime-ab.sh BIN_A BIN_B [ROUNDS] [SECONDS]   (default 7 rounds of 3 s)
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: bench/runtime-ab.sh BIN_A BIN_B [ROUNDS] [SECONDS]" >&2; exit 2; }
for tool in nginx wrk; do
  command -v "$tool" >/dev/null || { echo "bench/runtime-ab.sh needs $tool: apt-get install nginx wrk" >&2; exit 1; }
done
bins=("$1" "$2"); rounds=${3:-7}; secs=${4:-3}
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
acct=0123456789abcdef0123456789abcdef
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "nothing listens on $1" >&2; exit 1; }
answer='{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the static upstream."},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":7,"total_tokens":16}}'
up=$(free_port)
cat >"$work/nginx.conf" <<CONF
worker_processes 1;
pid $work/nginx.pid;
error_log $work/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work;
  server { listen 127.0.0.1:$up; keepalive_requests 1000000; location / { default_type application/json; return 200 '$answer'; } }
}
CONF
nginx -p "$work" -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)
ports=()
for i in 0 1; do
  p=$(free_port); ports+=("$p")
  "${bins[$i]}" emulator --listen "127.0.0.1:$p" --upstream "openai=http://127.0.0.1:$up/v1" >"$work/emulator$i.log" 2>&1 &
  pids+=($!)
done
wait_port "$up"; wait_port "${ports[0]}"; wait_port "${ports[1]}"
for p in "${ports[@]}"; do
  for gw in "nolog 0 false" "log 0 true" "hit 3600 true"; do
    read -r id ttl logs <<<"$gw"
    curl -sf -o /dev/null -H 'authorization: Bearer bench' -H 'content-type: application/json' \
      "http://127.0.0.1:$p/client/v4/accounts/$acct/ai-gateway/gateways" \
      -d "{\"id\":\"$id\",\"cache_ttl\":$ttl,\"collect_logs\":$logs,\"cache_invalidate_on_update\":false,\"rate_limiting_interval\":null,\"rate_limiting_limit\":null}"
  done
done
cat >"$work/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"model":"gpt-4o-mini","messages":[{"role":"user","content":"benchmark me"}]}'
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
