#!/usr/bin/env python3
"""Soak: the emulator under mixed traffic with rotating faults (not CI).

Runs `aigw emulator` (simulated upstreams, a data directory) for DURATION
seconds: cached and uncached chat, streaming and not, a rate-limited
gateway, a fallback route, through several threads; every PHASE seconds the
simulator's fault changes (none, 503 bursts, timeouts, dropped connections,
latency) on one provider, and the gateways' settings are edited through the
management API while traffic flows. It prints requests by outcome, the 5xx
that no injected fault explains (must be 0), RSS and open file descriptors
over time (must plateau), and log rows against logged requests (must
match), and exits 1 if a check fails.

    bench/soak.sh [SECONDS]      # default 1800 (30 minutes)
"""
import collections
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time

ACCT = "0123456789abcdef0123456789abcdef"
TOKEN = "soak-token"
PHASE = 30
LOG_LIMIT = 10_000  # the emulator's default log_management
FAULTS = [  # (provider the fault hits, simulator fault); None: a quiet phase
    None,
    ("openai", {"provider": "openai", "status": 503, "times": 40}),
    None,
    ("anthropic", {"provider": "anthropic", "timeout": True}),
    None,
    ("openai", {"provider": "openai", "drop": True, "times": 20}),
    None,
    ("groq", {"provider": "groq", "latency_ms": 400}),
]


class Emulator:
    def __init__(self, binary, data_dir):
        self.proc = subprocess.Popen(
            [binary, "emulator", "-listen", "127.0.0.1:0", "-api-token", TOKEN, "-data-dir", data_dir],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline().strip()
        self.host, self.port = line.removeprefix("listening on http://").rsplit(":", 1)
        self.port = int(self.port)

    def call(self, method, path, body=None, headers=None, timeout=30):
        c = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        h = {"Content-Type": "application/json", **(headers or {})}
        c.request(method, path, body=None if body is None else json.dumps(body), headers=h)
        r = c.getresponse()
        data = r.read()
        c.close()
        return r.status, data

    def api(self, method, path, body=None):
        return self.call(method, f"/client/v4/accounts/{ACCT}/ai-gateway{path}", body,
                         {"Authorization": f"Bearer {TOKEN}"})

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))

    def fds(self):
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))


def gateway(emu, gid, **settings):
    body = {"id": gid, "cache_ttl": 0, "cache_invalidate_on_update": False, "collect_logs": True,
            "rate_limiting_interval": 0, "rate_limiting_limit": 0, "rate_limiting_technique": "fixed",
            "retry_max_attempts": 2, "retry_delay": 10, "retry_backoff": "constant", **settings}
    status, data = emu.api("POST", "/gateways", body)
    assert status == 200, data


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.outcomes = collections.Counter()
        self.unexplained = collections.Counter()
        self.logged = collections.Counter()  # gateway → requests it logs
        self.active = None  # provider under fault, or None
        self.switched = 0.0

    def record(self, provider, gateway, status):
        with self.lock:
            self.outcomes[status] += 1
            self.logged[gateway] += 1
            fresh = time.time() - self.switched < 2  # a fault that just ended may still be answering
            if status >= 500 and provider != self.active and not fresh:
                self.unexplained[(provider, status)] += 1


def traffic(emu, stats, stop, seed):
    rnd = random.Random(seed)
    while not stop.is_set():
        kind = rnd.random()
        stream = rnd.random() < 0.2
        question = f"question {rnd.randrange(50)}"  # repeats: cache hits
        chat = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": question}], "stream": stream}
        if kind < 0.35:
            provider, path = "openai", "/v1/%s/cached/openai/chat/completions" % ACCT
        elif kind < 0.55:
            provider, path = "anthropic", "/v1/%s/plain/anthropic/v1/messages" % ACCT
            chat = {"model": "claude-haiku-4-5", "max_tokens": 64, "stream": stream,
                    "messages": [{"role": "user", "content": question}]}
        elif kind < 0.70:
            provider, path = "groq", "/v1/%s/limited/groq/chat/completions" % ACCT
            chat["model"] = "llama-3.1-8b-instant"
        else:
            provider, path = "fallback", "/v1/%s/routed/compat/chat/completions" % ACCT
            chat["model"] = "dynamic/chat"
        headers = {"cf-aig-request-timeout": "2000"}
        try:
            status, _ = emu.call("POST", path, chat, headers, timeout=60)
        except (OSError, http.client.HTTPException):
            status = 599  # the client saw no answer
        stats.record(provider, path.split("/")[3], status)


def run(binary, data_dir, duration):
    emu = Emulator(binary, data_dir)
    gateway(emu, "cached", cache_ttl=300)
    gateway(emu, "plain")
    gateway(emu, "limited", rate_limiting_limit=50, rate_limiting_interval=10, rate_limiting_technique="sliding")
    gateway(emu, "routed")
    elements = [
        {"id": "start", "type": "start", "outputs": {"next": {"elementId": "m1"}}},
        {"id": "m1", "type": "model", "properties": {"provider": "openai", "model": "gpt-4o-mini", "timeout": 1500, "retries": 1},
         "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "m2"}}},
        {"id": "m2", "type": "model", "properties": {"provider": "workers-ai", "model": "@cf/meta/llama-3.1-8b-instruct", "timeout": 5000, "retries": 0},
         "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "end"}}},
        {"id": "end", "type": "end"},
    ]
    status, data = emu.api("POST", "/gateways/routed/routes", {"name": "chat", "elements": elements})
    assert status == 200, data
    stats, stop = Stats(), threading.Event()
    workers = [threading.Thread(target=traffic, args=(emu, stats, stop, i), daemon=True) for i in range(6)]
    for w in workers:
        w.start()
    samples, started, phase = [], time.time(), -1
    while time.time() - started < duration:
        now_phase = int((time.time() - started) // PHASE)
        if now_phase != phase:
            phase = now_phase
            emu.call("DELETE", "/__aigw/simulator/faults")
            fault = FAULTS[phase % len(FAULTS)]
            with stats.lock:
                stats.active = fault[0] if fault else None
                stats.switched = time.time()
            if fault:
                emu.call("POST", "/__aigw/simulator/faults", fault[1])
            # A management edit while traffic flows.
            emu.api("PUT", "/gateways/cached", {"cache_ttl": 300 + phase % 5, "cache_invalidate_on_update": False,
                                                 "collect_logs": True, "rate_limiting_interval": 0,
                                                 "rate_limiting_limit": 0, "rate_limiting_technique": "fixed"})
        samples.append((time.time() - started, emu.rss_kb() // 1024, emu.fds(), sum(stats.outcomes.values())))
        time.sleep(10)
    stop.set()
    for w in workers:
        w.join(timeout=90)
    time.sleep(2)  # log writes are batched off the request path
    rows = {}
    for gid in ["cached", "plain", "limited", "routed"]:
        _, data = emu.api("GET", f"/gateways/{gid}/logs?per_page=1")
        rows[gid] = json.loads(data)["result_info"]["total_count"]
    emu.proc.terminate()
    emu.proc.wait(timeout=30)
    return stats, samples, rows


def plateau(values):
    """The last third's peak is within 10% (and 4 units) of the middle third's."""
    n = len(values)
    if n < 6:
        return True
    mid, last = values[n // 3: 2 * n // 3], values[2 * n // 3:]
    return max(last) <= max(mid) * 1.10 + 4


def main():
    binary, data_dir = sys.argv[1], sys.argv[2]
    duration = int(sys.argv[3]) if len(sys.argv) > 3 else 1800
    stats, samples, rows = run(binary, data_dir, duration)
    total = sum(stats.outcomes.values())
    print(f"soak: {duration} s, {total} requests, {total / duration:.0f} req/s, faults rotating every {PHASE} s\n")
    print("| outcome | requests |\n|---|---:|")
    for status, n in sorted(stats.outcomes.items()):
        print(f"| {status} | {n} |")
    print("\n| t (s) | RSS (MB) | open fds | requests so far |\n|---:|---:|---:|---:|")
    for t, rss, fds, n in samples[:: max(1, len(samples) // 12)]:
        print(f"| {t:.0f} | {rss} | {fds} | {n} |")
    unexplained = sum(stats.unexplained.values())
    # Every request is logged, up to the gateway's log limit (the default, 10,000 rows).
    expected = {g: min(n, LOG_LIMIT) for g, n in stats.logged.items()}
    logged_ok = all(rows.get(g, 0) == n for g, n in expected.items())
    checks = [
        ("5xx not caused by an injected fault", unexplained == 0, f"{unexplained} {dict(stats.unexplained)}"),
        ("RSS plateaus", plateau([s[1] for s in samples]), f"max {max(s[1] for s in samples)} MB"),
        ("open fds plateau", plateau([s[2] for s in samples]), f"max {max(s[2] for s in samples)}"),
        ("log rows = logged requests (up to the limit)", logged_ok, f"rows {rows}, expected {expected}"),
    ]
    print("\n| check | result | measured |\n|---|---|---|")
    for name, ok, measured in checks:
        print(f"| {name} | {'pass' if ok else 'FAIL'} | {measured} |")
    sys.exit(0 if all(ok for _, ok, _ in checks) else 1)


if __name__ == "__main__":
    main()
