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
}

const fn p(slug: &'static str, base_url: &'static str, chat_path: Option<&'static str>) -> Provider {
    Provider { slug, base_url, chat_path }
}

/// Every provider the gateway knows, by runtime slug.
pub const PROVIDERS: &[Provider] = &[
    p("openai", "https://api.openai.com/v1", Some("/chat/completions")),
    p("anthropic", "https://api.anthropic.com", Some("/v1/chat/completions")),
    p("groq", "https://api.groq.com/openai/v1", Some("/chat/completions")),
    p("google-ai-studio", "https://generativelanguage.googleapis.com", Some("/v1beta/openai/chat/completions")),
    p("google-vertex-ai", "https://aiplatform.googleapis.com", None),
    p("workers-ai", "https://api.cloudflare.com/client/v4/accounts/{account_id}/ai", Some("/v1/chat/completions")),
    p("mistral", "https://api.mistral.ai", Some("/v1/chat/completions")),
    p("deepseek", "https://api.deepseek.com", Some("/chat/completions")),
    p("openrouter", "https://openrouter.ai/api", Some("/v1/chat/completions")),
    p("grok", "https://api.x.ai", Some("/v1/chat/completions")),
    p("perplexity-ai", "https://api.perplexity.ai", Some("/chat/completions")),
    p("cohere", "https://api.cohere.ai", Some("/compatibility/v1/chat/completions")),
    p("huggingface", "https://api-inference.huggingface.co/models", None),
    p("azure-openai", "https://{resource}.openai.azure.com/openai/deployments", None),
    p("aws-bedrock", "https://bedrock-runtime.{region}.amazonaws.com", None),
    p("replicate", "https://api.replicate.com/v1", None),
    p("cerebras", "https://api.cerebras.ai/v1", Some("/chat/completions")),
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
