//! Provider wire formats the simulator speaks: OpenAI chat completions and
//! responses, Anthropic messages, Workers AI run, Google generateContent;
//! each as a JSON body or as server-sent events, plus each one's error body.
use serde_json::{Value, json};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    OpenAiChat,
    OpenAiResponses,
    Anthropic,
    WorkersAi,
    Google,
}

impl Format {
    pub fn detect(provider: &str, path: &str) -> Format {
        if path.ends_with("/responses") || path == "responses" {
            Format::OpenAiResponses
        } else if path.ends_with("chat/completions") {
            Format::OpenAiChat
        } else if path.ends_with("messages") {
            Format::Anthropic
        } else if path.contains(":generateContent") || path.contains(":streamGenerateContent") {
            Format::Google
        } else if provider == "workers-ai" {
            Format::WorkersAi
        } else {
            Format::OpenAiChat
        }
    }

    pub fn error_body(self, status: u16, provider: &str) -> Value {
        let message = format!("simulated {status} from {provider}");
        match self {
            Format::Anthropic => json!({"type": "error", "error": {"type": "api_error", "message": message}}),
            Format::Google => json!({"error": {"code": status, "message": message, "status": "UNAVAILABLE"}}),
            Format::WorkersAi => {
                json!({"success": false, "errors": [{"code": status, "message": message}], "messages": [], "result": null})
            }
            Format::OpenAiChat | Format::OpenAiResponses => {
                json!({"error": {"message": message, "type": "server_error", "param": null, "code": null}})
            }
        }
    }

    pub fn body(self, r: &Reply) -> Value {
        match self {
            Format::OpenAiChat => json!({
                "id": r.id("chatcmpl"), "object": "chat.completion", "created": r.created, "model": r.model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": r.text, "refusal": null},
                             "logprobs": null, "finish_reason": r.stop(["stop", "length"])}],
                "usage": {"prompt_tokens": r.tokens_in, "completion_tokens": r.tokens_out,
                          "total_tokens": r.tokens_in + r.tokens_out},
            }),
            Format::OpenAiResponses => response_object(r),
            Format::Anthropic => json!({
                "id": r.id("msg"), "type": "message", "role": "assistant", "model": r.model,
                "content": [{"type": "text", "text": r.text}], "stop_reason": r.stop(["end_turn", "max_tokens"]), "stop_sequence": null,
                "usage": {"input_tokens": r.tokens_in, "output_tokens": r.tokens_out},
            }),
            Format::WorkersAi => json!({
                "result": {"response": r.text, "usage": {"prompt_tokens": r.tokens_in,
                    "completion_tokens": r.tokens_out, "total_tokens": r.tokens_in + r.tokens_out}},
                "success": true, "errors": [], "messages": [],
            }),
            Format::Google => json!({
                "candidates": [{"content": {"parts": [{"text": r.text}], "role": "model"}, "finishReason": r.stop(["STOP", "MAX_TOKENS"]), "index": 0}],
                "usageMetadata": {"promptTokenCount": r.tokens_in, "candidatesTokenCount": r.tokens_out,
                                  "totalTokenCount": r.tokens_in + r.tokens_out},
                "modelVersion": r.model,
            }),
        }
    }

    /// The SSE frames of a streamed answer, one word per delta.
    pub fn events(self, r: &Reply, include_usage: bool) -> Vec<String> {
        let data = |v: Value| format!("data: {v}\n\n");
        let event = |name: &str, v: Value| format!("event: {name}\ndata: {v}\n\n");
        let words = r.words();
        let mut out = Vec::new();
        match self {
            Format::OpenAiChat => {
                let chunk = |delta: Value, finish: Value| {
                    json!({"id": r.id("chatcmpl"), "object": "chat.completion.chunk", "created": r.created, "model": r.model,
                           "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]})
                };
                out.push(data(chunk(json!({"role": "assistant", "content": ""}), Value::Null)));
                for w in &words {
                    out.push(data(chunk(json!({"content": w}), Value::Null)));
                }
                out.push(data(chunk(json!({}), json!(r.stop(["stop", "length"])))));
                if include_usage {
                    out.push(data(
                        json!({"id": r.id("chatcmpl"), "object": "chat.completion.chunk", "created": r.created,
                        "model": r.model, "choices": [], "usage": {"prompt_tokens": r.tokens_in,
                        "completion_tokens": r.tokens_out, "total_tokens": r.tokens_in + r.tokens_out}}),
                    ));
                }
                out.push("data: [DONE]\n\n".into());
            }
            Format::OpenAiResponses => {
                let mut created = response_object(r);
                created["status"] = json!("in_progress");
                created["output"] = json!([]);
                out.push(event(
                    "response.created",
                    json!({"type": "response.created", "sequence_number": 0, "response": created}),
                ));
                for (i, w) in words.iter().enumerate() {
                    out.push(event("response.output_text.delta", json!({"type": "response.output_text.delta",
                        "sequence_number": i + 1, "item_id": r.id("msg"), "output_index": 0, "content_index": 0, "delta": w})));
                }
                out.push(event(
                    "response.completed",
                    json!({"type": "response.completed",
                    "sequence_number": words.len() + 1, "response": response_object(r)}),
                ));
            }
            Format::Anthropic => {
                out.push(event(
                    "message_start",
                    json!({"type": "message_start", "message": {"id": r.id("msg"),
                    "type": "message", "role": "assistant", "model": r.model, "content": [], "stop_reason": null,
                    "stop_sequence": null, "usage": {"input_tokens": r.tokens_in, "output_tokens": 0}}}),
                ));
                out.push(event(
                    "content_block_start",
                    json!({"type": "content_block_start", "index": 0,
                    "content_block": {"type": "text", "text": ""}}),
                ));
                for w in &words {
                    out.push(event(
                        "content_block_delta",
                        json!({"type": "content_block_delta", "index": 0,
                        "delta": {"type": "text_delta", "text": w}}),
                    ));
                }
                out.push(event("content_block_stop", json!({"type": "content_block_stop", "index": 0})));
                out.push(event("message_delta", json!({"type": "message_delta",
                    "delta": {"stop_reason": r.stop(["end_turn", "max_tokens"]), "stop_sequence": null}, "usage": {"output_tokens": r.tokens_out}})));
                out.push(event("message_stop", json!({"type": "message_stop"})));
            }
            Format::WorkersAi => {
                for w in &words {
                    out.push(data(json!({"response": w})));
                }
                out.push(data(json!({"response": "", "usage": {"prompt_tokens": r.tokens_in,
                    "completion_tokens": r.tokens_out, "total_tokens": r.tokens_in + r.tokens_out}})));
                out.push("data: [DONE]\n\n".into());
            }
            Format::Google => {
                let n = words.len();
                for (i, w) in words.iter().enumerate() {
                    let mut v = json!({"candidates": [{"content": {"parts": [{"text": w}], "role": "model"}, "index": 0}],
                                       "modelVersion": r.model});
                    if i + 1 == n {
                        v["candidates"][0]["finishReason"] = json!(r.stop(["STOP", "MAX_TOKENS"]));
                        v["usageMetadata"] = json!({"promptTokenCount": r.tokens_in, "candidatesTokenCount": r.tokens_out,
                                                   "totalTokenCount": r.tokens_in + r.tokens_out});
                    }
                    out.push(data(v));
                }
            }
        }
        out
    }
}

fn response_object(r: &Reply) -> Value {
    json!({
        "id": r.id("resp"), "object": "response", "created_at": r.created, "status": "completed", "model": r.model,
        "output": [{"type": "message", "id": r.id("msg"), "status": "completed", "role": "assistant",
                    "content": [{"type": "output_text", "text": r.text, "annotations": []}]}],
        "usage": {"input_tokens": r.tokens_in, "output_tokens": r.tokens_out, "total_tokens": r.tokens_in + r.tokens_out,
                  "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}},
        "parallel_tool_calls": true, "tool_choice": "auto", "tools": [], "error": null, "incomplete_details": null,
        "instructions": null, "metadata": {}, "temperature": 1.0, "top_p": 1.0, "text": {"format": {"type": "text"}},
    })
}

/// The model a request is for: its body's `model`, or from the path
/// (Workers AI `@cf/...`, Google `models/<m>:generateContent`).
pub fn model_of(request: &Value, path: &str) -> String {
    if let Some(m) = request.get("model").and_then(Value::as_str) {
        return m.to_string();
    }
    if let Some(i) = path.find("models/") {
        let rest = &path[i + 7..];
        return rest.split(':').next().unwrap_or(rest).to_string();
    }
    if let Some(i) = path.find('@') {
        return path[i..].to_string();
    }
    "default".to_string()
}

/// All the text a request carries, in order.
fn input_text(v: &Value, out: &mut String) {
    match v {
        Value::String(s) => {
            out.push_str(s);
            out.push(' ');
        }
        Value::Array(a) => a.iter().for_each(|x| input_text(x, out)),
        Value::Object(o) => {
            for (k, x) in o {
                if matches!(
                    k.as_str(),
                    "content"
                        | "text"
                        | "prompt"
                        | "input"
                        | "messages"
                        | "contents"
                        | "parts"
                        | "system"
                        | "instructions"
                ) {
                    input_text(x, out);
                }
            }
        }
        _ => {}
    }
}

/// A deterministic answer: it names provider and model and echoes the end
/// of the input; tokens are counted as words, ~1 per 4 input characters.
/// A request's maximum output (`max_tokens` and its spellings) cuts the
/// answer short, as a provider does.
pub struct Reply {
    pub model: String,
    pub text: String,
    pub tokens_in: u64,
    pub tokens_out: u64,
    pub created: u64,
    /// Cut at the request's maximum output.
    pub truncated: bool,
    seed: u64,
}

/// The most output tokens a request allows, in any provider's spelling.
fn max_output(request: &Value) -> Option<usize> {
    ["/max_tokens", "/max_completion_tokens", "/max_output_tokens", "/generationConfig/maxOutputTokens"]
        .iter()
        .find_map(|p| request.pointer(p).and_then(Value::as_u64))
        .map(|n| n.max(1) as usize)
}

impl Reply {
    pub fn new(provider: &str, model: &str, request: &Value) -> Reply {
        let mut input = String::new();
        input_text(request, &mut input);
        let input = input.split_whitespace().collect::<Vec<_>>().join(" ");
        let tail: String = input.chars().rev().take(80).collect::<Vec<_>>().into_iter().rev().collect();
        let mut text = format!("Simulated {provider} {model} reply to: {tail}");
        let truncated = max_output(request).is_some_and(|max| text.split(' ').count() > max);
        if let Some(max) = max_output(request).filter(|_| truncated) {
            text = text.split(' ').take(max).collect::<Vec<_>>().join(" ");
        }
        let seed = input.bytes().fold(0xcbf29ce484222325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100000001b3));
        Reply {
            model: model.to_string(),
            tokens_in: (input.chars().count() as u64).div_ceil(4).max(1),
            tokens_out: text.split_whitespace().count() as u64,
            text,
            created: 1_700_000_000,
            truncated,
            seed,
        }
    }

    /// The format's stop reason: `[natural, cut at the maximum]`.
    pub fn stop(&self, reasons: [&'static str; 2]) -> &'static str {
        reasons[usize::from(self.truncated)]
    }
    fn id(&self, prefix: &str) -> String {
        format!("{prefix}_sim{:016x}", self.seed)
    }
    fn words(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (i, w) in self.text.split(' ').enumerate() {
            out.push(if i == 0 { w.to_string() } else { format!(" {w}") });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_tokens_cuts_the_answer_short() {
        let req = json!({"model": "m", "max_tokens": 3, "messages": [{"role": "user", "content": "a long question"}]});
        let r = Reply::new("openai", "m", &req);
        assert_eq!((r.text.as_str(), r.tokens_out, r.truncated), ("Simulated openai m", 3, true));
        assert_eq!(Format::OpenAiChat.body(&r)["choices"][0]["finish_reason"], "length");
        assert_eq!(Format::Anthropic.body(&r)["stop_reason"], "max_tokens");
        let roomy = Reply::new("openai", "m", &json!({"max_tokens": 500, "messages": []}));
        assert_eq!(
            (roomy.truncated, Format::OpenAiChat.body(&roomy)["choices"][0]["finish_reason"].clone()),
            (false, json!("stop"))
        );
    }

    #[test]
    fn replies_are_deterministic_and_streams_add_up() {
        let req = json!({"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "What is 2+2?"}]});
        let a = Reply::new("openai", "gpt-4o-mini", &req);
        let b = Reply::new("openai", "gpt-4o-mini", &req);
        assert_eq!((a.text.clone(), a.tokens_in), (b.text.clone(), b.tokens_in));
        assert!(a.text.ends_with("What is 2+2?"));
        let frames = Format::OpenAiChat.events(&a, true);
        assert_eq!(frames.last().unwrap(), "data: [DONE]\n\n");
        let streamed: String = frames
            .iter()
            .filter_map(|f| serde_json::from_str::<Value>(f.trim_start_matches("data: ").trim()).ok())
            .filter_map(|v| v.pointer("/choices/0/delta/content").and_then(Value::as_str).map(str::to_owned))
            .collect();
        assert_eq!(streamed, a.text);
        assert_eq!(Format::detect("anthropic", "v1/messages"), Format::Anthropic);
        assert_eq!(Format::detect("workers-ai", "@cf/meta/llama"), Format::WorkersAi);
        assert_eq!(model_of(&json!({}), "v1/models/gemini-pro:generateContent"), "gemini-pro");
    }
}
