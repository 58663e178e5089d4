//! Writes to one gateway are read-modify-write cycles of a full PUT; two of
//! them in parallel (Terraform applies up to 10 resources at once) would
//! lose one update. Every writer holds its gateway's lock for the cycle.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::OwnedMutexGuard;

type GatewayKey = (String, String);

#[derive(Default)]
pub struct GatewayLocks {
    locks: Mutex<HashMap<GatewayKey, Arc<tokio::sync::Mutex<()>>>>,
}

impl GatewayLocks {
    pub async fn lock(&self, account: &str, gateway: &str) -> OwnedMutexGuard<()> {
        let m = {
            let mut all = self.locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            all.entry((account.to_string(), gateway.to_string())).or_default().clone()
        };
        m.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn one_writer_per_gateway_at_a_time() {
        let locks = Arc::new(GatewayLocks::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let (locks, inside) = (locks.clone(), inside.clone());
            tasks.push(tokio::spawn(async move {
                let _g = locks.lock("a", "g").await;
                assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                tokio::task::yield_now().await;
                inside.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        // Different gateways do not wait for each other.
        let _a = locks.lock("a", "g").await;
        let _b = locks.lock("a", "other").await;
    }
}
