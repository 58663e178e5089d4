//! The dependency graph: locals, resources and outputs, ordered so that
//! everything comes after what it refers to (or names in `depends_on`).
//! Data sources are `data.<type>.<name>`.
//! Cycles are reported with their path.
use std::collections::{BTreeMap, BTreeSet};

use crate::config::Config;
use crate::error::Error;
use crate::lang::refs;

/// A node: `local.x`, `<type>.<name>`, `data.<type>.<name>` or `output.x`.
pub type Node = String;

fn node_of(r: &[String]) -> Option<Node> {
    match r.first().map(String::as_str)? {
        "local" => Some(format!("local.{}", r.get(1)?)),
        "var" | "count" | "each" | "self" | "path" | "terraform" => None,
        "data" => Some(format!("data.{}.{}", r.get(1)?, r.get(2)?)),
        ty => Some(format!("{ty}.{}", r.get(1)?)),
    }
}

/// Each node's dependencies.
pub type Deps = BTreeMap<Node, BTreeSet<Node>>;

/// What a resource's expressions (and `depends_on`) name.
pub fn references(r: &crate::config::Resource) -> BTreeSet<Node> {
    let iterators = r.iterators();
    let mut d: BTreeSet<Node> = r
        .expressions()
        .into_iter()
        .flat_map(refs)
        .filter(|x| !x.first().is_some_and(|root| iterators.contains(root)))
        .filter_map(|x| node_of(&x))
        .collect();
    d.extend(r.depends_on.iter().cloned());
    d
}

/// Each node's dependencies.
pub fn dependencies(cfg: &Config) -> Result<BTreeMap<Node, BTreeSet<Node>>, Error> {
    let mut deps: BTreeMap<Node, BTreeSet<Node>> = BTreeMap::new();
    for (name, (expr, _)) in &cfg.locals {
        deps.insert(format!("local.{name}"), refs(expr).iter().filter_map(|r| node_of(r)).collect());
    }
    for r in &cfg.resources {
        deps.insert(r.address(), references(r));
    }
    for (name, call) in &cfg.modules {
        let mut d: BTreeSet<Node> = call.expressions().into_iter().flat_map(refs).filter_map(|x| node_of(&x)).collect();
        d.extend(call.depends_on.iter().cloned());
        deps.insert(format!("module.{name}"), d);
    }
    for (name, o) in &cfg.outputs {
        deps.insert(format!("output.{name}"), refs(&o.value).iter().filter_map(|r| node_of(r)).collect());
    }
    let known: BTreeSet<Node> = deps.keys().cloned().collect();
    for (node, d) in &deps {
        if let Some(missing) = d.iter().find(|x| !known.contains(*x)) {
            // Point at the attribute (and the reference) that names it.
            let needle = missing.trim_start_matches("local.");
            let loc = cfg
                .resources
                .iter()
                .find(|r| &r.address() == node)
                .map(|r| {
                    let at = r
                        .attributes
                        .iter()
                        .find(|(_, e)| refs(e).iter().any(|x| node_of(x).as_ref() == Some(missing)))
                        .map(|(k, _)| r.loc_of(k))
                        .or_else(|| r.depends_on.iter().any(|d| d == missing).then(|| r.loc_of("depends_on")))
                        .unwrap_or(&r.loc);
                    at.narrow(needle)
                })
                .or_else(|| cfg.locals.get(node.trim_start_matches("local.")).map(|(_, l)| l.narrow(needle)))
                .or_else(|| cfg.outputs.get(node.trim_start_matches("output.")).map(|o| o.loc.narrow(needle)));
            let message = format!("{node} refers to {missing}, which is not declared");
            return Err(match loc {
                Some(l) => Error::config(&l, message),
                None => Error::Syntax(message),
            });
        }
    }
    Ok(deps)
}

/// The resources and data sources `node` depends on, directly or through
/// locals and other resources: what Terraform records as an instance's
/// `dependencies` in state (and what apply waits for).
pub fn resource_ancestors(deps: &Deps, node: &str) -> BTreeSet<Node> {
    let mut seen = BTreeSet::new();
    let mut out = BTreeSet::new();
    let mut todo: Vec<&Node> = deps.get(node).into_iter().flatten().collect();
    while let Some(n) = todo.pop() {
        if !seen.insert(n) {
            continue;
        }
        if !n.starts_with("local.") && !n.starts_with("output.") {
            // A module call stands for what is in it: the caller expands it.
            out.insert(n.clone());
        }
        todo.extend(deps.get(n).into_iter().flatten());
    }
    out
}

/// Where a node is declared.
fn loc_of(cfg: &Config, node: &str) -> Option<crate::error::Loc> {
    if let Some(n) = node.strip_prefix("local.") {
        return cfg.locals.get(n).map(|(_, l)| l.clone());
    }
    if let Some(n) = node.strip_prefix("output.") {
        return cfg.outputs.get(n).map(|o| o.loc.clone());
    }
    if let Some(n) = node.strip_prefix("module.") {
        return cfg.modules.get(n).map(|m| m.loc.clone());
    }
    cfg.resources.iter().find(|r| r.address() == node).map(|r| r.loc.clone())
}

/// The configuration's dependencies and its nodes in order; a cycle is
/// reported at the first node on it, with its path.
pub fn sorted(cfg: &Config) -> Result<(Deps, Vec<Node>), Error> {
    let deps = dependencies(cfg)?;
    match order(&deps) {
        Ok(o) => Ok((deps, o)),
        Err(Error::Cycle(path)) => {
            let first = path.split(" → ").next().unwrap_or_default();
            Err(match loc_of(cfg, first) {
                Some(l) => Error::config(&l, format!("dependency cycle: {path}")),
                None => Error::Cycle(path),
            })
        }
        Err(e) => Err(e),
    }
}

/// All nodes, dependencies first; errors on a cycle, naming its path.
pub fn order(deps: &BTreeMap<Node, BTreeSet<Node>>) -> Result<Vec<Node>, Error> {
    fn visit(
        n: &Node,
        deps: &BTreeMap<Node, BTreeSet<Node>>,
        state: &mut BTreeMap<Node, u8>,
        stack: &mut Vec<Node>,
        out: &mut Vec<Node>,
    ) -> Result<(), Error> {
        match state.get(n) {
            Some(2) => return Ok(()),
            Some(1) => {
                let start = stack.iter().position(|x| x == n).unwrap_or(0);
                let mut path: Vec<&str> = stack[start..].iter().map(String::as_str).collect();
                path.push(n);
                return Err(Error::Cycle(path.join(" → ")));
            }
            _ => {}
        }
        state.insert(n.clone(), 1);
        stack.push(n.clone());
        for d in deps.get(n).into_iter().flatten() {
            visit(d, deps, state, stack, out)?;
        }
        stack.pop();
        state.insert(n.clone(), 2);
        out.push(n.clone());
        Ok(())
    }
    let mut state = BTreeMap::new();
    let mut out = Vec::new();
    for n in deps.keys() {
        visit(n, deps, &mut state, &mut Vec::new(), &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(edges: &[(&str, &[&str])]) -> BTreeMap<Node, BTreeSet<Node>> {
        edges.iter().map(|(n, d)| (n.to_string(), d.iter().map(|x| x.to_string()).collect())).collect()
    }

    #[test]
    fn dependencies_come_first_and_cycles_show_their_path() {
        let o = order(&g(&[("b.x", &["a.x"]), ("a.x", &[]), ("output.o", &["b.x"])])).unwrap();
        assert_eq!(o, ["a.x", "b.x", "output.o"]);
        let e = order(&g(&[("a.x", &["b.x"]), ("b.x", &["c.x"]), ("c.x", &["a.x"])])).unwrap_err();
        assert_eq!(e.to_string(), "dependency cycle: a.x → b.x → c.x → a.x");
    }
}
