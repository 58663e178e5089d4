//! Where called modules come from: a local path (`./`, `../`), or the
//! tree `terraform init` fetched, as `.terraform/modules/modules.json`
//! records it (so a registry or git module that Terraform installed works
//! under aigw without fetching). A source that needs a download and was
//! not fetched is an error that says what to do.
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::config::ModuleCall;
use crate::error::Error;

/// How deep module calls may nest.
pub const MAX_DEPTH: usize = 64;

/// `.terraform/modules/modules.json`: module key (`team.limits`) → directory.
#[derive(Debug, Default)]
pub struct Manifest {
    dirs: BTreeMap<String, (String, PathBuf)>,
}

#[derive(serde::Deserialize)]
struct Record {
    #[serde(rename = "Key")]
    key: String,
    #[serde(rename = "Source", default)]
    source: String,
    #[serde(rename = "Dir")]
    dir: String,
}

#[derive(serde::Deserialize)]
struct File {
    #[serde(rename = "Modules", default)]
    modules: Vec<Record>,
}

impl Manifest {
    /// The manifest under `root`, or an empty one when there is none.
    pub fn read(root: &Path) -> Result<Manifest, Error> {
        let path = root.join(".terraform").join("modules").join("modules.json");
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Manifest::default()),
            Err(e) => return Err(Error::Syntax(format!("{}: {e}", path.display()))),
        };
        let file: File = serde_json::from_str(&text)
            .map_err(|e| Error::Syntax(format!("{}: not a module manifest: {e}", path.display())))?;
        let dirs = file.modules.into_iter().map(|r| (r.key, (r.source, PathBuf::from(r.dir)))).collect();
        Ok(Manifest { dirs })
    }

    /// The directory of the module `call` (at `key` in the tree) made from
    /// the module in `from`.
    pub fn resolve(&self, root: &Path, from: &Path, key: &str, call: &ModuleCall) -> Result<PathBuf, Error> {
        let local = call.source.starts_with("./") || call.source.starts_with("../");
        if let Some((source, dir)) = self.dirs.get(key)
            && (source == &call.source || !local)
        {
            let dir = if dir.is_absolute() { dir.clone() } else { root.join(dir) };
            if dir.is_dir() {
                return Ok(dir);
            }
        }
        if local {
            let dir = from.join(&call.source);
            if !dir.is_dir() {
                return Err(Error::config(
                    call.loc_of("source"),
                    format!("module.{}: the module directory {} does not exist", call.name, dir.display()),
                ));
            }
            return Ok(dir);
        }
        Err(Error::config(
            call.loc_of("source"),
            format!(
                "module.{}: source {:?} has to be downloaded, and aigw fetches nothing: run `terraform init` here \
                 (aigw then uses the tree it records in .terraform/modules/modules.json), or vendor the module into \
                 this repository and use a local path such as \"./modules/{}\"",
                call.name, call.source, call.name
            ),
        ))
    }
}
