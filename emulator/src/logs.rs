//! Request logs: what each runtime request did, kept per gateway. Writers
//! hand entries to a writer thread of its own that stores them in batches, off the
//! request path (in memory, and in SQLite under `--data-dir`), honouring the
//! gateway's `log_management` limit and strategy.
use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use crate::lock;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use tokio::sync::{mpsc, oneshot};

/// Entries kept in memory per gateway when the gateway sets no limit.
pub const DEFAULT_LIMIT: usize = 10_000;
/// The most kept in memory per gateway, whatever the limit says.
pub const MEMORY_CAP: usize = 100_000;
/// Longer bodies are stored cut to this many bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// One logged request, in the shape of Cloudflare's log API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub id: String,
    pub created_at: String,
    #[serde(skip_serializing, default)]
    pub created_ms: u64,
    #[serde(skip_serializing, default)]
    pub account_id: String,
    pub gateway_id: String,
    pub provider: String,
    pub model: String,
    pub path: String,
    pub request_type: String,
    /// Milliseconds from request to the end of the response.
    pub duration: u64,
    pub status_code: u16,
    pub success: bool,
    pub cached: bool,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
    pub cost: f64,
    pub custom_cost: bool,
    /// Served as a JSON string, the type Cloudflare's log API declares;
    /// read back from either a string or an object.
    #[serde(default, with = "metadata_text")]
    pub metadata: Option<Map<String, Value>>,
    /// Human feedback set by PATCH: 1 (good), -1 (bad) or 0.
    #[serde(default)]
    pub feedback: Option<i64>,
    /// An evaluation score set by PATCH, 0-100.
    #[serde(default)]
    pub score: Option<f64>,
    /// The step that answered (0 = first).
    pub step: u32,
    /// Upstream attempts made, retries included (0 for cache hits and refusals).
    pub attempts: u32,
    pub request_content_type: Option<String>,
    pub response_content_type: Option<String>,
    pub event_id: Option<String>,
    pub user_agent: Option<String>,
    pub stream: bool,
    /// The strongest DLP action taken (`FLAG`, `BLOCK`), a log filter key.
    #[serde(default)]
    pub dlp_action: Option<String>,
    /// DLP findings: action, check, policies, profiles, entries.
    #[serde(default)]
    pub dlp: Option<Value>,
    /// Guardrail verdicts: the categories found in the prompt and the response.
    #[serde(default)]
    pub guardrails: Option<Value>,
    /// The BYOK key alias that answered (never the key itself).
    #[serde(default)]
    pub byok_alias: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<LogBody>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_body: Option<LogBody>,
}

/// A stored body: the first [`MAX_BODY`] bytes, shared with the request
/// (no copy on the request path), written out as (lossy) UTF-8 text.
#[derive(Debug, Clone, PartialEq)]
pub struct LogBody(pub bytes::Bytes);

/// A header that carries a credential: its value is never stored.
pub fn is_credential_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    matches!(n.as_str(), "authorization" | "proxy-authorization" | "cookie" | "api-key")
        || n.ends_with("-api-key")
        || n.ends_with("-key")
        || n.contains("token")
        || n.contains("secret")
        || n == "cf-aig-authorization"
}

/// Replaces credential values in every `headers` object of `v`; true if any was.
fn redact_headers(v: &mut serde_json::Value) -> bool {
    match v {
        serde_json::Value::Object(m) => {
            let mut changed = false;
            for (k, x) in m.iter_mut() {
                if k == "headers"
                    && let serde_json::Value::Object(h) = x
                {
                    for (name, value) in h.iter_mut() {
                        if is_credential_header(name) && *value != "[REDACTED]" {
                            *value = serde_json::Value::String("[REDACTED]".into());
                            changed = true;
                        }
                    }
                } else {
                    changed |= redact_headers(x);
                }
            }
            changed
        }
        serde_json::Value::Array(a) => a.iter_mut().fold(false, |c, x| redact_headers(x) | c),
        _ => false,
    }
}

impl LogBody {
    /// A copy: a slice would keep alive the whole buffer it came from (a
    /// connection's read buffer), and a log holds thousands of bodies.
    pub fn capture(b: &bytes::Bytes) -> LogBody {
        LogBody(bytes::Bytes::copy_from_slice(&b[..b.len().min(MAX_BODY)]))
    }

    /// A request body as logged: credentials inside it (the universal
    /// endpoint's per-step `headers`) are redacted before it is stored.
    pub fn capture_request(b: &bytes::Bytes) -> LogBody {
        if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(b)
            && redact_headers(&mut v)
            && let Ok(text) = serde_json::to_vec(&v)
        {
            return LogBody::capture(&bytes::Bytes::from(text));
        }
        LogBody::capture(b)
    }
    pub fn text(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(&self.0)
    }
}

impl Serialize for LogBody {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for LogBody {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<LogBody, D::Error> {
        Ok(LogBody(bytes::Bytes::from(String::deserialize(d)?)))
    }
}

/// `metadata` as Cloudflare's API types it: a JSON string.
mod metadata_text {
    use serde::{Deserialize, Deserializer, Serializer};
    use serde_json::{Map, Value};

    pub fn serialize<S: Serializer>(m: &Option<Map<String, Value>>, s: S) -> Result<S::Ok, S::Error> {
        match m {
            Some(m) => s.serialize_str(&Value::Object(m.clone()).to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Map<String, Value>>, D::Error> {
        Ok(match Option::<Value>::deserialize(d)? {
            Some(Value::Object(m)) => Some(m),
            Some(Value::String(s)) => match serde_json::from_str(&s) {
                Ok(Value::Object(m)) => Some(m),
                _ => None,
            },
            _ => None,
        })
    }
}

impl LogEntry {
    /// The entry without bodies, as lists show it.
    pub fn summary(&self) -> LogEntry {
        LogEntry { request_body: None, response_body: None, ..self.clone() }
    }
}

/// The gateway's retention settings, captured when the request was made.
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub limit: usize,
    pub delete_oldest: bool,
}

impl Retention {
    pub fn from_gateway(log_management: Option<i64>, strategy: Option<&str>) -> Retention {
        let limit = log_management.map_or(DEFAULT_LIMIT, |n| n.max(1) as usize).min(MEMORY_CAP);
        Retention { limit, delete_oldest: strategy != Some("STOP_INSERTING") }
    }
}

enum Msg {
    /// An entry, and the public key to push it with once it is stored.
    Entry(Box<LogEntry>, Retention, Option<Arc<str>>),
    Delete(Vec<String>),
    /// An entry edited in place (feedback, score, metadata), to store again.
    Update(Box<LogEntry>),
    Flush(oneshot::Sender<()>),
}

type GatewayKey = (String, String);

/// One gateway's entries, oldest first. Boxed: the queue holds pointers, so
/// its spare capacity and its growth cost 8 bytes an entry, not an entry's size.
pub type Queue = VecDeque<Box<LogEntry>>;

/// One gateway's entries as readers see them, oldest first.
pub struct View<'a>(&'a Queue);

impl<'a> View<'a> {
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &'a LogEntry> + 'a {
        self.0.iter().map(|l| &**l)
    }
}

#[derive(Default)]
pub struct Entries {
    pub by_gateway: BTreeMap<GatewayKey, Queue>,
}

pub struct Logs {
    entries: Arc<Mutex<Entries>>,
    tx: mpsc::Sender<Msg>,
    /// Told the id of every entry once it is stored (the dashboard's live view).
    stored: tokio::sync::broadcast::Sender<Stored>,
}

/// An entry just stored: where it belongs and its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stored {
    pub account_id: String,
    pub gateway_id: String,
    pub id: String,
}

/// Where batches are persisted, if anywhere.
pub trait Sink: Send + 'static {
    /// Stores `batch` (new and edited entries) and deletes `deleted`, in one transaction.
    fn write(&mut self, batch: &[LogEntry], deleted: &[String]);
}

/// The log writer thread's side: applies queued messages in batches.
struct Writer {
    entries: Arc<Mutex<Entries>>,
    sink: Option<Box<dyn Sink>>,
    pusher: Option<crate::export::logpush::Pusher>,
    notify: tokio::sync::broadcast::Sender<Stored>,
}

/// The most messages applied (and written in one transaction) at once.
const BATCH: usize = 512;
/// After a batch the writer waits this long for more to gather: under load
/// it then wakes a few hundred times a second, not once per request.
const GATHER: std::time::Duration = std::time::Duration::from_millis(5);

impl Writer {
    fn run(mut self, mut rx: mpsc::Receiver<Msg>) {
        let mut buf = Vec::with_capacity(BATCH);
        while rx.blocking_recv_many(&mut buf, BATCH) > 0 {
            let mut batch = Vec::new();
            let mut dropped = Vec::new();
            let mut flushes = Vec::new();
            {
                let mut e = lock(&self.entries);
                for m in buf.drain(..) {
                    match m {
                        Msg::Flush(done) => flushes.push(done),
                        Msg::Delete(ids) => dropped.extend(ids),
                        Msg::Update(entry) if self.sink.is_some() => batch.push(*entry),
                        Msg::Update(_) => {}
                        Msg::Entry(entry, ret, logpush) => {
                            self.insert(&mut e, entry, ret, logpush, &mut batch, &mut dropped)
                        }
                    }
                }
            }
            if let Some(s) = self.sink.as_mut()
                && (!batch.is_empty() || !dropped.is_empty())
            {
                s.write(&batch, &dropped);
            }
            for f in flushes {
                let _ = f.send(());
            }
            std::thread::sleep(GATHER);
        }
    }

    /// Keeps one new entry in memory (dropping the oldest, or refusing it,
    /// at the retention limit) and queues it for the sink and Logpush.
    fn insert(
        &self,
        e: &mut Entries,
        entry: Box<LogEntry>,
        ret: Retention,
        logpush: Option<Arc<str>>,
        batch: &mut Vec<LogEntry>,
        dropped: &mut Vec<String>,
    ) {
        let q = e.by_gateway.entry((entry.account_id.clone(), entry.gateway_id.clone())).or_default();
        if q.len() >= ret.limit {
            if !ret.delete_oldest {
                return;
            }
            while q.len() >= ret.limit {
                if let Some(old) = q.pop_front() {
                    dropped.push(old.id);
                }
            }
        }
        if self.sink.is_some() {
            batch.push((*entry).clone());
        }
        if let (Some(p), Some(key)) = (&self.pusher, logpush) {
            p.push((*entry).clone(), key);
        }
        if self.notify.receiver_count() > 0 {
            let _ = self.notify.send(Stored {
                account_id: entry.account_id.clone(),
                gateway_id: entry.gateway_id.clone(),
                id: entry.id.clone(),
            });
        }
        q.push_back(entry);
    }
}

impl Logs {
    /// Starts the writer thread. `loaded` are entries read back from disk.
    /// A stored entry of a gateway with Logpush on goes to `pusher` too
    /// (an entry the retention limit refuses is neither stored nor pushed).
    pub fn start(
        loaded: Vec<LogEntry>,
        sink: Option<Box<dyn Sink>>,
        pusher: Option<crate::export::logpush::Pusher>,
    ) -> Logs {
        let entries = Arc::new(Mutex::new(Entries::default()));
        {
            let mut e = lock(&entries);
            for l in loaded {
                e.by_gateway.entry((l.account_id.clone(), l.gateway_id.clone())).or_default().push_back(Box::new(l));
            }
        }
        let (tx, rx) = mpsc::channel::<Msg>(65_536);
        let (stored, _) = tokio::sync::broadcast::channel::<Stored>(1024);
        let writer = Writer { entries: entries.clone(), sink, pusher, notify: stored.clone() };
        // One thread of its own: SQLite writes block, and must never hold up a runtime worker.
        if let Err(e) = std::thread::Builder::new().name("aigw-log-writer".into()).spawn(move || writer.run(rx)) {
            tracing::error!("cannot start the log writer thread: {e}; logs are not kept");
        }
        Logs { entries, tx, stored }
    }

    /// Queues an entry; never waits on storage.
    /// Queues `entry`; `logpush` is the gateway's public key when it pushes logs.
    pub fn record(&self, entry: LogEntry, retention: Retention, logpush: Option<Arc<str>>) {
        if self.tx.try_send(Msg::Entry(Box::new(entry), retention, logpush)).is_err() {
            tracing::warn!("log queue full; dropping a log entry");
        }
    }

    /// Entries as they are stored, from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Stored> {
        self.stored.subscribe()
    }

    /// Waits until everything queued so far is stored.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Flush(tx)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Reads one gateway's entries, oldest first.
    pub fn read<T>(&self, account: &str, gateway: &str, f: impl FnOnce(View<'_>) -> T) -> T {
        let e = lock(&self.entries);
        let empty = Queue::new();
        f(View(e.by_gateway.get(&(account.to_string(), gateway.to_string())).unwrap_or(&empty)))
    }

    /// Every entry of every gateway, in id (time) order.
    pub fn all(&self) -> Vec<LogEntry> {
        let e = lock(&self.entries);
        let mut out: Vec<LogEntry> = e.by_gateway.values().flatten().map(|l| (**l).clone()).collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// Removes the entries `pred` selects (at most `limit`); returns their ids.
    pub fn delete(&self, account: &str, gateway: &str, limit: usize, pred: impl Fn(&LogEntry) -> bool) -> Vec<String> {
        let mut e = lock(&self.entries);
        let Some(q) = e.by_gateway.get_mut(&(account.to_string(), gateway.to_string())) else { return Vec::new() };
        let mut removed = Vec::new();
        q.retain(|l| {
            if removed.len() < limit && pred(l) {
                removed.push(l.id.clone());
                false
            } else {
                true
            }
        });
        if !removed.is_empty() && self.tx.try_send(Msg::Delete(removed.clone())).is_err() {
            tracing::warn!("log queue full; deleted logs stay on disk until restart");
        }
        removed
    }

    /// Edits one entry in place and stores it again; the edited entry, or
    /// `None` if there is no such entry.
    pub fn edit(&self, account: &str, gateway: &str, id: &str, f: impl FnOnce(&mut LogEntry)) -> Option<LogEntry> {
        let mut e = lock(&self.entries);
        let q = e.by_gateway.get_mut(&(account.to_string(), gateway.to_string()))?;
        let entry = q.iter_mut().find(|l| l.id == id)?;
        f(entry);
        let out = (**entry).clone();
        if self.tx.try_send(Msg::Update(Box::new(out.clone()))).is_err() {
            tracing::warn!("log queue full; an edited log is kept in memory only");
        }
        Some(out)
    }

    /// Drops every entry of a gateway (when the gateway is deleted).
    pub fn forget_gateway(&self, account: &str, gateway: &str) {
        self.delete(account, gateway, usize::MAX, |_| true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_logged_body_does_not_keep_its_source_buffer_alive() {
        let buffer = bytes::Bytes::from(vec![b'x'; 64 * 1024]);
        let body = buffer.slice(..100);
        let logged = LogBody::capture(&body);
        let range = buffer.as_ptr() as usize..buffer.as_ptr() as usize + buffer.len();
        assert!(!range.contains(&(logged.0.as_ptr() as usize)), "a copy, not a view into the 64 KiB buffer");
        assert_eq!(logged.0, body);
    }

    #[test]
    fn credentials_in_logged_bodies_are_redacted() {
        let body = bytes::Bytes::from_static(
            br#"[{"provider":"openai","headers":{"Authorization":"Bearer sk-secret","Content-Type":"application/json","x-api-key":"k"},"query":{}}]"#,
        );
        let logged = LogBody::capture_request(&body).text().into_owned();
        assert!(!logged.contains("sk-secret") && !logged.contains("\"k\""), "{logged}");
        assert!(logged.contains("application/json") && logged.contains("[REDACTED]"), "{logged}");
        let plain = bytes::Bytes::from_static(b"{\"model\":\"m\"}");
        assert_eq!(LogBody::capture_request(&plain).0, plain);
    }

    fn entry(id: &str) -> LogEntry {
        LogEntry {
            id: id.into(),
            created_at: String::new(),
            created_ms: 0,
            account_id: "a".into(),
            gateway_id: "g".into(),
            provider: "openai".into(),
            model: "m".into(),
            path: String::new(),
            request_type: "provider".into(),
            duration: 1,
            status_code: 200,
            success: true,
            cached: false,
            tokens_in: None,
            tokens_out: None,
            cost: 0.0,
            custom_cost: false,
            metadata: None,
            feedback: None,
            score: None,
            step: 0,
            attempts: 1,
            request_content_type: None,
            response_content_type: None,
            event_id: None,
            user_agent: None,
            stream: false,
            request_body: None,
            response_body: None,
            dlp_action: None,
            dlp: None,
            guardrails: None,
            byok_alias: None,
        }
    }

    fn ids(logs: &Logs) -> Vec<String> {
        logs.read("a", "g", |q| q.iter().map(|e| e.id.clone()).collect())
    }

    #[tokio::test]
    async fn retention_follows_the_strategy() {
        let logs = Logs::start(Vec::new(), None, None);
        let oldest = Retention { limit: 2, delete_oldest: true };
        for id in ["1", "2", "3"] {
            logs.record(entry(id), oldest, None);
        }
        logs.flush().await;
        assert_eq!(ids(&logs), ["2", "3"], "DELETE_OLDEST drops the oldest");
        let stop = Retention { limit: 2, delete_oldest: false };
        logs.record(entry("4"), stop, None);
        logs.flush().await;
        assert_eq!(ids(&logs), ["2", "3"], "STOP_INSERTING keeps what it has");
        assert_eq!(logs.delete("a", "g", 10, |e| e.id == "2"), ["2"]);
        assert_eq!(ids(&logs), ["3"]);
        assert_eq!(Retention::from_gateway(Some(20_000), Some("STOP_INSERTING")).limit, 20_000);
        assert_eq!(Retention::from_gateway(None, None).limit, DEFAULT_LIMIT);
    }

    /// One write: the ids stored and the ids deleted.
    type Write = (Vec<String>, Vec<String>);

    /// A sink that records what it is asked to do.
    struct Recorder(Arc<Mutex<Vec<Write>>>);

    impl Sink for Recorder {
        fn write(&mut self, batch: &[LogEntry], deleted: &[String]) {
            lock(&self.0).push((batch.iter().map(|e| e.id.clone()).collect(), deleted.to_vec()));
        }
    }

    #[tokio::test]
    async fn the_writer_thread_stores_and_deletes_in_one_call_per_batch() {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let logs = Logs::start(Vec::new(), Some(Box::new(Recorder(calls.clone()))), None);
        let ret = Retention { limit: 2, delete_oldest: true };
        for id in ["1", "2", "3"] {
            logs.record(entry(id), ret, None);
        }
        logs.flush().await;
        let calls = lock(&calls).clone();
        let written: Vec<String> = calls.iter().flat_map(|(w, _)| w.clone()).collect();
        let deleted: Vec<String> = calls.iter().flat_map(|(_, d)| d.clone()).collect();
        assert_eq!(written, ["1", "2", "3"], "every entry is stored");
        assert_eq!(deleted, ["1"], "and the one the limit drops is deleted after it is stored");
        assert!(calls.iter().all(|(w, d)| !w.is_empty() || !d.is_empty()), "no empty transactions: {calls:?}");
        assert_eq!(ids(&logs), ["2", "3"]);
    }
}
