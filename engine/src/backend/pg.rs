//! The `pg` backend, in Terraform's own layout so `terraform` and `aigw`
//! share one state: schema `terraform_remote_state` (or `schema_name`),
//! table `states` (`id` from `public.global_states_id_seq`, `name` unique,
//! `data` text), one row per workspace, and Terraform's lock discipline:
//! a session advisory lock on the row's `id`, or on `-1` while a
//! workspace's row does not exist yet. A write is one `INSERT .. ON
//! CONFLICT` statement, so a dropped connection leaves the old row or the
//! new one, never half.
//!
//! The `postgres` client blocks on a runtime of its own, which must not
//! run inside the engine's Tokio runtime; so one thread owns the session
//! (advisory locks belong to a session) and the engine sends it work.
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::error::Error;

/// Advisory lock key aigw takes (per transaction) around schema setup, so
/// eight processes starting at once do not race `CREATE TABLE`.
const SETUP_LOCK: i64 = 0x6169_6777;

type Job = Box<dyn FnOnce(&mut postgres::Client) + Send>;

/// The backend's settings, as Terraform reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgConfig {
    pub conn_str: String,
    pub schema_name: String,
    pub skip_schema_creation: bool,
    pub skip_table_creation: bool,
    pub skip_index_creation: bool,
}

/// One connection, owned by its thread.
pub struct Session {
    jobs: mpsc::Sender<Job>,
    /// The schema, quoted.
    pub schema: String,
    /// Where the errors say they come from (no credentials).
    pub shown: String,
}

fn err(shown: &str, message: impl std::fmt::Display) -> Error {
    Error::Backend { backend: format!("pg ({shown})"), message: message.to_string() }
}

/// A connection string as it may be shown: no password.
pub fn shown(conn_str: &str) -> String {
    match conn_str.parse::<postgres::Config>() {
        Ok(c) => {
            let hosts: Vec<String> = c
                .get_hosts()
                .iter()
                .map(|h| match h {
                    postgres::config::Host::Tcp(s) => s.clone(),
                    postgres::config::Host::Unix(p) => p.display().to_string(),
                })
                .collect();
            format!("{}/{}", hosts.join(","), c.get_dbname().unwrap_or_default())
        }
        Err(_) => "unparsable conn_str".into(),
    }
}

/// `"name"` with inner quotes doubled, as lib/pq's QuoteIdentifier.
fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn tls() -> Result<tokio_postgres_rustls::MakeRustlsConnect, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let config =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

/// lib/pq's `sslmode` values that tokio-postgres spells differently.
fn client_config(conn_str: &str) -> Result<postgres::Config, String> {
    let normalised =
        conn_str.replace("sslmode=verify-full", "sslmode=require").replace("sslmode=verify-ca", "sslmode=require");
    let mut c: postgres::Config = normalised.parse().map_err(|e| format!("conn_str: {e}"))?;
    c.connect_timeout(Duration::from_secs(10));
    c.application_name("aigw");
    Ok(c)
}

impl Session {
    /// Connects and prepares the schema, table and index (unless skipped).
    pub fn open(cfg: &PgConfig) -> Result<Session, Error> {
        let shown = shown(&cfg.conn_str);
        let client_cfg = client_config(&cfg.conn_str).map_err(|e| err(&shown, e))?;
        let connector = tls().map_err(|e| err(&shown, e))?;
        let (jobs, rx) = mpsc::channel::<Job>();
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        std::thread::Builder::new()
            .name("aigw-pg".into())
            .spawn(move || {
                let mut client = match client_cfg.connect(connector) {
                    Ok(c) => c,
                    Err(e) => {
                        let _ = ready_tx.send(Err(pg_message(&e)));
                        return;
                    }
                };
                let _ = ready_tx.send(Ok(()));
                for job in rx {
                    job(&mut client);
                }
            })
            .map_err(|e| err(&shown, e))?;
        ready_rx.recv().map_err(|e| err(&shown, e))?.map_err(|e| err(&shown, format!("cannot connect: {e}")))?;
        let session = Session { jobs, schema: quote_ident(&cfg.schema_name), shown };
        session.prepare(cfg)?;
        Ok(session)
    }

    /// Runs `f` on the session's thread and waits for its answer.
    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut postgres::Client) -> Result<T, postgres::Error> + Send + 'static,
    ) -> Result<T, Error> {
        let (tx, rx) = mpsc::channel();
        self.jobs
            .send(Box::new(move |c| {
                let _ = tx.send(f(c));
            }))
            .map_err(|_| err(&self.shown, "the connection is closed"))?;
        rx.recv()
            .map_err(|_| err(&self.shown, "the connection is closed"))?
            .map_err(|e| err(&self.shown, pg_message(&e)))
    }

    fn prepare(&self, cfg: &PgConfig) -> Result<(), Error> {
        let (schema, raw_schema) = (self.schema.clone(), cfg.schema_name.clone());
        let (skip_schema, skip_table, skip_index) =
            (cfg.skip_schema_creation, cfg.skip_table_creation, cfg.skip_index_creation);
        self.call(move |c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&SETUP_LOCK])?;
            if !skip_schema {
                let n: i64 = tx
                    .query_one(
                        "SELECT count(1) FROM information_schema.schemata WHERE schema_name = $1",
                        &[&raw_schema],
                    )?
                    .get(0);
                if n < 1 {
                    tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {schema}"))?;
                }
            }
            if !skip_table {
                tx.batch_execute("CREATE SEQUENCE IF NOT EXISTS public.global_states_id_seq AS bigint")?;
                tx.batch_execute(&format!(
                    "CREATE TABLE IF NOT EXISTS {schema}.states (id bigint NOT NULL DEFAULT \
                     nextval('public.global_states_id_seq') PRIMARY KEY, name text UNIQUE, data text)"
                ))?;
            }
            if !skip_index {
                tx.batch_execute(&format!(
                    "CREATE UNIQUE INDEX IF NOT EXISTS states_by_name ON {schema}.states (name)"
                ))?;
            }
            tx.commit()
        })
    }

    /// The workspace's state text; `None` when it has no row.
    pub fn get(&self, name: &str) -> Result<Option<String>, Error> {
        let (q, name) = (format!("SELECT data FROM {}.states WHERE name = $1", self.schema), name.to_string());
        self.call(move |c| Ok(c.query_opt(&q, &[&name])?.and_then(|r| r.get::<_, Option<String>>(0))))
    }

    /// Writes the workspace's state in one statement.
    pub fn put(&self, name: &str, data: String) -> Result<(), Error> {
        let q = format!(
            "INSERT INTO {s}.states (name, data) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET data = $2 \
             WHERE states.name = $1",
            s = self.schema
        );
        let name = name.to_string();
        self.call(move |c| c.execute(&q, &[&name, &data]).map(|_| ()))
    }

    pub fn delete(&self, name: &str) -> Result<(), Error> {
        let (q, name) = (format!("DELETE FROM {}.states WHERE name = $1", self.schema), name.to_string());
        self.call(move |c| c.execute(&q, &[&name]).map(|_| ()))
    }

    /// `default` and every other workspace with a row, as Terraform lists them.
    pub fn workspaces(&self) -> Result<Vec<String>, Error> {
        let q = format!("SELECT name FROM {}.states WHERE name != 'default' ORDER BY name", self.schema);
        let rows = self.call(move |c| c.query(&q, &[]))?;
        Ok(std::iter::once("default".to_string()).chain(rows.iter().map(|r| r.get::<_, String>(0))).collect())
    }

    /// Takes the workspace's lock as Terraform does, waiting up to
    /// `timeout`. Returns the advisory key held (the row's id, or -1).
    pub fn lock(&self, name: &str, id: &str, operation: &str, timeout: Duration) -> Result<i64, Error> {
        // Who holds it is visible to others through pg_stat_activity.
        let app = format!("aigw {id} {}", operation.trim_start_matches("OperationType"));
        let app = app.chars().take(63).collect::<String>();
        self.call(move |c| c.execute("SELECT set_config('application_name', $1, false)", &[&app]).map(|_| ()))?;
        let deadline = Instant::now() + timeout;
        loop {
            match self.try_lock(name)? {
                Ok(key) => return Ok(key),
                Err(why) if Instant::now() >= deadline => {
                    let holder = self.holder(name).unwrap_or_default();
                    return Err(Error::Locked {
                        path: format!("pg workspace {name:?} ({})", self.shown),
                        holder: format!("{why}\n{holder}"),
                    });
                }
                Err(_) => std::thread::sleep(Duration::from_millis(200)),
            }
        }
    }

    /// One attempt, Terraform's algorithm: the row's lock and the creation
    /// lock together; the creation lock alone when there is no row.
    fn try_lock(&self, name: &str) -> Result<Result<i64, String>, Error> {
        let q = format!(
            "SELECT states.id, pg_try_advisory_lock(states.id), pg_try_advisory_lock(-1) FROM {}.states \
             WHERE states.name = $1",
            self.schema
        );
        let name_owned = name.to_string();
        let row = self.call(move |c| c.query_opt(&q, &[&name_owned]))?;
        let Some(row) = row else {
            let took: bool = self.call(|c| c.query_one("SELECT pg_try_advisory_lock(-1)", &[]))?.get(0);
            return Ok(if took { Ok(-1) } else { Err(format!("Already locked for workspace creation: {name}")) });
        };
        let (id, row_lock, create_lock): (i64, bool, bool) = (row.get(0), row.get(1), row.get(2));
        if !row_lock {
            if create_lock {
                self.unlock(-1)?;
            }
            return Ok(Err(format!("Workspace is already locked: {name}")));
        }
        if !create_lock {
            self.unlock(id)?;
            return Ok(Err(format!("Cannot lock workspace; already locked for workspace creation: {name}")));
        }
        self.unlock(-1)?;
        Ok(Ok(id))
    }

    pub fn unlock(&self, key: i64) -> Result<(), Error> {
        self.call(move |c| c.execute("SELECT pg_advisory_unlock($1)", &[&key]).map(|_| ()))
    }

    /// The sessions that hold the workspace's advisory lock (its key, and
    /// each holder from `pg_stat_activity`).
    fn holders(&self, name: &str) -> Result<(i64, Vec<Holder>), Error> {
        let key = self.key_of(name)?.unwrap_or(-1);
        let rows = self.call(move |c| {
            c.query(
                "SELECT a.pid, coalesce(a.application_name, ''), coalesce(a.usename::text, ''), \
                 coalesce(a.client_addr::text, 'local socket'), coalesce(a.backend_start::text, '') \
                 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
                 AND ((l.classid::bigint << 32) | l.objid::bigint) = $1",
                &[&key],
            )
        })?;
        let holders = rows
            .iter()
            .map(|r| Holder { pid: r.get(0), app: r.get(1), user: r.get(2), addr: r.get(3), start: r.get(4) })
            .collect();
        Ok((key, holders))
    }

    /// Who holds the workspace's lock, in Terraform's words (an aigw holder
    /// names its lock ID in `application_name`).
    pub fn holder(&self, name: &str) -> Result<String, Error> {
        let (key, holders) = self.holders(name)?;
        let lines: Vec<String> = holders
            .iter()
            .map(|h| {
                format!(
                    "Lock Info:\n  ID:        {}\n  Path:      {key}\n  Operation: {}\n  Who:       {}@{} (pid {})\n  Version:   {}\n  Created:   {}",
                    h.id(),
                    h.app.split(' ').nth(2).unwrap_or("unknown"),
                    h.user,
                    h.addr,
                    h.pid,
                    if h.app.starts_with("aigw ") { "aigw" } else { "terraform or another client" },
                    h.start,
                )
            })
            .collect();
        Ok(lines.join("\n"))
    }

    fn key_of(&self, name: &str) -> Result<Option<i64>, Error> {
        let (q, name) = (format!("SELECT id FROM {}.states WHERE name = $1", self.schema), name.to_string());
        Ok(self.call(move |c| c.query_opt(&q, &[&name]))?.map(|r| r.get(0)))
    }

    /// Ends the session that holds the workspace's lock, if its ID (an aigw
    /// lock ID, or `pg-<pid>` for another client) is `id`: advisory locks
    /// are released only by their own session.
    pub fn force_unlock(&self, name: &str, id: &str) -> Result<(), Error> {
        let (_, holders) = self.holders(name)?;
        let Some(pid) = holders.iter().find(|h| h.id() == id).map(|h| h.pid) else {
            let ids: Vec<String> = holders.iter().map(Holder::id).collect();
            return Err(err(
                &self.shown,
                if ids.is_empty() {
                    format!("workspace {name:?} is not locked")
                } else {
                    format!("lock ID {id:?} does not match the lock held ({})", ids.join(", "))
                },
            ));
        };
        let ended: bool = self.call(move |c| c.query_one("SELECT pg_terminate_backend($1)", &[&pid]))?.get(0);
        if !ended {
            return Err(err(
                &self.shown,
                format!("could not end session {pid} (it needs the same role or a superuser)"),
            ));
        }
        // The session ends asynchronously: report success once its lock is gone.
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.holders(name)?.1.iter().any(|h| h.pid == pid) {
            if Instant::now() >= deadline {
                return Err(err(&self.shown, format!("session {pid} was told to end but still holds the lock")));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(())
    }
}

/// A session holding an advisory lock.
struct Holder {
    pid: i32,
    app: String,
    user: String,
    addr: String,
    start: String,
}

impl Holder {
    fn id(&self) -> String {
        holder_id(self.pid, &self.app)
    }
}

/// The lock ID a holder is known by: aigw's own, or `pg-<pid>`.
fn holder_id(pid: i32, app: &str) -> String {
    match app.strip_prefix("aigw ").and_then(|r| r.split(' ').next()) {
        Some(id) => id.to_string(),
        None => format!("pg-{pid}"),
    }
}

/// A server error's own message (the driver's Display says only "db error").
fn pg_message(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{}: {}", db.severity(), db.message()),
        None => match std::error::Error::source(e) {
            Some(s) => format!("{e}: {s}"),
            None => e.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted_and_passwords_never_shown() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        let s = shown("postgres://u:secret@db.example:5433/tf?sslmode=disable");
        assert_eq!(s, "db.example/tf");
        assert!(!shown("host=/tmp user=u password=secret dbname=x").contains("secret"));
        assert_eq!(holder_id(7, "aigw 1234-abcd Apply"), "1234-abcd");
        assert_eq!(holder_id(7, ""), "pg-7");
    }
}
