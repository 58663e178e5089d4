# Shared by bench/runtime.sh and bench/runtime-ab.sh (sourced): a work
# directory removed on exit with every process started, free loopback
# ports, nginx instances, the static upstream, the benchmark gateways and
# wrk's POST script.
for tool in nginx wrk; do
  command -v "$tool" >/dev/null || { echo "$0 needs $tool: apt-get install nginx wrk" >&2; exit 1; }
done
work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
acct=0123456789abcdef0123456789abcdef

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; echo "nothing listens on $1" >&2; exit 1; }

# A chat completion as OpenAI answers one.
answer='{"id":"chatcmpl-bench","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello from the static upstream."},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":7,"total_tokens":16}}'

nginx_conf() { # NAME SERVER-BLOCK
  mkdir -p "$work/$1"
  cat >"$work/$1/nginx.conf" <<CONF
worker_processes 1;
pid $work/$1/nginx.pid;
error_log $work/$1/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $work/$1;
  proxy_temp_path $work/$1;
  $2
}
CONF
  nginx -p "$work/$1" -c "$work/$1/nginx.conf" -g 'daemon off;' &
  pids+=($!)
}

static_upstream() { # PORT
  nginx_conf "upstream-$1" "server { listen 127.0.0.1:$1; keepalive_requests 1000000; location / { default_type application/json; return 200 '$answer'; } }"
}

# The benchmark gateways on the emulator at PORT: a miss with logs off
# (nolog), a miss with logs on (log) and a cache hit (hit).
bench_gateways() { # PORT
  local gw id ttl logs
  for gw in "nolog 0 false" "log 0 true" "hit 3600 true"; do
    read -r id ttl logs <<<"$gw"
    curl -sf -o /dev/null -H 'authorization: Bearer bench' -H 'content-type: application/json' \
      "http://127.0.0.1:$1/client/v4/accounts/$acct/ai-gateway/gateways" \
      -d "{\"id\":\"$id\",\"cache_ttl\":$ttl,\"collect_logs\":$logs,\"cache_invalidate_on_update\":false,\"rate_limiting_interval\":null,\"rate_limiting_limit\":null}"
  done
}

# wrk's script: POST a chat completion request, then the caller's `done`
# (read from stdin), which reports the summary on stderr.
post_lua() {
  {
    echo 'wrk.method = "POST"'
    echo 'wrk.headers["Content-Type"] = "application/json"'
    echo "wrk.body = '{\"model\":\"gpt-4o-mini\",\"messages\":[{\"role\":\"user\",\"content\":\"benchmark me\"}]}'"
    cat
  } >"$work/post.lua"
}
