//! What the gateway runtime parses from a caller and an upstream: the
//! `cf-aig-*` headers, the provider path, universal endpoint bodies, and
//! server-sent events and JSON bodies from upstreams (token usage).
#![no_main]
use std::sync::LazyLock;

use aigw_emulator::runtime::{request::Controls, steps, target, upstream, usage};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use libfuzzer_sys::fuzz_target;

static UPSTREAMS: LazyLock<upstream::Upstreams> = LazyLock::new(|| {
    upstream::Upstreams::new(Default::default(), None).expect("an HTTP client")
});

/// `name: value` lines before a blank line are headers; the rest is the body.
fn split(data: &[u8]) -> (HeaderMap, &[u8]) {
    let mut headers = HeaderMap::new();
    let cut = data.windows(2).position(|w| w == b"\n\n").map_or(0, |i| i + 2);
    for line in data[..cut].split(|b| *b == b'\n') {
        let Some(i) = line.iter().position(|b| *b == b':') else { continue };
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(&line[..i]), HeaderValue::from_bytes(line[i + 1..].trim_ascii())) {
            headers.append(n, v);
        }
    }
    (headers, &data[cut..])
}

fuzz_target!(|data: &[u8]| {
    let (headers, body) = split(data);
    let controls = Controls::read(&headers);
    let gateway = aigw_cloudflare::Gateway { retry_max_attempts: Some(3), retry_delay: Some(100), ..Default::default() };
    let policy = controls.policy(&gateway);
    let _ = controls.cache_ttl_s(&gateway);
    let body = bytes::Bytes::copy_from_slice(body);
    let _ = steps::universal_steps(&UPSTREAMS, "0123456789abcdef0123456789abcdef", &headers, &body, policy);
    if let Ok(path) = std::str::from_utf8(&body) {
        if let Ok((segments, query)) = target::parse(path) {
            assert!(segments.iter().all(|s| s != ".." && s != "." && !s.contains('/')), "{path}");
            let _ = target::join("https://api.example.com/v1", &segments, query.as_deref());
        }
        for provider in ["openai", "azure-openai", "workers-ai", "anthropic"] {
            if let Ok(url) = UPSTREAMS.url(provider, "0123456789abcdef0123456789abcdef", path) {
                // The path never climbs (the query may hold anything, encoded).
                let segments: Vec<&str> = url.path_segments().map(Iterator::collect).unwrap_or_default();
                assert!(segments.iter().all(|s| *s != ".." && *s != "."), "{url}");
                let host = url.host_str().unwrap_or_default();
                assert!(host.ends_with(".openai.azure.com") || !host.contains(".azure."), "{url}");
            }
        }
    }
    let _ = usage::Usage::from_body(&body);
    let mut sse = usage::SseUsage::default();
    for chunk in body.chunks(7) {
        sse.feed(chunk);
    }
});
