//! The upstream providers AI Gateway knows, by runtime slug. One table,
//! used by the provider's validation and by the emulator.

/// `(slug, upstream base URL)`.
pub const PROVIDERS: &[(&str, &str)] = &[
    ("openai", "https://api.openai.com/v1"),
    ("anthropic", "https://api.anthropic.com"),
    ("groq", "https://api.groq.com/openai/v1"),
    ("google-ai-studio", "https://generativelanguage.googleapis.com"),
    ("google-vertex-ai", "https://aiplatform.googleapis.com"),
    ("workers-ai", "https://api.cloudflare.com/client/v4/accounts/{account_id}/ai/run"),
    ("mistral", "https://api.mistral.ai"),
    ("deepseek", "https://api.deepseek.com"),
    ("openrouter", "https://openrouter.ai/api"),
    ("grok", "https://api.x.ai"),
    ("perplexity-ai", "https://api.perplexity.ai"),
    ("cohere", "https://api.cohere.ai"),
    ("huggingface", "https://api-inference.huggingface.co/models"),
    ("azure-openai", "https://{resource}.openai.azure.com/openai/deployments"),
    ("aws-bedrock", "https://bedrock-runtime.{region}.amazonaws.com"),
    ("replicate", "https://api.replicate.com/v1"),
    ("cerebras", "https://api.cerebras.ai/v1"),
];

/// True for a known slug or a custom provider (`custom-<slug>`).
pub fn is_known(slug: &str) -> bool {
    PROVIDERS.iter().any(|(s, _)| *s == slug)
        || slug.strip_prefix("custom-").is_some_and(|s| {
            !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// The known slugs, for error messages.
pub fn slugs() -> Vec<&'static str> {
    PROVIDERS.iter().map(|(s, _)| *s).collect()
}
