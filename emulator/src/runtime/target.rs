//! Where a request goes upstream, built from parsed parts and never by
//! joining strings: the gateway path's segments are decoded and checked
//! (no `.` or `..`, no `/` or `\` hidden by percent-encoding, no control
//! characters, no fragment) and put back under the provider's base path,
//! so no request can leave it; the parts that choose a host (Azure's
//! resource, the account) must be what Cloudflare accepts: a DNS label,
//! an account id.
use percent_encoding::percent_decode_str;
use reqwest::Url;

use super::error::RuntimeError;

fn refuse(path: &str, why: &str) -> RuntimeError {
    RuntimeError::bad_request(format!("Invalid provider path {path:?}: {why}"))
}

/// A gateway path (`chat/completions?x=1`) as checked segments and its query.
pub fn parse(path: &str) -> Result<(Vec<String>, Option<String>), RuntimeError> {
    if path.contains('#') {
        return Err(refuse(path, "a fragment (#) is not allowed"));
    }
    let (raw, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q.to_string())),
        None => (path, None),
    };
    let mut segments = Vec::new();
    for s in raw.split('/').filter(|s| !s.is_empty()) {
        let decoded = percent_decode_str(s).decode_utf8().map_err(|_| refuse(path, "a segment is not UTF-8"))?;
        if decoded == "." || decoded == ".." {
            return Err(refuse(path, "`.` and `..` segments are not allowed"));
        }
        if decoded.contains(['/', '\\']) || decoded.chars().any(char::is_control) {
            return Err(refuse(path, "a segment holds an encoded slash or a control character"));
        }
        segments.push(decoded.into_owned());
    }
    Ok((segments, query))
}

/// Parsed base URLs, so the hot path does not parse the same few again and
/// again (bounded: past the bound a base is parsed each time).
static BASES: std::sync::LazyLock<std::sync::RwLock<std::collections::HashMap<String, Url>>> =
    std::sync::LazyLock::new(Default::default);
const MAX_BASES: usize = 4096;

fn parse_base(base: &str) -> Result<Url, RuntimeError> {
    if let Some(u) = BASES.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(base) {
        return Ok(u.clone());
    }
    let url = Url::parse(base).map_err(|e| RuntimeError::bad_request(format!("Invalid upstream URL {base:?}: {e}")))?;
    let mut bases = BASES.write().unwrap_or_else(std::sync::PoisonError::into_inner);
    if bases.len() < MAX_BASES {
        bases.insert(base.to_string(), url.clone());
    }
    Ok(url)
}

/// `base` with `segments` appended (each percent-encoded as one segment) and `query`.
pub fn join(base: &str, segments: &[String], query: Option<&str>) -> Result<Url, RuntimeError> {
    let mut url = parse_base(base)?;
    {
        let mut path = url
            .path_segments_mut()
            .map_err(|()| RuntimeError::bad_request(format!("Invalid upstream URL {base:?}")))?;
        path.pop_if_empty();
        path.extend(segments);
    }
    url.set_query(query);
    Ok(url)
}

/// A DNS label (Azure resource names): letters, digits and inner hyphens, 1-63.
pub fn is_dns_label(s: &str) -> bool {
    (1..=63).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// An account id as it may appear in a host or path: letters and digits.
pub fn is_account(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_paths_are_refused() {
        for bad in [
            "../../../etc/passwd",
            "chat/../../x",
            "..%2f..%2fetc/passwd",
            "%2e%2e/x",
            "a%2fb",
            "a%5cb",
            "x#frag",
            "a/%0d%0aHost:evil",
            "./x",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        // Dot segments in the query string are data, not path (found by the fuzzer).
        let (s, q) = parse("v1?a/../b").unwrap();
        assert_eq!((s, q.as_deref()), (vec!["v1".to_string()], Some("a/../b")));
        let (s, q) = parse("@cf/meta/llama?x=1").unwrap();
        assert_eq!((s, q.as_deref()), (vec!["@cf".to_string(), "meta".into(), "llama".into()], Some("x=1")));
        assert_eq!(join("https://h/v1", &["a b".into()], None).unwrap().as_str(), "https://h/v1/a%20b");
        assert!(is_dns_label("my-res1") && !is_dns_label("127.0.0.1:47001#") && !is_dns_label("-a"));
        assert!(is_account("0123abcd") && !is_account("../x") && !is_account(""));
    }
}
