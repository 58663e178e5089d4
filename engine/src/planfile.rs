//! Saved plans (`plan -out FILE`, `apply FILE`, `show FILE`). The file
//! holds what the plan was made from (the state's lineage and serial, a
//! digest of the configuration and variable files, the options) and what
//! it decided (each address's actions, and the JSON representation for
//! `show`). Applying refuses a plan whose state or configuration changed
//! since, and one whose actions no longer match when planned again.
use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::Error;
use crate::plan::{Options, Plan};
use crate::variables::VarArg;

const FORMAT: &str = "aigw-plan/1";

#[derive(Debug, Serialize, Deserialize)]
pub struct SavedPlan {
    pub format: String,
    pub lineage: String,
    pub serial: u64,
    pub config_digest: String,
    pub destroy: bool,
    pub vars: Vec<(String, String)>,
    pub var_files: Vec<String>,
    pub targets: Vec<String>,
    pub replace: Vec<String>,
    /// Address → actions, for every change that is not a no-op.
    pub actions: BTreeMap<String, Vec<String>>,
    /// The plan's JSON representation.
    pub json: serde_json::Value,
}

/// A digest of every file the plan read: `*.tf` and `*.tfvars`.
pub fn config_digest(dir: &Path) -> Result<String, Error> {
    let mut files: Vec<_> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "tf" || x == "tfvars"))
        .collect();
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        h.update(f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default().as_bytes());
        h.update([0]);
        h.update(std::fs::read(&f)?);
        h.update([0]);
    }
    Ok(h.finalize().iter().map(|b| format!("{b:02x}")).collect())
}

pub fn actions_of(plan: &Plan) -> BTreeMap<String, Vec<String>> {
    plan.changes
        .iter()
        .filter(|c| c.action != crate::plan::Action::NoOp)
        .map(|c| (c.address(), crate::json::actions(c).into_iter().map(str::to_string).collect()))
        .collect()
}

impl SavedPlan {
    pub fn new(dir: &Path, plan: &Plan, opts: &Options, json: serde_json::Value) -> Result<SavedPlan, Error> {
        let mut vars = Vec::new();
        let mut var_files = Vec::new();
        for a in &opts.var_args {
            match a {
                VarArg::Var(k, v) => vars.push((k.clone(), v.clone())),
                VarArg::File(f) => var_files.push(f.display().to_string()),
            }
        }
        Ok(SavedPlan {
            format: FORMAT.into(),
            lineage: plan.lineage.clone(),
            serial: plan.serial,
            config_digest: config_digest(dir)?,
            destroy: plan.destroy,
            vars,
            var_files,
            targets: opts.targets.clone(),
            replace: opts.replace.clone(),
            actions: actions_of(plan),
            json,
        })
    }

    pub fn save(&self, path: &Path) -> Result<(), Error> {
        let text = serde_json::to_string_pretty(self).map_err(|e| self.err(path, e.to_string()))?;
        std::fs::write(path, text)?;
        Ok(())
    }

    pub fn load(path: &Path) -> Result<SavedPlan, Error> {
        let err = |m: String| Error::PlanFile { path: path.display().to_string(), message: m };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        SavedPlan::parse(path, &text)
    }

    /// A plan file's text.
    pub fn parse(path: &Path, text: &str) -> Result<SavedPlan, Error> {
        let err = |m: String| Error::PlanFile { path: path.display().to_string(), message: m };
        let p: SavedPlan = serde_json::from_str(text).map_err(|e| err(format!("not an aigw plan file ({e})")))?;
        if p.format != FORMAT {
            return Err(err(format!("format {:?} is not supported", p.format)));
        }
        Ok(p)
    }

    /// The options the plan was made with (variable files in order after -var values).
    pub fn options(&self, base: &Options) -> Options {
        let mut var_args: Vec<VarArg> = self.var_files.iter().map(|f| VarArg::File(f.into())).collect();
        var_args.extend(self.vars.iter().map(|(k, v)| VarArg::Var(k.clone(), v.clone())));
        Options {
            destroy: self.destroy,
            var_args,
            targets: self.targets.clone(),
            replace: self.replace.clone(),
            ..base.clone()
        }
    }

    /// Refuses the plan if what it was made from changed.
    /// A plan made before any state existed is for a state that still does
    /// not exist: that state takes the plan's lineage, so it applies.
    pub fn adopt_into_fresh(&self, state: &mut crate::state::State) {
        if self.serial == 0 && state.serial == 0 && state.resources.is_empty() {
            state.lineage = self.lineage.clone();
        }
    }

    pub fn check_current(&self, path: &Path, dir: &Path, lineage: &str, serial: u64) -> Result<(), Error> {
        if lineage != self.lineage || serial != self.serial {
            return Err(self.err(
                path,
                format!(
                    "the state changed after this plan was made (serial {} → {serial}); run plan again",
                    self.serial
                ),
            ));
        }
        if config_digest(dir)? != self.config_digest {
            return Err(self.err(path, "the configuration changed after this plan was made; run plan again".into()));
        }
        Ok(())
    }

    /// Refuses the plan if planning again decides differently.
    pub fn check_same(&self, path: &Path, plan: &Plan) -> Result<(), Error> {
        let now = actions_of(plan);
        if now != self.actions {
            let diff: Vec<String> = self
                .actions
                .keys()
                .chain(now.keys())
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .filter(|a| self.actions.get(*a) != now.get(*a))
                .map(|a| format!("{a}: planned {:?}, now {:?}", self.actions.get(a), now.get(a)))
                .collect();
            return Err(self.err(
                path,
                format!("remote objects changed after this plan was made; run plan again:\n  {}", diff.join("\n  ")),
            ));
        }
        Ok(())
    }

    fn err(&self, path: &Path, message: String) -> Error {
        Error::PlanFile { path: path.display().to_string(), message }
    }
}
