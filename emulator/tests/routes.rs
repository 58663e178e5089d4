//! Dynamic routes at runtime through the compat endpoint, on the simulated
//! upstream: a 70/30 split over 1,000 requests with the emulator's seed,
//! the same split on a second run, and conditional routing on metadata.
#![allow(clippy::unwrap_used, reason = "test code: a panic is the failure report")]
use std::sync::Arc;

use aigw_emulator::{Clock, Config, Emulator};
use serde_json::{Value, json};

const ACCT: &str = "0123456789abcdef0123456789abcdef";

async fn start(seed: u64) -> (String, reqwest::Client) {
    let config = Config { simulate: true, seed: Some(seed), ..Config::default() };
    let emulator = Emulator::open_with_clock(config, Arc::new(Clock::frozen(1_800_000_000_000))).await.unwrap();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { emulator.serve(l, std::future::pending()).await.unwrap() });
    let http = reqwest::Client::new();
    let api = |p: &str| format!("{base}/client/v4/accounts/{ACCT}/ai-gateway{p}");
    let gw = json!({"id": "g", "cache_invalidate_on_update": false, "cache_ttl": 0, "collect_logs": false,
                    "rate_limiting_interval": null, "rate_limiting_limit": null});
    let r = http.post(api("/gateways")).bearer_auth("t").json(&gw).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let model = |id: &str, provider: &str| {
        json!({"id": id, "type": "model", "outputs": {"success": {"elementId": "end"}, "fallback": {"elementId": "end"}},
               "properties": {"provider": provider, "model": "m", "retries": 0, "timeout": 5000}})
    };
    let elements = json!([
        {"id": "start", "type": "start", "outputs": {"next": {"elementId": "tier"}}},
        {"id": "tier", "type": "conditional", "properties": {"conditions": {"metadata.plan": {"$eq": "free"}}},
         "outputs": {"true": {"elementId": "cheap"}, "false": {"elementId": "split"}}},
        {"id": "split", "type": "percentage", "outputs": {"70%": {"elementId": "a"}, "30%": {"elementId": "b"}}},
        model("a", "openai"), model("b", "anthropic"), model("cheap", "workers-ai"),
        {"id": "end", "type": "end", "outputs": {}}
    ]);
    let r = http.post(api("/gateways/g/routes")).bearer_auth("t").json(&json!({"name": "r", "elements": elements}));
    let r = r.send().await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    (base, http)
}

async fn provider(base: &str, http: &reqwest::Client, metadata: Option<&str>) -> String {
    let mut req = http
        .post(format!("{base}/v1/{ACCT}/g/compat/chat/completions"))
        .json(&json!({"model": "dynamic/r", "messages": [{"role": "user", "content": "hi"}]}));
    if let Some(m) = metadata {
        req = req.header("cf-aig-metadata", m);
    }
    let r = req.send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.headers()["cf-aig-provider"].to_str().unwrap().to_string()
}

async fn split(seed: u64) -> usize {
    let (base, http) = start(seed).await;
    let mut a = 0;
    for _ in 0..1000 {
        if provider(&base, &http, None).await == "openai" {
            a += 1;
        }
    }
    a
}

#[tokio::test]
async fn a_seventy_thirty_route_splits_1000_requests_within_two_points_and_repeats() {
    let first = split(42).await;
    assert!((680..=720).contains(&first), "{first} of 1000 took the 70% branch");
    assert_eq!(split(42).await, first, "the same seed gives the same split");
}

#[tokio::test]
async fn conditions_route_on_metadata() {
    let (base, http) = start(0).await;
    assert_eq!(provider(&base, &http, Some(r#"{"plan":"free"}"#)).await, "workers-ai");
    let other: Value = json!(provider(&base, &http, Some(r#"{"plan":"pro"}"#)).await);
    assert!(other == "openai" || other == "anthropic", "{other}");
}
