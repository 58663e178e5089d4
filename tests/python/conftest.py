"""Fixtures: a real `aigw emulator --simulate` on a free port, and helpers
for its management and control APIs. The SDKs under test are the stock
`openai` and `anthropic` packages; only their base URL changes. A local
HTTP collector receives what the emulator exports (Logpush batches,
OTLP spans)."""
import http.server
import json
import os
import pathlib
import subprocess
import threading
import time
import uuid

import httpx
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
ACCOUNT = "0123456789abcdef0123456789abcdef"
TOKEN = "py-token"


def _binary():
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    for profile in ("debug", "release"):
        p = target / profile / "aigw"
        if p.exists():
            return str(p)
    raise RuntimeError("build aigw first: cargo build --workspace")


class Collector:
    """Records every POST it gets: (path, headers, body)."""

    def __init__(self):
        self.received = []
        self.cond = threading.Condition()
        collector = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with collector.cond:
                    collector.received.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    collector.cond.notify_all()
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait(self, path, match, timeout=15):
        """The first body POSTed to `path` for which `match(headers, body)` is true."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for p, h, b in self.received:
                    if p == path and match(h, b):
                        return h, b
                left = deadline - time.monotonic()
                assert left > 0, f"nothing matching was POSTed to {path}: {[(p, len(b)) for p, _, b in self.received]}"
                self.cond.wait(left)

    def close(self):
        self.server.shutdown()


class Emulator:
    def __init__(self, collector):
        self.proc = subprocess.Popen(
            [_binary(), "emulator", "--listen", "127.0.0.1:0", "--simulate", "--api-token", TOKEN,
             "--logpush", f"{collector.url}/logpush"],
            stdout=subprocess.PIPE,
            text=True,
        )
        banner = self.proc.stdout.readline().strip()
        assert banner.startswith("listening on http://"), banner
        self.base = banner.removeprefix("listening on ")
        self.http = httpx.Client(base_url=self.base, timeout=30)

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)

    def api(self, method, path, body=None):
        r = self.http.request(
            method,
            f"/client/v4/accounts/{ACCOUNT}/ai-gateway{path}",
            headers={"Authorization": f"Bearer {TOKEN}"},
            json=body,
        )
        return r.status_code, r.json()

    def gateway(self, **settings):
        """Creates a gateway with a fresh id and returns its id."""
        gid = "py-" + uuid.uuid4().hex[:12]
        body = {
            "id": gid,
            "cache_invalidate_on_update": False,
            "cache_ttl": 0,
            "collect_logs": True,
            "rate_limiting_interval": None,
            "rate_limiting_limit": None,
        }
        body.update(settings)
        status, out = self.api("POST", "/gateways", body)
        assert status == 200, out
        return gid

    def update(self, gateway, **settings):
        """Changes settings with a full PUT of the gateway (guardrails and
        DLP are accepted on PUT only, as on Cloudflare)."""
        status, out = self.api("GET", f"/gateways/{gateway}")
        assert status == 200, out
        body = {k: v for k, v in out["result"].items() if k not in ("id", "created_at", "modified_at", "is_default")}
        body.update(settings)
        status, out = self.api("PUT", f"/gateways/{gateway}", body)
        assert status == 200, out

    def url(self, gateway, provider=None):
        base = f"{self.base}/v1/{ACCOUNT}/{gateway}"
        return f"{base}/{provider}" if provider else base

    def calls(self):
        return self.http.get("/__aigw/simulator/calls").json()["calls"]

    def fault(self, **fault):
        r = self.http.post("/__aigw/simulator/faults", json=fault)
        assert r.status_code == 201, r.text

    def clear_faults(self):
        self.http.delete("/__aigw/simulator/faults")

    def logs(self, gateway, **query):
        params = {k: (json.dumps(v) if k == "filters" else v) for k, v in query.items()}
        r = self.http.get(
            f"/client/v4/accounts/{ACCOUNT}/ai-gateway/gateways/{gateway}/logs",
            params={"per_page": 50, "order_by_direction": "asc", **params},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        assert r.status_code == 200, r.text
        return r.json()["result"]


@pytest.fixture(scope="session")
def collector():
    c = Collector()
    yield c
    c.close()


@pytest.fixture(scope="session")
def emulator(collector):
    e = Emulator(collector)
    yield e
    e.close()


@pytest.fixture(autouse=True)
def _no_faults(emulator):
    emulator.clear_faults()
    yield
    emulator.clear_faults()
