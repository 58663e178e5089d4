//! Writes to one gateway are read-modify-write cycles of a full PUT; two of
//! them at once would lose one update. That happens inside one provider
//! process (Terraform applies up to 10 resources at once) and across them:
//! each provider configuration (`aigw`, `aigw.west`) is its own process,
//! and a cache on one and a rate limit on the other share a gateway. So a
//! writer holds its gateway's lock in the process and an OS file lock
//! (one file per API and gateway, in the temp directory) that every
//! provider process on the machine honours, for the whole cycle.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};
use tokio::sync::OwnedMutexGuard;

type GatewayKey = (String, String);

pub struct GatewayLocks {
    /// The API the gateways live in: locks for different APIs never meet.
    api: String,
    dir: PathBuf,
    locks: Mutex<HashMap<GatewayKey, Arc<tokio::sync::Mutex<()>>>>,
}

/// A held lock: the process's and, when the OS lock could be taken, the file's.
pub struct GatewayGuard {
    _process: OwnedMutexGuard<()>,
    _file: Option<std::fs::File>,
}

impl GatewayLocks {
    pub fn new(api: &str) -> GatewayLocks {
        let user = std::env::var("USER").unwrap_or_else(|_| "user".into());
        GatewayLocks {
            api: api.to_string(),
            dir: std::env::temp_dir().join(format!("aigw-gateway-locks-{user}")),
            locks: Mutex::default(),
        }
    }

    pub async fn lock(&self, account: &str, gateway: &str) -> GatewayGuard {
        let m = {
            let mut all = self.locks.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            all.entry((account.to_string(), gateway.to_string())).or_default().clone()
        };
        let process = m.lock_owned().await;
        let digest = Sha256::digest(format!("{}\n{account}\n{gateway}", self.api));
        let name: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
        let path = self.dir.join(format!("{name}.lock"));
        let dir = self.dir.clone();
        let file = tokio::task::spawn_blocking(move || -> std::io::Result<std::fs::File> {
            std::fs::create_dir_all(&dir)?;
            let f = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path)?;
            f.lock()?;
            Ok(f)
        })
        .await;
        let file = match file {
            Ok(Ok(f)) => Some(f),
            Ok(Err(e)) => {
                tracing::warn!(
                    "gateway lock file in {}: {e}; writes are serialised in this process only",
                    self.dir.display()
                );
                None
            }
            Err(_) => None,
        };
        GatewayGuard { _process: process, _file: file }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn one_writer_per_gateway_at_a_time_across_lock_sets() {
        // Two lock sets stand for two provider processes on one API.
        let api = format!("http://test-{}", std::process::id());
        let sets = [Arc::new(GatewayLocks::new(&api)), Arc::new(GatewayLocks::new(&api))];
        let inside = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for i in 0..10 {
            let (locks, inside) = (sets[i % 2].clone(), inside.clone());
            tasks.push(tokio::spawn(async move {
                let _g = locks.lock("a", "g").await;
                assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        // Different gateways do not wait for each other.
        let _a = sets[0].lock("a", "g").await;
        let _b = sets[1].lock("a", "other").await;
    }
}
