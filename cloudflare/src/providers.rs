//! The upstream providers AI Gateway knows, by runtime slug. One table,
//! used by the provider's validation and by the emulator.

/// A provider as the gateway runtime sees it.
#[derive(Debug, Clone, Copy)]
pub struct Provider {
    pub slug: &'static str,
    /// Upstream root; the gateway path after `/{slug}/` is appended to it.
    pub base_url: &'static str,
    /// OpenAI-style chat completions path under `base_url`, for the compat
    /// endpoint and dynamic routes; `None` if the provider has none.
    pub chat_path: Option<&'static str>,
    /// How the provider takes its API key, for BYOK.
    pub key: KeyHeader,
}

/// Where a provider's API key goes on a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyHeader {
    /// `Authorization: <scheme> <key>`, e.g. `Bearer`, `Token`, `Key`.
    Authorization(&'static str),
    /// A header of its own holding the bare key, e.g. `x-api-key`.
    Named(&'static str),
}

impl KeyHeader {
    /// The header name, lower-case.
    pub fn name(self) -> &'static str {
        match self {
            KeyHeader::Authorization(_) => "authorization",
            KeyHeader::Named(n) => n,
        }
    }
    /// The header value carrying `key`.
    pub fn value(self, key: &str) -> String {
        match self {
            KeyHeader::Authorization(scheme) => format!("{scheme} {key}"),
            KeyHeader::Named(_) => key.to_string(),
        }
    }
}

const BEARER: KeyHeader = KeyHeader::Authorization("Bearer");

const fn p(slug: &'static str, base_url: &'static str, chat_path: Option<&'static str>) -> Provider {
    Provider { slug, base_url, chat_path, key: BEARER }
}

const fn k(slug: &'static str, base_url: &'static str, chat_path: Option<&'static str>, key: KeyHeader) -> Provider {
    Provider { slug, base_url, chat_path, key }
}

/// Every provider the gateway knows, by runtime slug.
pub const PROVIDERS: &[Provider] = &[
    p("openai", "https://api.openai.com/v1", Some("/chat/completions")),
    k("anthropic", "https://api.anthropic.com", Some("/v1/chat/completions"), KeyHeader::Named("x-api-key")),
    p("groq", "https://api.groq.com/openai/v1", Some("/chat/completions")),
    k(
        "google-ai-studio",
        "https://generativelanguage.googleapis.com",
        Some("/v1beta/openai/chat/completions"),
        KeyHeader::Named("x-goog-api-key"),
    ),
    p("google-vertex-ai", "https://aiplatform.googleapis.com", None),
    p("workers-ai", "https://api.cloudflare.com/client/v4/accounts/{account_id}/ai", Some("/v1/chat/completions")),
    p("mistral", "https://api.mistral.ai", Some("/v1/chat/completions")),
    p("deepseek", "https://api.deepseek.com", Some("/chat/completions")),
    p("openrouter", "https://openrouter.ai/api", Some("/v1/chat/completions")),
    p("grok", "https://api.x.ai", Some("/v1/chat/completions")),
    p("perplexity-ai", "https://api.perplexity.ai", Some("/chat/completions")),
    p("cohere", "https://api.cohere.ai", Some("/compatibility/v1/chat/completions")),
    p("huggingface", "https://api-inference.huggingface.co/models", None),
    k("azure-openai", "https://{resource}.openai.azure.com/openai/deployments", None, KeyHeader::Named("api-key")),
    p("aws-bedrock", "https://bedrock-runtime.{region}.amazonaws.com", None),
    p("replicate", "https://api.replicate.com/v1", None),
    p("cerebras", "https://api.cerebras.ai/v1", Some("/chat/completions")),
    k("baseten", "https://inference.baseten.co/v1", Some("/chat/completions"), KeyHeader::Authorization("Api-Key")),
    k("parallel", "https://api.parallel.ai", Some("/chat/completions"), KeyHeader::Named("x-api-key")),
    k("cartesia", "https://api.cartesia.ai", None, KeyHeader::Named("x-api-key")),
    k("deepgram", "https://api.deepgram.com", None, KeyHeader::Authorization("Token")),
    k("elevenlabs", "https://api.elevenlabs.io", None, KeyHeader::Named("xi-api-key")),
    k("fal", "https://fal.run", None, KeyHeader::Authorization("Key")),
    k("ideogram", "https://api.ideogram.ai", None, KeyHeader::Named("api-key")),
    p("adobe-firefly", "https://firefly-api.adobe.io", None),
];

pub fn get(slug: &str) -> Option<&'static Provider> {
    PROVIDERS.iter().find(|p| p.slug == slug)
}

/// True for a known slug or a custom provider (`custom-<slug>`).
pub fn is_known(slug: &str) -> bool {
    get(slug).is_some()
        || slug.strip_prefix("custom-").is_some_and(|s| {
            !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// The known slugs, for error messages.
pub fn slugs() -> Vec<&'static str> {
    PROVIDERS.iter().map(|p| p.slug).collect()
}
