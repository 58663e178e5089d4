//! Token usage read from provider answers (JSON bodies and SSE streams, in
//! every format the gateway passes), and the cost estimate from a price
//! table or the caller's `cf-aig-custom-cost`.
use serde_json::Value;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Usage {
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
}

impl Usage {
    /// Takes whatever usage fields `v` carries, in any known format.
    pub fn absorb(&mut self, v: &Value) {
        let get = |p: &str| v.pointer(p).and_then(Value::as_u64);
        let pairs = [
            ("/usage/prompt_tokens", "/usage/completion_tokens"), // OpenAI chat
            ("/usage/input_tokens", "/usage/output_tokens"),      // Anthropic, OpenAI responses
            ("/response/usage/input_tokens", "/response/usage/output_tokens"), // responses stream
            ("/message/usage/input_tokens", "/message/usage/output_tokens"), // Anthropic message_start
            ("/usageMetadata/promptTokenCount", "/usageMetadata/candidatesTokenCount"), // Google
            ("/result/usage/prompt_tokens", "/result/usage/completion_tokens"), // Workers AI
        ];
        for (i, o) in pairs {
            if let Some(n) = get(i) {
                self.tokens_in = Some(n);
            }
            // Anthropic's message_start carries output_tokens 0; the final
            // message_delta carries the real count.
            if let Some(n) = get(o) {
                self.tokens_out = Some(n);
            }
        }
    }

    /// Usage from a whole JSON answer. Only the usage fields are read
    /// (serde skips the rest), which keeps this cheap on the hot path.
    pub fn from_body(body: &[u8]) -> Usage {
        #[derive(serde::Deserialize, Default)]
        struct Counts {
            prompt_tokens: Option<u64>,
            completion_tokens: Option<u64>,
            input_tokens: Option<u64>,
            output_tokens: Option<u64>,
        }
        #[derive(serde::Deserialize, Default)]
        #[serde(rename_all = "camelCase")]
        struct Google {
            prompt_token_count: Option<u64>,
            candidates_token_count: Option<u64>,
        }
        #[derive(serde::Deserialize, Default)]
        struct Wrapped {
            usage: Option<Counts>,
        }
        #[derive(serde::Deserialize, Default)]
        #[serde(rename_all = "camelCase")]
        struct Answer {
            usage: Option<Counts>,
            usage_metadata: Option<Google>,
            result: Option<Wrapped>,
        }
        let a: Answer = serde_json::from_slice(body).unwrap_or_default();
        let c = a.usage.or(a.result.and_then(|r| r.usage));
        match (c, a.usage_metadata) {
            (Some(c), _) => Usage {
                tokens_in: c.prompt_tokens.or(c.input_tokens),
                tokens_out: c.completion_tokens.or(c.output_tokens),
            },
            (None, Some(g)) => Usage { tokens_in: g.prompt_token_count, tokens_out: g.candidates_token_count },
            (None, None) => Usage::default(),
        }
    }
}

/// Reads SSE bytes as they pass, keeping the last usage seen.
#[derive(Default)]
pub struct SseUsage {
    line: Vec<u8>,
    pub usage: Usage,
}

impl SseUsage {
    /// The usage a whole SSE body reports.
    pub fn of(body: &[u8]) -> Usage {
        let mut u = SseUsage::default();
        u.feed(body);
        u.feed(b"\n");
        u.usage
    }

    pub fn feed(&mut self, chunk: &[u8]) {
        for &b in chunk {
            if b == b'\n' {
                let line = std::mem::take(&mut self.line);
                if let Some(data) = line.strip_prefix(b"data:") {
                    let data = data.trim_ascii();
                    if data.first() == Some(&b'{')
                        && let Ok(v) = serde_json::from_slice::<Value>(data)
                    {
                        self.usage.absorb(&v);
                    }
                }
            } else if self.line.len() < 1 << 20 {
                self.line.push(b);
            }
        }
    }
}

/// USD per million tokens (input, output), matched by model-name prefix.
/// Estimates only, as Cloudflare's are.
pub const PRICES: &[(&str, f64, f64)] = &[
    ("gpt-4o-mini", 0.15, 0.60),
    ("gpt-4o", 2.50, 10.00),
    ("gpt-4.1-nano", 0.10, 0.40),
    ("gpt-4.1-mini", 0.40, 1.60),
    ("gpt-4.1", 2.00, 8.00),
    ("gpt-5-mini", 0.25, 2.00),
    ("gpt-5", 1.25, 10.00),
    ("o3-mini", 1.10, 4.40),
    ("claude-3-5-haiku", 0.80, 4.00),
    ("claude-haiku-4", 1.00, 5.00),
    ("claude-3-5-sonnet", 3.00, 15.00),
    ("claude-sonnet-4", 3.00, 15.00),
    ("claude-opus-4", 15.00, 75.00),
    ("gemini-2.5-flash", 0.30, 2.50),
    ("gemini-2.5-pro", 1.25, 10.00),
    ("@cf/meta/llama-3.1-8b-instruct", 0.28, 0.83),
    ("mistral-large", 2.00, 6.00),
    ("deepseek-chat", 0.27, 1.10),
];

/// USD per token `(input, output)` for a model, and whether they came from
/// the caller's `cf-aig-custom-cost` per-token rates.
fn rates(model: &str, custom: Option<&Value>) -> ((f64, f64), bool) {
    if let Some(c) = custom
        && let (Some(i), Some(o)) =
            (c.get("per_token_in").and_then(Value::as_f64), c.get("per_token_out").and_then(Value::as_f64))
    {
        return ((i, o), true);
    }
    let m = model.rsplit('/').next().unwrap_or(model);
    let per_million = PRICES
        .iter()
        .find(|(prefix, _, _)| model.starts_with(prefix) || m.starts_with(prefix))
        .map_or((0.0, 0.0), |(_, i, o)| (*i, *o));
    ((per_million.0 / 1_000_000.0, per_million.1 / 1_000_000.0), false)
}

fn custom_cost(custom: Option<&str>) -> Option<Value> {
    custom.and_then(|c| serde_json::from_str::<Value>(c).ok())
}

/// `(cost, custom)` for a request.
pub fn cost(model: &str, usage: Usage, custom: Option<&str>) -> (f64, bool) {
    let custom = custom_cost(custom);
    if let Some(total) = custom.as_ref().and_then(|c| c.get("total_cost")).and_then(Value::as_f64) {
        return (total, true);
    }
    let (tin, tout) = (usage.tokens_in.unwrap_or(0) as f64, usage.tokens_out.unwrap_or(0) as f64);
    let ((i, o), custom) = rates(model, custom.as_ref());
    (tin * i + tout * o, custom)
}

/// Output tokens assumed for a request that sets no maximum.
pub const DEFAULT_MAX_OUTPUT: u64 = 4096;

/// The most a request to `model` with `body` can cost: its declared
/// `total_cost`, or every body byte as an input token (JSON takes more
/// bytes than tokens) plus its maximum output (`max_tokens`,
/// `max_completion_tokens`, `max_output_tokens`, Google's
/// `maxOutputTokens`, else [`DEFAULT_MAX_OUTPUT`]) at the model's price.
pub fn worst_case(model: &str, body: &[u8], custom: Option<&str>) -> f64 {
    #[derive(serde::Deserialize, Default)]
    #[serde(rename_all = "camelCase")]
    struct Generation {
        max_output_tokens: Option<u64>,
    }
    #[derive(serde::Deserialize, Default)]
    struct Limits {
        max_tokens: Option<u64>,
        max_completion_tokens: Option<u64>,
        max_output_tokens: Option<u64>,
        #[serde(rename = "generationConfig")]
        generation: Option<Generation>,
    }
    let custom = custom_cost(custom);
    if let Some(total) = custom.as_ref().and_then(|c| c.get("total_cost")).and_then(Value::as_f64) {
        return total;
    }
    let l: Limits = serde_json::from_slice(body).unwrap_or_default();
    let out = l
        .max_tokens
        .or(l.max_completion_tokens)
        .or(l.max_output_tokens)
        .or(l.generation.and_then(|g| g.max_output_tokens))
        .unwrap_or(DEFAULT_MAX_OUTPUT);
    let ((i, o), _) = rates(model, custom.as_ref());
    body.len() as f64 * i + out as f64 * o
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn usage_in_every_format() {
        let mut u = Usage::default();
        u.absorb(&json!({"usage": {"prompt_tokens": 3, "completion_tokens": 5}}));
        assert_eq!((u.tokens_in, u.tokens_out), (Some(3), Some(5)));
        let body = |v: Value| Usage::from_body(v.to_string().as_bytes());
        assert_eq!(
            body(json!({"usage": {"input_tokens": 1, "output_tokens": 2}})),
            Usage { tokens_in: Some(1), tokens_out: Some(2) }
        );
        assert_eq!(
            body(json!({"usageMetadata": {"promptTokenCount": 3, "candidatesTokenCount": 4}})).tokens_out,
            Some(4)
        );
        assert_eq!(body(json!({"result": {"usage": {"prompt_tokens": 5, "completion_tokens": 6}}})).tokens_in, Some(5));
        assert_eq!(body(json!({"choices": []})), Usage::default());
        let mut s = SseUsage::default();
        s.feed(b"event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":7,\"output_tokens\":0}}}\n\n");
        s.feed(b"data: {\"type\":\"message_delta\",\"usage\":{\"output_tok");
        s.feed(b"ens\":9}}\n\ndata: [DONE]\n\n");
        assert_eq!((s.usage.tokens_in, s.usage.tokens_out), (Some(7), Some(9)));
    }

    #[test]
    fn costs() {
        let u = Usage { tokens_in: Some(1_000_000), tokens_out: Some(1_000_000) };
        assert_eq!(cost("gpt-4o-mini", u, None), (0.75, false));
        assert_eq!(cost("openai/gpt-4o", u, None), (12.5, false));
        assert_eq!(cost("x", u, Some(r#"{"total_cost": 0.5}"#)), (0.5, true));
        assert_eq!(
            cost(
                "x",
                Usage { tokens_in: Some(10), tokens_out: Some(10) },
                Some(r#"{"per_token_in":1,"per_token_out":2}"#)
            ),
            (30.0, true)
        );
        assert_eq!(cost("unknown", u, None), (0.0, false));
    }

    #[test]
    fn the_worst_case_bounds_the_cost() {
        let body = br#"{"model":"gpt-4o","max_tokens":100,"messages":[]}"#;
        let worst = worst_case("gpt-4o", body, None);
        assert!((worst - (body.len() as f64 * 2.5 + 100.0 * 10.0) / 1e6).abs() < 1e-12);
        let real = cost("gpt-4o", Usage { tokens_in: Some(5), tokens_out: Some(100) }, None).0;
        assert!(real <= worst);
        assert_eq!(worst_case("x", b"{}", Some(r#"{"total_cost": 0.25}"#)), 0.25);
        let google = br#"{"generationConfig":{"maxOutputTokens":10}}"#;
        assert!(
            (worst_case("gemini-2.5-pro", google, None) - (google.len() as f64 * 1.25 + 100.0) / 1e6).abs() < 1e-12
        );
        let unbounded = worst_case("gpt-4o-mini", b"{}", None);
        assert!((unbounded - (2.0 * 0.15 + 4096.0 * 0.6) / 1e6).abs() < 1e-12);
    }
}
