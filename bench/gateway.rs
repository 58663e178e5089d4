//! Gateway runtime benchmark: direct to the simulated upstream vs through
//! the gateway (cache miss, logging on) vs cache hits, at concurrency 1, at
//! concurrency 64, and at a fixed 2,000 req/s; streamed time to first byte;
//! and (with AIGW_BENCH_LONG=1) RSS over 1,000,000 requests. Everything
//! runs on loopback in one process: the simulator, the emulator and the
//! load generator share this machine's cores.
//!
//!     cargo bench -p aigw-e2e --bench gateway
//!
//! A failed request aborts the run with a message: numbers from a run with
//! errors would be wrong.
use std::sync::Arc;
use std::time::{Duration, Instant};

use aigw_emulator::{Config, Emulator, Simulator};
use serde_json::json;

const ACCT: &str = "0123456789abcdef0123456789abcdef";

struct Stats {
    lat: Vec<Duration>,
    wall: Duration,
}

impl Stats {
    fn pct(&self, p: f64) -> Duration {
        let mut v = self.lat.clone();
        v.sort();
        v[((v.len() as f64 - 1.0) * p).round() as usize]
    }
    fn rps(&self) -> f64 {
        self.lat.len() as f64 / self.wall.as_secs_f64()
    }
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

async fn closed_loop(http: &reqwest::Client, url: &str, body: &str, n: usize, conc: usize) -> Stats {
    let start = Instant::now();
    let per = n / conc;
    let tasks: Vec<_> = (0..conc)
        .map(|_| {
            let (http, url, body) = (http.clone(), url.to_string(), body.to_string());
            tokio::spawn(async move {
                let mut lat = Vec::with_capacity(per);
                for _ in 0..per {
                    let t = Instant::now();
                    let r = http
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(body.clone())
                        .send()
                        .await
                        .expect("request failed");
                    assert!(r.status().is_success(), "{}", r.status());
                    r.bytes().await.expect("reading the answer failed");
                    lat.push(t.elapsed());
                }
                lat
            })
        })
        .collect();
    let mut lat = Vec::with_capacity(n);
    for t in tasks {
        lat.extend(t.await.expect("load task panicked"));
    }
    Stats { lat, wall: start.elapsed() }
}

/// Open loop: requests start on a fixed schedule whatever the answers do.
async fn fixed_rate(http: &reqwest::Client, url: &str, body: &str, rate: u64, secs: u64) -> Stats {
    let start = Instant::now();
    let n = rate * secs;
    let gap = Duration::from_nanos(1_000_000_000 / rate);
    let mut tasks = Vec::with_capacity(n as usize);
    for i in 0..n {
        let due = start + gap * i as u32;
        tokio::time::sleep_until(due.into()).await;
        let (http, url, body) = (http.clone(), url.to_string(), body.to_string());
        tasks.push(tokio::spawn(async move {
            let r = http
                .post(&url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .expect("request failed");
            r.bytes().await.expect("reading the answer failed");
            due.elapsed()
        }));
    }
    let mut lat = Vec::with_capacity(n as usize);
    for t in tasks {
        lat.push(t.await.expect("load task panicked"));
    }
    Stats { lat, wall: start.elapsed() }
}

async fn ttfb(http: &reqwest::Client, url: &str, n: usize) -> Stats {
    let body = json!({"model": "gpt-4o-mini", "stream": true, "messages": [{"role": "user", "content": "stream"}]})
        .to_string();
    let start = Instant::now();
    let mut lat = Vec::new();
    for _ in 0..n {
        let t = Instant::now();
        let mut r = http
            .post(url)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await
            .expect("stream request failed");
        r.chunk().await.expect("first chunk failed");
        lat.push(t.elapsed());
        while r.chunk().await.expect("stream read failed").is_some() {}
    }
    Stats { lat, wall: start.elapsed() }
}

#[tokio::main]
async fn main() {
    // The simulated upstream, served on its own port so it can be called directly.
    let sim = Arc::new(Simulator::new(Vec::new()));
    let sl = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind simulator");
    let sim_url = format!("http://{}", sl.local_addr().expect("simulator address"));
    let sl = axum::serve::ListenerExt::tap_io(sl, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(axum::serve(sl, sim.router()).into_future());

    let config = Config {
        upstreams: [("openai".to_string(), format!("{sim_url}/openai"))].into_iter().collect(),
        ..Config::default()
    };
    let emu = Emulator::open(config).await.expect("open emulator");
    let el = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind emulator");
    let gw_url = format!("http://{}", el.local_addr().expect("emulator address"));
    tokio::spawn(emu.serve(el, std::future::pending()));
    let http = reqwest::Client::builder().tcp_nodelay(true).pool_max_idle_per_host(512).build().expect("HTTP client");
    for (id, ttl) in [("miss", 0), ("hit", 3600)] {
        let body = json!({"id": id, "cache_invalidate_on_update": false, "cache_ttl": ttl, "collect_logs": true,
                          "rate_limiting_interval": null, "rate_limiting_limit": null});
        let r = http
            .post(format!("{gw_url}/client/v4/accounts/{ACCT}/ai-gateway/gateways"))
            .bearer_auth("b")
            .json(&body)
            .send()
            .await
            .expect("create gateway");
        assert!(r.status().is_success());
    }
    let direct = format!("{sim_url}/openai/chat/completions");
    let miss = format!("{gw_url}/v1/{ACCT}/miss/openai/chat/completions");
    let hit = format!("{gw_url}/v1/{ACCT}/hit/openai/chat/completions");
    let body = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "benchmark me"}]}).to_string();
    // Warm up connections and the cache entry.
    for url in [&direct, &miss, &hit] {
        closed_loop(&http, url, &body, 500, 4).await;
    }

    println!("| scenario | target | requests | req/s | p50 (µs) | p99 (µs) |");
    println!("|---|---|---:|---:|---:|---:|");
    let row = |scenario: &str, target: &str, s: &Stats| {
        println!(
            "| {scenario} | {target} | {} | {:.0} | {:.0} | {:.0} |",
            s.lat.len(),
            s.rps(),
            us(s.pct(0.5)),
            us(s.pct(0.99))
        );
    };
    let mut added = Vec::new();
    for (scenario, n, conc) in [("concurrency 1", 5_000, 1), ("concurrency 64", 40_000, 64)] {
        let d = closed_loop(&http, &direct, &body, n, conc).await;
        let m = closed_loop(&http, &miss, &body, n, conc).await;
        let h = closed_loop(&http, &hit, &body, n, conc).await;
        row(scenario, "direct to upstream", &d);
        row(scenario, "gateway, cache miss, logging on", &m);
        row(scenario, "gateway, cache hit", &h);
        added.push((scenario, us(m.pct(0.5)) - us(d.pct(0.5)), us(m.pct(0.99)) - us(d.pct(0.99))));
    }
    let d = fixed_rate(&http, &direct, &body, 2_000, 5).await;
    let m = fixed_rate(&http, &miss, &body, 2_000, 5).await;
    row("2,000 req/s for 5 s", "direct to upstream", &d);
    row("2,000 req/s for 5 s", "gateway, cache miss, logging on", &m);
    added.push(("2,000 req/s", us(m.pct(0.5)) - us(d.pct(0.5)), us(m.pct(0.99)) - us(d.pct(0.99))));
    let d = ttfb(&http, &direct, 300).await;
    let g = ttfb(&http, &miss, 300).await;
    row("stream, time to first byte", "direct to upstream", &d);
    row("stream, time to first byte", "gateway", &g);
    added.push(("stream TTFB", us(g.pct(0.5)) - us(d.pct(0.5)), us(g.pct(0.99)) - us(d.pct(0.99))));

    println!();
    println!("| gateway's added latency (same percentile, gateway minus direct) | p50 (µs) | p99 (µs) |");
    println!("|---|---:|---:|");
    for (s, p50, p99) in added {
        println!("| {s} | {p50:.0} | {p99:.0} |");
    }

    if std::env::var_os("AIGW_BENCH_LONG").is_some() {
        long_run(&http, &body).await;
    }
}

/// RSS of a separate `aigw emulator --simulate` process (release build)
/// over 1,000,000 requests with logging on.
async fn long_run(http: &reqwest::Client, body: &str) {
    use std::io::BufRead;
    let exe = std::env::current_exe().expect("bench path");
    let aigw = exe.parent().and_then(|p| p.parent()).expect("target dir").join("aigw");
    let mut child = std::process::Command::new(&aigw)
        .args(["emulator", "--listen", "127.0.0.1:0", "--simulate"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("build the release binaries first: cargo build --release --workspace");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("emulator banner"))
        .read_line(&mut line)
        .expect("emulator banner");
    let base = line.trim().trim_start_matches("listening on ").to_string();
    let gw = json!({"id": "rss", "cache_invalidate_on_update": false, "cache_ttl": 0, "collect_logs": true,
                    "rate_limiting_interval": null, "rate_limiting_limit": null});
    let r = http
        .post(format!("{base}/client/v4/accounts/{ACCT}/ai-gateway/gateways"))
        .bearer_auth("b")
        .json(&gw)
        .send()
        .await
        .expect("create gateway");
    assert!(r.status().is_success());
    let url = format!("{base}/v1/{ACCT}/rss/openai/chat/completions");
    let rss = |pid: u32| {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))
                    .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
            })
            .map_or(0.0, |kb| kb / 1024.0)
    };
    println!();
    println!("| requests through `aigw emulator --simulate` (logging on) | emulator RSS (MB) |");
    println!("|---:|---:|");
    println!("| 0 | {:.0} |", rss(child.id()));
    for done in (1..=10).map(|i| i * 100_000) {
        closed_loop(http, &url, body, 100_000, 64).await;
        println!("| {done} | {:.0} |", rss(child.id()));
    }
    let _ = child.kill();
    let _ = child.wait();
}
