//! Input variables: their type constraints, where their values come from
//! (Terraform's order, later wins: defaults, `TF_VAR_*`, `terraform.tfvars`,
//! `*.auto.tfvars` in name order, then `-var-file` and `-var` in the order
//! given), conversion to the declared type, and `validation` blocks.
use std::collections::BTreeMap;
use std::path::Path;

use hcl::Expression;
use tfplugin::{Type, Value};

use crate::config::{Config, Variable};
use crate::error::{Error, Loc};
use crate::lang::{Scope, convert, eval};

/// A value given on the command line, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VarArg {
    /// `-var NAME=VALUE`
    Var(String, String),
    /// `-var-file FILE`
    File(std::path::PathBuf),
}

/// A type constraint as written: `string`, `list(number)`, `object({...})`, `any`.
pub fn type_of(e: &Expression) -> Result<Type, String> {
    use hcl::expr::FuncCall;
    let bad = || format!("{e} is not a type constraint");
    match e {
        Expression::Variable(v) => match v.as_str() {
            "string" => Ok(Type::String),
            "number" => Ok(Type::Number),
            "bool" => Ok(Type::Bool),
            "any" => Ok(Type::Dynamic),
            _ => Err(bad()),
        },
        Expression::FuncCall(f) => {
            let FuncCall { name, args, .. } = f.as_ref();
            let one = || args.first().map(type_of).unwrap_or_else(|| Err(bad()));
            match name.to_string().as_str() {
                "list" => Ok(Type::list(one()?)),
                "set" => Ok(Type::set(one()?)),
                "map" => Ok(Type::map(one()?)),
                "optional" => one(),
                "tuple" => match args.first() {
                    Some(Expression::Array(items)) => {
                        Ok(Type::Tuple(items.iter().map(type_of).collect::<Result<_, _>>()?))
                    }
                    _ => Err(bad()),
                },
                "object" => match args.first() {
                    Some(Expression::Object(o)) => {
                        let mut attrs = BTreeMap::new();
                        let mut optional = std::collections::BTreeSet::new();
                        for (k, v) in o {
                            let k = k.to_string().trim_matches('"').to_string();
                            if matches!(v, Expression::FuncCall(f) if f.name.to_string() == "optional") {
                                optional.insert(k.clone());
                            }
                            attrs.insert(k, type_of(v)?);
                        }
                        Ok(Type::Object { attrs, optional })
                    }
                    _ => Err(bad()),
                },
                _ => Err(bad()),
            }
        }
        _ => Err(bad()),
    }
}

/// The raw values given for variables, with where each came from.
fn given(cfg: &Config, args: &[VarArg]) -> Result<BTreeMap<String, (Value, Loc)>, Error> {
    let mut out: BTreeMap<String, (Value, Loc)> = BTreeMap::new();
    let cli = |what: String| Loc { file: what, ..Loc::default() };
    for (k, v) in std::env::vars() {
        if let Some(name) = k.strip_prefix("TF_VAR_").filter(|n| cfg.variables.contains_key(*n)) {
            out.insert(name.to_string(), (raw(&cfg.variables[name], &v), cli(format!("TF_VAR_{name}"))));
        }
    }
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    let default = cfg.dir.join("terraform.tfvars");
    if default.exists() {
        files.push(default);
    }
    let mut auto: Vec<std::path::PathBuf> = std::fs::read_dir(&cfg.dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with(".auto.tfvars")))
        .collect();
    auto.sort();
    files.extend(auto);
    for f in &files {
        read_file(cfg, f, &mut out, false)?;
    }
    for a in args {
        match a {
            VarArg::File(f) => {
                let path = if f.is_absolute() { f.clone() } else { cfg.dir.join(f) };
                read_file(cfg, &path, &mut out, true)?;
            }
            VarArg::Var(name, v) => {
                let Some(decl) = cfg.variables.get(name) else {
                    return Err(Error::Syntax(format!("-var {name}: no variable {name:?} is declared")));
                };
                out.insert(name.clone(), (raw(decl, v), cli(format!("-var {name}"))));
            }
        }
    }
    Ok(out)
}

/// A value from the command line or the environment: a string for string
/// variables, otherwise parsed as an HCL expression (`["a","b"]`, `3`).
fn raw(decl: &Variable, s: &str) -> Value {
    let is_string = decl.type_expr.as_ref().is_none_or(|t| matches!(type_of(t), Ok(Type::String)));
    if is_string {
        return Value::String(s.to_string());
    }
    hcl::parse(&format!("v = {s}"))
        .ok()
        .and_then(|b| b.attributes().next().map(|a| a.expr().clone()))
        .and_then(|e| eval(&e, &Scope::default()).ok())
        .unwrap_or_else(|| Value::String(s.to_string()))
}

fn read_file(cfg: &Config, path: &Path, out: &mut BTreeMap<String, (Value, Loc)>, explicit: bool) -> Result<(), Error> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let src = std::fs::read_to_string(path).map_err(|e| Error::Syntax(format!("{}: {e}", path.display())))?;
    let body = crate::config::parse(&name, &src)?;
    for a in body.attributes() {
        let loc = Loc::find(&name, &src, 0, a.key());
        if !cfg.variables.contains_key(a.key()) {
            if explicit {
                return Err(Error::config(&loc, format!("no variable {:?} is declared", a.key())));
            }
            // Terraform only warns for undeclared values in automatic files.
            eprintln!(
                "Warning: {loc}: a value for undeclared variable {:?} (declare it with a variable block, or remove it)",
                a.key()
            );
            continue;
        }
        let v = eval(a.expr(), &Scope::default()).map_err(|m| Error::config(&loc, m))?;
        out.insert(a.key().to_string(), (v, loc));
    }
    Ok(())
}

/// Every declared variable's type constraint (`any` where none is given).
pub fn types(cfg: &Config) -> BTreeMap<String, Type> {
    cfg.variables
        .iter()
        .map(|(n, d)| {
            let t = d.type_expr.as_ref().and_then(|t| type_of(t).ok()).unwrap_or(Type::Dynamic);
            (n.clone(), crate::lang::types::concrete(&t))
        })
        .collect()
}

/// `var.*`: every declared variable's value, typed and validated.
pub fn values(cfg: &Config, args: &[VarArg]) -> Result<BTreeMap<String, Value>, Error> {
    let mut given = given(cfg, args)?;
    let mut out = BTreeMap::new();
    for (name, decl) in &cfg.variables {
        let missing = || {
            format!(
                "no value for required variable {name:?}; set it with -var {name}=..., a .tfvars file or TF_VAR_{name}"
            )
        };
        out.insert(name.clone(), finish(name, decl, given.remove(name), missing)?);
    }
    Ok(out)
}

/// A module's input variables from the arguments of its call (evaluated
/// in the calling module, each with where it is written): typed, with
/// defaults, and validated. An argument no variable declares is an error.
pub fn module_values(
    cfg: &Config,
    call: &str,
    mut given: BTreeMap<String, (Value, Loc)>,
) -> Result<BTreeMap<String, Value>, Error> {
    if let Some((name, (_, loc))) = given.iter().find(|(k, _)| !cfg.variables.contains_key(*k)) {
        let hint = crate::error::did_you_mean(name, cfg.variables.keys().map(String::as_str));
        return Err(Error::config(
            loc,
            format!("{call}: Unsupported argument: the module has no variable named {name:?}{hint}"),
        ));
    }
    let mut out = BTreeMap::new();
    for (name, decl) in &cfg.variables {
        let missing = || format!("{call}: the input variable {name:?} is required, but no value is given for it");
        out.insert(name.clone(), finish(name, decl, given.remove(name), missing)?);
    }
    Ok(out)
}

/// One variable's value: given, or its default (else `missing` says why
/// not), typed, with `optional()` defaults filled in, and validated.
fn finish(
    name: &str,
    decl: &Variable,
    given: Option<(Value, Loc)>,
    missing: impl FnOnce() -> String,
) -> Result<Value, Error> {
    let ty = match &decl.type_expr {
        Some(t) => type_of(t).map_err(|m| Error::config(&decl.loc, format!("variable {name:?}: {m}")))?,
        None => Type::Dynamic,
    };
    let (value, loc) = match (given, &decl.default) {
        (Some(v), _) => v,
        (None, Some(e)) => (eval(e, &Scope::default()).map_err(|m| Error::config(&decl.loc, m))?, decl.loc.clone()),
        (None, None) => return Err(Error::config(&decl.loc, missing())),
    };
    {
        if value.is_null() && !decl.nullable {
            return Err(Error::config(&loc, format!("variable {name:?} must not be null")));
        }
        let value = convert(value, &ty)
            .map_err(|m| Error::config(&loc, format!("invalid value for variable {name:?}: {m}")))?;
        let value = match &decl.type_expr {
            Some(t) => defaults(t, value).map_err(|m| Error::config(&decl.loc, format!("variable {name:?}: {m}")))?,
            None => value,
        };
        validate(name, decl, &value)?;
        Ok(value)
    }
}

/// Fills the defaults of `optional(type, default)` attributes that a
/// value leaves null, through collections, as Terraform does.
fn defaults(t: &Expression, v: Value) -> Result<Value, String> {
    let Expression::FuncCall(f) = t else { return Ok(v) };
    let arg = f.args.first();
    Ok(match (f.name.to_string().as_str(), v, arg) {
        ("list" | "set" | "tuple", Value::List(x), Some(e)) => Value::List(each(e, x)?),
        ("list" | "set" | "tuple", Value::Set(x), Some(e)) => Value::Set(crate::lang::types::set_order(each(e, x)?)),
        ("map", Value::Map(m), Some(e)) => {
            Value::Map(m.into_iter().map(|(k, x)| Ok((k, defaults(e, x)?))).collect::<Result<_, String>>()?)
        }
        ("object", Value::Object(mut m), Some(Expression::Object(attrs))) => {
            for (k, at) in attrs {
                let k = k.to_string().trim_matches('"').to_string();
                let Some(mut x) = m.remove(&k) else { continue };
                // `optional(T, D)`: a null takes D; then T's own defaults apply
                // (to the value given or to D, which may hold objects too).
                let inner = match at {
                    Expression::FuncCall(o) if o.name.to_string() == "optional" => {
                        if let (true, Some(t), Some(d)) = (x.is_null(), o.args.first(), o.args.get(1)) {
                            let d = eval(d, &Scope::default())?;
                            x = convert(d, &type_of(t)?).map_err(|e| format!("default for {k:?}: {e}"))?;
                        }
                        o.args.first()
                    }
                    other => Some(other),
                };
                if let Some(t) = inner {
                    x = defaults(t, x)?;
                }
                m.insert(k, x);
            }
            Value::Object(m)
        }
        (_, v, _) => v,
    })
}

fn each(e: &Expression, xs: Vec<Value>) -> Result<Vec<Value>, String> {
    xs.into_iter().map(|x| defaults(e, x)).collect()
}

/// Runs a variable's `validation` blocks against its value.
fn validate(name: &str, decl: &Variable, value: &Value) -> Result<(), Error> {
    let scope = Scope { vars: BTreeMap::from([(name.to_string(), value.clone())]), ..Scope::default() };
    for v in &decl.validations {
        let ok = eval(&v.condition, &scope).map_err(|m| Error::config(&v.loc, format!("validation condition: {m}")))?;
        match ok {
            // A module input not known until apply passes for now (Terraform
            // checks it again during apply; aigw does not yet).
            Value::Bool(true) | Value::Unknown(_) => {}
            Value::Bool(false) => {
                let msg = match eval(&v.error_message, &scope) {
                    Ok(Value::String(s)) => s,
                    _ => v.error_message.to_string(),
                };
                return Err(Error::config(&v.loc, format!("invalid value for variable {name:?}: {msg}")));
            }
            other => {
                return Err(Error::config(&v.loc, format!("validation condition must be a bool, got {other:?}")));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(dir: &Path, tf: &str) -> Config {
        std::fs::write(dir.join("main.tf"), tf).unwrap();
        Config::load(dir).unwrap()
    }

    #[test]
    fn values_come_from_every_source_in_terraform_order_and_are_typed_and_validated() {
        let d = tempfile::tempdir().unwrap();
        let c = cfg(
            d.path(),
            "variable \"ttl\" {\n  type = number\n  default = 60\n  validation {\n    condition = var.ttl >= 60\n    error_message = \"ttl must be at least 60\"\n  }\n}\nvariable \"teams\" {\n  type = list(string)\n  default = []\n}\n",
        );
        let v = values(&c, &[]).unwrap();
        assert_eq!(v["ttl"], Value::int(60));
        std::fs::write(d.path().join("terraform.tfvars"), "ttl = 120\n").unwrap();
        std::fs::write(d.path().join("b.auto.tfvars"), "ttl = 300\nteams = [\"a\"]\n").unwrap();
        let v = values(&c, &[]).unwrap();
        assert_eq!((v["ttl"].clone(), v["teams"].clone()), (Value::int(300), Value::List(vec![Value::from("a")])));
        let v =
            values(&c, &[VarArg::Var("ttl".into(), "900".into()), VarArg::Var("teams".into(), "[\"x\",\"y\"]".into())])
                .unwrap();
        assert_eq!(v["ttl"], Value::int(900));
        assert_eq!(v["teams"], Value::List(vec![Value::from("x"), Value::from("y")]));
        let e = values(&c, &[VarArg::Var("ttl".into(), "10".into())]).unwrap_err().to_string();
        assert!(e.contains("main.tf:5:17: invalid value for variable \"ttl\": ttl must be at least 60"), "{e}");
        let e = values(&c, &[VarArg::Var("ttl".into(), "soon".into())]).unwrap_err().to_string();
        assert!(e.contains("a number is required"), "{e}");
        std::fs::write(d.path().join("x.tfvars"), "nope = 1\n").unwrap();
        let e = values(&c, &[VarArg::File("x.tfvars".into())]).unwrap_err().to_string();
        assert!(e.starts_with("x.tfvars:1:1: no variable \"nope\" is declared"), "{e}");
    }
}
