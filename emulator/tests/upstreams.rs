//! What reaches the upstream, end to end, on a test server on port 0 that
//! records every request: BYOK provider keys (the `provider_configs` API
//! with Cloudflare's envelope and codes, and the runtime sending the stored
//! key) and custom providers (the `/custom-providers` API, and `custom-*`
//! requests reaching the registered base URL with its headers).
#![allow(clippy::unwrap_used, reason = "test code: a panic is the failure report")]
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aigw_emulator::{Clock, Config, Emulator};
use axum::http::HeaderMap;
use serde_json::{Value, json};

const ACCT: &str = "0123456789abcdef0123456789abcdef";
const OPENAI_KEY: &str = "sk-stored-openai-key-0001";

/// Headers (and the path) of each upstream request.
type Seen = Arc<Mutex<Vec<HeaderMap>>>;

/// An OpenAI-shaped upstream that records the headers of every request.
async fn recording_upstream() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().fallback(move |uri: axum::http::Uri, mut h: HeaderMap| {
        let s = s.clone();
        async move {
            h.insert("x-seen-path", uri.path().parse().unwrap());
            s.lock().unwrap().push(h);
            axum::Json(json!({"id": "x", "object": "chat.completion", "model": "gpt-4o-mini",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}))
        }
    });
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, app).await.unwrap() });
    (url, seen)
}

struct Emu {
    base: String,
    http: reqwest::Client,
    seen: Seen,
    upstream: String,
}

async fn start() -> Emu {
    let (up, seen) = recording_upstream().await;
    let upstream = up.trim_end_matches("/v1").to_string();
    let config =
        Config { upstreams: HashMap::from([("openai".to_string(), up)]), simulate: false, ..Config::default() };
    let emulator = Emulator::open_with_clock(config, Arc::new(Clock::frozen(1_800_000_000_000))).await.unwrap();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { emulator.serve(l, std::future::pending()).await.unwrap() });
    Emu { base, http: reqwest::Client::new(), seen, upstream }
}

impl Emu {
    /// The recording upstream's root, e.g. `http://127.0.0.1:PORT/v1`.
    fn seen_base(&self) -> String {
        format!("{}/v1", self.upstream)
    }

    /// A runtime request (`/v1/{account}/{path}`) carrying only the gateway token.
    async fn runtime(&self, path: &str, body: Value) -> reqwest::Response {
        self.http
            .post(format!("{}/v1/{ACCT}/{path}", self.base))
            .header("cf-aig-authorization", "Bearer cf-token")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    fn api(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}/client/v4/accounts/{ACCT}/ai-gateway{path}", self.base))
            .bearer_auth("cf-token")
    }

    async fn gateway(&self, id: &str, extra: Value) {
        let mut body = json!({"id": id, "cache_invalidate_on_update": false, "cache_ttl": 0, "collect_logs": true,
                              "rate_limiting_interval": null, "rate_limiting_limit": null, "authentication": true});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let r = self.api(reqwest::Method::POST, "/gateways").json(&body).send().await.unwrap();
        assert_eq!(r.status(), 200);
        if let Some(true) = extra.get("byok_only").and_then(Value::as_bool) {
            let r = self.api(reqwest::Method::PUT, &format!("/gateways/{id}")).json(&body).send().await.unwrap();
            assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
        }
    }

    async fn key(&self, gw: &str, body: Value) -> (u16, Value) {
        let r = self.api(reqwest::Method::POST, &format!("/gateways/{gw}/provider_configs")).json(&body).send().await;
        let r = r.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// A chat request carrying only the gateway token.
    fn chat(&self, gw: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}/v1/{ACCT}/{gw}/openai/chat/completions", self.base))
            .header("cf-aig-authorization", "Bearer cf-token")
            .json(&json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}))
    }

    fn last_auth(&self) -> Option<String> {
        let seen = self.seen.lock().unwrap();
        seen.last()?.get("authorization").map(|v| v.to_str().unwrap().to_string())
    }

    async fn logs(&self, gw: &str, n: usize) -> Vec<Value> {
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(5)).await;
            let v: Value = self
                .api(reqwest::Method::GET, &format!("/gateways/{gw}/logs?order_by_direction=asc"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let rows = v["result"].as_array().cloned().unwrap_or_default();
            if rows.len() >= n {
                return rows;
            }
        }
        panic!("fewer than {n} logs")
    }
}

async fn code(r: reqwest::Response) -> (u16, i64, String) {
    let status = r.status().as_u16();
    let v: Value = r.json().await.unwrap();
    (status, v["error"][0]["code"].as_i64().unwrap(), v["error"][0]["message"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn a_request_with_only_the_gateway_token_reaches_the_upstream_with_the_stored_key() {
    let e = start().await;
    e.gateway("g", json!({})).await;
    let (status, body) = e.key("g", json!({"provider_slug": "openai", "alias": "default", "secret": OPENAI_KEY})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["result"]["secret_preview"], "sk-s****0001");
    assert!(!body.to_string().contains(OPENAI_KEY), "the key is never answered: {body}");
    let r = e.chat("g").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(e.last_auth().as_deref(), Some(format!("Bearer {OPENAI_KEY}").as_str()));
    let seen = e.seen.lock().unwrap().last().cloned().unwrap();
    assert!(seen.get("cf-aig-authorization").is_none(), "the gateway token stays at the gateway");

    // The client's own key wins over the stored one.
    let r = e.chat("g").bearer_auth("sk-client").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(e.last_auth().as_deref(), Some("Bearer sk-client"));

    let logs = e.logs("g", 2).await;
    assert_eq!(logs[0]["byok_alias"], "default");
    assert_eq!(logs[1]["byok_alias"], Value::Null);
    let all = serde_json::to_string(&logs).unwrap();
    assert!(!all.contains(OPENAI_KEY));
}

#[tokio::test]
async fn aliases_choose_the_key_and_an_unknown_alias_is_2040() {
    let e = start().await;
    e.gateway("g", json!({})).await;
    e.key("g", json!({"provider_slug": "openai", "alias": "default", "secret": "sk-default-0000000"})).await;
    e.key("g", json!({"provider_slug": "openai", "alias": "batch", "secret": "sk-batch-00000000"})).await;
    let r = e.chat("g").header("cf-aig-byok-alias", "batch").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(e.last_auth().as_deref(), Some("Bearer sk-batch-00000000"));

    // A key marked default wins over the alias `default`.
    let (s, b) = e
        .key(
            "g",
            json!({"provider_slug": "openai", "alias": "main", "secret": "sk-main-000000000", "default_config": true}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    e.chat("g").send().await.unwrap();
    assert_eq!(e.last_auth().as_deref(), Some("Bearer sk-main-000000000"));

    let r = e.chat("g").header("cf-aig-byok-alias", "nope").send().await.unwrap();
    let (status, c, msg) = code(r).await;
    assert_eq!((status, c), (400, 2040));
    assert!(msg.ends_with("Configured aliases: batch, default, main"), "{msg}");
}

#[tokio::test]
async fn byok_only_and_no_wholesale_refuse_a_request_with_no_key_anywhere() {
    let e = start().await;
    e.gateway("strict", json!({"byok_only": true})).await;
    let r = e.chat("strict").send().await.unwrap();
    let (status, c, msg) = code(r).await;
    assert_eq!((status, c), (400, 2042), "{msg}");
    assert!(msg.contains("byok_only"));
    assert!(e.seen.lock().unwrap().is_empty(), "nothing reached the upstream");
    // With a key of its own the request goes through.
    assert_eq!(e.chat("strict").bearer_auth("sk-own").send().await.unwrap().status(), 200);

    e.gateway("open", json!({})).await;
    assert_eq!(e.chat("open").send().await.unwrap().status(), 200, "Unified Billing path");
    let r = e.chat("open").header("cf-aig-no-wholesale", "true").send().await.unwrap();
    assert_eq!(code(r).await.1, 2042);
}

#[tokio::test]
async fn a_keys_rate_limit_is_counted_per_key() {
    let e = start().await;
    e.gateway("g", json!({})).await;
    let (s, b) = e
        .key(
            "g",
            json!({"provider_slug": "openai", "alias": "default", "secret": "sk-limited-000000", "rate_limit": 2}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(b["result"]["rate_limit_period"], 60, "the documented default period");
    assert_eq!(e.chat("g").send().await.unwrap().status(), 200);
    assert_eq!(e.chat("g").send().await.unwrap().status(), 200);
    let (status, c, _) = code(e.chat("g").send().await.unwrap()).await;
    assert_eq!((status, c), (429, 2003));
    // A client key is not this key's traffic.
    assert_eq!(e.chat("g").bearer_auth("sk-own").send().await.unwrap().status(), 200);
    // In a chain, the limited key's step fails over to the next step.
    let q = json!({"model": "gpt-4o-mini", "messages": []});
    let steps = json!([{"provider": "openai", "endpoint": "chat/completions", "query": q},
                       {"provider": "openai", "endpoint": "chat/completions", "query": q,
                        "headers": {"authorization": "Bearer sk-next"}}]);
    let r = e
        .http
        .post(format!("{}/v1/{ACCT}/g", e.base))
        .header("cf-aig-authorization", "Bearer cf-token")
        .json(&steps)
        .send()
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), header(&r, "cf-aig-step")), (200, "1".to_string()));
    assert_eq!(e.last_auth().as_deref(), Some("Bearer sk-next"));
}

#[tokio::test]
async fn the_provider_configs_api_answers_bad_input_with_cloudflares_envelope() {
    let e = start().await;
    e.gateway("g", json!({})).await;
    let (s, b) = e.key("g", json!({"provider_slug": "nope", "alias": "a b", "rate_limit": 0})).await;
    assert_eq!(s, 400);
    assert_eq!(b["success"], false);
    let paths: Vec<Value> = b["errors"].as_array().unwrap().iter().map(|m| m["path"].clone()).collect();
    assert_eq!(paths, [json!(["provider_slug"]), json!(["alias"]), json!(["secret"]), json!(["rate_limit"])]);
    assert!(b["errors"].as_array().unwrap().iter().all(|m| m["code"] == 7001));

    let (s, _) = e.key("g", json!({"provider_slug": "openai", "alias": "a", "secret": "sk-aaaaaaaaaaaa"})).await;
    assert_eq!(s, 200);
    let (s, b) = e.key("g", json!({"provider_slug": "openai", "alias": "a", "secret": "sk-bbbbbbbbbbbb"})).await;
    assert_eq!((s, b["errors"][0]["path"].clone()), (400, json!(["alias"])));
    // The same alias for another provider is fine.
    let (s, _) = e.key("g", json!({"provider_slug": "anthropic", "alias": "a", "secret": "sk-cccccccccccc"})).await;
    assert_eq!(s, 200);

    let (s, b) = e.key("missing", json!({"provider_slug": "openai", "alias": "a", "secret": "sk-x"})).await;
    assert_eq!((s, b["errors"][0]["code"].clone()), (404, json!(7002)));
    let r = e.api(reqwest::Method::GET, "/gateways/g/provider_configs/nope").send().await.unwrap();
    assert_eq!(r.status(), 404);
    let r = e.api(reqwest::Method::POST, "/gateways/g/provider_configs").body("{").send().await.unwrap();
    assert_eq!(r.status(), 400);

    // PUT without a secret keeps the key; DELETE removes it.
    let list: Value =
        e.api(reqwest::Method::GET, "/gateways/g/provider_configs").send().await.unwrap().json().await.unwrap();
    let first = list["result"].as_array().unwrap().iter().find(|k| k["provider_slug"] == "openai").unwrap().clone();
    let id = first["id"].as_str().unwrap();
    let r = e
        .api(reqwest::Method::PUT, &format!("/gateways/g/provider_configs/{id}"))
        .json(&json!({"provider_slug": "openai", "alias": "a", "rate_limit": 5}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["result"]["secret_preview"], first["secret_preview"]);
    assert_eq!(v["result"]["rate_limit"], 5);
    let r = e.api(reqwest::Method::DELETE, &format!("/gateways/g/provider_configs/{id}")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = e.api(reqwest::Method::DELETE, &format!("/gateways/g/provider_configs/{id}")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn custom_providers_reach_their_base_url_with_their_headers() {
    let e = start().await;
    e.gateway("g", json!({})).await;
    // The recording upstream stands in for the account's own service.
    let up = e.seen_base();
    let body = json!({"name": "Neon", "slug": "neon", "base_url": format!("{up}/neon"), "enable": true,
                      "headers": {"x-tenant": "t-1"}});
    let r = e.api(reqwest::Method::POST, "/custom-providers").json(&body).send().await.unwrap();
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["result"]["slug"], "neon", "{created}");
    let id = created["result"]["id"].as_str().unwrap().to_string();
    e.key("g", json!({"provider_slug": "custom-neon", "alias": "default", "secret": "neon-key-00000001"})).await;

    let r = e.runtime("g/custom-neon/chat/completions", json!({"model": "neon-chat", "messages": []})).await;
    assert_eq!(r.status(), 200);
    let seen = e.seen.lock().unwrap().last().cloned().unwrap();
    assert_eq!(seen["x-seen-path"], "/v1/neon/chat/completions");
    assert_eq!(seen["x-tenant"], "t-1");
    assert_eq!(seen["authorization"], "Bearer neon-key-00000001");

    // The compat endpoint takes custom-{slug}/{model}.
    let r = e.runtime("g/compat/chat/completions", json!({"model": "custom-neon/neon-chat", "messages": []})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(e.seen.lock().unwrap().last().unwrap()["x-seen-path"], "/v1/neon/chat/completions");

    // Disabled: refused before any upstream call.
    let n = e.seen.lock().unwrap().len();
    let r = e.api(reqwest::Method::PATCH, &format!("/custom-providers/{id}")).json(&json!({"enable": false})).send();
    assert_eq!(r.await.unwrap().status(), 200);
    let r = e.chat("g").send().await.unwrap();
    assert_eq!(r.status(), 200, "other providers are unaffected");
    let r = e.runtime("g/custom-neon/chat/completions", json!({"model": "neon-chat", "messages": []})).await;
    let (status, _, msg) = code(r).await;
    assert_eq!(status, 400);
    assert!(msg.contains("disabled"), "{msg}");
    assert_eq!(e.seen.lock().unwrap().len(), n + 1);

    let r = e.api(reqwest::Method::DELETE, &format!("/custom-providers/{id}")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let r = e.api(reqwest::Method::GET, &format!("/custom-providers/{id}")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn the_custom_providers_api_answers_bad_input_with_cloudflares_envelope() {
    let e = start().await;
    let post = |body: Value| e.api(reqwest::Method::POST, "/custom-providers").json(&body).send();
    let r: Value =
        post(json!({"slug": "Bad Slug", "base_url": "ftp://x", "enable": "yes"})).await.unwrap().json().await.unwrap();
    let paths: Vec<Value> = r["errors"].as_array().unwrap().iter().map(|m| m["path"].clone()).collect();
    assert_eq!(paths, [json!(["enable"]), json!(["name"]), json!(["slug"]), json!(["base_url"])]);
    let ok = json!({"name": "A", "slug": "a", "base_url": "https://a.example"});
    assert_eq!(post(ok.clone()).await.unwrap().status(), 200);
    let r: Value = post(ok).await.unwrap().json().await.unwrap();
    assert_eq!((r["errors"][0]["code"].clone(), r["errors"][0]["path"].clone()), (json!(7001), json!(["slug"])));
    let r =
        e.api(reqwest::Method::PATCH, "/custom-providers/nope").json(&json!({"enable": true})).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_gateway_past_the_account_limit_is_refused() {
    let (up, _) = recording_upstream().await;
    let config =
        Config { upstreams: HashMap::from([("openai".to_string(), up)]), max_gateways: Some(2), ..Config::default() };
    let emulator = Emulator::open_with_clock(config, Arc::new(Clock::frozen(0))).await.unwrap();
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", l.local_addr().unwrap());
    tokio::spawn(async move { emulator.serve(l, std::future::pending()).await.unwrap() });
    let e = Emu { base, http: reqwest::Client::new(), seen: Seen::default(), upstream: String::new() };
    e.gateway("a", json!({})).await;
    e.gateway("b", json!({})).await;
    let body = json!({"id": "c", "cache_invalidate_on_update": false, "cache_ttl": 0, "collect_logs": true,
                      "rate_limiting_interval": null, "rate_limiting_limit": null});
    let r: Value = e.api(reqwest::Method::POST, "/gateways").json(&body).send().await.unwrap().json().await.unwrap();
    assert_eq!(r["errors"][0]["code"], 7010, "{r}");
    assert!(r["errors"][0]["message"].as_str().unwrap().contains("limit of 2 gateways"));
}

#[tokio::test]
async fn universal_step_headers_are_that_steps_gateway_controls_and_never_go_upstream() {
    let e = start().await;
    e.gateway("g", json!({"authentication": false})).await;
    let steps = |headers: Value| {
        json!([{"provider": "openai", "endpoint": "chat/completions", "headers": headers,
                "query": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}}])
    };
    let send = |body: Value| e.http.post(format!("{}/v1/{ACCT}/g", e.base)).json(&body).send();
    let cached =
        steps(json!({"authorization": "Bearer sk-own", "cf-aig-cache-ttl": "120", "cf-aig-max-attempts": "2"}));
    let r = send(cached.clone()).await.unwrap();
    assert_eq!((r.status().as_u16(), header(&r, "cf-aig-cache-status")), (200, "MISS".to_string()));
    {
        let seen = e.seen.lock().unwrap();
        let h = seen.last().unwrap();
        assert_eq!(h["authorization"], "Bearer sk-own", "other step headers go upstream");
        assert!(h.keys().all(|k| !k.as_str().starts_with("cf-aig-")), "gateway controls stay at the gateway: {h:?}");
    }
    let n = e.seen.lock().unwrap().len();
    let r = send(cached).await.unwrap();
    assert_eq!(header(&r, "cf-aig-cache-status"), "HIT", "the step's own TTL turned the cache on");
    assert_eq!(e.seen.lock().unwrap().len(), n);

    // On a caching gateway, a step that skips the cache is never stored.
    e.gateway("c", json!({"authentication": false, "cache_ttl": 300})).await;
    let skip = steps(json!({"authorization": "Bearer sk-own", "cf-aig-skip-cache": "true"}));
    for _ in 0..2 {
        let r = e.http.post(format!("{}/v1/{ACCT}/c", e.base)).json(&skip).send().await.unwrap();
        assert_eq!(header(&r, "cf-aig-cache-status"), "MISS");
    }
    assert_eq!(e.seen.lock().unwrap().len(), n + 2);
}

fn header(r: &reqwest::Response, name: &str) -> String {
    r.headers().get(name).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}
