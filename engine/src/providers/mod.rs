//! The providers of a run: one per provider configuration (`aigw`,
//! `aigw.west`, ...) that the configuration or the state uses, launched
//! over tfplugin6 (or made in this process, for tests) and configured from
//! its `provider` block. [`Provider`] is what the engine asks of each.
pub mod builtin;
mod interface;
pub mod memory;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use tfplugin::{Type, Value};

pub use interface::{InProcess, Provider};

use crate::config::Config;
use crate::discovery::find_provider;
use crate::error::{Error, check};
use crate::lang::{Scope, convert, eval};

pub struct Providers {
    /// Configuration key → (state address, client).
    clients: BTreeMap<String, (String, Box<dyn Provider>)>,
}

/// Makes the provider for a local name (`aigw`), in this process.
pub type Factory = Arc<dyn Fn(&str) -> Result<Box<dyn Provider>, Error> + Send + Sync>;

/// Where providers come from.
#[derive(Clone, Default)]
pub enum Launcher {
    /// The plugin binaries that [`find_provider`] finds, over tfplugin6.
    #[default]
    Plugins,
    /// Providers made in this process (the planner's and applier's tests).
    InProcess(Factory),
}

impl std::fmt::Debug for Launcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Launcher::Plugins => "Plugins",
            Launcher::InProcess(_) => "InProcess",
        })
    }
}

impl Launcher {
    async fn launch(&self, cfg: &Config, local: &str) -> Result<Box<dyn Provider>, Error> {
        match self {
            Launcher::Plugins if cfg.source_of(local) == builtin::SOURCE => {
                Ok(Box::new(InProcess(builtin::Terraform::new(cfg.dir.clone()))))
            }
            Launcher::Plugins => Ok(Box::new(find_provider(cfg, local)?.launch().await?)),
            Launcher::InProcess(make) => make(local),
        }
    }
}

/// The address Terraform records for a provider configuration in state:
/// `provider["registry.terraform.io/aigw/aigw"]`, with `.alias` when aliased.
pub fn state_address(source: &str, alias: Option<&str>) -> String {
    let full = crate::discovery::full_source(source);
    match alias {
        Some(a) => format!("provider[\"{full}\"].{a}"),
        None => format!("provider[\"{full}\"]"),
    }
}

/// The configuration key of a state provider address: its type name, and
/// `.alias` when aliased.
pub fn config_key(state_address: &str) -> String {
    let inner = state_address.trim_start_matches("provider[\"");
    let (source, rest) = inner.split_once("\"]").unwrap_or((inner, ""));
    let ty = source.rsplit('/').next().unwrap_or(source);
    match rest.strip_prefix('.') {
        Some(alias) if !alias.is_empty() => format!("{ty}.{alias}"),
        _ => ty.to_string(),
    }
}

impl Providers {
    /// Launches and configures every provider configuration that `cfg` or `state` uses.
    pub async fn start(
        cfg: &Config,
        state: &crate::state::State,
        scope: &Scope,
        overrides: &BTreeMap<String, BTreeMap<String, Value>>,
        launcher: &Launcher,
    ) -> Result<Providers, Error> {
        let mut used = BTreeSet::new();
        used_keys(cfg, &BTreeMap::new(), true, &mut used);
        used.extend(state.resources.iter().map(|r| config_key(&r.provider)));
        // What import blocks bring in needs its provider, declared or not.
        used.extend(
            cfg.imports
                .iter()
                .filter_map(crate::imports::resource_of)
                .filter_map(|a| a.split('_').next().map(str::to_string)),
        );
        let launches = used.into_iter().map(|key| async move {
            let (local, alias) = match key.split_once('.') {
                Some((l, a)) => (l.to_string(), Some(a.to_string())),
                None => (key.clone(), None),
            };
            if alias.is_some() && !cfg.provider_blocks.contains_key(&key) {
                return Err(Error::Syntax(format!("provider configuration {key} is used but not declared")));
            }
            let source = cfg.source_of(&local);
            let client = launcher.launch(cfg, &local).await?;
            let schema = client.schemas().provider.clone();
            let mut config = Value::null_object(&schema.value_type());
            if let Some(block) = cfg.provider_blocks.get(&key) {
                for (k, e) in &block.attributes {
                    let ty: Type = schema
                        .attribute(k)
                        .map(|a| a.value_type())
                        .ok_or_else(|| Error::config(&block.loc, format!("provider {local} has no argument {k:?}")))?;
                    let v = eval(e, scope)
                        .and_then(|v| convert(v, &ty))
                        .map_err(|m| Error::config(&block.loc, format!("{k}: {m}")))?;
                    config.set_attr(k, v);
                }
            }
            for (k, v) in overrides.get(&local).into_iter().flatten() {
                config.set_attr(k, v.clone());
            }
            check(&client.validate_provider_config(&config).await?, &format!("provider {key}"))?;
            check(&client.configure(crate::state::TERRAFORM_VERSION, &config).await?, &format!("provider {key}"))?;
            Ok::<_, Error>((key.clone(), (state_address(&source, alias.as_deref()), client)))
        });
        let clients = futures_util::future::join_all(launches).await.into_iter().collect::<Result<_, _>>()?;
        Ok(Providers { clients })
    }

    /// Every resource and data source checked against its provider's
    /// schema and its provider's own validation, as `terraform validate`
    /// does (the providers are launched, not configured; variables and
    /// other resources are unknown). Every error is returned, not the first.
    pub async fn validate(cfg: &Config, launcher: &Launcher) -> Vec<Error> {
        let scope = validation_scope(cfg);
        let mut errors = Vec::new();
        let locals: BTreeSet<&str> = cfg.resources.iter().map(|r| r.provider()).collect();
        for local in locals {
            let source = cfg.source_of(local);
            let client = match launcher.launch(cfg, local).await {
                Ok(c) => c,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            for r in cfg.resources.iter().filter(|r| r.provider() == local) {
                if let Err(e) = validate_one(client.as_ref(), &source, r, &scope).await {
                    errors.push(e);
                }
            }
            let _ = client.shutdown().await;
        }
        errors
    }

    /// Every resource checked by its own configured provider before a plan,
    /// so a plan reports every mistake at once, as validate does.
    pub async fn validate_configured(&self, cfg: &Config) -> Vec<Error> {
        use futures_util::StreamExt;
        let scope = validation_scope(cfg);
        let checks = cfg.resources.iter().filter_map(|r| {
            let (_, client) = self.get(&r.provider_config()).ok()?;
            let source = cfg.source_of(r.provider());
            let scope = &scope;
            Some(async move { validate_one(client, &source, r, scope).await.err() })
        });
        futures_util::stream::iter(checks).buffered(16).filter_map(|e| async move { e }).collect().await
    }

    /// The state address and client of a provider configuration.
    pub fn get(&self, key: &str) -> Result<(&str, &dyn Provider), Error> {
        self.clients
            .get(key)
            .map(|(s, c)| (s.as_str(), c.as_ref()))
            .ok_or_else(|| Error::Provider(format!("{key} is not configured")))
    }

    /// Shuts every provider down.
    pub async fn stop(self) {
        futures_util::future::join_all(self.clients.into_values().map(|(_, c)| c.shutdown())).await;
    }
}

/// The root module's provider configuration keys that `cfg` (called with
/// `passed`: its keys → the root's) and the modules it calls use.
/// (An aliased key a module uses but is not passed is left for the plan to
/// report where it is written.)
fn used_keys(cfg: &Config, passed: &BTreeMap<String, String>, root: bool, out: &mut BTreeSet<String>) {
    let root_key = |k: String| match passed.get(&k) {
        Some(p) => Some(p.clone()),
        None if root || !k.contains('.') => Some(k),
        None => None,
    };
    out.extend(cfg.resources.iter().filter_map(|r| root_key(r.provider_config())));
    out.extend(cfg.checks.iter().flat_map(|c| c.data.iter().filter_map(|r| root_key(r.provider_config()))));
    for call in cfg.modules.values() {
        let mut child: BTreeMap<String, String> =
            passed.iter().filter(|(k, _)| !k.contains('.')).map(|(k, v)| (k.clone(), v.clone())).collect();
        for (c, p) in &call.providers {
            if let Some(k) = root_key(p.clone()) {
                child.insert(c.clone(), k);
            }
        }
        used_keys(&call.config, &child, false, out);
    }
}

/// What validation evaluates against: every variable, local and resource unknown.
fn validation_scope(cfg: &Config) -> Scope {
    let mut scope = Scope::default();
    for name in cfg.variables.keys() {
        scope.vars.insert(name.clone(), Value::unknown());
    }
    for name in cfg.locals.keys() {
        scope.locals.insert(name.clone(), Value::unknown());
    }
    for name in cfg.modules.keys() {
        scope.resources.entry("module".into()).or_default().insert(name.clone(), Value::unknown());
    }
    for r in &cfg.resources {
        let (ty, name) = match r.mode {
            crate::config::Mode::Data => ("data".to_string(), r.type_name.clone()),
            crate::config::Mode::Managed => (r.type_name.clone(), r.name.clone()),
        };
        scope.resources.entry(ty).or_default().insert(name, Value::unknown());
    }
    scope.extra.insert("count".into(), Value::object([("index", Value::unknown())]));
    scope.extra.insert("each".into(), Value::object([("key", Value::unknown()), ("value", Value::unknown())]));
    scope.extra.insert("path".into(), crate::run::path_value(&cfg.dir));
    scope.extra.insert("terraform".into(), Value::object([("workspace", Value::unknown())]));
    scope
}

/// One resource or data source: its shape, its values' types, and the provider's checks.
async fn validate_one(
    client: &dyn Provider,
    source: &str,
    r: &crate::config::Resource,
    scope: &Scope,
) -> Result<(), Error> {
    let schemas = client.schemas();
    let data = r.mode == crate::config::Mode::Data;
    let schema = if data { schemas.data_sources.get(&r.type_name) } else { schemas.resources.get(&r.type_name) };
    let schema = schema.ok_or_else(|| {
        let kind = if data { "data source" } else { "resource type" };
        let names: Vec<&str> = if data {
            schemas.data_sources.keys().map(String::as_str).collect()
        } else {
            schemas.resources.keys().map(String::as_str).collect()
        };
        let hint = crate::error::did_you_mean(&r.type_name, names);
        Error::config(&r.loc, format!("provider {source} has no {kind} {:?}{hint}", r.type_name))
    })?;
    crate::instance::check_shape(r, schema)?;
    let config = crate::instance::resource_config(r, schema, scope)?;
    let d = if data {
        client.validate_data_source_config(&r.type_name, &config).await?
    } else {
        client.validate_resource_config(&r.type_name, &config).await?
    };
    crate::error::check_resource(&d, r, &r.address())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_addresses_round_trip_with_aliases() {
        let a = state_address("aigw/aigw", Some("west"));
        assert_eq!(a, "provider[\"registry.terraform.io/aigw/aigw\"].west");
        assert_eq!(config_key(&a), "aigw.west");
        assert_eq!(config_key(&state_address("aigw/aigw", None)), "aigw");
    }
}
