//! A backend's settings, resolved as Terraform resolves them: the
//! `backend` block's literal arguments, overlaid with what `init
//! -backend-config` recorded, then environment defaults for what is still
//! unset. Each argument is checked against the backend's schema, and a
//! mistake names the argument (and the file and line when it is written
//! in one).
use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value as Json;

use super::pg::PgConfig;
use crate::config::Config;
use crate::error::{Error, Loc};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settings {
    Local { path: Option<String>, workspace_dir: Option<String> },
    Pg(PgConfig),
}

const LOCAL_ARGS: &[&str] = &["path", "workspace_dir"];
const PG_ARGS: &[&str] =
    &["conn_str", "schema_name", "skip_schema_creation", "skip_table_creation", "skip_index_creation"];

/// The backend types aigw keeps.
pub const KINDS: &[&str] = &["local", "pg"];

impl Settings {
    pub fn default_local() -> Settings {
        Settings::Local { path: None, workspace_dir: None }
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Settings::Local { .. } => "local",
            Settings::Pg(_) => "pg",
        }
    }

    /// The configuration's backend with recorded `-backend-config` values.
    pub fn resolve(cfg: &Config) -> Result<Settings, Error> {
        let Some(b) = &cfg.backend else { return Ok(Settings::default_local()) };
        let mut values = b.values();
        if let Some(rec) = super::init::recorded(&cfg.dir)
            && rec.kind == b.kind
        {
            for (k, v) in rec.overrides {
                values.insert(k, v);
            }
        }
        Settings::build(&b.kind, &values, &b.loc, &|k| b.place(k))
    }

    /// What `validate` checks, as Terraform: the backend's type and its
    /// arguments' names and types, not values `init` may still supply.
    pub fn check(cfg: &Config) -> Result<(), Error> {
        let Some(b) = &cfg.backend else { return Ok(()) };
        let mut values = b.values();
        if b.kind == "pg" {
            values.entry("conn_str".into()).or_insert_with(|| Json::String("postgres://supplied-by-init".into()));
        }
        Settings::build(&b.kind, &values, &b.loc, &|k| b.place(k)).map(|_| ())
    }

    /// Settings of backend `kind` from `values`; `loc` is the backend block,
    /// `at` finds where an argument is written.
    pub fn build(
        kind: &str,
        values: &BTreeMap<String, Json>,
        loc: &Loc,
        at: &dyn Fn(&str) -> Option<Loc>,
    ) -> Result<Settings, Error> {
        let allowed = match kind {
            "local" => LOCAL_ARGS,
            "pg" => PG_ARGS,
            other => {
                let hint = crate::error::did_you_mean(other, KINDS.iter().copied());
                return Err(Error::config(
                    loc,
                    format!(
                        "backend {other:?} is not supported by aigw (it keeps {}){hint}; run this configuration with \
                         terraform, or use a pg or local backend",
                        KINDS.join(" and ")
                    ),
                ));
            }
        };
        for k in values.keys() {
            if !allowed.contains(&k.as_str()) {
                let hint = crate::error::did_you_mean(k, allowed.iter().copied());
                let place = at(k).unwrap_or_else(|| loc.clone());
                return Err(Error::config(
                    &place,
                    format!("backend {kind:?}: an argument named {k:?} is not expected here{hint}"),
                ));
            }
        }
        let string = |k: &str| -> Result<Option<String>, Error> {
            match values.get(k) {
                None | Some(Json::Null) => Ok(None),
                Some(Json::String(s)) => Ok(Some(s.clone())),
                Some(other) => Err(Error::config(
                    &at(k).unwrap_or_else(|| loc.clone()),
                    format!("backend {kind:?}: {k} must be a string, got {other}"),
                )),
            }
        };
        let boolean = |k: &str, env: &str| -> Result<bool, Error> {
            let bad = |v: &str| {
                Error::config(
                    &at(k).unwrap_or_else(|| loc.clone()),
                    format!("backend {kind:?}: {k} must be true or false, got {v}"),
                )
            };
            match values.get(k) {
                Some(Json::Bool(b)) => Ok(*b),
                Some(Json::String(s)) => parse_bool(s).ok_or_else(|| bad(s)),
                Some(Json::Null) | None => match std::env::var(env) {
                    Ok(s) if !s.is_empty() => parse_bool(&s).ok_or_else(|| bad(&format!("{s:?} (from {env})"))),
                    _ => Ok(false),
                },
                Some(other) => Err(bad(&other.to_string())),
            }
        };
        if kind == "local" {
            return Ok(Settings::Local { path: string("path")?, workspace_dir: string("workspace_dir")? });
        }
        let env = |name: &str| std::env::var(name).ok().filter(|s| !s.is_empty());
        let conn_str = string("conn_str")?.or_else(|| env("PG_CONN_STR")).ok_or_else(|| {
            Error::config(
                loc,
                "backend \"pg\": conn_str is required: set it in the block, with `aigw init \
                 -backend-config=conn_str=...`, or in PG_CONN_STR",
            )
        })?;
        Ok(Settings::Pg(PgConfig {
            conn_str,
            schema_name: string("schema_name")?
                .or_else(|| env("PG_SCHEMA_NAME"))
                .unwrap_or_else(|| "terraform_remote_state".into()),
            skip_schema_creation: boolean("skip_schema_creation", "PG_SKIP_SCHEMA_CREATION")?,
            skip_table_creation: boolean("skip_table_creation", "PG_SKIP_TABLE_CREATION")?,
            skip_index_creation: boolean("skip_index_creation", "PG_SKIP_INDEX_CREATION")?,
        }))
    }

    /// Where the state is, for comparing two settings: the same place is the
    /// same backend even if written differently.
    pub fn place(&self) -> String {
        match self {
            Settings::Local { path, .. } => {
                format!("local:{}", path.clone().unwrap_or_else(|| "terraform.tfstate".into()))
            }
            Settings::Pg(p) => format!("pg:{}:{}", p.conn_str, p.schema_name),
        }
    }

    /// For messages: the kind and place, without credentials.
    pub fn shown(&self) -> String {
        match self {
            Settings::Local { path, .. } => {
                format!("local ({})", path.clone().unwrap_or_else(|| "terraform.tfstate".into()))
            }
            Settings::Pg(p) => format!("pg ({}, schema {})", super::pg::shown(&p.conn_str), p.schema_name),
        }
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// `-backend-config` arguments, in order: `KEY=VALUE`, or a file of
/// `key = value` lines (HCL), as Terraform reads them.
pub fn parse_backend_config(args: &[String], dir: &Path) -> Result<BTreeMap<String, Json>, Error> {
    let mut out = BTreeMap::new();
    for a in args {
        if let Some((k, v)) = a.split_once('=')
            && !k.is_empty()
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            out.insert(k.to_string(), Json::String(v.to_string()));
            continue;
        }
        let path = if Path::new(a).is_absolute() { Path::new(a).to_path_buf() } else { dir.join(a) };
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Error::Syntax(format!("-backend-config={a}: not KEY=VALUE, and not a readable file ({e})")))?;
        let body: hcl::Body =
            hcl::from_str(&text).map_err(|e| Error::Syntax(format!("-backend-config file {}: {e}", path.display())))?;
        for attr in body.attributes() {
            let v = literal(attr.expr()).ok_or_else(|| {
                Error::Syntax(format!(
                    "-backend-config file {}: {} must be a literal value (a string, number or bool)",
                    path.display(),
                    attr.key()
                ))
            })?;
            out.insert(attr.key().to_string(), v);
        }
        if let Some(b) = body.blocks().next() {
            return Err(Error::Syntax(format!(
                "-backend-config file {}: blocks are not expected here (found {:?})",
                path.display(),
                b.identifier()
            )));
        }
    }
    Ok(out)
}

/// A literal argument value (what a backend block may hold).
pub fn literal(e: &hcl::Expression) -> Option<Json> {
    match e {
        hcl::Expression::String(s) => Some(Json::String(s.clone())),
        hcl::Expression::Bool(b) => Some(Json::Bool(*b)),
        hcl::Expression::Number(n) => serde_json::to_value(n).ok(),
        hcl::Expression::Null => Some(Json::Null),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_checked_against_the_backends_schema() {
        let loc = Loc::default();
        let none = |_: &str| None;
        let mut v = BTreeMap::new();
        v.insert("conn_str".to_string(), Json::String("postgres://h/db".into()));
        v.insert("skip_schema_creation".to_string(), Json::String("true".into()));
        let Settings::Pg(p) = Settings::build("pg", &v, &loc, &none).unwrap() else { panic!() };
        assert!(p.skip_schema_creation && !p.skip_table_creation);
        assert_eq!(p.schema_name, "terraform_remote_state");
        v.insert("conn_string".to_string(), Json::String("x".into()));
        let e = Settings::build("pg", &v, &loc, &none).unwrap_err().to_string();
        assert!(e.contains("\"conn_string\" is not expected") && e.contains("conn_str"), "{e}");
        let e = Settings::build("s3", &BTreeMap::new(), &loc, &none).unwrap_err().to_string();
        assert!(e.contains("\"s3\" is not supported"), "{e}");
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pg.hcl"), "conn_str = \"postgres://x/y\"\nskip_index_creation = true\n")
            .unwrap();
        let got = parse_backend_config(&["pg.hcl".into(), "schema_name=s".into()], dir.path()).unwrap();
        assert_eq!(got["conn_str"], "postgres://x/y");
        assert_eq!(got["skip_index_creation"], true);
        assert_eq!(got["schema_name"], "s");
    }

    #[test]
    fn validate_accepts_a_partial_block_and_names_a_wrong_argument() {
        let cfg =
            |text: &str| Config::from_sources(Path::new("."), &[("main.tf".to_string(), text.to_string())]).unwrap();
        assert!(Settings::check(&cfg("terraform {\n  backend \"pg\" {}\n}\n")).is_ok());
        let e = Settings::check(&cfg("terraform {\n  backend \"pg\" {\n    conn = \"x\"\n  }\n}\n")).unwrap_err();
        assert!(e.to_string().contains("main.tf:3:5") && e.to_string().contains("\"conn\""), "{e}");
    }
}
