//! Logpush: each stored log entry of a gateway with `logpush` on, as one
//! line of an `ai_gateway_events` NDJSON batch, gzipped, delivered to a
//! directory (one file per batch, as to R2) or POSTed to an HTTP endpoint.
//!
//! `Metadata`, `RequestBody` and `ResponseBody` are encrypted the way
//! Cloudflare documents: a fresh AES-256-GCM key per field encrypts the
//! data (12-byte IV, the tag appended), and that key is encrypted with the
//! gateway's RSA public key (OAEP, SHA-256), giving
//! `{"type": "encrypted", "key", "iv", "data"}` with base64 values.
use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::logs::LogEntry;

/// An RSA public key a gateway's logs are encrypted with.
pub struct PublicKey(OaepPublicEncryptingKey);

impl PublicKey {
    /// Parses a PEM `PUBLIC KEY` (X.509 SubjectPublicKeyInfo), as Node's
    /// `generateKeyPairSync("rsa", {publicKeyEncoding: {type: "spki"}})`
    /// and `openssl rsa -pubout` write it.
    pub fn parse(pem: &str) -> Result<PublicKey, String> {
        let pem = pem.trim();
        if pem.contains("BEGIN RSA PUBLIC KEY") {
            return Err("a PKCS#1 key; give the SPKI form (-----BEGIN PUBLIC KEY-----, openssl rsa -pubout)".into());
        }
        let body = pem
            .strip_prefix("-----BEGIN PUBLIC KEY-----")
            .and_then(|s| s.strip_suffix("-----END PUBLIC KEY-----"))
            .ok_or("not a PEM public key (-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----)")?;
        let b64: String = body.chars().filter(|c| !c.is_whitespace()).collect();
        let der = B64.decode(b64).map_err(|e| format!("the PEM body is not base64: {e}"))?;
        let key = PublicEncryptingKey::from_der(&der).map_err(|e| format!("not an RSA public key: {e}"))?;
        OaepPublicEncryptingKey::new(key).map(PublicKey).map_err(|_| "an RSA key that cannot encrypt".into())
    }

    /// `{"type": "encrypted", "key", "iv", "data"}` for `plain`.
    pub fn encrypt(&self, plain: &[u8]) -> Result<Value, String> {
        let mut raw = [0u8; 32];
        let mut iv = [0u8; 12];
        aws_lc_rs::rand::fill(&mut raw).map_err(|_| "no randomness")?;
        aws_lc_rs::rand::fill(&mut iv).map_err(|_| "no randomness")?;
        let aes = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &raw).map_err(|_| "AES key")?);
        let mut data = plain.to_vec();
        aes.seal_in_place_append_tag(Nonce::assume_unique_for_key(iv), Aad::empty(), &mut data)
            .map_err(|_| "AES-GCM failed")?;
        let mut wrapped = vec![0u8; self.0.ciphertext_size()];
        let key = self.0.encrypt(&OAEP_SHA256_MGF1SHA256, &raw, &mut wrapped, None).map_err(|_| "RSA-OAEP failed")?;
        Ok(json!({"type": "encrypted", "key": B64.encode(key), "iv": B64.encode(iv), "data": B64.encode(data)}))
    }
}

/// One entry's `ai_gateway_events` record. Fields whose content is absent
/// (no metadata, a payload not kept) are null.
pub fn record(e: &LogEntry, key: &PublicKey) -> Result<Value, String> {
    let seal = |plain: Option<Vec<u8>>| plain.map(|p| key.encrypt(&p)).transpose();
    let metadata = e.metadata.as_ref().map(|m| serde_json::to_vec(m).unwrap_or_default());
    Ok(json!({
        "Timestamp": e.created_at,
        "Gateway": e.gateway_id,
        "Provider": e.provider,
        "Model": e.model,
        "RequestedModel": e.model,
        "Endpoint": e.path,
        "StatusCode": e.status_code,
        "Cached": e.cached,
        "RateLimited": e.status_code == 429,
        "Metrics": {"cost": e.cost, "durationMs": e.duration, "tokensIn": e.tokens_in, "tokensOut": e.tokens_out},
        "Metadata": seal(metadata)?,
        "RequestBody": seal(e.request_body.as_ref().map(|b| b.text().into_owned().into_bytes()))?,
        "ResponseBody": seal(e.response_body.as_ref().map(|b| b.text().into_owned().into_bytes()))?,
    }))
}

/// Where batches go.
#[derive(Debug, Clone)]
pub enum Destination {
    /// `DIR/<YYYYMMDD>/<first>_<last>_<random>.log.gz`, written whole (renamed into place).
    Dir(PathBuf),
    /// POSTed gzipped (`content-encoding: gzip`, `content-type: application/x-ndjson`).
    Http(String),
}

impl Destination {
    /// An `http(s)://` URL, or a directory.
    pub fn parse(s: &str) -> Destination {
        if s.starts_with("http://") || s.starts_with("https://") {
            Destination::Http(s.to_string())
        } else {
            Destination::Dir(PathBuf::from(s))
        }
    }
}

struct Item {
    entry: LogEntry,
    pem: Arc<str>,
}

/// Queues entries for the delivery task; a full queue drops (and warns),
/// it never blocks the log writer.
#[derive(Clone)]
pub struct Pusher {
    tx: mpsc::Sender<Item>,
}

impl Pusher {
    pub fn start(dest: Destination) -> Pusher {
        let (tx, rx) = mpsc::channel(16_384);
        tokio::spawn(deliver(dest, rx));
        Pusher { tx }
    }

    /// Exports `entry` encrypted with the gateway's key `pem`.
    pub fn push(&self, entry: LogEntry, pem: Arc<str>) {
        if self.tx.try_send(Item { entry, pem }).is_err() {
            tracing::warn!("logpush queue full; dropping a log line");
        }
    }
}

fn gzip(lines: &[String]) -> std::io::Result<Vec<u8>> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for l in lines {
        gz.write_all(l.as_bytes())?;
        gz.write_all(b"\n")?;
    }
    gz.finish()
}

fn compact(ts: &str) -> String {
    ts.chars().filter(|c| c.is_ascii_alphanumeric()).take(15).collect::<String>() + "Z"
}

fn write_file(dir: &std::path::Path, first: &str, last: &str, body: &[u8]) -> std::io::Result<PathBuf> {
    let day = dir.join(compact(first).get(..8).unwrap_or("00000000"));
    std::fs::create_dir_all(&day)?;
    let mut tag = [0u8; 4];
    let _ = aws_lc_rs::rand::fill(&mut tag);
    let name = format!("{}_{}_{:08x}.log.gz", compact(first), compact(last), u32::from_be_bytes(tag));
    let tmp = day.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, body)?;
    let path = day.join(name);
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// Encrypts and delivers whatever is queued, batch by batch.
async fn deliver(dest: Destination, mut rx: mpsc::Receiver<Item>) {
    let http = reqwest::Client::new();
    let mut keys: HashMap<Arc<str>, Option<Arc<PublicKey>>> = HashMap::new();
    let mut items = Vec::new();
    while rx.recv_many(&mut items, 1000).await > 0 {
        let mut lines = Vec::new();
        for Item { entry, pem } in items.drain(..) {
            let key = keys.entry(pem.clone()).or_insert_with(|| match PublicKey::parse(&pem) {
                Ok(k) => Some(Arc::new(k)),
                Err(e) => {
                    tracing::warn!("logpush: the gateway's public key is unusable ({e}); its logs are not pushed");
                    None
                }
            });
            match key.as_ref().map(|k| record(&entry, k)) {
                Some(Ok(r)) => lines.push((entry.created_at.clone(), r.to_string())),
                Some(Err(e)) => tracing::warn!("logpush: cannot encrypt a log line: {e}"),
                None => {}
            }
        }
        let (Some(first), Some(last)) = (lines.first().map(|l| l.0.clone()), lines.last().map(|l| l.0.clone())) else {
            continue;
        };
        let body = match gzip(&lines.into_iter().map(|l| l.1).collect::<Vec<_>>()) {
            Ok(b) => b,
            Err(e) => {
                tracing::warn!("logpush: gzip failed: {e}");
                continue;
            }
        };
        match &dest {
            Destination::Dir(dir) => {
                let dir = dir.clone();
                let written = tokio::task::spawn_blocking(move || write_file(&dir, &first, &last, &body)).await;
                if let Ok(Err(e)) = written {
                    tracing::warn!("logpush: cannot write the batch: {e}");
                }
            }
            Destination::Http(url) => {
                let sent = http
                    .post(url)
                    .header("content-type", "application/x-ndjson")
                    .header("content-encoding", "gzip")
                    .body(body)
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => {}
                    Ok(r) => tracing::warn!("logpush: {url} answered {}", r.status()),
                    Err(e) => tracing::warn!("logpush: {url}: {e}"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::{KeySize, OaepPrivateDecryptingKey, PrivateDecryptingKey};

    fn pem_of(key: &PrivateDecryptingKey) -> String {
        let der = key.public_key().as_der().expect("der");
        let b64 = B64.encode(der.as_ref());
        let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).expect("ascii")).collect();
        format!("-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n", lines.join("\n"))
    }

    #[test]
    fn fields_decrypt_with_the_private_key() {
        let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).expect("key");
        let public = PublicKey::parse(&pem_of(&private)).expect("parse");
        let sealed = public.encrypt(b"{\"messages\":[]}").expect("encrypt");
        let get = |k: &str| B64.decode(sealed[k].as_str().expect("field")).expect("base64");
        let oaep = OaepPrivateDecryptingKey::new(private).expect("oaep");
        let mut raw = vec![0u8; oaep.min_output_size()];
        let raw = oaep.decrypt(&OAEP_SHA256_MGF1SHA256, &get("key"), &mut raw, None).expect("unwrap the AES key");
        let aes = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, raw).expect("aes"));
        let iv: [u8; 12] = get("iv").try_into().expect("12-byte iv");
        let mut data = get("data");
        let plain = aes.open_in_place(Nonce::assume_unique_for_key(iv), Aad::empty(), &mut data).expect("open");
        assert_eq!(plain, b"{\"messages\":[]}");
        assert_eq!(sealed["type"], "encrypted");
    }

    #[test]
    fn keys_that_cannot_encrypt_are_refused_with_a_reason() {
        let why = |pem: &str| PublicKey::parse(pem).err().expect("refused");
        assert!(why("ssh-rsa AAAA").contains("not a PEM public key"));
        assert!(why("-----BEGIN RSA PUBLIC KEY-----\nAA==\n-----END RSA PUBLIC KEY-----").contains("PKCS#1"));
        assert!(why("-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----").contains("base64"));
        assert!(why("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----").contains("not an RSA"));
    }
}
