//! `aigw console`: expressions evaluated against the configuration
//! (variables, locals) and the state (resource and data source
//! attributes), with results printed as `terraform console` prints them.
use std::path::Path;

use tfplugin::Value;

use crate::config::Config;
use crate::error::Error;
use crate::lang::Scope;
use crate::variables::VarArg;

pub struct Console {
    scope: Scope,
}

impl Console {
    /// The scope of the configuration in `dir` and the state of `store`.
    pub fn open(dir: &Path, var_args: &[VarArg], store: &crate::backend::Store) -> Result<Console, Error> {
        let cfg = Config::load(dir)?;
        let mut scope = Scope { vars: crate::variables::values(&cfg, var_args)?, ..Scope::default() };
        scope.sensitive_vars = cfg.variables.iter().filter(|(_, v)| v.sensitive).map(|(k, _)| k.clone()).collect();
        scope.var_types = crate::variables::types(&cfg);
        scope.extra.insert("path".into(), crate::run::path_value(dir));
        scope.extra.insert("terraform".into(), crate::run::terraform_value(dir, false));
        let state = crate::run::read_state(store)?;
        for r in &state.resources {
            let ty = if r.mode == "data" { format!("data.{}", r.type_name) } else { r.type_name.clone() };
            for i in &r.instances {
                let v = crate::testing::from_json(&i.attributes);
                crate::instance::set_instance(&mut scope, &ty, &r.name, &i.index_key, v);
            }
        }
        let (_, order) = crate::graph::sorted(&cfg)?;
        for node in &order {
            if let Some(name) = node.strip_prefix("local.")
                && let Some((e, _)) = cfg.locals.get(name)
            {
                // What cannot be known without a plan stays unknown, as in Terraform.
                let v = crate::lang::eval(e, &scope).unwrap_or_else(|_| Value::unknown());
                scope.locals.insert(name.to_string(), v);
            }
        }
        Ok(Console { scope })
    }

    /// One expression's value, formatted; or the error, in words.
    pub fn eval(&self, line: &str) -> Result<String, String> {
        let body = crate::config::parse("<console-input>", &format!("x = {line}\n")).map_err(|e| e.to_string())?;
        let expr =
            body.attributes().next().map(|a| a.expr().clone()).ok_or_else(|| "expected an expression".to_string())?;
        // `type(x)` is the console's own function, as in Terraform.
        if let hcl::Expression::FuncCall(f) = &expr
            && f.name.to_string() == "type"
            && let [arg] = f.args.as_slice()
        {
            return crate::lang::eval_typed(arg, &self.scope).map(|v| type_text(&v.ty, 0));
        }
        crate::lang::eval(&expr, &self.scope).map(|v| format(&v, 0))
    }
}

/// A type as the console's `type()` prints it: collections of primitives
/// on one line, anything structural spread over lines, four spaces deep.
fn type_text(t: &tfplugin::Type, depth: usize) -> String {
    use tfplugin::Type;
    let pad = "    ".repeat(depth + 1);
    let end = "    ".repeat(depth);
    let simple = |t: &Type| matches!(t, Type::String | Type::Number | Type::Bool | Type::Dynamic);
    match t {
        Type::List(e) | Type::Set(e) | Type::Map(e) if !simple(e) => {
            let kind = crate::lang::types::name(t);
            let kind = &kind[..kind.find('(').unwrap_or(kind.len())];
            format!("{kind}(\n{pad}{},\n{end})", type_text(e, depth + 1))
        }
        Type::Tuple(ts) if !ts.is_empty() => {
            let items: String = ts.iter().map(|t| format!("{pad}{},\n", type_text(t, depth + 1))).collect();
            format!("tuple([\n{items}{end}])")
        }
        Type::Object { attrs, .. } if !attrs.is_empty() => {
            let items: String =
                attrs.iter().map(|(k, t)| format!("{pad}{k}: {},\n", type_text(t, depth + 1))).collect();
            format!("object({{\n{items}{end}}})")
        }
        other => crate::lang::types::name(other),
    }
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn items(open: &str, xs: &[Value], close: &str, indent: usize) -> String {
    if xs.is_empty() {
        return format!("{open}{close}");
    }
    let pad = " ".repeat(indent + 2);
    let body: String = xs.iter().map(|x| format!("{pad}{},\n", format(x, indent + 2))).collect();
    format!("{open}\n{body}{}{close}", " ".repeat(indent))
}

fn entries(open: &str, m: &std::collections::BTreeMap<String, Value>, close: &str, indent: usize) -> String {
    if m.is_empty() {
        return format!("{open}{close}");
    }
    let pad = " ".repeat(indent + 2);
    let body: String = m.iter().map(|(k, v)| format!("{pad}{} = {}\n", quote(k), format(v, indent + 2))).collect();
    format!("{open}\n{body}{}{close}", " ".repeat(indent))
}

/// A value as `terraform console` shows it: `tolist([...])`, `toset`,
/// `tomap`, quoted object keys, heredocs for multi-line strings.
pub fn format(v: &Value, indent: usize) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Unknown(_) => "(known after apply)".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.contains('\n') && indent == 0 => {
            format!("<<EOT\n{}{}EOT", s, if s.ends_with('\n') { "" } else { "\n" })
        }
        Value::String(s) => quote(s),
        Value::Tuple(xs) => items("[", xs, "]", indent),
        Value::List(xs) => items("tolist([", xs, "])", indent),
        Value::Set(xs) => items("toset([", xs, "])", indent),
        Value::Object(m) => entries("{", m, "}", indent),
        Value::Map(m) => entries("tomap({", m, "})", indent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_print_as_terraform_console_prints_them() {
        let obj = Value::object([("a", Value::int(1)), ("bbb", "x".into())]);
        assert_eq!(format(&obj, 0), "{\n  \"a\" = 1\n  \"bbb\" = \"x\"\n}");
        let list = Value::List(vec!["a".into(), "b".into()]);
        assert_eq!(format(&list, 0), "tolist([\n  \"a\",\n  \"b\",\n])");
        assert_eq!(format(&Value::Map(Default::default()), 0), "tomap({})");
        assert_eq!(format(&"line1\nline2".into(), 0), "<<EOT\nline1\nline2\nEOT");
        assert_eq!(format(&"a\"b".into(), 0), "\"a\\\"b\"");
        let nested = Value::object([("a", Value::object([("b", Value::Tuple(vec![Value::int(1)]))]))]);
        assert_eq!(format(&nested, 0), "{\n  \"a\" = {\n    \"b\" = [\n      1,\n    ]\n  }\n}");
    }
}
