//! The management API over real HTTP on a port-0 listener.
#![allow(clippy::unwrap_used, reason = "test code: a panic is the failure report")]
use std::time::Duration;

use serde_json::{Value, json};

struct Emu {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

async fn start(config: aigw_emulator::Config) -> Emu {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/client/v4/accounts/acct/ai-gateway", l.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        aigw_emulator::run(
            l,
            async {
                let _ = rx.await;
            },
            config,
        )
        .await
        .unwrap();
    });
    Emu { base, stop: Some(tx), task }
}

impl Emu {
    async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        tokio::time::timeout(Duration::from_secs(5), self.task).await.unwrap().unwrap();
    }
}

async fn call(method: reqwest::Method, url: &str, token: Option<&str>, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new().request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

fn gw(id: &str) -> Value {
    json!({"id": id, "cache_invalidate_on_update": false, "cache_ttl": 0, "collect_logs": true,
           "rate_limiting_interval": null, "rate_limiting_limit": null})
}

#[tokio::test]
async fn crud_paging_validation_and_conflicts() {
    let emu = start(aigw_emulator::Config::default()).await;
    let t = Some("any-token");
    let gws = format!("{}/gateways", emu.base);
    let (s, b) = call(reqwest::Method::POST, &gws, t, Some(gw("a"))).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["success"], true);
    assert_eq!(b["result"]["id"], "a");
    assert_eq!(b["result"]["authentication"], false);
    let (s, b) = call(reqwest::Method::POST, &gws, t, Some(gw("a"))).await;
    assert_eq!(s, 409);
    assert!(b["errors"][0]["message"].as_str().unwrap().contains("already exists"));
    for i in 0..4 {
        call(reqwest::Method::POST, &gws, t, Some(gw(&format!("p{i}")))).await;
    }
    let (_, b) = call(reqwest::Method::GET, &format!("{gws}?page=2&per_page=2"), t, None).await;
    assert_eq!(b["result"].as_array().unwrap().len(), 2);
    assert_eq!(b["result_info"], json!({"page": 2, "per_page": 2, "count": 2, "total_count": 5}));
    let (s, b) = call(reqwest::Method::GET, &format!("{gws}?per_page=101"), t, None).await;
    assert_eq!((s, b["errors"][0]["code"].clone()), (400, json!(7001)));

    // A full PUT replaces the object; invalid fields are 400/7001 with a path.
    let mut upd = gw("a");
    upd.as_object_mut().unwrap().remove("id");
    upd["log_management"] = json!(20000);
    let (s, b) = call(reqwest::Method::PUT, &format!("{gws}/a"), t, Some(upd.clone())).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["result"]["log_management"], 20000);
    upd["retry_delay"] = json!(9000);
    let (s, b) = call(reqwest::Method::PUT, &format!("{gws}/a"), t, Some(upd)).await;
    assert_eq!(s, 400);
    assert_eq!(b["errors"][0]["path"], json!(["retry_delay"]));
    let (s, _) = call(reqwest::Method::GET, &format!("{gws}/nope"), t, None).await;
    assert_eq!(s, 404);
    let (_, b) = call(reqwest::Method::GET, &format!("{gws}/a/url/openai"), t, None).await;
    assert!(b["result"].as_str().unwrap().ends_with("/v1/acct/a/openai"));
    let (s, b) = call(reqwest::Method::DELETE, &format!("{gws}/a"), t, None).await;
    assert_eq!((s, b["result"]["id"].clone()), (200, json!("a")));
    let (s, b) = call(reqwest::Method::GET, &format!("{}/nothing-here", emu.base), t, None).await;
    assert_eq!((s, b["errors"][0]["code"].clone()), (404, json!(7003)));
    emu.stop().await;
}

#[tokio::test]
async fn auth_errors_have_cloudflares_shape() {
    let emu = start(aigw_emulator::Config { api_token: Some("right".into()), ..Default::default() }).await;
    let gws = format!("{}/gateways", emu.base);
    let (s, b) = call(reqwest::Method::GET, &gws, None, None).await;
    assert_eq!((s, b["success"].clone(), b["errors"][0]["code"].clone()), (401, json!(false), json!(9106)));
    let (s, b) = call(reqwest::Method::GET, &gws, Some("wrong"), None).await;
    assert_eq!((s, b["errors"][0]["message"].clone()), (403, json!("Authentication error")));
    let (s, _) = call(reqwest::Method::GET, &gws, Some("right"), None).await;
    assert_eq!(s, 200);
    emu.stop().await;
}

#[tokio::test]
async fn large_and_oversized_bodies_get_the_v4_envelope() {
    let emu = start(aigw_emulator::Config::default()).await;
    let mut big = gw("big");
    big["description"] = json!("d".repeat(3 * 1024 * 1024));
    let (s, b) = call(reqwest::Method::POST, &format!("{}/gateways", emu.base), Some("t"), Some(big)).await;
    assert!(b.get("success").is_some(), "a 3 MB body gets a v4 answer ({s}): {b}");
    let huge = json!({"id": "huge", "x": "d".repeat(33 * 1024 * 1024)});
    let (s, b) = call(reqwest::Method::POST, &format!("{}/gateways", emu.base), Some("t"), Some(huge)).await;
    assert_eq!((s, b["success"].clone(), b["errors"][0]["code"].clone()), (413, json!(false), json!(10013)));
    emu.stop().await;
}

#[tokio::test]
async fn data_dir_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let config = aigw_emulator::Config { data_dir: Some(dir.path().to_path_buf()), ..Default::default() };
    let emu = start(config.clone()).await;
    let (s, _) = call(reqwest::Method::POST, &format!("{}/gateways", emu.base), Some("t"), Some(gw("kept"))).await;
    assert_eq!(s, 200);
    emu.stop().await;
    let emu = start(config.clone()).await;
    let (s, b) = call(reqwest::Method::GET, &format!("{}/gateways/kept", emu.base), Some("t"), None).await;
    assert_eq!((s, b["result"]["id"].clone()), (200, json!("kept")));
    // A second emulator on the same directory is refused while the first runs.
    let second = aigw_emulator::Emulator::open(config).await.err().expect("refused");
    assert!(second.to_string().contains("in use by another emulator"), "{second}");
    emu.stop().await;
}

#[tokio::test]
async fn routes_versions_deployments_and_cascade() {
    let emu = start(aigw_emulator::Config::default()).await;
    let t = Some("t");
    let gws = format!("{}/gateways", emu.base);
    call(reqwest::Method::POST, &gws, t, Some(gw("g"))).await;
    let routes = format!("{gws}/g/routes");
    let step = |p: &str| aigw_cloudflare::Step { provider: p.into(), model: "m".into(), timeout_ms: 1000, retries: 1 };
    let elements = serde_json::to_value(aigw_cloudflare::route::chain_elements(&[step("openai")])).unwrap();
    let (s, b) = call(reqwest::Method::POST, &routes, t, Some(json!({"name": "chat", "elements": elements}))).await;
    assert_eq!(s, 200, "{b}");
    let route: aigw_cloudflare::Route = serde_json::from_value(b["result"].clone()).unwrap();
    assert_eq!(route.version.active, "true");
    assert_eq!(route.deployment.version_id, route.version.version_id);
    let (s, _) = call(reqwest::Method::POST, &routes, t, Some(json!({"name": "chat", "elements": elements}))).await;
    assert_eq!(s, 409, "route names are unique per gateway");

    // Lists use {success, data: {...}} and no result.
    let (_, b) = call(reqwest::Method::GET, &routes, t, None).await;
    assert!(b.get("result").is_none());
    assert_eq!(b["data"]["routes"][0]["id"], json!(route.id));

    // A new version, deployed, changes the route's elements in place.
    let r = format!("{routes}/{}", route.id);
    let two =
        serde_json::to_value(aigw_cloudflare::route::chain_elements(&[step("openai"), step("anthropic")])).unwrap();
    let (s, b) = call(reqwest::Method::POST, &format!("{r}/versions"), t, Some(json!({"elements": two}))).await;
    assert_eq!((s, b["result"]["active"].clone()), (200, json!("false")));
    let vid = b["result"]["version_id"].clone();
    let (s, b) = call(reqwest::Method::POST, &format!("{r}/deployments"), t, Some(json!({"version_id": vid}))).await;
    assert_eq!(s, 200, "{b}");
    let (_, b) = call(reqwest::Method::GET, &r, t, None).await;
    assert_eq!(b["result"]["elements"].as_array().unwrap().len(), 4);
    assert_eq!(b["result"]["version"]["version_id"], vid);
    let (_, b) = call(reqwest::Method::GET, &format!("{r}/versions"), t, None).await;
    assert_eq!(b["data"]["versions"].as_array().unwrap().len(), 2);
    let (_, b) = call(reqwest::Method::GET, &format!("{r}/deployments"), t, None).await;
    assert_eq!(b["data"]["deployments"].as_array().unwrap().len(), 2);

    // Invalid graphs are 400/7001 with a path.
    let mut bad = two.clone();
    bad[1]["outputs"]["fallback"]["elementId"] = json!("missing");
    let (s, b) = call(reqwest::Method::POST, &format!("{r}/versions"), t, Some(json!({"elements": bad}))).await;
    assert_eq!((s, b["errors"][0]["code"].clone()), (400, json!(7001)));
    assert_eq!(b["errors"][0]["path"], json!(["elements", 1, "outputs", "fallback", "elementId"]));

    // Deleting the gateway deletes its routes.
    call(reqwest::Method::DELETE, &format!("{gws}/g"), t, None).await;
    call(reqwest::Method::POST, &gws, t, Some(gw("g"))).await;
    let (s, _) = call(reqwest::Method::GET, &r, t, None).await;
    assert_eq!(s, 404);
    emu.stop().await;
}
