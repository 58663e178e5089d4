//! The response cache: exact match on (account, gateway, provider, path,
//! body) or on `cf-aig-cache-key`, bounded in bytes with least-recently-used
//! eviction, with TTLs read on the emulator's clock. Identical concurrent
//! misses are coalesced: the first makes the upstream call and the others
//! wait for its answer: a cacheable one is stored, and an error is shared
//! with them without being stored. A leader that ends with no answer at
//! all releases its flight, and one of the waiting requests becomes the
//! next leader: never a herd, never a key that stays uncacheable.
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use crate::lock;
use bytes::Bytes;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

pub type Key = [u8; 32];

/// A stored response.
#[derive(Debug, Clone)]
pub struct Cached {
    pub status: u16,
    pub content_type: String,
    pub body: Bytes,
    pub expires_ms: u64,
    pub tokens_in: Option<u64>,
    pub tokens_out: Option<u64>,
    pub model: String,
    pub provider: String,
}

/// The largest response stored, as Cloudflare's limit.
pub const MAX_ENTRY_BYTES: usize = 25 * 1024 * 1024;

pub fn key(parts: &[&[u8]]) -> Key {
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

struct Entry {
    value: Arc<Cached>,
    tick: u64,
}

#[derive(Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    /// tick → key, oldest first.
    order: BTreeMap<u64, Key>,
    bytes: usize,
    tick: u64,
}

impl Inner {
    fn remove(&mut self, k: &Key) {
        if let Some(e) = self.entries.remove(k) {
            self.order.remove(&e.tick);
            self.bytes -= e.value.body.len();
        }
    }
}

/// A leader's answer as its followers get it; `stored` when it went into the cache.
#[derive(Debug, Clone)]
pub struct Landing {
    pub value: Arc<Cached>,
    pub stored: bool,
}

type Flight = watch::Receiver<Option<Landing>>;

type Flights = Arc<Mutex<HashMap<Key, Flight>>>;

pub struct Cache {
    inner: Mutex<Inner>,
    inflight: Flights,
    max_bytes: usize,
}

/// What a lookup found.
pub enum Lookup {
    Hit(Arc<Cached>),
    /// Make the upstream call, then [`Leader::finish`].
    Leader(Leader),
    /// Another request is fetching it; wait with [`wait`].
    Follower(Flight),
}

/// The request that fetches a missed key for everyone waiting on it.
/// Dropped without [`Cache::finish`] (its client went away, or its answer
/// is not cacheable), it releases the flight so a follower takes over.
pub struct Leader {
    key: Key,
    tx: watch::Sender<Option<Landing>>,
    flights: Flights,
}

impl Drop for Leader {
    fn drop(&mut self) {
        let mut flights = lock(&self.flights);
        if flights.get(&self.key).is_some_and(|rx| rx.same_channel(&self.tx.subscribe())) {
            flights.remove(&self.key);
        }
        // Followers see the sender go and look the key up again.
    }
}

impl Cache {
    pub fn new(max_bytes: usize) -> Cache {
        Cache { inner: Mutex::default(), inflight: Flights::default(), max_bytes }
    }

    fn get(&self, k: &Key, now_ms: u64) -> Option<Arc<Cached>> {
        let mut inner = lock(&self.inner);
        let (value, old_tick) = {
            let e = inner.entries.get(k)?;
            (e.value.clone(), e.tick)
        };
        if value.expires_ms <= now_ms {
            inner.remove(k);
            return None;
        }
        inner.tick += 1;
        let tick = inner.tick;
        inner.order.remove(&old_tick);
        inner.order.insert(tick, *k);
        if let Some(e) = inner.entries.get_mut(k) {
            e.tick = tick;
        }
        Some(value)
    }

    /// A hit, or who fetches it.
    pub fn lookup(&self, k: Key, now_ms: u64) -> Lookup {
        if let Some(v) = self.get(&k, now_ms) {
            return Lookup::Hit(v);
        }
        let mut flights = lock(&self.inflight);
        // Checked again under the flight lock: a leader may just have finished.
        if let Some(v) = self.get(&k, now_ms) {
            return Lookup::Hit(v);
        }
        if let Some(rx) = flights.get(&k) {
            return Lookup::Follower(rx.clone());
        }
        let (tx, rx) = watch::channel(None);
        flights.insert(k, rx);
        Lookup::Leader(Leader { key: k, tx, flights: self.inflight.clone() })
    }

    /// Stores a cacheable response (if it fits) and hands it to the followers.
    pub fn finish(&self, leader: Leader, value: Cached) {
        let stored = value.body.len() <= MAX_ENTRY_BYTES.min(self.max_bytes);
        // A stored entry owns its body: a body read off a connection is a slice
        // of that connection's read buffer, which it would keep alive, and the
        // byte bound would then not bound memory.
        let value =
            Arc::new(if stored { Cached { body: Bytes::copy_from_slice(&value.body), ..value } } else { value });
        if stored {
            let mut inner = lock(&self.inner);
            inner.remove(&leader.key);
            inner.tick += 1;
            let tick = inner.tick;
            inner.bytes += value.body.len();
            inner.order.insert(tick, leader.key);
            inner.entries.insert(leader.key, Entry { value: value.clone(), tick });
            while inner.bytes > self.max_bytes {
                let Some((_, oldest)) = inner.order.pop_first() else { break };
                if let Some(e) = inner.entries.remove(&oldest) {
                    inner.bytes -= e.value.body.len();
                }
            }
        }
        let _ = leader.tx.send(Some(Landing { value, stored }));
        // Dropping the leader releases the flight.
    }

    /// Hands an answer that is not cached (an error) to the followers, so
    /// they do not each ask again.
    pub fn share(&self, leader: Leader, value: Cached) {
        let _ = leader.tx.send(Some(Landing { value: Arc::new(value), stored: false }));
    }

    /// Drops every stored answer of `provider` (its upstream changed).
    pub fn forget_provider(&self, provider: &str) {
        let mut inner = lock(&self.inner);
        let gone: Vec<Key> =
            inner.entries.iter().filter(|(_, e)| e.value.provider == provider).map(|(k, _)| *k).collect();
        for k in gone {
            inner.remove(&k);
        }
    }

    pub fn stored_bytes(&self) -> usize {
        lock(&self.inner).bytes
    }
}

/// Waits for a leader's answer; `None` if it ended without one (then look
/// the key up again: this request may be the next leader).
pub async fn wait(mut rx: Flight) -> Option<Landing> {
    loop {
        if let Some(v) = rx.borrow().clone() {
            return Some(v);
        }
        if rx.changed().await.is_err() {
            return rx.borrow().clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cached(body: &str, expires_ms: u64) -> Cached {
        Cached {
            status: 200,
            content_type: "application/json".into(),
            body: Bytes::from(body.to_string()),
            expires_ms,
            tokens_in: Some(1),
            tokens_out: Some(2),
            model: "m".into(),
            provider: "p".into(),
        }
    }

    fn fill(c: &Cache, k: Key, v: Cached) {
        match c.lookup(k, 0) {
            Lookup::Leader(l) => c.finish(l, v),
            _ => panic!("expected a miss"),
        }
    }

    #[test]
    fn hits_until_the_ttl_runs_out() {
        let c = Cache::new(1 << 20);
        let k = key(&[b"a", b"b"]);
        fill(&c, k, cached("x", 1000));
        assert!(matches!(c.lookup(k, 999), Lookup::Hit(_)));
        assert!(matches!(c.lookup(k, 1000), Lookup::Leader(_)), "expired at its TTL");
        assert_ne!(key(&[b"ab", b""]), key(&[b"a", b"b"]), "parts are length-delimited");
    }

    #[test]
    fn eviction_is_size_aware_and_least_recently_used() {
        let c = Cache::new(10);
        let (a, b, d) = (key(&[b"a"]), key(&[b"b"]), key(&[b"d"]));
        fill(&c, a, cached("aaaa", u64::MAX));
        fill(&c, b, cached("bbbb", u64::MAX));
        assert!(matches!(c.lookup(a, 0), Lookup::Hit(_)), "touch a");
        fill(&c, d, cached("dddd", u64::MAX));
        assert!(c.stored_bytes() <= 10);
        assert!(matches!(c.lookup(a, 0), Lookup::Hit(_)));
        assert!(matches!(c.lookup(b, 0), Lookup::Leader(_)), "b was least recently used");
        fill(&c, key(&[b"huge"]), cached("01234567890", u64::MAX));
        assert!(c.stored_bytes() <= 10, "an entry larger than the cache is not stored");
    }

    #[test]
    fn a_stored_body_does_not_keep_the_buffer_it_was_read_from() {
        let c = Cache::new(1 << 20);
        let buffer = Bytes::from(vec![b'x'; 64 * 1024]);
        fill(&c, key(&[b"k"]), Cached { body: buffer.slice(..300), ..cached("", u64::MAX) });
        assert!(buffer.is_unique(), "the cache holds a copy of the 300 bytes, not the 64 KiB buffer");
        let Lookup::Hit(hit) = c.lookup(key(&[b"k"]), 0) else { panic!("expected a hit") };
        assert_eq!(hit.body.len(), 300);
    }

    #[tokio::test]
    async fn concurrent_misses_share_one_fetch() {
        let c = Arc::new(Cache::new(1 << 20));
        let k = key(&[b"same"]);
        let Lookup::Leader(leader) = c.lookup(k, 0) else { panic!("first is the leader") };
        let followers: Vec<_> = (0..5)
            .map(|_| match c.lookup(k, 0) {
                Lookup::Follower(rx) => tokio::spawn(wait(rx)),
                _ => panic!("others follow"),
            })
            .collect();
        c.finish(leader, cached("shared", u64::MAX));
        for f in followers {
            assert_eq!(f.await.unwrap().unwrap().value.body, "shared");
        }
        // A leader that gets nothing cacheable (or whose client left)
        // releases its followers, and the next lookup leads.
        let k2 = key(&[b"other"]);
        let Lookup::Leader(leader) = c.lookup(k2, 0) else { panic!() };
        let Lookup::Follower(rx) = c.lookup(k2, 0) else { panic!() };
        drop(leader);
        assert!(wait(rx).await.is_none());
        let Lookup::Leader(next) = c.lookup(k2, 0) else { panic!("a follower becomes the next leader") };
        let Lookup::Follower(rx) = c.lookup(k2, 0) else { panic!() };
        c.share(next, cached("an error", u64::MAX));
        let shared = wait(rx).await.unwrap();
        assert!(!shared.stored && shared.value.body == "an error", "followers share the error");
        let Lookup::Leader(last) = c.lookup(k2, 0) else { panic!("an error is not stored") };
        c.finish(last, cached("later", u64::MAX));
        assert!(matches!(c.lookup(k2, 0), Lookup::Hit(_)), "the key is cacheable again");
    }
}
