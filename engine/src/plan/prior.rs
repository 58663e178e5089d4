//! What state holds, for a plan: every managed instance upgraded and
//! refreshed before planning starts (concurrently: refresh is most of a
//! plan's wall time), and the deletions of what the configuration no
//! longer has, dependents first.
use std::collections::{BTreeMap, BTreeSet};

use tfplugin::Value;
use tfplugin::provider::ReadRequest;

use super::{Action, Change, Gone, Options, Plan};
use crate::config::Config;
use crate::error::{Error, check};
use crate::instance::address;
use crate::providers::{Providers, config_key};
use crate::state::{ResourceState, State};

/// As stored, as refreshed, private data.
pub(super) type Prior = (Value, Value, Vec<u8>);

pub fn b64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap_or_default()
}

/// One instance: upgraded by the provider and, unless `refresh` is off,
/// read back from the remote object.
async fn prior_of(
    providers: &Providers,
    rs: &ResourceState,
    key: &Option<serde_json::Value>,
    refresh: bool,
) -> Result<Prior, Error> {
    let Some(inst) = rs.instances.iter().find(|i| &i.index_key == key) else {
        return Ok((Value::Null, Value::Null, Vec::new()));
    };
    let (_, client) = providers.get(&config_key(&rs.provider))?;
    let (upgraded, d) = client.upgrade_resource_state(&rs.type_name, inst.schema_version, &inst.attributes).await?;
    check(&d, &rs.base_address())?;
    let private = inst.private.as_deref().map(b64_decode).unwrap_or_default();
    if !refresh {
        return Ok((upgraded.clone(), upgraded, private));
    }
    let read = client
        .read_resource(ReadRequest { type_name: rs.type_name.clone(), current_state: upgraded.clone(), private })
        .await?;
    check(&read.diagnostics, &address(&rs.base_address(), key))?;
    Ok((upgraded, read.new_state, read.private))
}

/// Every managed instance in state that `wanted` selects, up to
/// `parallelism` at a time, by full instance address.
pub(super) async fn prefetch(
    providers: &Providers,
    state: &State,
    refresh: bool,
    parallelism: usize,
    wanted: impl Fn(&ResourceState) -> bool,
) -> Result<BTreeMap<String, Prior>, Error> {
    use futures_util::StreamExt;
    let jobs: Vec<(&ResourceState, Option<serde_json::Value>)> = state
        .resources
        .iter()
        .filter(|r| r.mode == "managed" && wanted(r))
        .flat_map(|r| r.instances.iter().map(move |i| (r, i.index_key.clone())))
        .collect();
    let results: Vec<Result<(String, Prior), Error>> = futures_util::stream::iter(jobs)
        .map(|(rs, key)| async move {
            let p = prior_of(providers, rs, &key, refresh).await?;
            Ok((address(&rs.base_address(), &key), p))
        })
        .buffer_unordered(parallelism.max(1))
        .collect()
        .await;
    results.into_iter().collect()
}

/// Whether the module instance `rs` is in (and so the resource) was
/// planned: a module call left out by `-target` keeps its resources.
fn selected(rs: &ResourceState, selected: &Option<BTreeSet<String>>, opts: &Options, addr: &str) -> bool {
    let Some(sel) = selected else { return true };
    if rs.module.is_some() {
        return sel.contains(&rs.root_node());
    }
    let base = rs.base_address();
    sel.contains(&base)
        && (opts.targets.iter().any(|t| t == addr || *t == base)
            || !opts.targets.iter().any(|t| t.starts_with(&format!("{base}["))))
}

/// Every instance in state that the configuration no longer has (or
/// everything, for -destroy), dependents first.
#[allow(clippy::too_many_arguments, reason = "the plan's parts, borrowed")]
pub(super) fn deletions(
    cfg: &Config,
    state: &State,
    providers: &Providers,
    order: &[String],
    wanted: &BTreeSet<String>,
    priors: &mut BTreeMap<String, Prior>,
    opts: &Options,
    selection: &Option<BTreeSet<String>>,
    plan: &Plan,
) -> Result<(Vec<Change>, Vec<Gone>), Error> {
    let mut deletes = Vec::new();
    let mut gone = Vec::new();
    for rs in state.resources.iter().filter(|r| r.mode == "managed") {
        let module = rs.module_instance();
        let provider = config_key(&rs.provider);
        let (_, client) = providers.get(&provider)?;
        let schema = client.schemas().resources.get(&rs.type_name).cloned().unwrap_or_default();
        let local = format!("{}.{}", rs.type_name, rs.name);
        let config = cfg.module(&module).and_then(|c| c.resources.iter().find(|r| r.address() == local));
        let in_config = config.is_some() && (module.is_root() || plan.modules.contains_key(&module));
        let repeat = config.and_then(|r| r.repeat.as_ref().map(crate::config::Repeat::keyword));
        for inst in &rs.instances {
            let addr = address(&rs.base_address(), &inst.index_key);
            if (!opts.destroy && wanted.contains(&addr)) || !selected(rs, selection, opts, &addr) {
                continue;
            }
            let Some((stored, prior, private)) = priors.remove(&addr) else { continue };
            if prior.is_null() {
                gone.push((rs.clone(), inst.index_key.clone()));
                continue;
            }
            let reason = match () {
                _ if opts.destroy => None,
                _ if in_config => Some(match (&inst.index_key, repeat) {
                    (Some(k), Some("for_each")) if k.is_string() => "delete_because_each_key",
                    (Some(k), Some("count")) if k.is_number() => "delete_because_count_index",
                    (Some(_), _) => "delete_because_wrong_repetition",
                    (None, _) => "delete_because_count_index",
                }),
                _ if !module.is_root() && !plan.modules.contains_key(&module) => Some("delete_because_no_module"),
                _ => Some("delete_because_no_resource_config"),
            };
            deletes.push(Change {
                module: module.clone(),
                type_name: rs.type_name.clone(),
                name: rs.name.clone(),
                key: inst.index_key.clone(),
                each: rs.each.clone(),
                repeat_scope: None,
                provider: provider.clone(),
                action: Action::Delete,
                before: prior,
                after: Value::Null,
                schema: schema.clone(),
                replace_paths: Vec::new(),
                drifted: false,
                stored,
                dependencies: inst.dependencies.clone(),
                private,
                create_before_destroy: false,
                reason,
                importing: None,
            });
        }
    }
    let position = |c: &Change| {
        let root = c.module.0.first().map_or_else(|| c.base(), |(n, _)| format!("module.{n}"));
        order.iter().position(|n| *n == root).unwrap_or(usize::MAX)
    };
    deletes.sort_by_key(|c| std::cmp::Reverse(position(c)));
    Ok((deletes, gone))
}

/// `removed` blocks: the deletions they turn into forgetting (`destroy =
/// false`), split from the rest. A `removed` block for a resource the
/// configuration still has is refused, as Terraform refuses it.
pub(super) fn removed(cfg: &Config, deletes: Vec<Change>) -> Result<(Vec<Change>, Vec<Change>), Error> {
    for r in &cfg.removed {
        let declared = match crate::addrs::split_modules(&r.from) {
            Ok((m, "")) => cfg.module(&m).is_some(),
            _ => crate::addrs::ResourceInstance::parse(&r.from).is_ok_and(|a| {
                cfg.module(&a.module).is_some_and(|c| c.resources.iter().any(|x| x.address() == a.local_base()))
            }),
        };
        if declared {
            return Err(crate::error::Error::config(
                &r.loc,
                format!(
                    "Removed resource block still exists: {} is removed here, but the configuration still declares it",
                    r.from
                ),
            ));
        }
    }
    let kept = |c: &Change| {
        cfg.removed.iter().any(|r| {
            !r.destroy
                && (c.address().starts_with(&format!("{}[", r.from))
                    || c.address() == r.from
                    || c.module.qualify(&c.base()) == r.from
                    || c.config_base() == r.from
                    || c.address().starts_with(&format!("{}.", r.from)))
        })
    };
    Ok(deletes.into_iter().partition(kept))
}
