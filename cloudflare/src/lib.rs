//! Cloudflare AI Gateway management API: the v4 envelope, the gateway
//! object, and an HTTP client with retries. The provider calls the API
//! through [`Client`]; the emulator serves the same types. Dynamic routes
//! live in [`route`], their conditions in [`condition`]; the provider slug table in
//! [`providers`]; guardrails and DLP settings in [`controls`]; spend
//! limits in [`spend`]; OpenTelemetry exporters in [`logging`]; BYOK
//! provider keys in [`byok`]; custom providers in [`custom`].
pub mod byok;
pub mod client;
pub mod condition;
pub mod controls;
pub mod custom;
pub mod envelope;
pub mod gateway;
pub mod logging;
pub mod providers;
pub mod route;
pub mod spend;

pub use byok::{ProviderConfig, ProviderConfigBody};
pub use client::{Client, ClientOptions};
pub use custom::CustomProvider;
pub use envelope::{ApiMessage, Envelope, ResultInfo};
pub use gateway::Gateway;
pub use route::{Deployment, Element, Route, Step, Version};

/// Errors from talking to the Cloudflare API.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The API answered with an error envelope.
    #[error("{}", api_message(*.status, .errors))]
    Api { status: u16, errors: Vec<ApiMessage> },
    /// The request never got an answer (connection, timeout).
    #[error("request to {url} failed: {reason}")]
    Http { url: String, reason: String },
    /// Nothing listens at the API's address.
    #[error("connection refused at {origin} ({hint})")]
    Refused { origin: String, hint: &'static str },
    /// The answer was not what the API documents.
    #[error("unexpected response from {url}: {reason}")]
    Decode { url: String, reason: String },
    #[error("invalid base URL {0:?}")]
    BaseUrl(String),
}

impl Error {
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::Api { status: 404, .. })
    }
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }
}

fn api_message(status: u16, errors: &[ApiMessage]) -> String {
    if errors.is_empty() {
        return format!("Cloudflare API error (HTTP {status})");
    }
    let parts: Vec<String> = errors.iter().map(ApiMessage::to_string).collect();
    format!("Cloudflare API error (HTTP {status}): {}", parts.join("; "))
}
