//! Per-gateway rate limiting. `fixed`: windows aligned to the clock (a burst
//! across a window edge can reach twice the limit). `sliding`: the previous
//! window's count weighted by how much of it still overlaps the last
//! `interval` seconds, plus the current window's count, as Cloudflare does.
//! One lock per decision keeps it exact under concurrency.
use std::collections::HashMap;
use std::sync::Mutex;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Technique {
    Fixed,
    Sliding,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    interval_ms: u64,
    start_ms: u64,
    count: u64,
    previous: u64,
}

#[derive(Default)]
pub struct RateLimiter {
    windows: Mutex<HashMap<(String, String), Window>>,
}

impl RateLimiter {
    /// Counts one request against `gateway` at `now_ms`; false if it is over
    /// `limit` per `interval_s`. A rejected request is not counted.
    pub fn allow(&self, gateway: (&str, &str), limit: u64, interval_s: u64, technique: Technique, now_ms: u64) -> bool {
        if limit == 0 || interval_s == 0 {
            return true;
        }
        let interval_ms = interval_s * 1000;
        let start = now_ms - now_ms % interval_ms;
        let mut all = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let key = (gateway.0.to_string(), gateway.1.to_string());
        let w = all.entry(key).or_insert(Window { interval_ms, start_ms: start, count: 0, previous: 0 });
        if w.interval_ms != interval_ms {
            *w = Window { interval_ms, start_ms: start, count: 0, previous: 0 };
        } else if w.start_ms != start {
            w.previous = if w.start_ms + interval_ms == start { w.count } else { 0 };
            w.count = 0;
            w.start_ms = start;
        }
        let used = match technique {
            Technique::Fixed => w.count as f64,
            Technique::Sliding => {
                let elapsed = (now_ms - start) as f64 / interval_ms as f64;
                w.previous as f64 * (1.0 - elapsed) + w.count as f64
            }
        };
        if used + 1.0 > limit as f64 {
            return false;
        }
        w.count += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU64, Ordering};

    const G: (&str, &str) = ("a", "g");

    #[test]
    fn fixed_windows_reset_on_the_clock_edge() {
        let rl = RateLimiter::default();
        let t0 = 999_999_960_000u64; // on a minute boundary
        assert!((0..3).all(|_| rl.allow(G, 3, 60, Technique::Fixed, t0 + 59_000)));
        assert!(!rl.allow(G, 3, 60, Technique::Fixed, t0 + 59_500));
        // One second later a new window opens: a full burst again.
        assert!((0..3).all(|_| rl.allow(G, 3, 60, Technique::Fixed, t0 + 60_000)));
        assert!(!rl.allow(G, 3, 60, Technique::Fixed, t0 + 60_001));
    }

    #[test]
    fn sliding_windows_weigh_the_previous_window() {
        let rl = RateLimiter::default();
        let t0 = 999_999_960_000u64;
        assert!((0..10).all(|_| rl.allow(G, 10, 60, Technique::Sliding, t0 + 30_000)));
        // 15 s into the next window, 75% of the previous 10 still count: 2 more fit.
        assert!(rl.allow(G, 10, 60, Technique::Sliding, t0 + 75_000));
        assert!(rl.allow(G, 10, 60, Technique::Sliding, t0 + 75_000));
        assert!(!rl.allow(G, 10, 60, Technique::Sliding, t0 + 75_000));
        // Two windows later nothing of it is left.
        assert!((0..10).all(|_| rl.allow(G, 10, 60, Technique::Sliding, t0 + 180_000)));
    }

    #[test]
    fn exactly_the_limit_passes_under_concurrency() {
        let rl = Arc::new(RateLimiter::default());
        let passed = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (rl, passed) = (rl.clone(), passed.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        if rl.allow(G, 100, 60, Technique::Sliding, 1_000_000_010_000) {
                            passed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        assert_eq!(passed.load(Ordering::Relaxed), 100, "4x the limit sent, exactly the limit passed");
    }
}
