//! The emulator's data: gateways and custom providers per account, and the
//! dynamic routes and BYOK provider keys of each gateway. Reads come from
//! memory; with a data directory every change is also written to SQLite
//! before the request is answered, and loaded back on start. One lock covers everything, so
//! deleting a gateway with its routes and keys is one step.
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use aigw_cloudflare::{CustomProvider, Deployment, Element, Gateway, ProviderConfig};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::{Error, lock};

/// `(account_id, gateway_id)`.
pub type GatewayKey = (String, String);
/// `(account_id, gateway_id, route_id)`.
pub type RouteKey = (String, String, String);

/// A version as stored: its elements, not yet rendered as Cloudflare's string.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredVersion {
    pub version_id: String,
    pub created_at: String,
    pub elements: Vec<Element>,
}

/// A route with its whole history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteRecord {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub modified_at: String,
    pub versions: Vec<StoredVersion>,
    /// Newest last; the last one is live.
    pub deployments: Vec<Deployment>,
}

/// `(account_id, gateway_id, config_id)`.
pub type KeyKey = (String, String, String);

/// A BYOK provider key: what the API shows, and the key itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredKey {
    pub config: ProviderConfig,
    /// `None` when the key lives in a Secrets Store the emulator cannot read.
    pub secret: Option<String>,
}

#[derive(Default)]
pub struct Data {
    pub gateways: BTreeMap<GatewayKey, Gateway>,
    pub routes: BTreeMap<RouteKey, RouteRecord>,
    pub keys: BTreeMap<KeyKey, StoredKey>,
    /// Custom providers by `(account_id, id)`.
    pub custom: BTreeMap<GatewayKey, CustomProvider>,
}

impl Data {
    /// The account's custom provider with this runtime slug (`custom-{slug}`).
    pub fn custom_provider(&self, account: &str, runtime_slug: &str) -> Option<&CustomProvider> {
        let slug = runtime_slug.strip_prefix("custom-")?;
        self.custom.iter().find(|((a, _), c)| a == account && c.slug == slug).map(|(_, c)| c)
    }

    /// A gateway's BYOK keys.
    pub fn keys_of<'a>(&'a self, account: &'a str, gateway: &'a str) -> impl Iterator<Item = &'a StoredKey> + 'a {
        let from = (account.to_string(), gateway.to_string(), String::new());
        self.keys.range(from..).take_while(move |((a, g, _), _)| a == account && g == gateway).map(|(_, k)| k)
    }
}

pub struct Store {
    data: Mutex<Data>,
    db: Option<Mutex<Connection>>,
    /// Bumped by every gateway write, so what is derived from gateways
    /// (the runtime's parsed settings) knows when to read them again.
    gateways_version: std::sync::atomic::AtomicU64,
}

/// A random id in UUID layout.
pub fn new_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let word = || std::collections::hash_map::RandomState::new().build_hasher().finish();
    let v = (u128::from(word()) << 64) | u128::from(word());
    let h = format!("{v:032x}");
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

/// The current time as Cloudflare writes it.
pub fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// What a write changed, for the database.
enum Change<'a> {
    PutGateway(&'a GatewayKey, &'a Gateway),
    DeleteGateway(&'a GatewayKey),
    PutRoute(&'a RouteKey, &'a RouteRecord),
    DeleteRoute(&'a RouteKey),
    PutKey(&'a KeyKey, &'a StoredKey),
    DeleteKey(&'a KeyKey),
    PutCustom(&'a GatewayKey, &'a CustomProvider),
    DeleteCustom(&'a GatewayKey),
}

impl Store {
    pub fn in_memory() -> Store {
        Store { data: Mutex::new(Data::default()), db: None, gateways_version: Default::default() }
    }

    /// Opens (or creates) `dir/aigw-emulator.sqlite3` and loads it.
    pub fn open(dir: &Path) -> Result<Store, Error> {
        std::fs::create_dir_all(dir)?;
        let conn = Connection::open(dir.join("aigw-emulator.sqlite3"))?;
        conn.execute_batch(
            "PRAGMA journal_mode=WAL;
             PRAGMA synchronous=FULL;
             CREATE TABLE IF NOT EXISTS gateways (
                 account_id TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
                 PRIMARY KEY (account_id, id));
             CREATE TABLE IF NOT EXISTS routes (
                 account_id TEXT NOT NULL, gateway_id TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
                 PRIMARY KEY (account_id, gateway_id, id));
             CREATE TABLE IF NOT EXISTS custom_providers (
                 account_id TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
                 PRIMARY KEY (account_id, id));
             CREATE TABLE IF NOT EXISTS provider_keys (
                 account_id TEXT NOT NULL, gateway_id TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
                 PRIMARY KEY (account_id, gateway_id, id));",
        )?;
        let mut data = Data::default();
        {
            let mut stmt = conn.prepare("SELECT account_id, id, body FROM gateways")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
            for row in rows {
                let (account, id, body) = row?;
                let g =
                    serde_json::from_str(&body).map_err(|e| Error::Corrupt(format!("gateway {account}/{id}: {e}")))?;
                data.gateways.insert((account, id), g);
            }
            let mut stmt = conn.prepare("SELECT account_id, gateway_id, id, body FROM routes")?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
            })?;
            for row in rows {
                let (account, gw, id, body) = row?;
                let rec = serde_json::from_str(&body).map_err(|e| Error::Corrupt(format!("route {gw}/{id}: {e}")))?;
                data.routes.insert((account, gw, id), rec);
            }
            let mut stmt = conn.prepare("SELECT account_id, gateway_id, id, body FROM provider_keys")?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get::<_, String>(3)?))
            })?;
            for row in rows {
                let (account, gw, id, body) = row?;
                let key =
                    serde_json::from_str(&body).map_err(|e| Error::Corrupt(format!("provider key {gw}/{id}: {e}")))?;
                data.keys.insert((account, gw, id), key);
            }
            let mut stmt = conn.prepare("SELECT account_id, id, body FROM custom_providers")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)))?;
            for row in rows {
                let (account, id, body) = row?;
                let c = serde_json::from_str(&body)
                    .map_err(|e| Error::Corrupt(format!("custom provider {account}/{id}: {e}")))?;
                data.custom.insert((account, id), c);
            }
        }
        Ok(Store { data: Mutex::new(data), db: Some(Mutex::new(conn)), gateways_version: Default::default() })
    }

    fn persist(&self, changes: &[Change<'_>]) -> Result<(), Error> {
        let Some(db) = &self.db else { return Ok(()) };
        let mut conn = lock(db);
        let tx = conn.transaction()?;
        for c in changes {
            match c {
                Change::PutGateway((a, id), g) => {
                    tx.execute(
                        "INSERT INTO gateways (account_id, id, body) VALUES (?1, ?2, ?3)
                         ON CONFLICT (account_id, id) DO UPDATE SET body = excluded.body",
                        (a, id, encode(*g)?),
                    )?;
                }
                Change::DeleteGateway((a, id)) => {
                    tx.execute("DELETE FROM gateways WHERE account_id = ?1 AND id = ?2", (a, id))?;
                    tx.execute("DELETE FROM routes WHERE account_id = ?1 AND gateway_id = ?2", (a, id))?;
                    tx.execute("DELETE FROM provider_keys WHERE account_id = ?1 AND gateway_id = ?2", (a, id))?;
                }
                Change::PutKey((a, gw, id), k) => {
                    tx.execute(
                        "INSERT INTO provider_keys (account_id, gateway_id, id, body) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (account_id, gateway_id, id) DO UPDATE SET body = excluded.body",
                        (a, gw, id, encode(*k)?),
                    )?;
                }
                Change::PutCustom((a, id), c) => {
                    tx.execute(
                        "INSERT INTO custom_providers (account_id, id, body) VALUES (?1, ?2, ?3)
                         ON CONFLICT (account_id, id) DO UPDATE SET body = excluded.body",
                        (a, id, encode(*c)?),
                    )?;
                }
                Change::DeleteCustom((a, id)) => {
                    tx.execute("DELETE FROM custom_providers WHERE account_id = ?1 AND id = ?2", (a, id))?;
                }
                Change::DeleteKey((a, gw, id)) => {
                    tx.execute(
                        "DELETE FROM provider_keys WHERE account_id = ?1 AND gateway_id = ?2 AND id = ?3",
                        (a, gw, id),
                    )?;
                }
                Change::PutRoute((a, gw, id), r) => {
                    tx.execute(
                        "INSERT INTO routes (account_id, gateway_id, id, body) VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (account_id, gateway_id, id) DO UPDATE SET body = excluded.body",
                        (a, gw, id, encode(*r)?),
                    )?;
                }
                Change::DeleteRoute((a, gw, id)) => {
                    tx.execute(
                        "DELETE FROM routes WHERE account_id = ?1 AND gateway_id = ?2 AND id = ?3",
                        (a, gw, id),
                    )?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Reads under the lock.
    pub fn read<T>(&self, f: impl FnOnce(&Data) -> T) -> T {
        f(&lock(&self.data))
    }

    pub fn list_gateways(&self, account: &str) -> Vec<Gateway> {
        self.read(|d| d.gateways.iter().filter(|((a, _), _)| a == account).map(|(_, g)| g.clone()).collect())
    }

    /// Changes with every gateway created, updated or deleted.
    pub fn gateways_version(&self) -> u64 {
        self.gateways_version.load(std::sync::atomic::Ordering::Acquire)
    }

    fn gateways_changed(&self) {
        self.gateways_version.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }

    pub fn get_gateway(&self, account: &str, id: &str) -> Option<Gateway> {
        self.read(|d| d.gateways.get(&(account.to_string(), id.to_string())).cloned())
    }

    /// Inserts a new gateway; `Ok(None)` if the id is taken.
    pub fn create_gateway(&self, account: &str, g: Gateway) -> Result<Option<Gateway>, Error> {
        let mut d = lock(&self.data);
        let key = (account.to_string(), g.id.clone());
        if d.gateways.contains_key(&key) {
            return Ok(None);
        }
        self.persist(&[Change::PutGateway(&key, &g)])?;
        d.gateways.insert(key, g.clone());
        self.gateways_changed();
        Ok(Some(g))
    }

    /// Replaces a gateway with `update(old)`; `Ok(None)` if it does not exist.
    pub fn update_gateway(
        &self,
        account: &str,
        id: &str,
        update: impl FnOnce(&Gateway) -> Gateway,
    ) -> Result<Option<Gateway>, Error> {
        let mut d = lock(&self.data);
        let key = (account.to_string(), id.to_string());
        let Some(old) = d.gateways.get(&key) else { return Ok(None) };
        let new = update(old);
        self.persist(&[Change::PutGateway(&key, &new)])?;
        d.gateways.insert(key, new.clone());
        self.gateways_changed();
        Ok(Some(new))
    }

    /// Deletes a gateway and every route it has.
    pub fn delete_gateway(&self, account: &str, id: &str) -> Result<Option<Gateway>, Error> {
        let mut d = lock(&self.data);
        let key = (account.to_string(), id.to_string());
        if !d.gateways.contains_key(&key) {
            return Ok(None);
        }
        self.persist(&[Change::DeleteGateway(&key)])?;
        d.routes.retain(|(a, gw, _), _| !(a == account && gw == id));
        d.keys.retain(|(a, gw, _), _| !(a == account && gw == id));
        let gone = d.gateways.remove(&key);
        self.gateways_changed();
        Ok(gone)
    }

    /// Runs `f` on the data under the lock and persists the custom provider
    /// it returns (`Some` to store, `None` to remove).
    pub fn write_custom<T>(
        &self,
        key: &GatewayKey,
        f: impl FnOnce(&Data) -> Result<(Option<CustomProvider>, T), crate::error::ApiError>,
    ) -> Result<T, crate::error::ApiError> {
        let mut d = lock(&self.data);
        let (record, out) = f(&d)?;
        match record {
            Some(c) => {
                self.persist(&[Change::PutCustom(key, &c)])?;
                d.custom.insert(key.clone(), c);
            }
            None => {
                self.persist(&[Change::DeleteCustom(key)])?;
                d.custom.remove(key);
            }
        }
        Ok(out)
    }

    /// Runs `f` on the data under the lock and persists the provider key it
    /// returns (`Some` to store, `None` to remove).
    pub fn write_key<T>(
        &self,
        key: &KeyKey,
        f: impl FnOnce(&Data) -> Result<(Option<StoredKey>, T), crate::error::ApiError>,
    ) -> Result<T, crate::error::ApiError> {
        let mut d = lock(&self.data);
        let (record, out) = f(&d)?;
        match record {
            Some(k) => {
                self.persist(&[Change::PutKey(key, &k)])?;
                d.keys.insert(key.clone(), k);
            }
            None => {
                self.persist(&[Change::DeleteKey(key)])?;
                d.keys.remove(key);
            }
        }
        Ok(out)
    }

    /// Runs `f` on the data under the lock and persists the route it returns
    /// (`Some(record)` to store, `None` with `delete` to remove).
    pub fn write_route<T>(
        &self,
        key: &RouteKey,
        f: impl FnOnce(&mut Data) -> Result<(Option<RouteRecord>, T), crate::error::ApiError>,
    ) -> Result<T, crate::error::ApiError> {
        let mut d = lock(&self.data);
        let (record, out) = f(&mut d)?;
        match record {
            Some(r) => {
                self.persist(&[Change::PutRoute(key, &r)])?;
                d.routes.insert(key.clone(), r);
            }
            None => {
                self.persist(&[Change::DeleteRoute(key)])?;
                d.routes.remove(key);
            }
        }
        Ok(out)
    }
}

fn encode<T: Serialize>(v: &T) -> Result<String, Error> {
    serde_json::to_string(v).map_err(|e| Error::Corrupt(e.to_string()))
}

/// Log persistence in the same SQLite file: the entries kept so far and a
/// sink for the log writer's batches.
pub fn open_logs(dir: &Path) -> Result<(Vec<crate::logs::LogEntry>, Box<dyn crate::logs::Sink>), Error> {
    let conn = Connection::open(dir.join("aigw-emulator.sqlite3"))?;
    conn.execute_batch(
        "PRAGMA journal_mode=WAL;
         PRAGMA synchronous=NORMAL;
         CREATE TABLE IF NOT EXISTS logs (
             id TEXT PRIMARY KEY, account_id TEXT NOT NULL, gateway_id TEXT NOT NULL, body TEXT NOT NULL);",
    )?;
    let mut loaded = Vec::new();
    {
        let mut stmt = conn.prepare("SELECT account_id, body FROM logs ORDER BY id")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
        for row in rows {
            let (account, body) = row?;
            let mut e: crate::logs::LogEntry =
                serde_json::from_str(&body).map_err(|e| Error::Corrupt(format!("log entry: {e}")))?;
            e.account_id = account;
            loaded.push(e);
        }
    }
    Ok((loaded, Box::new(LogSink { conn })))
}

struct LogSink {
    conn: Connection,
}

impl LogSink {
    fn try_write(&mut self, batch: &[crate::logs::LogEntry], deleted: &[String]) -> Result<(), Error> {
        let tx = self.conn.transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO logs (id, account_id, gateway_id, body) VALUES (?1, ?2, ?3, ?4)",
            )?;
            for e in batch {
                // The stored body keeps the request and response bodies.
                let mut v = serde_json::to_value(e).map_err(|e| Error::Corrupt(e.to_string()))?;
                v["created_ms"] = serde_json::Value::from(e.created_ms);
                stmt.execute((&e.id, &e.account_id, &e.gateway_id, v.to_string()))?;
            }
            // After the inserts: an entry may be stored and dropped in one batch.
            let mut del = tx.prepare_cached("DELETE FROM logs WHERE id = ?1")?;
            for id in deleted {
                del.execute([id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

impl crate::logs::Sink for LogSink {
    fn write(&mut self, batch: &[crate::logs::LogEntry], deleted: &[String]) {
        if let Err(e) = self.try_write(batch, deleted) {
            tracing::error!("writing {} log entries (and {} deletions) failed: {e}", batch.len(), deleted.len());
        }
    }
}
