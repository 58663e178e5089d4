//! The commands that work on state rather than plans: `import`,
//! `refresh`, `output`, `state list|show|rm|mv`, and `graph`. Each takes
//! the state lock, and each write is atomic with a backup, like apply.
use std::fmt::Write;
use std::path::Path;

use serde_json::Value as Json;
use tfplugin::provider::ReadRequest;

use crate::backend::{Store, StoreLock};
use crate::error::{Error, check};
use crate::instance::address;
use crate::plan::Options;
use crate::run::{Run, load_state};
use crate::state::{Instance, ResourceState, State};

/// `base` and key of an instance address: `a.b`, `a.b[0]`, `a.b["k"]`.
pub fn parse_address(addr: &str) -> Result<(String, Option<Json>), Error> {
    let bad =
        || Error::Syntax(format!("{addr:?} is not a resource address (TYPE.NAME, TYPE.NAME[0] or TYPE.NAME[\"key\"])"));
    let (base, key) = match addr.split_once('[') {
        None => (addr, None),
        Some((b, rest)) => {
            let k = rest.strip_suffix(']').ok_or_else(bad)?;
            let key = if let Ok(i) = k.parse::<i64>() {
                Json::from(i)
            } else {
                serde_json::from_str::<String>(k).map(Json::String).map_err(|_| bad())?
            };
            (b, Some(key))
        }
    };
    let parts: Vec<&str> = base.split('.').collect();
    let ok = match parts.as_slice() {
        [t, n] => !t.is_empty() && !n.is_empty() && *t != "data",
        ["data", t, n] => !t.is_empty() && !n.is_empty(),
        _ => false,
    };
    if !ok {
        return Err(bad());
    }
    Ok((base.to_string(), key))
}

/// The instance addresses in state, sorted as Terraform lists them.
pub fn list(state: &State) -> Vec<String> {
    let mut out: Vec<String> = state
        .resources
        .iter()
        .flat_map(|r| {
            let base = r.base_address();
            r.instances.iter().map(move |i| address(&base, &i.index_key)).collect::<Vec<_>>()
        })
        .collect();
    out.sort();
    out
}

/// An address in full, modules included.
fn locate(addr: &str) -> Result<crate::addrs::ResourceInstance, Error> {
    crate::addrs::ResourceInstance::parse(addr).map_err(Error::Syntax)
}

fn find<'a>(state: &'a State, addr: &str) -> Result<Vec<(&'a ResourceState, &'a Instance)>, Error> {
    let a = locate(addr)?;
    let (module, mode) = (a.module.to_state(), if a.data { "data" } else { "managed" });
    let key = a.key.as_ref().map(crate::addrs::Key::to_json);
    let found: Vec<_> = state
        .resources
        .iter()
        .filter(|r| r.mode == mode && r.type_name == a.type_name && r.name == a.name && r.module == module)
        .flat_map(|r| r.instances.iter().filter(|i| key.is_none() || i.index_key == key).map(move |i| (r, i)))
        .collect();
    if found.is_empty() {
        return Err(Error::Syntax(format!("no instance {addr} in the state")));
    }
    Ok(found)
}

fn hcl_value(v: &Json, indent: usize) -> String {
    let pad = " ".repeat(indent + 2);
    match v {
        Json::Object(m) if !m.is_empty() => {
            let width = m.keys().map(String::len).max().unwrap_or(0);
            let body: String =
                m.iter().map(|(k, v)| format!("{pad}{k:<width$} = {}\n", hcl_value(v, indent + 2))).collect();
            format!("{{\n{body}{}}}", " ".repeat(indent))
        }
        Json::Array(a) if !a.is_empty() => {
            let body: String = a.iter().map(|v| format!("{pad}{},\n", hcl_value(v, indent + 2))).collect();
            format!("[\n{body}{}]", " ".repeat(indent))
        }
        Json::Object(_) => "{}".into(),
        Json::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

/// `state show ADDR`: the instance's attributes, HCL-like.
pub fn show(state: &State, addr: &str) -> Result<String, Error> {
    let mut out = String::new();
    for (r, i) in find(state, addr)? {
        let _ = writeln!(out, "# {}:", address(&r.base_address(), &i.index_key));
        let kw = if r.mode == "data" { "data" } else { "resource" };
        let _ = writeln!(out, "{kw} \"{}\" \"{}\" {}", r.type_name, r.name, hcl_value(&strip_nulls(&i.attributes), 0));
    }
    Ok(out)
}

fn strip_nulls(v: &Json) -> Json {
    match v {
        Json::Object(m) => {
            Json::Object(m.iter().filter(|(_, v)| !v.is_null()).map(|(k, v)| (k.clone(), strip_nulls(v))).collect())
        }
        other => other.clone(),
    }
}

/// The state, for a command that rewrites it: refused while an interrupted
/// apply's creates are unsettled (saving would drop what settles them).
fn load_for_edit(store: &Store, lock: &crate::lock::LockOptions) -> Result<(State, StoreLock), Error> {
    let (state, lock, pending) = load_state(store, lock)?;
    if !pending.is_empty() {
        return Err(Error::State {
            path: store.shown.clone(),
            message: "an interrupted apply left creates to settle; run aigw plan (or apply) first".into(),
        });
    }
    Ok((state, lock))
}

/// `state rm ADDR...`: forgets instances without destroying them.
pub fn rm(store: &Store, addrs: &[String], lock: &crate::lock::LockOptions) -> Result<Vec<String>, Error> {
    let (mut state, _lock) = load_for_edit(store, lock)?;
    let mut removed = Vec::new();
    for addr in addrs {
        let targets: Vec<(ResourceState, Option<Json>)> =
            find(&state, addr)?.into_iter().map(|(r, i)| (r.clone(), i.index_key.clone())).collect();
        for (r, key) in targets {
            removed.push(address(&r.base_address(), &key));
            remove(&mut state, &r, &key);
        }
    }
    store.save(&mut state)?;
    Ok(removed)
}

fn remove(state: &mut State, r: &ResourceState, key: &Option<Json>) {
    if let Some(x) = state
        .resources
        .iter_mut()
        .find(|x| x.mode == r.mode && x.type_name == r.type_name && x.name == r.name && x.module == r.module)
    {
        x.instances.retain(|i| &i.index_key != key);
    }
    state.resources.retain(|x| !x.instances.is_empty());
}

/// `state mv SRC DST`: renames a resource or moves one instance.
pub fn mv(store: &Store, src: &str, dst: &str, lock: &crate::lock::LockOptions) -> Result<(), Error> {
    let (mut state, _lock) = load_for_edit(store, lock)?;
    let (s, d) = (locate(src)?, locate(dst)?);
    let skey = s.key.as_ref().map(crate::addrs::Key::to_json);
    let dkey = d.key.as_ref().map(crate::addrs::Key::to_json);
    if s.type_name != d.type_name || s.data != d.data {
        return Err(Error::Syntax(format!("cannot move {src} to {dst}: the resource types differ")));
    }
    if find(&state, dst).is_ok() {
        return Err(Error::Syntax(format!("cannot move to {dst}: it already exists in the state")));
    }
    let moving: Vec<(ResourceState, Instance)> =
        find(&state, src)?.into_iter().map(|(r, i)| (r.clone(), i.clone())).collect();
    if skey.is_none() && dkey.is_some() && moving.len() > 1 {
        return Err(Error::Syntax(format!("cannot move every instance of {src} into the single instance {dst}")));
    }
    for (r, mut inst) in moving {
        remove(&mut state, &r, &inst.index_key);
        let each = match (&skey, &dkey) {
            (None, None) => r.each.clone(),
            (_, Some(Json::Number(_))) => Some("list".to_string()),
            (_, Some(_)) => Some("map".to_string()),
            (Some(_), None) => None,
        };
        if skey.is_some() || dkey.is_some() {
            inst.index_key = dkey.clone();
        }
        let template =
            ResourceState { module: d.module.to_state(), name: d.name.clone(), each, instances: Vec::new(), ..r };
        state.put_instance(&template, &inst.index_key.clone(), Some(inst));
    }
    store.save(&mut state)
}

/// `output`: the root outputs in state.
pub fn outputs(state: &State, name: Option<&str>, json: bool, raw: bool) -> Result<String, Error> {
    let pick = |k: &str| -> Result<&Json, Error> {
        state.outputs.get(k).ok_or_else(|| Error::Syntax(format!("no output {k:?}; apply the configuration first")))
    };
    Ok(match (name, json, raw) {
        (Some(k), _, true) => match pick(k)?.get("value") {
            Some(Json::String(s)) => s.clone(),
            Some(v @ (Json::Number(_) | Json::Bool(_))) => v.to_string(),
            _ => return Err(Error::Syntax(format!("output {k:?} is not a string, number or bool; use -json"))),
        },
        (Some(k), true, _) => format!("{}\n", pick(k)?.get("value").cloned().unwrap_or(Json::Null)),
        (Some(k), false, _) => format!("{}\n", hcl_value(pick(k)?.get("value").unwrap_or(&Json::Null), 0)),
        (None, true, _) => {
            let all: serde_json::Map<String, Json> = state
                .outputs
                .iter()
                .map(|(k, o)| {
                    let s = o.get("sensitive").and_then(Json::as_bool).unwrap_or(false);
                    (k.clone(), serde_json::json!({"sensitive": s, "type": o.get("type"), "value": o.get("value")}))
                })
                .collect();
            format!("{}\n", serde_json::to_string_pretty(&all).unwrap_or_default())
        }
        (None, false, _) => state
            .outputs
            .iter()
            .map(|(k, o)| {
                if o.get("sensitive").and_then(Json::as_bool).unwrap_or(false) {
                    format!("{k} = <sensitive>\n")
                } else {
                    format!("{k} = {}\n", hcl_value(o.get("value").unwrap_or(&Json::Null), 0))
                }
            })
            .collect(),
    })
}

/// `import ADDR ID`: adopts an existing object into the state.
pub async fn import(dir: &Path, opts: &Options, addr: &str, id: &str) -> Result<(), Error> {
    let (base, key) = parse_address(addr)?;
    let mut run = Run::open(dir, opts).await?;
    let result = async {
        let r = run
            .cfg
            .resources
            .iter()
            .find(|r| r.address() == base && r.mode == crate::config::Mode::Managed)
            .ok_or_else(|| {
                Error::Syntax(format!(
                    "{base} is not in the configuration; add a resource block for it before importing"
                ))
            })?;
        if run.state.instance(None, &r.type_name, &r.name, &key).is_some() {
            return Err(Error::Syntax(format!("{addr} is already managed; remove it with state rm first")));
        }
        let (provider, client) = run.providers.get(&r.provider_config())?;
        let schema = client.schemas().resources.get(&r.type_name).cloned().unwrap_or_default();
        let imported = client.import_resource_state(&r.type_name, id).await?;
        check(&imported.diagnostics, addr)?;
        let Some(obj) = imported.imported.into_iter().next() else {
            return Err(Error::Provider(format!("{addr}: the provider imported nothing for {id:?}")));
        };
        let read = client
            .read_resource(ReadRequest {
                type_name: r.type_name.clone(),
                current_state: obj.state,
                private: obj.private,
            })
            .await?;
        check(&read.diagnostics, addr)?;
        if read.new_state.is_null() {
            return Err(Error::Provider(format!("{addr}: cannot import non-existent remote object {id:?}")));
        }
        let template = ResourceState {
            module: None,
            mode: "managed".into(),
            type_name: r.type_name.clone(),
            name: r.name.clone(),
            each: key.as_ref().map(|k| if k.is_number() { "list".into() } else { "map".into() }),
            provider: provider.to_string(),
            instances: Vec::new(),
        };
        let inst = Instance::new(&key, &schema, &read.new_state, &read.private, Vec::new())?;
        run.state.put_instance(&template, &key, Some(inst));
        run.store.save(&mut run.state)
    }
    .await;
    run.close().await;
    result
}

/// `refresh`: reads every managed object back and records what it found
/// (Terraform's `apply -refresh-only -auto-approve`).
pub async fn refresh(dir: &Path, opts: &Options) -> Result<Vec<String>, Error> {
    let mut run = Run::open(dir, opts).await?;
    let result = async {
        let plan = run.plan(opts).await?;
        let mut notes = Vec::new();
        for c in plan.changes.iter().filter(|c| !c.is_data()) {
            if c.stored.is_null() {
                continue;
            }
            let (provider, _) = run.providers.get(&c.provider)?;
            let refreshed = &c.before;
            if c.drifted {
                notes.push(format!(
                    "{}: {}",
                    c.address(),
                    if refreshed.is_null() { "deleted outside aigw" } else { "changed outside aigw" }
                ));
            }
            let e = crate::apply::entry(c, provider, refreshed, &c.private)?;
            run.state.put_instance(&e.resource, &e.key, e.instance);
        }
        run.store.save(&mut run.state)?;
        Ok(notes)
    }
    .await;
    run.close().await;
    result
}

/// The dependency graph in DOT.
pub fn graph_dot(cfg: &crate::config::Config) -> Result<String, Error> {
    let deps = crate::graph::dependencies(cfg)?;
    let mut out = String::from("digraph {\n  compound = \"true\"\n  newrank = \"true\"\n  subgraph \"root\" {\n");
    for (node, ds) in &deps {
        let _ = writeln!(out, "    \"[root] {node}\" [label = \"{node}\", shape = \"box\"]");
        for d in ds {
            let _ = writeln!(out, "    \"[root] {node}\" -> \"[root] {d}\"");
        }
    }
    out.push_str("  }\n}\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_like_terraform_s() {
        assert_eq!(parse_address("a_b.c").unwrap(), ("a_b.c".into(), None));
        assert_eq!(parse_address("a_b.c[2]").unwrap(), ("a_b.c".into(), Some(Json::from(2))));
        assert_eq!(parse_address("a_b.c[\"k\"]").unwrap(), ("a_b.c".into(), Some(Json::from("k"))));
        assert!(parse_address("a_b").is_err());
        assert!(parse_address("a_b.c[k]").is_err());
    }
}
