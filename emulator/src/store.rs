//! The emulator's data: gateways per account. Reads come from memory;
//! with a data directory every change is also written to SQLite before the
//! request is answered, and loaded back on start.
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use aigw_cloudflare::Gateway;
use rusqlite::Connection;

use crate::Error;

type Key = (String, String);

pub struct Store {
    gateways: Mutex<BTreeMap<Key, Gateway>>,
    db: Option<Mutex<Connection>>,
}

/// What a create or replace found.
#[derive(Debug, PartialEq, Eq)]
pub enum Conflict {
    AlreadyExists,
    Missing,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // A panic while holding the lock leaves plain data behind; keep serving.
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Store {
    pub fn in_memory() -> Store {
        Store { gateways: Mutex::new(BTreeMap::new()), db: None }
    }

    /// Opens (or creates) `dir/aigw-emulator.sqlite3` and loads it.
    pub fn open(dir: &Path) -> Result<Store, Error> {
        std::fs::create_dir_all(dir)?;
        let conn = Connection::open(dir.join("aigw-emulator.sqlite3"))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             PRAGMA synchronous=FULL;
             CREATE TABLE IF NOT EXISTS gateways (
                 account_id TEXT NOT NULL,
                 id TEXT NOT NULL,
                 body TEXT NOT NULL,
                 PRIMARY KEY (account_id, id)
             );",
        )?;
        let mut gateways = BTreeMap::new();
        {
            let mut stmt = conn.prepare("SELECT account_id, id, body FROM gateways")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
            for row in rows {
                let (account, id, body) = row?;
                let g: Gateway =
                    serde_json::from_str(&body).map_err(|e| Error::Corrupt(format!("gateway {account}/{id}: {e}")))?;
                gateways.insert((account, id), g);
            }
        }
        Ok(Store { gateways: Mutex::new(gateways), db: Some(Mutex::new(conn)) })
    }

    fn persist(&self, account: &str, g: Option<&Gateway>, id: &str) -> Result<(), Error> {
        let Some(db) = &self.db else { return Ok(()) };
        let conn = lock(db);
        match g {
            Some(g) => {
                let body = serde_json::to_string(g).map_err(|e| Error::Corrupt(e.to_string()))?;
                conn.execute(
                    "INSERT INTO gateways (account_id, id, body) VALUES (?1, ?2, ?3)
                     ON CONFLICT (account_id, id) DO UPDATE SET body = excluded.body",
                    (account, id, body),
                )?;
            }
            None => {
                conn.execute("DELETE FROM gateways WHERE account_id = ?1 AND id = ?2", (account, id))?;
            }
        }
        Ok(())
    }

    pub fn list_gateways(&self, account: &str) -> Vec<Gateway> {
        lock(&self.gateways).iter().filter(|((a, _), _)| a == account).map(|(_, g)| g.clone()).collect()
    }

    pub fn get_gateway(&self, account: &str, id: &str) -> Option<Gateway> {
        lock(&self.gateways).get(&(account.to_string(), id.to_string())).cloned()
    }

    /// Inserts a new gateway; fails if the id is taken.
    pub fn create_gateway(&self, account: &str, g: Gateway) -> Result<Result<Gateway, Conflict>, Error> {
        let mut all = lock(&self.gateways);
        let key = (account.to_string(), g.id.clone());
        if all.contains_key(&key) {
            return Ok(Err(Conflict::AlreadyExists));
        }
        self.persist(account, Some(&g), &g.id)?;
        all.insert(key, g.clone());
        Ok(Ok(g))
    }

    /// Replaces an existing gateway using `update(old) -> new`.
    pub fn update_gateway(
        &self,
        account: &str,
        id: &str,
        update: impl FnOnce(&Gateway) -> Gateway,
    ) -> Result<Result<Gateway, Conflict>, Error> {
        let mut all = lock(&self.gateways);
        let key = (account.to_string(), id.to_string());
        let Some(old) = all.get(&key) else { return Ok(Err(Conflict::Missing)) };
        let new = update(old);
        self.persist(account, Some(&new), id)?;
        all.insert(key, new.clone());
        Ok(Ok(new))
    }

    pub fn delete_gateway(&self, account: &str, id: &str) -> Result<Option<Gateway>, Error> {
        let mut all = lock(&self.gateways);
        let key = (account.to_string(), id.to_string());
        if !all.contains_key(&key) {
            return Ok(None);
        }
        self.persist(account, None, id)?;
        Ok(all.remove(&key))
    }
}
