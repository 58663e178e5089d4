//! Prometheus metrics for the runtime, served at `/metrics`: request counts
//! by gateway, provider, status and cache result; tokens; cost; and a
//! latency histogram.
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

/// Histogram bucket bounds, in milliseconds.
const BUCKETS_MS: &[u64] = &[1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16, bool), u64>,
    tokens: BTreeMap<(String, String, &'static str), u64>,
    cost: BTreeMap<String, f64>,
    latency: BTreeMap<String, (Vec<u64>, u64, u64)>,
}

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

/// One finished request, as metrics see it.
pub struct Sample<'a> {
    pub gateway: &'a str,
    pub provider: &'a str,
    pub status: u16,
    pub cached: bool,
    pub duration_ms: u64,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub cost: f64,
}

impl Metrics {
    pub fn record(&self, s: &Sample<'_>) {
        let mut m = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *m.requests.entry((s.gateway.to_string(), s.provider.to_string(), s.status, s.cached)).or_default() += 1;
        *m.tokens.entry((s.gateway.to_string(), s.provider.to_string(), "in")).or_default() += s.tokens_in;
        *m.tokens.entry((s.gateway.to_string(), s.provider.to_string(), "out")).or_default() += s.tokens_out;
        *m.cost.entry(s.gateway.to_string()).or_default() += s.cost;
        let h = m.latency.entry(s.gateway.to_string()).or_insert_with(|| (vec![0; BUCKETS_MS.len()], 0, 0));
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            if s.duration_ms <= *b {
                h.0[i] += 1;
            }
        }
        h.1 += 1;
        h.2 += s.duration_ms;
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let m = self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = String::new();
        let _ =
            writeln!(out, "# HELP aigw_requests_total Runtime requests by gateway, provider, status and cache result.");
        let _ = writeln!(out, "# TYPE aigw_requests_total counter");
        for ((g, p, status, cached), n) in &m.requests {
            let _ = writeln!(
                out,
                "aigw_requests_total{{gateway=\"{g}\",provider=\"{p}\",status=\"{status}\",cached=\"{cached}\"}} {n}"
            );
        }
        let _ = writeln!(out, "# HELP aigw_tokens_total Tokens by gateway, provider and direction.");
        let _ = writeln!(out, "# TYPE aigw_tokens_total counter");
        for ((g, p, dir), n) in &m.tokens {
            let _ = writeln!(out, "aigw_tokens_total{{gateway=\"{g}\",provider=\"{p}\",direction=\"{dir}\"}} {n}");
        }
        let _ = writeln!(out, "# HELP aigw_cost_usd_total Estimated cost in USD by gateway.");
        let _ = writeln!(out, "# TYPE aigw_cost_usd_total counter");
        for (g, c) in &m.cost {
            let _ = writeln!(out, "aigw_cost_usd_total{{gateway=\"{g}\"}} {c}");
        }
        let _ = writeln!(out, "# HELP aigw_request_duration_ms Request latency through the gateway.");
        let _ = writeln!(out, "# TYPE aigw_request_duration_ms histogram");
        for (g, (buckets, count, sum)) in &m.latency {
            for (b, n) in BUCKETS_MS.iter().zip(buckets) {
                let _ = writeln!(out, "aigw_request_duration_ms_bucket{{gateway=\"{g}\",le=\"{b}\"}} {n}");
            }
            let _ = writeln!(out, "aigw_request_duration_ms_bucket{{gateway=\"{g}\",le=\"+Inf\"}} {count}");
            let _ = writeln!(out, "aigw_request_duration_ms_sum{{gateway=\"{g}\"}} {sum}");
            let _ = writeln!(out, "aigw_request_duration_ms_count{{gateway=\"{g}\"}} {count}");
        }
        out
    }
}
