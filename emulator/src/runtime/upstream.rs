//! Calling upstream providers: where each provider lives (the provider
//! table, `--upstream` overrides, or the simulator), and one step's
//! attempts with retries, backoff and a first-byte timeout. Retries happen
//! on 429, 5xx, timeouts and connection errors, never on other 4xx.
use std::collections::HashMap;
use std::time::Duration;

use aigw_cloudflare::providers;
use axum::http::{HeaderMap, HeaderName, Method, Request, Uri};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls_platform_verifier::BuilderVerifierExt;

use super::error::RuntimeError;
use super::target;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backoff {
    Constant,
    Linear,
    Exponential,
}

impl Backoff {
    pub fn parse(s: &str) -> Option<Backoff> {
        match s {
            "constant" => Some(Backoff::Constant),
            "linear" => Some(Backoff::Linear),
            "exponential" => Some(Backoff::Exponential),
            _ => None,
        }
    }
}

/// The longest base retry delay Cloudflare accepts (header, gateway, step).
pub const MAX_RETRY_DELAY_MS: u64 = 5000;
/// The longest single wait between attempts, however the backoff grows.
pub const MAX_WAIT_MS: u64 = 60_000;

/// How one step is attempted.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    /// 1-5 attempts in all.
    pub max_attempts: u32,
    pub delay_ms: u64,
    pub backoff: Backoff,
    /// Time to the response headers (first byte), per attempt.
    pub timeout_ms: Option<u64>,
}

impl Policy {
    /// The wait before retry number `retry` (1 = the first retry).
    pub fn delay(&self, retry: u32) -> Duration {
        let ms = match self.backoff {
            Backoff::Constant => self.delay_ms,
            Backoff::Linear => self.delay_ms.saturating_mul(u64::from(retry)),
            Backoff::Exponential => self.delay_ms.saturating_mul(1u64 << (retry - 1).min(20)),
        };
        Duration::from_millis(ms.min(MAX_WAIT_MS))
    }
}

/// One upstream request.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: Method,
    pub url: reqwest::Url,
    pub headers: HeaderMap,
    pub body: Bytes,
    pub stream: bool,
}

/// How a step ended.
pub enum Outcome {
    /// A whole response (every non-streamed answer, and streamed errors).
    Full { status: u16, headers: HeaderMap, body: Bytes },
    /// A successful streamed answer, still flowing.
    Stream { status: u16, headers: HeaderMap, body: Incoming },
    /// No answer: timeouts or connection errors on every attempt.
    Failed { error: String },
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        match self {
            Outcome::Full { status, .. } | Outcome::Stream { status, .. } => (200..300).contains(status),
            Outcome::Failed { .. } => false,
        }
    }
    fn retryable(&self) -> bool {
        match self {
            Outcome::Full { status, .. } | Outcome::Stream { status, .. } => *status == 429 || *status >= 500,
            Outcome::Failed { .. } => true,
        }
    }
}

/// The HTTP client to upstreams: hyper's pooled client (HTTP/1.1 with
/// keep-alive, TCP_NODELAY), TLS by rustls with the platform's roots.
type Client = hyper_util::client::legacy::Client<HttpsConnector<HttpConnector>, Full<Bytes>>;

/// Idle connections kept per upstream host.
const POOL_IDLE_PER_HOST: usize = 256;

fn client() -> Result<Client, rustls::Error> {
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    // ALPN (http/1.1) is set by the connector below.
    let tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_platform_verifier()?
        .with_no_client_auth();
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    http.enforce_http(false);
    http.set_connect_timeout(Some(Duration::from_secs(10)));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Ok(hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(POOL_IDLE_PER_HOST)
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_timer(TokioTimer::new())
        .build(https))
}

/// An error and its causes, as one line ("client error (Connect): tcp
/// connect error: Connection refused").
fn chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = c.source();
    }
    out
}

pub struct Upstreams {
    http: Client,
    overrides: HashMap<String, String>,
    simulator: Option<String>,
    /// Where custom providers (`custom-{slug}`) are registered.
    store: Option<std::sync::Arc<crate::store::Store>>,
}

const HOP_BY_HOP: &[&str] =
    &["host", "content-length", "connection", "transfer-encoding", "accept-encoding", "keep-alive", "upgrade", "te"];

/// Request headers that go upstream: the client's own (its provider key
/// included, untouched), less gateway (`cf-aig-*`) and hop-by-hop headers.
pub fn forwardable(headers: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (k, v) in headers {
        let name = k.as_str();
        if !name.starts_with("cf-aig-") && !name.starts_with("cf-") && !HOP_BY_HOP.contains(&name) {
            out.append(k.clone(), v.clone());
        }
    }
    out
}

impl Upstreams {
    /// `overrides`: provider slug → base URL. `simulator`: base URL of the
    /// simulated upstream, which then serves every provider.
    pub fn new(overrides: HashMap<String, String>, simulator: Option<String>) -> Result<Upstreams, crate::Error> {
        Ok(Upstreams { http: client()?, overrides, simulator, store: None })
    }

    /// Resolves `custom-{slug}` through the custom providers in `store`.
    pub fn with_store(self, store: std::sync::Arc<crate::store::Store>) -> Upstreams {
        Upstreams { store: Some(store), ..self }
    }

    /// A registered custom provider's base URL and headers, if `provider` is one.
    fn custom(&self, account: &str, provider: &str) -> Option<aigw_cloudflare::CustomProvider> {
        if !provider.starts_with("custom-") {
            return None; // no store lookup for the built-in providers
        }
        self.store.as_ref()?.read(|d| d.custom_provider(account, provider).cloned())
    }

    /// Adds a custom provider's own headers to a step bound for it.
    pub fn add_custom_headers(&self, account: &str, call: &mut Call, provider: &str) {
        if self.overrides.contains_key(provider) {
            return;
        }
        let Some(c) = self.custom(account, provider) else { return };
        for (k, v) in &c.headers {
            if let (Ok(name), Some(Ok(value))) = (
                HeaderName::from_bytes(k.to_ascii_lowercase().as_bytes()),
                v.as_str().map(axum::http::HeaderValue::from_str),
            ) && !call.headers.contains_key(&name)
            {
                call.headers.insert(name, value);
            }
        }
    }

    /// The upstream URL for `path` (what follows `/{provider}/` in the
    /// gateway URL, with its query string).
    pub fn url(&self, provider: &str, account: &str, path: &str) -> Result<reqwest::Url, RuntimeError> {
        let (mut segs, query) = target::parse(path)?;
        let query = query.as_deref();
        if let Some(base) = self.overrides.get(provider) {
            return target::join(base, &segs, query);
        }
        // A registered custom provider is the account's own service: its base
        // URL is used even with the simulator on.
        if let Some(c) = self.custom(account, provider) {
            if !c.enable {
                return Err(RuntimeError::bad_request(format!(
                    "Custom provider '{provider}' is disabled; enable it (\"enable\": true) to use it"
                )));
            }
            return target::join(&c.base_url, &segs, query);
        }
        if let Some(sim) = &self.simulator {
            segs.insert(0, provider.to_string());
            return target::join(sim, &segs, query);
        }
        let p = providers::get(provider)
            .ok_or_else(|| RuntimeError::bad_request(format!("Unknown provider '{provider}'")))?;
        let base = if p.base_url.contains("{account_id}") {
            if !target::is_account(account) {
                return Err(RuntimeError::bad_request(format!("Invalid account id {account:?}")));
            }
            p.base_url.replace("{account_id}", account)
        } else {
            p.base_url.to_string()
        };
        match provider {
            "workers-ai" if segs.first().is_none_or(|s| s != "v1") => {
                segs.insert(0, "run".into());
                target::join(&base, &segs, query)
            }
            "azure-openai" => {
                // azure-openai/{resource}/{deployment}/{rest}: the resource is a host name.
                if segs.len() < 3 {
                    return Err(RuntimeError::bad_request("azure-openai paths are {resource}/{deployment}/..."));
                }
                let resource = segs.remove(0);
                if !target::is_dns_label(&resource) {
                    return Err(RuntimeError::bad_request(format!(
                        "Invalid azure-openai resource name {resource:?}: it must be a DNS label (letters, digits, hyphens)"
                    )));
                }
                target::join(&base.replace("{resource}", &resource), &segs, query)
            }
            _ if p.base_url.contains('{') => Err(RuntimeError::bad_request(format!(
                "The emulator cannot call {provider} directly; use -upstream {provider}=URL or the simulator"
            ))),
            _ => target::join(&base, &segs, query),
        }
    }

    async fn attempt(&self, call: &Call, timeout: Option<Duration>) -> Outcome {
        let uri = match call.url.as_str().parse::<Uri>() {
            Ok(u) => u,
            Err(e) => return Outcome::Failed { error: format!("invalid upstream URL: {e}") },
        };
        let mut req = Request::new(Full::new(call.body.clone()));
        *req.method_mut() = call.method.clone();
        *req.uri_mut() = uri;
        *req.headers_mut() = call.headers.clone();
        let send = self.http.request(req);
        let sent = match timeout {
            Some(t) => match tokio::time::timeout(t, send).await {
                Ok(r) => r,
                Err(_) => return Outcome::Failed { error: format!("no response within {} ms", t.as_millis()) },
            },
            None => send.await,
        };
        let resp = match sent {
            Ok(r) => r,
            Err(e) => return Outcome::Failed { error: chain(&e) },
        };
        let status = resp.status().as_u16();
        let (parts, body) = resp.into_parts();
        if call.stream && (200..300).contains(&status) {
            return Outcome::Stream { status, headers: parts.headers, body };
        }
        match body.collect().await {
            Ok(body) => Outcome::Full { status, headers: parts.headers, body: body.to_bytes() },
            Err(e) => Outcome::Failed { error: format!("connection dropped: {}", chain(&e)) },
        }
    }

    /// Attempts `call` up to `policy.max_attempts` times. Returns the last
    /// outcome and how many attempts were made.
    pub async fn send(&self, call: &Call, policy: &Policy) -> (Outcome, u32) {
        let timeout = policy.timeout_ms.map(Duration::from_millis);
        let max = policy.max_attempts.clamp(1, 5);
        let mut attempt = 1;
        loop {
            let out = self.attempt(call, timeout).await;
            if !out.retryable() || attempt >= max {
                return (out, attempt);
            }
            tokio::time::sleep(policy.delay(attempt)).await;
            attempt += 1;
        }
    }
}

/// Response headers passed back to the client.
pub fn passthrough_headers(from: &HeaderMap) -> HeaderMap {
    let mut out = HeaderMap::new();
    for (k, v) in from {
        if !HOP_BY_HOP.contains(&k.as_str()) && k != HeaderName::from_static("content-encoding") {
            out.append(k.clone(), v.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_schedules() {
        let p = |backoff| Policy { max_attempts: 5, delay_ms: 100, backoff, timeout_ms: None };
        let ms = |b| (1..=4).map(|r| p(b).delay(r).as_millis()).collect::<Vec<_>>();
        assert_eq!(ms(Backoff::Constant), [100, 100, 100, 100]);
        assert_eq!(ms(Backoff::Linear), [100, 200, 300, 400]);
        assert_eq!(ms(Backoff::Exponential), [100, 200, 400, 800]);
    }

    #[test]
    fn urls_follow_the_provider_table() {
        let u =
            Upstreams::new(HashMap::from([("groq".to_string(), "http://127.0.0.1:9/x/".to_string())]), None).unwrap();
        assert_eq!(
            u.url("openai", "acct", "chat/completions").unwrap().as_str(),
            "https://api.openai.com/v1/chat/completions"
        );
        assert_eq!(
            u.url("anthropic", "acct", "v1/messages").unwrap().as_str(),
            "https://api.anthropic.com/v1/messages"
        );
        assert_eq!(
            u.url("workers-ai", "acct", "@cf/meta/llama-3.1-8b-instruct").unwrap().as_str(),
            "https://api.cloudflare.com/client/v4/accounts/acct/ai/run/@cf/meta/llama-3.1-8b-instruct"
        );
        assert_eq!(
            u.url("azure-openai", "a", "res/dep/chat/completions?api-version=1").unwrap().as_str(),
            "https://res.openai.azure.com/openai/deployments/dep/chat/completions?api-version=1"
        );
        assert_eq!(u.url("groq", "a", "chat/completions").unwrap().as_str(), "http://127.0.0.1:9/x/chat/completions");
        assert!(u.url("nope", "a", "x").is_err());
        // Hostile segments never choose the host or leave the base path.
        for (provider, path) in [
            ("azure-openai", "127.0.0.1:47001%23/dep/chat/completions"),
            ("azure-openai", "evil.com/dep/chat/completions"),
            ("openai", "../../../etc/passwd"),
            ("openai", "..%2f..%2fetc/passwd"),
            ("anthropic", "v1/%2e%2e/%2e%2e/x"),
            ("workers-ai", "../../../../x"),
            ("groq", "../admin"),
        ] {
            assert!(u.url(provider, "acct", path).is_err(), "{provider} {path}");
        }
        assert!(u.url("workers-ai", "../evil", "@cf/m").is_err());
        let sim = Upstreams::new(HashMap::new(), Some("http://127.0.0.1:1".into())).unwrap();
        assert_eq!(
            sim.url("openai", "a", "/chat/completions").unwrap().as_str(),
            "http://127.0.0.1:1/openai/chat/completions"
        );
    }
}
