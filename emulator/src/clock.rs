//! The emulator's clock: wall time plus an offset that tests (and
//! `aigw test`'s `advance = "61s"`) move forward, so rate-limit windows and
//! cache TTLs can be tested without waiting.
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Default)]
pub struct Clock {
    offset_ms: AtomicU64,
    /// When set, time stands still at this many ms since the epoch (plus offset).
    frozen_at_ms: Option<u64>,
}

impl Clock {
    /// A clock frozen at `ms` since the epoch; it moves only by `advance`.
    pub fn frozen(ms: u64) -> Clock {
        Clock { offset_ms: AtomicU64::new(0), frozen_at_ms: Some(ms) }
    }

    /// Milliseconds since the Unix epoch, as the emulator sees it.
    pub fn now_ms(&self) -> u64 {
        let base = self
            .frozen_at_ms
            .unwrap_or_else(|| SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64));
        base + self.offset_ms.load(Ordering::Relaxed)
    }

    pub fn advance(&self, by: Duration) {
        self.offset_ms.fetch_add(by.as_millis() as u64, Ordering::Relaxed);
    }

    /// RFC 3339 for `now_ms()`.
    pub fn rfc3339(&self) -> String {
        let ms = self.now_ms();
        chrono::DateTime::from_timestamp_millis(ms as i64)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
    }
}
