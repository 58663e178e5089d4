//! Prometheus metrics for the runtime, served at `/metrics`: request counts
//! by gateway, provider, status and cache result; tokens; cost; and a
//! latency histogram.
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// Histogram bucket bounds, in milliseconds.
const BUCKETS_MS: &[u64] = &[1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000];

/// One provider's counters within a gateway.
#[derive(Default)]
struct ProviderSeries {
    /// Requests by (status, cached).
    requests: HashMap<(u16, bool), u64>,
    tokens_in: u64,
    tokens_out: u64,
}

/// One gateway's counters. Each gateway has its own lock, so requests to
/// different gateways never wait on each other; a sample allocates only the
/// first time its gateway or provider is seen.
struct GatewaySeries {
    providers: HashMap<String, ProviderSeries>,
    cost: f64,
    buckets: [u64; BUCKETS_MS.len()],
    count: u64,
    sum_ms: u64,
}

impl Default for GatewaySeries {
    fn default() -> GatewaySeries {
        GatewaySeries { providers: HashMap::new(), cost: 0.0, buckets: [0; BUCKETS_MS.len()], count: 0, sum_ms: 0 }
    }
}

#[derive(Default)]
pub struct Metrics {
    gateways: RwLock<HashMap<String, Arc<Mutex<GatewaySeries>>>>,
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
    fn series(&self, gateway: &str) -> Arc<Mutex<GatewaySeries>> {
        if let Some(s) = self.gateways.read().unwrap_or_else(PoisonError::into_inner).get(gateway) {
            return s.clone();
        }
        let mut all = self.gateways.write().unwrap_or_else(PoisonError::into_inner);
        all.entry(gateway.to_string()).or_default().clone()
    }

    pub fn record(&self, s: &Sample<'_>) {
        let series = self.series(s.gateway);
        let mut guard = series.lock().unwrap_or_else(PoisonError::into_inner);
        let g = &mut *guard;
        if !g.providers.contains_key(s.provider) {
            g.providers.insert(s.provider.to_string(), ProviderSeries::default());
        }
        if let Some(p) = g.providers.get_mut(s.provider) {
            *p.requests.entry((s.status, s.cached)).or_default() += 1;
            p.tokens_in += s.tokens_in;
            p.tokens_out += s.tokens_out;
        }
        g.cost += s.cost;
        for (n, b) in g.buckets.iter_mut().zip(BUCKETS_MS) {
            if s.duration_ms <= *b {
                *n += 1;
            }
        }
        g.count += 1;
        g.sum_ms += s.duration_ms;
    }

    /// A sorted snapshot, so the exposition's order is stable.
    fn snapshot(&self) -> Snapshot {
        let all = self.gateways.read().unwrap_or_else(PoisonError::into_inner);
        let mut out = Snapshot::default();
        for (gw, series) in all.iter() {
            let g = series.lock().unwrap_or_else(PoisonError::into_inner);
            for (provider, p) in &g.providers {
                for ((status, cached), n) in &p.requests {
                    out.requests.insert((gw.clone(), provider.clone(), *status, *cached), *n);
                }
                out.tokens.insert((gw.clone(), provider.clone(), "in"), p.tokens_in);
                out.tokens.insert((gw.clone(), provider.clone(), "out"), p.tokens_out);
            }
            out.cost.insert(gw.clone(), g.cost);
            out.latency.insert(gw.clone(), (g.buckets.to_vec(), g.count, g.sum_ms));
        }
        out
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let m = self.snapshot();
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

#[derive(Default)]
struct Snapshot {
    requests: BTreeMap<(String, String, u16, bool), u64>,
    tokens: BTreeMap<(String, String, &'static str), u64>,
    cost: BTreeMap<String, f64>,
    latency: BTreeMap<String, (Vec<u64>, u64, u64)>,
}
