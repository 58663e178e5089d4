//! `moved` blocks, as Terraform applies them before it plans: an object in
//! state at `from` is now at `to`. Endpoints are resource instances,
//! whole resources (every instance, keys kept) or module calls (every
//! instance of the module, and all it holds). Chains (a → b, b → c) end at
//! the last address; a cycle, or a move between different resource types,
//! is refused. A move whose destination already holds an object is left
//! undone, as Terraform leaves it.
use std::collections::BTreeMap;

use crate::addrs::{Key, ModuleInstance, ResourceInstance, split_modules};
use crate::config::{Config, Moved};
use crate::error::Error;
use crate::state::{ResourceState, State};

/// One side of a move.
#[derive(Debug, Clone, PartialEq)]
enum End {
    Module(ModuleInstance),
    /// A resource instance; `key: None` is a whole resource when `whole`.
    Resource {
        addr: ResourceInstance,
        whole: bool,
    },
}

fn parse(text: &str, m: &Moved) -> Result<End, Error> {
    let bad = |e: String| Error::config(&m.loc, format!("moved: {e}"));
    let (module, rest) = split_modules(text).map_err(bad)?;
    if rest.is_empty() {
        return Ok(End::Module(module));
    }
    let addr = ResourceInstance::parse(text).map_err(bad)?;
    Ok(End::Resource { whole: addr.key.is_none(), addr })
}

/// The moves `cfg` states, checked: each pair of the same kind and type,
/// and no cycle.
fn statements(cfg: &Config) -> Result<Vec<(End, End, &Moved)>, Error> {
    let mut out = Vec::new();
    for m in &cfg.moved {
        let (from, to) = (parse(&m.from, m)?, parse(&m.to, m)?);
        match (&from, &to) {
            (End::Module(_), End::Module(_)) => {}
            (End::Resource { addr: a, .. }, End::Resource { addr: b, .. }) => {
                if a.type_name != b.type_name || a.data != b.data {
                    return Err(Error::config(
                        &m.loc,
                        format!(
                            "Resource type mismatch: this statement declares a move from {} to {}, which is a resource of a different type",
                            m.from, m.to
                        ),
                    ));
                }
            }
            _ => {
                return Err(Error::config(
                    &m.loc,
                    format!("moved: {} and {} must both be resources or both be modules", m.from, m.to),
                ));
            }
        }
        let declared = match &from {
            End::Module(mi) => cfg.module(mi).is_some(),
            // An instance may move within a resource the configuration keeps.
            End::Resource { addr, whole: true } => {
                cfg.module(&addr.module).is_some_and(|c| c.resources.iter().any(|r| r.address() == addr.local_base()))
            }
            End::Resource { .. } => false,
        };
        if declared {
            return Err(Error::config(
                &m.loc,
                format!(
                    "Moved object still exists: this statement declares a move from {}, but that is still declared; declare it as {} instead",
                    m.from, m.to
                ),
            ));
        }
        out.push((from, to, m));
    }
    // A cycle: following `to` back to a `from` already seen.
    let next: BTreeMap<&str, &str> = cfg.moved.iter().map(|m| (m.from.as_str(), m.to.as_str())).collect();
    for m in &cfg.moved {
        let mut at = m.to.as_str();
        for _ in 0..=cfg.moved.len() {
            if at == m.from {
                return Err(Error::config(
                    &m.loc,
                    format!(
                        "Cyclic dependency in move statements: the move from {} to {} leads back to where it started",
                        m.from, m.to
                    ),
                ));
            }
            match next.get(at) {
                Some(n) => at = n,
                None => break,
            }
        }
    }
    Ok(out)
}

/// Applies the configuration's moves to `state`; returns what moved, by
/// instance address (old → new), chains collapsed.
pub fn apply(cfg: &Config, state: &mut State) -> Result<Vec<(String, String)>, Error> {
    let stmts = statements(cfg)?;
    let mut moved: Vec<(String, String)> = Vec::new();
    for _ in 0..=stmts.len() {
        let mut progressed = false;
        for (from, to, _) in &stmts {
            for (old, new) in move_one(state, from, to) {
                progressed = true;
                match moved.iter_mut().find(|(_, n)| *n == old) {
                    Some(chain) => chain.1 = new,
                    None => moved.push((old, new)),
                }
            }
        }
        if !progressed {
            break;
        }
    }
    Ok(moved)
}

fn each_of(key: &Option<serde_json::Value>) -> Option<String> {
    key.as_ref().map(|k| if k.is_string() { "map".to_string() } else { "list".to_string() })
}

fn instance_address(rs: &ResourceState, key: &Option<serde_json::Value>) -> String {
    crate::instance::address(&rs.base_address(), key)
}

fn matches(rs: &ResourceState, a: &ResourceInstance) -> bool {
    rs.module == a.module.to_state()
        && rs.type_name == a.type_name
        && rs.name == a.name
        && (rs.mode == "data") == a.data
}

/// Moves what `from` names to `to`; returns the instance moves made.
fn move_one(state: &mut State, from: &End, to: &End) -> Vec<(String, String)> {
    let mut done = Vec::new();
    match (from, to) {
        (End::Resource { addr: f, whole: fw }, End::Resource { addr: t, whole: tw }) => {
            let Some(i) = state.resources.iter().position(|r| matches(r, f)) else { return done };
            if *fw && *tw {
                if state.resources.iter().any(|r| matches(r, t)) {
                    return done;
                }
                let rs = &mut state.resources[i];
                let old: Vec<String> = rs.instances.iter().map(|x| instance_address(rs, &x.index_key)).collect();
                rs.module = t.module.to_state();
                rs.name = t.name.clone();
                let new: Vec<String> = rs.instances.iter().map(|x| instance_address(rs, &x.index_key)).collect();
                done.extend(old.into_iter().zip(new));
                return done;
            }
            let (fk, tk) = (f.key.as_ref().map(Key::to_json), t.key.as_ref().map(Key::to_json));
            let Some(pos) = state.resources[i].instances.iter().position(|x| x.index_key == fk) else { return done };
            if state.resources.iter().any(|r| matches(r, t) && r.instances.iter().any(|x| x.index_key == tk)) {
                return done;
            }
            let source = state.resources[i].clone();
            let mut inst = state.resources[i].instances.remove(pos);
            let old = instance_address(&source, &fk);
            if state.resources[i].instances.is_empty() {
                state.resources.remove(i);
            }
            inst.index_key = tk.clone();
            let template = ResourceState {
                module: t.module.to_state(),
                name: t.name.clone(),
                each: each_of(&tk),
                instances: Vec::new(),
                ..source
            };
            let new = instance_address(&template, &tk);
            state.put_instance(&template, &tk, Some(inst));
            done.push((old, new));
        }
        (End::Module(f), End::Module(t)) => {
            let Some(((fname, fkey), fparent)) = f.0.split_last() else { return done };
            let Some(((tname, tkey), tparent)) = t.0.split_last() else { return done };
            let target_taken = state.resources.iter().any(|r| {
                let m = r.module_instance();
                m.0.len() > tparent.len()
                    && m.0[..tparent.len()] == *tparent
                    && m.0[tparent.len()].0 == *tname
                    && (tkey.is_none() || m.0[tparent.len()].1 == *tkey)
            });
            if target_taken {
                return done;
            }
            for rs in state.resources.iter_mut() {
                let m = rs.module_instance();
                let n = fparent.len();
                let hit = m.0.len() > n
                    && m.0[..n] == *fparent
                    && m.0[n].0 == *fname
                    && (fkey.is_none() || m.0[n].1 == *fkey);
                if !hit {
                    continue;
                }
                let key = if fkey.is_none() && tkey.is_none() { m.0[n].1.clone() } else { tkey.clone() };
                let mut steps = tparent.to_vec();
                steps.push((tname.clone(), key));
                steps.extend(m.0[n + 1..].iter().cloned());
                let old: Vec<String> = rs.instances.iter().map(|x| instance_address(rs, &x.index_key)).collect();
                rs.module = ModuleInstance(steps).to_state();
                let new: Vec<String> = rs.instances.iter().map(|x| instance_address(rs, &x.index_key)).collect();
                done.extend(old.into_iter().zip(new));
            }
        }
        _ => {}
    }
    done
}
