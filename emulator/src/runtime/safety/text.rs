//! The words a safety check reads: the prompt of a request and the answer
//! of a response, out of the OpenAI, Anthropic, Responses, Workers AI and
//! universal shapes (the strings under content-bearing keys, at any depth),
//! and out of SSE streams (each `data:` event's deltas). A body that is not
//! JSON is read as text.
use serde_json::Value;

/// Keys whose strings are what a user or a model said.
const PROMPT_KEYS: &[&str] = &["content", "text", "input", "prompt", "system", "instructions", "query", "messages"];
const ANSWER_KEYS: &[&str] = &[
    "content",
    "text",
    "output_text",
    "output",
    "response",
    "result",
    "choices",
    "message",
    "delta",
    "arguments",
    "refusal",
];

/// Appends the strings of `v` under `keys` to `out`, each followed by `sep`
/// (a newline between messages; nothing between a stream's deltas, which
/// continue each other's words).
fn collect(v: &Value, keys: &[&str], inside: bool, sep: &str, out: &mut String) {
    match v {
        Value::String(s) if inside => {
            out.push_str(s);
            out.push_str(sep);
        }
        Value::Array(items) => items.iter().for_each(|i| collect(i, keys, inside, sep, out)),
        Value::Object(m) => {
            for (k, x) in m {
                // Names of things (model, role, type, id) are not speech.
                let names =
                    matches!(k.as_str(), "model" | "role" | "type" | "id" | "object" | "finish_reason" | "stop_reason");
                collect(x, keys, (inside || keys.contains(&k.as_str())) && !names, sep, out);
            }
        }
        _ => {}
    }
}

fn words(body: &[u8], keys: &[&str]) -> String {
    let mut out = String::new();
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => collect(&v, keys, false, "\n", &mut out),
        Err(_) if is_sse(body) => {
            for line in String::from_utf8_lossy(body).lines() {
                let Some(data) = line.strip_prefix("data:") else { continue };
                if let Ok(v) = serde_json::from_str::<Value>(data.trim()) {
                    collect(&v, keys, false, "", &mut out);
                }
            }
        }
        Err(_) => out.push_str(&String::from_utf8_lossy(body)),
    }
    out
}

fn is_sse(body: &[u8]) -> bool {
    body.starts_with(b"data:") || body.starts_with(b"event:") || body.windows(6).any(|w| w == b"\ndata:")
}

/// What the request says.
pub fn prompt(body: &[u8]) -> String {
    words(body, PROMPT_KEYS)
}

/// What the response says (a JSON body or an SSE stream).
pub fn answer(body: &[u8]) -> String {
    words(body, ANSWER_KEYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_of_each_shape() {
        let openai = br#"{"model":"gpt-4o","messages":[{"role":"system","content":"be kind"},{"role":"user","content":[{"type":"text","text":"hello there"}]}]}"#;
        let p = prompt(openai);
        assert!(p.contains("be kind") && p.contains("hello there") && !p.contains("gpt-4o") && !p.contains("user"));
        let anthropic = br#"{"model":"claude","system":"sys words","messages":[{"role":"user","content":"hi"}]}"#;
        assert!(prompt(anthropic).contains("sys words"));
        assert!(prompt(br#"{"model":"m","input":"responses api"}"#).contains("responses api"));
        assert!(prompt(br#"{"prompt":"workers ai"}"#).contains("workers ai"));
        assert_eq!(prompt(b"plain words"), "plain words");
    }

    #[test]
    fn answers_of_json_and_streams() {
        let chat = br#"{"id":"x","choices":[{"message":{"role":"assistant","content":"the answer"}}]}"#;
        assert!(answer(chat).contains("the answer") && !answer(chat).contains("assistant"));
        let msgs = br#"{"content":[{"type":"text","text":"claude says"}]}"#;
        assert!(answer(msgs).contains("claude says"));
        let sse = b"data: {\"choices\":[{\"delta\":{\"content\":\"part one \"}}]}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"part two\"}}]}\n\ndata: [DONE]\n\n";
        let a = answer(sse);
        assert!(a.contains("part one part two"), "deltas join into one text: {a}");
    }
}
