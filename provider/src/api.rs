//! What configuring the provider produces: the API client, where the
//! gateway runtime lives, and the per-gateway write locks.
use aigw_cloudflare::Client;

use crate::locks::GatewayLocks;

pub const DEFAULT_BASE_URL: &str = "https://api.cloudflare.com/client/v4";

pub struct Api {
    pub client: Client,
    /// Runtime root apps call, e.g. `https://gateway.ai.cloudflare.com`.
    pub runtime_base: String,
    pub locks: GatewayLocks,
}

impl Api {
    pub fn new(client: Client) -> Api {
        let runtime_base = runtime_base(client.base_url());
        let locks = GatewayLocks::new(client.base_url());
        Api { client, runtime_base, locks }
    }

    /// The base URL apps use for a gateway: `{runtime}/v1/{account}/{gateway}`.
    pub fn endpoint(&self, account: &str, gateway: &str) -> String {
        format!("{}/v1/{account}/{gateway}", self.runtime_base)
    }
}

/// Cloudflare's API lives on api.cloudflare.com and its runtime on
/// gateway.ai.cloudflare.com; an emulator serves both from one address.
pub fn runtime_base(api_base: &str) -> String {
    // Apps get the endpoint: credentials written into base_url stay out of it.
    let shown = aigw_cloudflare::client::shown(api_base);
    let trimmed = shown.trim_end_matches('/');
    if trimmed.starts_with("https://api.cloudflare.com") {
        return "https://gateway.ai.cloudflare.com".to_string();
    }
    trimmed.strip_suffix("/client/v4").unwrap_or(trimmed).to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn runtime_base_follows_the_api() {
        assert_eq!(super::runtime_base(super::DEFAULT_BASE_URL), "https://gateway.ai.cloudflare.com");
        assert_eq!(super::runtime_base("http://127.0.0.1:8787/client/v4/"), "http://127.0.0.1:8787");
        assert_eq!(super::runtime_base("http://u:secret@127.0.0.1:8787/client/v4"), "http://127.0.0.1:8787");
    }
}
