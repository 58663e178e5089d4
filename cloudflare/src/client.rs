//! HTTP client for the AI Gateway management API. Retries 429 and 5xx with
//! bounded exponential backoff and honours `Retry-After`. The API token is
//! sent only in the Authorization header and never appears in errors.
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value as Json};

use crate::Error;
use crate::byok::{ProviderConfig, ProviderConfigBody};
use crate::custom::CustomProvider;
use crate::envelope::{Envelope, ResultInfo};
use crate::gateway::Gateway;
use crate::route::{Deployment, Element, Route, Version};

/// Tuning for [`Client`].
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// Attempts per request, including the first.
    pub max_attempts: u32,
    /// First backoff delay; doubles each retry.
    pub base_delay: Duration,
    /// Upper bound for any one wait, including `Retry-After`.
    pub max_delay: Duration,
    pub request_timeout: Duration,
    pub connect_timeout: Duration,
}

impl Default for ClientOptions {
    fn default() -> ClientOptions {
        ClientOptions {
            max_attempts: 5,
            base_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(20),
            request_timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    opts: ClientOptions,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").field("base", &self.base).field("token", &"<redacted>").finish()
    }
}

/// A URL as errors show it: credentials written into it (`https://user:pass@host`) are dropped.
pub fn shown(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if !u.username().is_empty() || u.password().is_some() => {
            let _ = u.set_username("");
            let _ = u.set_password(None);
            u.to_string()
        }
        Ok(_) => url.to_string(),
        Err(_) if url.contains('@') => "<a URL with credentials>".to_string(),
        Err(_) => url.to_string(),
    }
}

/// The connection was refused: nothing listens there, so retrying is pointless.
fn refused(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(s) = source {
        if s.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::ConnectionRefused) {
            return true;
        }
        source = s.source();
    }
    false
}

fn refused_error(url: &str) -> Error {
    let origin = reqwest::Url::parse(url).map(|u| u.origin().ascii_serialization()).unwrap_or_else(|_| url.to_string());
    let local = origin.contains("://127.0.0.1") || origin.contains("://localhost") || origin.contains("://[::1]");
    let hint = if local {
        "is `aigw emulator` running? Start it with `aigw emulator`, or set the provider's base_url"
    } else {
        "check the provider's base_url and your network"
    };
    Error::Refused { origin, hint }
}

impl Client {
    /// `base_url` is the v4 root, e.g. `https://api.cloudflare.com/client/v4`.
    pub fn new(base_url: &str, token: &str, opts: ClientOptions) -> Result<Client, Error> {
        let base = base_url.trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(Error::BaseUrl(shown(base_url)));
        }
        let http = reqwest::Client::builder()
            .timeout(opts.request_timeout)
            .connect_timeout(opts.connect_timeout)
            .user_agent(concat!("terraform-provider-aigw/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Http { url: shown(&base), reason: e.to_string() })?;
        Ok(Client { http, base, token: token.to_string(), opts })
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn gateways_url(&self, account: &str) -> String {
        format!("{}/accounts/{account}/ai-gateway/gateways", self.base)
    }

    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        let exp = self.opts.base_delay.saturating_mul(1u32 << attempt.min(16));
        retry_after.unwrap_or(exp).min(self.opts.max_delay)
    }

    async fn send<T: DeserializeOwned>(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<&Json>,
    ) -> Result<(T, Option<ResultInfo>), Error> {
        // A POST that failed with 5xx may have taken effect; only 429 (not
        // processed) is retried for it.
        let idempotent = method != reqwest::Method::POST;
        let mut attempt = 0;
        loop {
            let mut req = self.http.request(method.clone(), url).bearer_auth(&self.token);
            if let Some(b) = body {
                req = req.json(b);
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) if refused(&e) => return Err(refused_error(url)),
                Err(e) => {
                    attempt += 1;
                    if idempotent && attempt < self.opts.max_attempts && (e.is_timeout() || e.is_connect()) {
                        tokio::time::sleep(self.backoff(attempt, None)).await;
                        continue;
                    }
                    return Err(Error::Http { url: shown(url), reason: e.without_url().to_string() });
                }
            };
            let status = resp.status();
            let retryable = status.as_u16() == 429 || (idempotent && status.is_server_error());
            if retryable && attempt + 1 < self.opts.max_attempts {
                let retry_after = resp
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                attempt += 1;
                let wait = self.backoff(attempt, retry_after);
                tracing::debug!(%status, ?wait, "retrying Cloudflare API request");
                tokio::time::sleep(wait).await;
                continue;
            }
            let bytes =
                resp.bytes().await.map_err(|e| Error::Http { url: shown(url), reason: e.without_url().to_string() })?;
            let env: Envelope<T> = serde_json::from_slice(&bytes).map_err(|e| {
                if status.is_success() {
                    Error::Decode { url: shown(url), reason: e.to_string() }
                } else {
                    let text = String::from_utf8_lossy(&bytes).chars().take(200).collect::<String>();
                    Error::Api { status: status.as_u16(), errors: vec![crate::ApiMessage::new(0, text)] }
                }
            })?;
            if !status.is_success() || !env.success {
                return Err(Error::Api { status: status.as_u16(), errors: env.errors });
            }
            let result = env.result.ok_or_else(|| Error::Decode { url: shown(url), reason: "no result".into() })?;
            return Ok((result, env.result_info));
        }
    }

    /// One page of gateways.
    pub async fn list_gateways(
        &self,
        account: &str,
        page: u64,
        per_page: u64,
    ) -> Result<(Vec<Gateway>, Option<ResultInfo>), Error> {
        let url = format!("{}?page={page}&per_page={per_page}", self.gateways_url(account));
        self.send(reqwest::Method::GET, &url, None).await
    }

    pub async fn get_gateway(&self, account: &str, id: &str) -> Result<Gateway, Error> {
        let url = format!("{}/{id}", self.gateways_url(account));
        Ok(self.send(reqwest::Method::GET, &url, None).await?.0)
    }

    pub async fn create_gateway(&self, account: &str, body: &Map<String, Json>) -> Result<Gateway, Error> {
        let body = Json::Object(body.clone());
        Ok(self.send(reqwest::Method::POST, &self.gateways_url(account), Some(&body)).await?.0)
    }

    /// A full PUT; build `body` with [`Gateway::to_update_body`].
    pub async fn update_gateway(&self, account: &str, id: &str, body: &Map<String, Json>) -> Result<Gateway, Error> {
        let url = format!("{}/{id}", self.gateways_url(account));
        Ok(self.send(reqwest::Method::PUT, &url, Some(&Json::Object(body.clone()))).await?.0)
    }

    pub async fn delete_gateway(&self, account: &str, id: &str) -> Result<Gateway, Error> {
        let url = format!("{}/{id}", self.gateways_url(account));
        Ok(self.send(reqwest::Method::DELETE, &url, None).await?.0)
    }

    /// The runtime URL for one provider, e.g. `.../v1/{account}/{id}/openai`.
    pub async fn gateway_url(&self, account: &str, id: &str, provider: &str) -> Result<String, Error> {
        let url = format!("{}/{id}/url/{provider}", self.gateways_url(account));
        Ok(self.send(reqwest::Method::GET, &url, None).await?.0)
    }

    fn routes_url(&self, account: &str, gateway: &str) -> String {
        format!("{}/{gateway}/routes", self.gateways_url(account))
    }

    /// Creates a route; Cloudflare deploys its first version at once.
    pub async fn create_route(
        &self,
        account: &str,
        gateway: &str,
        name: &str,
        elements: &[Element],
    ) -> Result<Route, Error> {
        let body = serde_json::json!({ "name": name, "elements": elements });
        Ok(self.send(reqwest::Method::POST, &self.routes_url(account, gateway), Some(&body)).await?.0)
    }

    /// Every route of a gateway.
    pub async fn list_routes(&self, account: &str, gateway: &str) -> Result<Vec<Route>, Error> {
        let url = self.routes_url(account, gateway);
        let (page, _): (Json, _) = self.send(reqwest::Method::GET, &url, None).await?;
        let routes = page.get("routes").cloned().unwrap_or(Json::Array(Vec::new()));
        serde_json::from_value(routes).map_err(|e| Error::Decode { url: shown(&url), reason: e.to_string() })
    }

    pub async fn get_route(&self, account: &str, gateway: &str, id: &str) -> Result<Route, Error> {
        let url = format!("{}/{id}", self.routes_url(account, gateway));
        Ok(self.send(reqwest::Method::GET, &url, None).await?.0)
    }

    /// PATCH takes the name only.
    pub async fn rename_route(&self, account: &str, gateway: &str, id: &str, name: &str) -> Result<Route, Error> {
        let url = format!("{}/{id}", self.routes_url(account, gateway));
        let body = serde_json::json!({ "name": name });
        Ok(self.send(reqwest::Method::PATCH, &url, Some(&body)).await?.0)
    }

    pub async fn delete_route(&self, account: &str, gateway: &str, id: &str) -> Result<Route, Error> {
        let url = format!("{}/{id}", self.routes_url(account, gateway));
        Ok(self.send(reqwest::Method::DELETE, &url, None).await?.0)
    }

    pub async fn create_route_version(
        &self,
        account: &str,
        gateway: &str,
        id: &str,
        elements: &[Element],
    ) -> Result<Version, Error> {
        let url = format!("{}/{id}/versions", self.routes_url(account, gateway));
        let body = serde_json::json!({ "elements": elements });
        Ok(self.send(reqwest::Method::POST, &url, Some(&body)).await?.0)
    }

    pub async fn deploy_route_version(
        &self,
        account: &str,
        gateway: &str,
        id: &str,
        version_id: &str,
    ) -> Result<Deployment, Error> {
        let url = format!("{}/{id}/deployments", self.routes_url(account, gateway));
        let body = serde_json::json!({ "version_id": version_id });
        Ok(self.send(reqwest::Method::POST, &url, Some(&body)).await?.0)
    }

    fn keys_url(&self, account: &str, gateway: &str) -> String {
        format!("{}/{gateway}/provider_configs", self.gateways_url(account))
    }

    /// Stores a BYOK key on a gateway.
    pub async fn create_provider_config(
        &self,
        account: &str,
        gateway: &str,
        body: &ProviderConfigBody,
    ) -> Result<ProviderConfig, Error> {
        let body =
            serde_json::to_value(body).map_err(|e| Error::Decode { url: String::new(), reason: e.to_string() })?;
        Ok(self.send(reqwest::Method::POST, &self.keys_url(account, gateway), Some(&body)).await?.0)
    }

    pub async fn list_provider_configs(&self, account: &str, gateway: &str) -> Result<Vec<ProviderConfig>, Error> {
        Ok(self.send(reqwest::Method::GET, &self.keys_url(account, gateway), None).await?.0)
    }

    pub async fn get_provider_config(&self, account: &str, gateway: &str, id: &str) -> Result<ProviderConfig, Error> {
        let url = format!("{}/{id}", self.keys_url(account, gateway));
        Ok(self.send(reqwest::Method::GET, &url, None).await?.0)
    }

    /// Replaces a key's settings; a body without `secret` keeps the stored key.
    pub async fn update_provider_config(
        &self,
        account: &str,
        gateway: &str,
        id: &str,
        body: &ProviderConfigBody,
    ) -> Result<ProviderConfig, Error> {
        let url = format!("{}/{id}", self.keys_url(account, gateway));
        let body =
            serde_json::to_value(body).map_err(|e| Error::Decode { url: String::new(), reason: e.to_string() })?;
        Ok(self.send(reqwest::Method::PUT, &url, Some(&body)).await?.0)
    }

    pub async fn delete_provider_config(
        &self,
        account: &str,
        gateway: &str,
        id: &str,
    ) -> Result<ProviderConfig, Error> {
        let url = format!("{}/{id}", self.keys_url(account, gateway));
        Ok(self.send(reqwest::Method::DELETE, &url, None).await?.0)
    }

    fn custom_url(&self, account: &str) -> String {
        format!("{}/accounts/{account}/ai-gateway/custom-providers", self.base)
    }

    pub async fn create_custom_provider(&self, account: &str, body: &Json) -> Result<CustomProvider, Error> {
        Ok(self.send(reqwest::Method::POST, &self.custom_url(account), Some(body)).await?.0)
    }

    pub async fn get_custom_provider(&self, account: &str, id: &str) -> Result<CustomProvider, Error> {
        Ok(self.send(reqwest::Method::GET, &format!("{}/{id}", self.custom_url(account)), None).await?.0)
    }

    pub async fn list_custom_providers(&self, account: &str) -> Result<Vec<CustomProvider>, Error> {
        Ok(self.send(reqwest::Method::GET, &self.custom_url(account), None).await?.0)
    }

    /// Sets the fields `body` names.
    pub async fn patch_custom_provider(&self, account: &str, id: &str, body: &Json) -> Result<CustomProvider, Error> {
        Ok(self.send(reqwest::Method::PATCH, &format!("{}/{id}", self.custom_url(account)), Some(body)).await?.0)
    }

    pub async fn delete_custom_provider(&self, account: &str, id: &str) -> Result<CustomProvider, Error> {
        Ok(self.send(reqwest::Method::DELETE, &format!("{}/{id}", self.custom_url(account)), None).await?.0)
    }

    /// Any JSON request, for callers with their own types.
    pub async fn request<T: DeserializeOwned, B: Serialize>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<T, Error> {
        let body = body
            .map(serde_json::to_value)
            .transpose()
            .map_err(|e| Error::Decode { url: path.to_string(), reason: e.to_string() })?;
        Ok(self.send(method, &format!("{}{path}", self.base), body.as_ref()).await?.0)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn credentials_in_urls_never_reach_errors() {
        assert_eq!(super::shown("https://user:hunter2@api.example.com/v4/x"), "https://api.example.com/v4/x");
        assert_eq!(super::shown("http://127.0.0.1:8787/client/v4"), "http://127.0.0.1:8787/client/v4");
        let e = super::Client::new("ftp://user:hunter2@h/", "t", Default::default()).unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }
}
