//! Planning, as Terraform does it: evaluate each resource's configuration
//! in dependency order, upgrade and refresh what state holds, compute the
//! proposed new state, and let the provider plan the change. Replacements
//! are planned twice (the second time as a create); resources that left
//! the configuration are planned for deletion. Data sources are read
//! while planning when their configuration is known, else during apply.
//! `-target`, `-replace` and `lifecycle` shape the result. Modules are
//! planned where their call stands in the caller's order, one instance at
//! a time, each in a scope of its own ([`walk`]); what state holds is read
//! first and what the configuration no longer has is deleted ([`prior`]).
mod prior;
pub(crate) mod walk;

use std::collections::{BTreeMap, BTreeSet};

use tfplugin::Value;
use tfplugin::schema::Schema;

use crate::addrs::ModuleInstance;
use crate::config::Config;
use crate::error::Error;
use crate::instance::address;
use crate::lang::Scope;
use crate::providers::Providers;
use crate::state::State;
use crate::variables::VarArg;

pub use prior::b64_decode;
pub(crate) use walk::postconditions;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    NoOp,
    Create,
    Update,
    Replace,
    Delete,
    /// A data source read during apply (its configuration was not known).
    Read,
}

impl Action {
    pub fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
            Action::Read => "<=",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Change {
    /// The module instance the resource is in.
    pub module: ModuleInstance,
    /// The resource type; for data sources `data.<type>`.
    pub type_name: String,
    pub name: String,
    /// The instance key: a count index or a for_each key.
    pub key: Option<serde_json::Value>,
    /// `"list"` (count) or `"map"` (for_each), as state records it.
    pub each: Option<String>,
    /// What `count` or `each` is while this instance's configuration is evaluated.
    pub repeat_scope: Option<(String, Value)>,
    /// The provider configuration: `aigw` or `aigw.alias`.
    pub provider: String,
    pub action: Action,
    pub before: Value,
    pub after: Value,
    pub schema: Schema,
    /// Attributes that force the replacement.
    pub replace_paths: Vec<String>,
    /// True when refresh found the object changed or gone outside aigw.
    pub drifted: bool,
    /// The object as state held it before refresh.
    pub stored: Value,
    pub dependencies: Vec<String>,
    /// The provider's private data for the prior object.
    pub private: Vec<u8>,
    pub create_before_destroy: bool,
    /// Why it is replaced or deleted when not by the configuration
    /// (`replace_because_requested`, `delete_because_no_resource_config`, ...).
    pub reason: Option<&'static str>,
    /// The ID an `import` block brings this object in by.
    pub importing: Option<String>,
}

impl Change {
    /// A no-op change of nothing, to build others from.
    pub fn placeholder() -> Change {
        Change {
            module: ModuleInstance::root(),
            type_name: String::new(),
            name: String::new(),
            key: None,
            each: None,
            repeat_scope: None,
            provider: String::new(),
            action: Action::NoOp,
            before: Value::Null,
            after: Value::Null,
            schema: Schema::default(),
            replace_paths: Vec::new(),
            drifted: false,
            stored: Value::Null,
            dependencies: Vec::new(),
            private: Vec::new(),
            create_before_destroy: false,
            reason: None,
            importing: None,
        }
    }
    /// `type.name` within its module.
    pub fn base(&self) -> String {
        format!("{}.{}", self.type_name, self.name)
    }
    /// The full instance address: `module.team["a"].aigw_gateway.g[0]`.
    pub fn address(&self) -> String {
        self.module.qualify(&address(&self.base(), &self.key))
    }
    /// The resource in the configuration, no keys: what `dependencies` name.
    pub fn config_base(&self) -> String {
        self.module.qualify_config(&self.base())
    }
    pub fn is_data(&self) -> bool {
        self.type_name.starts_with("data.")
    }
    /// The resource type without the `data.` prefix.
    pub fn resource_type(&self) -> &str {
        self.type_name.strip_prefix("data.").unwrap_or(&self.type_name)
    }
}

/// An instance in state that refresh found deleted: its resource and key.
pub type Gone = (crate::state::ResourceState, Option<serde_json::Value>);

#[derive(Debug, Default)]
pub struct Plan {
    /// Creates, updates, replaces and reads in dependency order, then deletes.
    pub changes: Vec<Change>,
    /// Outputs: name → (value, sensitive, changed from what state holds).
    pub outputs: BTreeMap<String, (Value, bool, bool)>,
    pub destroy: bool,
    /// Made with `-target`: only part of the configuration was planned.
    pub targeted: bool,
    /// The state the plan was made against: lineage and serial.
    pub lineage: String,
    pub serial: u64,
    pub variables: BTreeMap<String, Value>,
    /// Variables declared `sensitive`: their values are never printed.
    pub sensitive_variables: BTreeSet<String>,
    /// Managed instances in state that refresh found deleted outside aigw
    /// and nothing recreates: apply drops them from the state, as Terraform does.
    pub gone: Vec<Gone>,
    /// `check` blocks that failed, as warnings.
    pub warnings: Vec<String>,
    /// Each module instance planned: its input variables and what `count`
    /// or `each` was for its call, for apply to evaluate it again.
    pub modules: BTreeMap<ModuleInstance, PlannedModule>,
    /// `moved` blocks applied: instance address before → after.
    pub moves: Vec<(String, String)>,
    /// Instances a `removed` block with `destroy = false` lets go of:
    /// dropped from state, not destroyed.
    pub forget: Vec<Gone>,
}

#[derive(Debug, Clone, Default)]
pub struct PlannedModule {
    pub vars: BTreeMap<String, Value>,
    pub repeat: Option<(String, Value)>,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| !matches!(c.action, Action::NoOp | Action::Read) || c.importing.is_some())
            || self.outputs.values().any(|o| o.2)
            || !self.moves.is_empty()
            || !self.forget.is_empty()
    }
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub destroy: bool,
    pub refresh: bool,
    /// `-var` and `-var-file`, in order.
    pub var_args: Vec<VarArg>,
    /// `-target`: resource or instance addresses.
    pub targets: Vec<String>,
    /// `-replace`: instance addresses.
    pub replace: Vec<String>,
    pub parallelism: usize,
    /// Provider arguments set from outside the configuration:
    /// local name → argument → value (`aigw test` points aigw at its emulator).
    pub provider_overrides: BTreeMap<String, BTreeMap<String, Value>>,
    /// The state file; default `terraform.tfstate` in the configuration directory.
    pub state_path: Option<std::path::PathBuf>,
    /// How the state lock is taken (`-lock`, `-lock-timeout`).
    pub lock: crate::lock::LockOptions,
    /// Where the providers come from (plugins, or in-process for tests).
    pub launcher: crate::providers::Launcher,
}

/// The root nodes a `-target` list selects: the targets (a target inside a
/// module selects its module call) and what they depend on.
fn targeted(targets: &[String], deps: &BTreeMap<String, BTreeSet<String>>) -> Option<BTreeSet<String>> {
    if targets.is_empty() {
        return None;
    }
    let root_node = |t: &String| -> String {
        match crate::addrs::split_modules(t) {
            Ok((m, _)) if !m.is_root() => format!("module.{}", m.0[0].0),
            _ => t.split('[').next().unwrap_or(t).to_string(),
        }
    };
    let mut out = BTreeSet::new();
    let mut todo: Vec<String> = targets.iter().map(root_node).collect();
    while let Some(n) = todo.pop() {
        if out.insert(n.clone()) {
            todo.extend(deps.get(&n).into_iter().flatten().cloned());
        }
    }
    Some(out)
}

/// Plans the whole configuration against `state`.
pub async fn plan(
    cfg: &Config,
    state: &State,
    providers: &Providers,
    scope: &mut Scope,
    opts: &Options,
) -> Result<Plan, Error> {
    let (deps, order) = crate::graph::sorted(cfg)?;
    // `moved` blocks first: the plan is made against the state as moved.
    let mut moved_state = State::empty();
    let moves = if cfg.moved.is_empty() {
        Vec::new()
    } else {
        moved_state = state.clone();
        crate::moved::apply(cfg, &mut moved_state)?
    };
    let state = if moves.is_empty() { state } else { &moved_state };
    let selected = targeted(&opts.targets, &deps);
    let in_scope = |r: &crate::state::ResourceState| selected.as_ref().is_none_or(|s| s.contains(&r.root_node()));
    let priors = prior::prefetch(providers, state, opts.refresh, opts.parallelism.max(1), &in_scope).await?;
    let plan = Plan {
        destroy: opts.destroy,
        targeted: !opts.targets.is_empty(),
        lineage: state.lineage.clone(),
        serial: state.serial,
        variables: scope.vars.clone(),
        sensitive_variables: cfg.variables.iter().filter(|(_, v)| v.sensitive).map(|(k, _)| k.clone()).collect(),
        moves,
        ..Plan::default()
    };
    let planner = walk::Planner {
        cfg_root: cfg,
        state,
        providers,
        opts,
        plan: plan.into(),
        priors: priors.into(),
        wanted: BTreeSet::new().into(),
        selected,
    };
    let walked = planner.module(cfg, &walk::ModuleCtx::root(), scope).await?;
    let walk::Planner { plan, wanted, priors, selected, .. } = planner;
    let (mut plan, wanted, mut priors) = (plan.into_inner(), wanted.into_inner(), priors.into_inner());
    (plan.changes, plan.warnings) = (walked.changes, walked.warnings);
    let (deletes, gone) =
        prior::deletions(cfg, state, providers, &order, &wanted, &mut priors, opts, &selected, &plan)?;
    let (forget, deletes) = prior::removed(cfg, deletes)?;
    plan.changes.extend(deletes);
    plan.gone = gone;
    plan.forget = forget
        .into_iter()
        .filter_map(|c| {
            let rs = state
                .resources
                .iter()
                .find(|r| r.module_instance() == c.module && r.type_name == c.type_name && r.name == c.name)?;
            Some((rs.clone(), c.key))
        })
        .collect();
    Ok(plan)
}
