//! `import` blocks: which instances of a resource the configuration
//! brings in from existing objects, and by which ID. `to` names a resource
//! instance; with `for_each`, `to` and `id` are evaluated for each element
//! (`each.key`, `each.value`), as Terraform evaluates them.
use std::collections::BTreeMap;

use hcl::{Expression, TraversalOperator};
use tfplugin::Value;

use crate::config::{Config, Import, Resource};
use crate::error::Error;
use crate::lang::{Scope, eval};

/// Instance address (within the root module) → ID, for `r`'s imports.
pub fn targets(cfg: &Config, r: &Resource, scope: &mut Scope) -> Result<BTreeMap<String, String>, Error> {
    let mut out = BTreeMap::new();
    for im in cfg.imports.iter().filter(|im| resource_of(im).as_deref() == Some(r.address().as_str())) {
        let elements: Vec<(Value, Value)> = match &im.for_each {
            None => vec![(Value::Null, Value::Null)],
            Some(e) => match eval(e, scope).map_err(|m| Error::config(&im.loc, format!("import: for_each: {m}")))? {
                Value::Object(m) | Value::Map(m) => m.into_iter().map(|(k, v)| (Value::from(k.as_str()), v)).collect(),
                Value::Set(x) | Value::List(x) | Value::Tuple(x) => {
                    x.into_iter().enumerate().map(|(i, v)| (Value::int(i as i64), v)).collect()
                }
                other => {
                    return Err(Error::config(
                        &im.loc,
                        format!("import: for_each must be a map or a collection, not {other:?}"),
                    ));
                }
            },
        };
        for (k, v) in elements {
            if im.for_each.is_some() {
                scope.extra.insert("each".into(), Value::object([("key", k), ("value", v)]));
            }
            let found = instance(im, &r.address(), scope).and_then(|addr| {
                let id = match eval(&im.id, scope) {
                    Ok(Value::String(s)) => s,
                    Ok(other) => {
                        return Err(Error::config(
                            &im.loc,
                            format!("import: id must be a known string, not {other:?}"),
                        ));
                    }
                    Err(m) => return Err(Error::config(&im.loc, format!("import: id: {m}"))),
                };
                Ok((addr, id))
            });
            scope.extra.remove("each");
            let (addr, id) = found?;
            if out.insert(addr.clone(), id).is_some() {
                return Err(Error::config(&im.loc, format!("Duplicate import configuration for {addr}")));
            }
        }
    }
    Ok(out)
}

/// The resource an import block's `to` names (`type.name`), if it is one.
pub fn resource_of(im: &Import) -> Option<String> {
    let Expression::Traversal(t) = &im.to else { return None };
    let Expression::Variable(ty) = &t.expr else { return None };
    let Some(TraversalOperator::GetAttr(n)) = t.operators.first() else { return None };
    Some(format!("{}.{}", ty.as_str(), n.as_str()))
}

/// The instance address `to` names, its key evaluated.
fn instance(im: &Import, base: &str, scope: &Scope) -> Result<String, Error> {
    let Expression::Traversal(t) = &im.to else {
        return Err(Error::config(&im.loc, "import: to must name a resource"));
    };
    let key = match t.operators.get(1) {
        None => None,
        Some(TraversalOperator::Index(e)) => {
            match eval(e, scope).map_err(|m| Error::config(&im.loc, format!("import: to: {m}")))? {
                Value::String(s) => Some(serde_json::Value::String(s)),
                Value::Number(n) => Some(serde_json::Value::from(n.as_i64().unwrap_or_default())),
                other => {
                    return Err(Error::config(
                        &im.loc,
                        format!("import: to: an instance key must be a string or a number, not {other:?}"),
                    ));
                }
            }
        }
        Some(TraversalOperator::LegacyIndex(i)) => Some(serde_json::Value::from(*i)),
        Some(_) => return Err(Error::config(&im.loc, "import: to must name a resource instance")),
    };
    Ok(crate::instance::address(base, &key))
}
