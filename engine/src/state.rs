//! Terraform's state file, format v4, read and written as Terraform does,
//! so `terraform` and `aigw` can take turns on one directory. The file is
//! rewritten in place, as Terraform does, because Terraform's lock is on
//! the file itself (a rename would leave a waiting `terraform` holding a
//! lock on a file nobody reads). A write is still all-or-nothing: the new
//! content goes first to `<state>.next` (fsynced, renamed into place), then
//! into the state file; a `.next` found on load is a write that a crash
//! interrupted, and is finished first. The previous content is kept as
//! `terraform.tfstate.backup`. A corrupt file is reported and left alone.
use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::error::Error;

/// The Terraform version aigw writes: old enough for every 1.x to read.
pub const TERRAFORM_VERSION: &str = "1.0.0";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    pub terraform_version: String,
    pub serial: u64,
    pub lineage: String,
    #[serde(default)]
    pub outputs: serde_json::Map<String, Json>,
    #[serde(default)]
    pub resources: Vec<ResourceState>,
    #[serde(default)]
    pub check_results: Option<Json>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResourceState {
    /// The module instance (`module.team["search"]`); absent in the root module.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    pub mode: String,
    #[serde(rename = "type")]
    pub type_name: String,
    pub name: String,
    /// `"list"` for count, `"map"` for for_each.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub each: Option<String>,
    pub provider: String,
    pub instances: Vec<Instance>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// The count index (number) or for_each key (string).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub index_key: Option<Json>,
    pub schema_version: i64,
    pub attributes: Json,
    #[serde(default)]
    pub sensitive_attributes: Vec<Json>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<String>,
    /// Everything else Terraform writes (identity, status, ...), kept as is.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, Json>,
}

impl ResourceState {
    /// `type.name`, or `data.type.name` for a data source, after the
    /// module instance's address outside the root module.
    pub fn base_address(&self) -> String {
        let local = if self.mode == "data" {
            format!("data.{}.{}", self.type_name, self.name)
        } else {
            format!("{}.{}", self.type_name, self.name)
        };
        match &self.module {
            Some(m) => format!("{m}.{local}"),
            None => local,
        }
    }
    /// The root module's graph node this resource belongs to: its own
    /// address, or the module call (`module.team`) it is under.
    pub fn root_node(&self) -> String {
        match self.module_instance().0.first() {
            Some((call, _)) => format!("module.{call}"),
            None => self.base_address(),
        }
    }
    /// The module instance it is in.
    pub fn module_instance(&self) -> crate::addrs::ModuleInstance {
        crate::addrs::ModuleInstance::from_state(self.module.as_deref()).unwrap_or_default()
    }
}

impl Instance {
    /// The record of an object: `value` encoded by `schema`, the provider's
    /// private data, and what it depends on.
    pub fn new(
        key: &Option<Json>,
        schema: &tfplugin::Schema,
        value: &tfplugin::Value,
        private: &[u8],
        dependencies: Vec<String>,
    ) -> Result<Instance, Error> {
        use base64::Engine;
        Ok(Instance {
            index_key: key.clone(),
            schema_version: schema.version,
            attributes: tfplugin::value::encode_json(value, &schema.value_type())?,
            sensitive_attributes: Vec::new(),
            private: (!private.is_empty()).then(|| base64::engine::general_purpose::STANDARD.encode(private)),
            dependencies,
            extra: Default::default(),
        })
    }
}

fn new_lineage() -> String {
    use std::hash::{BuildHasher, Hasher};
    let w = || std::collections::hash_map::RandomState::new().build_hasher().finish();
    let h = format!("{:016x}{:016x}", w(), w());
    format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

impl State {
    pub fn empty() -> State {
        State {
            version: 4,
            terraform_version: TERRAFORM_VERSION.into(),
            serial: 0,
            lineage: new_lineage(),
            outputs: Default::default(),
            resources: Vec::new(),
            check_results: None,
        }
    }

    /// Reads `path`; a missing file is an empty state.
    pub fn load(path: &Path) -> Result<State, Error> {
        let err = |message: String| Error::State { path: path.display().to_string(), message };
        finish_interrupted_write(path).map_err(|e| err(format!("finishing an interrupted write: {e}")))?;
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(State::empty()),
            Err(e) => return Err(err(e.to_string())),
        };
        State::parse(path, &text)
    }

    /// A state file's text, checked as Terraform checks it. An empty one is
    /// no state unless the backup beside `path` holds one.
    pub fn parse(path: &Path, text: &str) -> Result<State, Error> {
        let err = |message: String| Error::State { path: path.display().to_string(), message };
        if text.trim().is_empty() {
            // Terraform reads an empty file as no state (its lock creates one);
            // with a backup that holds a state, it is a state that was lost.
            let backup = std::fs::read_to_string(backup_path(path)).unwrap_or_default();
            if backup.trim().is_empty() {
                return Ok(State::empty());
            }
            return Err(err("the file is empty; restore it from terraform.tfstate.backup".into()));
        }
        let s: State = serde_json::from_str(text)
            .map_err(|e| err(format!("not a valid state file ({e}); it was left as it is")))?;
        if s.version != 4 {
            return Err(err(format!("state format version {} is not supported (only 4)", s.version)));
        }
        // As Terraform: one entry per resource, one instance per key.
        let mut seen = std::collections::BTreeSet::new();
        for r in &s.resources {
            if let Some(m) = &r.module
                && let Err(e) = crate::addrs::ModuleInstance::from_state(Some(m))
            {
                return Err(err(format!("resource {}: {e}; it was left as it is", r.base_address())));
            }
            if !seen.insert((r.module.as_deref(), r.mode.as_str(), r.type_name.as_str(), r.name.as_str())) {
                return Err(err(format!("duplicate resource {} in the state; it was left as it is", r.base_address())));
            }
            let mut keys = std::collections::BTreeSet::new();
            for i in &r.instances {
                if !keys.insert(i.index_key.as_ref().map(ToString::to_string)) {
                    return Err(err(format!(
                        "duplicate instance of {} in the state; it was left as it is",
                        r.base_address()
                    )));
                }
            }
        }
        Ok(s)
    }

    /// Writes atomically, bumping the serial and keeping a `.backup`.
    pub fn save(&mut self, path: &Path) -> Result<(), Error> {
        let text = self.render(path)?;
        if std::fs::metadata(path).is_ok_and(|m| m.len() > 0) {
            std::fs::copy(path, backup_path(path))?;
        }
        let next = next_path(path);
        let tmp = path.with_extension("tfstate.next.tmp");
        let written = (|| {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &next)?;
            write_in_place(path, text.as_bytes())?;
            std::fs::remove_file(&next)
        })();
        if let Err(e) = written {
            // A complete .next (if the rename happened) finishes the write
            // on the next load; the state file is never left half-written.
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::State { path: path.display().to_string(), message: format!("write failed: {e}") });
        }
        Ok(())
    }

    /// The next version's text: serial bumped, resources in Terraform's order.
    pub fn render(&mut self, path: &Path) -> Result<String, Error> {
        self.serial += 1;
        self.resources.sort_by(|a, b| (&a.mode, &a.type_name, &a.name).cmp(&(&b.mode, &b.type_name, &b.name)));
        let mut text = serde_json::to_string_pretty(self)
            .map_err(|e| Error::State { path: path.display().to_string(), message: e.to_string() })?;
        text.push('\n');
        Ok(text)
    }

    /// A managed resource of module instance `module` (`None`: the root).
    pub fn find(&self, module: Option<&str>, type_name: &str, name: &str) -> Option<&ResourceState> {
        self.resources.iter().find(|r| {
            r.mode == "managed" && r.type_name == type_name && r.name == name && r.module.as_deref() == module
        })
    }

    /// One instance of a resource.
    pub fn instance(&self, module: Option<&str>, type_name: &str, name: &str, key: &Option<Json>) -> Option<&Instance> {
        self.find(module, type_name, name)?.instances.iter().find(|i| &i.index_key == key)
    }

    /// Replaces (or with `None` removes) one instance; a resource left
    /// with no instances is removed.
    pub fn put_instance(&mut self, template: &ResourceState, key: &Option<Json>, inst: Option<Instance>) {
        let pos = self.resources.iter().position(|x| {
            x.mode == "managed"
                && x.type_name == template.type_name
                && x.name == template.name
                && x.module == template.module
        });
        let idx = match pos {
            Some(i) => i,
            None => {
                self.resources.push(ResourceState { instances: Vec::new(), ..template.clone() });
                self.resources.len() - 1
            }
        };
        let r = &mut self.resources[idx];
        r.each = template.each.clone();
        r.provider = template.provider.clone();
        r.instances.retain(|i| &i.index_key != key);
        if let Some(i) = inst {
            r.instances.push(i);
            r.instances.sort_by_key(|a| key_order(&a.index_key));
        }
        if r.instances.is_empty() {
            self.resources.remove(idx);
        }
    }
}

fn key_order(k: &Option<Json>) -> (i64, String) {
    match k {
        None => (-1, String::new()),
        Some(Json::Number(n)) => (n.as_i64().unwrap_or(0), String::new()),
        Some(other) => (i64::MAX, other.as_str().unwrap_or_default().to_string()),
    }
}

/// Truncates `path` and writes `bytes` into the same file (same inode), fsynced.
fn write_in_place(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(path)?;
    f.set_len(0)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// A complete `.next` means the last write may be torn: redo it.
fn finish_interrupted_write(path: &Path) -> std::io::Result<()> {
    let next = next_path(path);
    match std::fs::read(&next) {
        Ok(bytes) => {
            write_in_place(path, &bytes)?;
            std::fs::remove_file(&next)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// `terraform.tfstate.next`: a write in progress.
pub fn next_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".next");
    PathBuf::from(p)
}

pub fn backup_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".backup");
    PathBuf::from(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_is_atomic_with_a_backup_and_corrupt_files_are_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("terraform.tfstate");
        let mut s = State::load(&p).unwrap();
        s.save(&p).unwrap();
        s.save(&p).unwrap();
        let back = State::load(&p).unwrap();
        assert_eq!((back.serial, back.lineage.clone()), (2, s.lineage.clone()));
        assert_eq!(State::load(&backup_path(&p)).unwrap().serial, 1);
        std::fs::write(&p, "{\"version\": 4, \"serial\": ").unwrap();
        let e = State::load(&p).unwrap_err().to_string();
        assert!(e.contains("not a valid state file"), "{e}");
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "{\"version\": 4, \"serial\": ");
        // Duplicate entries are refused, as Terraform refuses them.
        let r = r#"{"mode":"managed","type":"aigw_gateway","name":"g","provider":"p","instances":[]}"#;
        let dup = format!(
            r#"{{"version":4,"terraform_version":"1.0.0","serial":1,"lineage":"l","outputs":{{}},"resources":[{r},{r}]}}"#
        );
        std::fs::write(&p, &dup).unwrap();
        let e = State::load(&p).unwrap_err().to_string();
        assert!(e.contains("duplicate resource aigw_gateway.g"), "{e}");
        // An empty file is no state, unless the backup shows one was lost.
        std::fs::write(&p, "").unwrap();
        std::fs::remove_file(backup_path(&p)).unwrap();
        assert!(State::load(&p).unwrap().resources.is_empty());
        std::fs::write(backup_path(&p), &dup).unwrap();
        assert!(State::load(&p).unwrap_err().to_string().contains("restore it"));
    }
}
