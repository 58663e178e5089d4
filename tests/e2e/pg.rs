//! PostgreSQL for the backend tests: a fresh database on the server
//! `.ci/run` started (`AIGW_TEST_PG`), or a private server of the test's
//! own (`scripts/pg.sh`, on a free port) when that is unset or the test
//! needs to stop it.
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Pg {
    /// The `conn_str` of this test's database.
    pub conn_str: String,
    /// The server's data directory, when the test owns the server.
    server: Option<(tempfile::TempDir, PathBuf, u16)>,
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg.sh")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Pg {
    /// A database of its own on the shared server (or on a private one).
    pub fn database() -> Pg {
        let Ok(base) = std::env::var("AIGW_TEST_PG") else { return Pg::server() };
        let name = format!("t_{}", uuid_like());
        let mut c = postgres::Client::connect(&base, postgres::NoTls).expect("connect to AIGW_TEST_PG");
        c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let conn_str = base.replacen("/postgres?", &format!("/{name}?"), 1);
        assert_ne!(conn_str, base, "AIGW_TEST_PG must end in /postgres?sslmode=disable");
        Pg { conn_str, server: None }
    }

    /// A server of this test's own, which it may stop and start.
    pub fn server() -> Pg {
        let dir = tempfile::tempdir().unwrap();
        // The server runs as an unprivileged user when the tests run as root.
        std::fs::set_permissions(dir.path(), std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        let data = dir.path().join("data");
        let port = free_port();
        let mut pg = Pg { conn_str: String::new(), server: Some((dir, data, port)) };
        pg.conn_str = pg.start();
        pg
    }

    pub fn start(&self) -> String {
        let (_, data, port) = self.server.as_ref().expect("a private server");
        let out = Command::new(script()).args(["start", data.to_str().unwrap(), &port.to_string()]).output().unwrap();
        assert!(out.status.success(), "scripts/pg.sh start: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    /// `pg_ctl stop -m MODE`.
    pub fn stop(&self, mode: &str) {
        let (_, data, _) = self.server.as_ref().expect("a private server");
        let out = Command::new(script()).args(["stop", data.to_str().unwrap(), mode]).output().unwrap();
        assert!(out.status.success(), "scripts/pg.sh stop: {}", String::from_utf8_lossy(&out.stderr));
    }

    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.conn_str, postgres::NoTls).unwrap()
    }

    /// The workspaces' rows: name → (serial, state).
    pub fn states(&self) -> Vec<(String, serde_json::Value)> {
        let rows = self.client().query("SELECT name, data FROM terraform_remote_state.states ORDER BY name", &[]);
        rows.map(|rows| {
            rows.iter()
                .map(|r| (r.get::<_, String>(0), serde_json::from_str(&r.get::<_, String>(1)).unwrap()))
                .collect()
        })
        .unwrap_or_default()
    }

    /// A session on another database of the same server (advisory lock
    /// keys are per database, `pg_locks` shows the whole server's).
    pub fn neighbour(&self) -> postgres::Client {
        let name = format!("n_{}", uuid_like());
        self.client().batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let (head, tail) = self.conn_str.split_once('?').unwrap();
        let server = head.rsplit_once('/').unwrap().0;
        postgres::Client::connect(&format!("{server}/{name}?{tail}"), postgres::NoTls).unwrap()
    }

    /// Whether any session of this database holds an advisory lock (a
    /// command holds the state).
    pub fn locked(&self) -> bool {
        let n: i64 = self
            .client()
            .query_one(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted \
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
                &[],
            )
            .unwrap()
            .get(0);
        n > 0
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        if let Some((_, data, _)) = &self.server {
            let _ = Command::new(script()).args(["stop", data.to_str().unwrap(), "immediate"]).output();
        }
    }
}

fn uuid_like() -> String {
    use std::hash::{BuildHasher, Hasher};
    let h = std::collections::hash_map::RandomState::new().build_hasher().finish();
    format!("{h:016x}")
}
