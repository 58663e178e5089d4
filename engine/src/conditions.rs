//! Custom conditions and triggers, as Terraform evaluates them:
//! `precondition` and `postcondition` blocks in `lifecycle` (checked while
//! planning when their values are known, and again during apply), and
//! `replace_triggered_by` (a resource is replaced when a change planned
//! for what it names would change it), and `check` blocks (warnings).
use hcl::{Expression, TraversalOperator};
use tfplugin::Value;

use crate::config::{Resource, Validation};
use crate::error::Error;
use crate::instance::set_instance;
use crate::lang::{Scope, eval};
use crate::plan::{Action, Change};
use crate::providers::Providers;

/// Which of a resource's conditions is being checked.
#[derive(Debug, Clone, Copy)]
pub enum When {
    Pre,
    Post,
}

/// Checks `r`'s preconditions (or postconditions, with `self` in `scope`)
/// for instance `addr`. A condition whose value is not known yet passes
/// for now; a false one is Terraform's error with its message.
pub fn check(r: &Resource, when: When, addr: &str, scope: &Scope) -> Result<(), Error> {
    let (list, summary): (&[Validation], _) = match when {
        When::Pre => (&r.lifecycle.preconditions, "Resource precondition failed"),
        When::Post => (&r.lifecycle.postconditions, "Resource postcondition failed"),
    };
    for c in list {
        let fail = |m: String| Error::config(&c.loc, format!("{addr}: {m}"));
        let v = eval(&c.condition, scope).map_err(|m| fail(format!("Invalid condition result: {m}")))?;
        match v {
            Value::Bool(true) | Value::Unknown(_) => continue,
            Value::Bool(false) => {}
            Value::Null => {
                return Err(fail(
                    "Invalid condition result: Condition expression must return either true or false, not null.".into(),
                ));
            }
            other => match crate::lang::convert(other, &tfplugin::Type::Bool) {
                Ok(Value::Bool(true)) => continue,
                Ok(Value::Bool(false)) => {}
                _ => return Err(fail("Invalid condition result: a bool is required.".into())),
            },
        }
        let message = match eval(&c.error_message, scope) {
            Ok(Value::String(s)) => s,
            Ok(Value::Unknown(_)) => "(the error message is not known yet)".into(),
            Ok(other) => format!("{other:?}"),
            Err(m) => format!("(the error message could not be evaluated: {m})"),
        };
        return Err(fail(format!("{summary}: {message}")));
    }
    Ok(())
}

/// Whether a change planned in `changes` triggers the replacement of
/// `r`'s instance: a reference to a resource (or one of its instances)
/// triggers on its update or replacement, a reference to an attribute
/// when that attribute's value changes.
pub fn triggered(
    r: &Resource,
    scope: &Scope,
    module: &crate::addrs::ModuleInstance,
    changes: &[Change],
) -> Result<bool, Error> {
    for e in &r.lifecycle.replace_triggered_by {
        let loc = r.loc_of("lifecycle");
        let bad = || {
            Error::config(
                loc,
                format!(
                    "{}: Invalid replace_triggered_by expression: only resources, resource instances and their attributes may be named, not {e}",
                    r.address()
                ),
            )
        };
        let Expression::Traversal(t) = e else { return Err(bad()) };
        let Expression::Variable(ty) = &t.expr else { return Err(bad()) };
        let mut ops = t.operators.iter();
        let Some(TraversalOperator::GetAttr(name)) = ops.next() else { return Err(bad()) };
        let base = format!("{}.{}", ty.as_str(), name.as_str());
        let mut rest: Vec<&TraversalOperator> = ops.collect();
        let key = match rest.first() {
            Some(TraversalOperator::Index(i)) => {
                let k = eval(i, scope).map_err(|m| Error::config(loc, format!("{}: {m}", r.address())))?;
                rest.remove(0);
                Some(match k {
                    Value::String(s) => serde_json::Value::String(s),
                    Value::Number(n) => serde_json::Value::from(n.as_i64().unwrap_or_default()),
                    _ => return Err(bad()),
                })
            }
            Some(TraversalOperator::LegacyIndex(i)) => {
                rest.remove(0);
                Some(serde_json::Value::from(*i))
            }
            _ => None,
        };
        let path: Vec<&str> = rest
            .iter()
            .map(|op| match op {
                TraversalOperator::GetAttr(a) => Ok(a.as_str()),
                _ => Err(bad()),
            })
            .collect::<Result<_, _>>()?;
        let hit = changes
            .iter()
            .filter(|c| &c.module == module && c.base() == base && (key.is_none() || c.key == key))
            .any(|c| {
                if path.is_empty() {
                    return matches!(c.action, Action::Update | Action::Replace);
                }
                let at = |v: &Value| path.iter().fold(v.clone(), |v, a| v.attr(a).clone());
                let (before, after) = (at(&c.before), at(&c.after));
                c.action != Action::NoOp && (!after.is_wholly_known() || before != after)
            });
        if hit {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Evaluates every `check` block, as Terraform does after a plan and
/// after an apply: its scoped data sources are read (when their
/// configuration is known), and what fails becomes a warning, never an
/// error. An assertion whose value is not known yet says nothing.
/// `pending` lists the resources with changes not applied yet: a data
/// source that names one is read after apply, as Terraform defers it.
pub async fn checks(
    cfg: &crate::config::Config,
    scope: &mut Scope,
    providers: &Providers,
    pending: &std::collections::BTreeSet<String>,
) -> Vec<String> {
    let mut warnings = Vec::new();
    for check in &cfg.checks {
        let at =
            |loc: &crate::error::Loc, m: String| Error::config(loc, format!("check.{}: {m}", check.name)).to_string();
        for r in &check.data {
            let deferred = crate::graph::references(r).iter().any(|n| pending.contains(n));
            let read = if deferred { Ok(None) } else { read_scoped(r, scope, providers).await };
            match read {
                Ok(v) => {
                    set_instance(scope, &format!("data.{}", r.type_name), &r.name, &None, v.unwrap_or(Value::unknown()))
                }
                Err(e) => warnings.push(at(&r.loc, e.to_string())),
            }
        }
        for a in &check.asserts {
            match eval(&a.condition, scope) {
                Ok(Value::Bool(false)) => {
                    let message = match eval(&a.error_message, scope) {
                        Ok(Value::String(s)) => s,
                        _ => "(the error message could not be evaluated)".into(),
                    };
                    warnings.push(at(&a.loc, format!("Check block assertion failed: {message}")));
                }
                Ok(Value::Bool(true) | Value::Unknown(_)) => {}
                Ok(other) => {
                    warnings.push(at(&a.loc, format!("Invalid condition result: a bool is required, not {other:?}")))
                }
                Err(m) => warnings.push(at(&a.loc, format!("Invalid condition result: {m}"))),
            }
        }
    }
    warnings
}

/// A check's data source, read when its configuration is known.
async fn read_scoped(r: &Resource, scope: &Scope, providers: &Providers) -> Result<Option<Value>, Error> {
    let (_, client) = providers.get(&r.provider_config())?;
    let schema = client
        .schemas()
        .data_sources
        .get(&r.type_name)
        .ok_or_else(|| Error::Provider(format!("has no data source {:?}", r.type_name)))?;
    let config = crate::instance::resource_config(r, schema, scope)?;
    if !config.is_wholly_known() {
        return Ok(None);
    }
    let (v, d) = client.read_data_source(&r.type_name, &config).await?;
    crate::error::check(&d, &r.address())?;
    Ok(Some(v))
}
