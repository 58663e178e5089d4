//! One resource's configuration, evaluated: which instances it has
//! (`count`/`for_each`), each instance's configuration value typed by the
//! provider's schema (attributes, nested and `dynamic` blocks), where the
//! values land for references, Core's proposed new state, and
//! `ignore_changes`.
use std::collections::BTreeMap;

use tfplugin::schema::{Block, Nesting, Schema};
use tfplugin::{Type, Value};

use crate::config::{NestedBlock, Repeat, Resource};
use crate::error::{Error, Loc};
use crate::lang::{Scope, Val, convert, eval, eval_typed};

/// One instance: its key, and what `count` or `each` is for it.
pub type InstanceKey = (Option<serde_json::Value>, Option<(String, Value)>);

/// The address of one instance: `aigw_gateway.g`, `...g[0]`, `...g["a"]`.
pub fn address(base: &str, key: &Option<serde_json::Value>) -> String {
    match key {
        None => base.to_string(),
        Some(serde_json::Value::String(k)) => format!("{base}[{k:?}]"),
        Some(k) => format!("{base}[{k}]"),
    }
}

/// Puts one instance's value where references find it: the value itself,
/// an element of a list (count) or an entry of a map (for_each). Data
/// sources live under the `data` root.
pub fn set_instance(scope: &mut Scope, type_name: &str, name: &str, key: &Option<serde_json::Value>, v: Value) {
    let slot = match type_name.strip_prefix("data.") {
        Some(ty) => {
            let all = scope.resources.entry("data".into()).or_default().entry(ty.to_string()).or_insert(Value::Null);
            if !matches!(all, Value::Object(_)) {
                *all = Value::Object(Default::default());
            }
            let Value::Object(m) = all else { return };
            m.entry(name.to_string()).or_insert(Value::Null)
        }
        None => {
            scope.resources.entry(type_name.to_string()).or_default().entry(name.to_string()).or_insert(Value::Null)
        }
    };
    match key {
        None => *slot = v,
        Some(serde_json::Value::Number(n)) => {
            let i = n.as_u64().unwrap_or(0) as usize;
            if !matches!(slot, Value::Tuple(_)) {
                *slot = Value::Tuple(Vec::new());
            }
            if let Value::Tuple(items) = slot {
                if items.len() <= i {
                    items.resize(i + 1, Value::Null);
                }
                items[i] = v;
            }
        }
        Some(k) => {
            if !matches!(slot, Value::Object(_)) {
                *slot = Value::Object(Default::default());
            }
            if let Value::Object(m) = slot {
                m.insert(k.as_str().unwrap_or_default().to_string(), v);
            }
        }
    }
}

/// The instances a resource has, by Terraform's rules: `count` a known
/// whole number; `for_each` a map or object whose keys are known (its
/// values may be unknown) or a wholly known set of strings; neither
/// null nor sensitive.
pub fn instances(r: &Resource, scope: &Scope) -> Result<Vec<InstanceKey>, Error> {
    let Some(rep) = &r.repeat else { return Ok(vec![(None, None)]) };
    repeat_instances(rep, r.loc_of(rep.keyword()), &r.address(), scope)
}

/// The instances `count` or `for_each` (written at `loc`, on `what`) makes.
pub fn repeat_instances(rep: &Repeat, loc: &Loc, what: &str, scope: &Scope) -> Result<Vec<InstanceKey>, Error> {
    let v = eval_typed(rep.expr(), scope).map_err(|m| Error::config(loc, format!("{what}: {m}")))?;
    let fail = |summary: &str, detail: &str| Error::config(loc, format!("{what}: {summary}: {detail}"));
    match rep {
        Repeat::Count(_) => count_instances(v).map_err(|d| fail("Invalid count argument", &d)),
        Repeat::ForEach(_) => for_each_instances(v).map_err(|(s, d)| fail(s, &d)),
    }
}

fn count_instances(v: Val) -> Result<Vec<InstanceKey>, String> {
    if v.sensitive {
        return Err("Sensitive values, or values derived from sensitive values, cannot be used as count arguments. If used, the sensitive value could be exposed as a resource instance key.".into());
    }
    let n = match v.v {
        Value::Null => return Err(r#"The given "count" argument value is null. An integer is required."#.into()),
        Value::Unknown(_) => return Err(r#"The "count" value depends on resource attributes that cannot be determined until apply, so Terraform cannot predict how many instances will be created. To work around this, use the -target argument to first apply only the resources that the count depends on."#.into()),
        Value::Number(n) => n,
        _ => return Err(r#"The given "count" argument value is unsuitable: number required."#.into()),
    };
    let n = crate::lang::number::Num::parse(&n.to_string())
        .and_then(|x| x.to_i64())
        .ok_or(r#"The given "count" argument value is unsuitable: value must be a whole number, between -9223372036854775808 and 9223372036854775807."#)?;
    if n < 0 {
        return Err(r#"The given "count" argument value is unsuitable: must be greater than or equal to zero."#.into());
    }
    Ok((0..n)
        .map(|i| {
            (Some(serde_json::Value::from(i)), Some(("count".to_string(), Value::object([("index", Value::int(i))]))))
        })
        .collect())
}

const LATER: &str = "Alternatively, you could use the -target planning option to first apply only the resources that the for_each value depends on, and then apply a second time to fully converge.";

fn unknown_set() -> String {
    format!(
        "The \"for_each\" set includes values derived from resource attributes that cannot be determined until apply, and so Terraform cannot determine the full set of keys that will identify the instances of this resource.\n\nWhen working with unknown values in for_each, it's better to use a map value where the keys are defined statically in your configuration and where only the values contain apply-time results.\n\n{LATER}"
    )
}

/// The for_each instances, or the summary and detail Terraform gives.
fn for_each_instances(v: Val) -> Result<Vec<InstanceKey>, (&'static str, String)> {
    const ARG: &str = "Invalid for_each argument";
    const SET: &str = "Invalid for_each set argument";
    if v.sensitive {
        return Err((ARG, "Sensitive values, or values derived from sensitive values, cannot be used as for_each arguments. If used, the sensitive value could be exposed as a resource instance key.".into()));
    }
    let is_set = matches!(v.ty, Type::Set(_));
    let each = |k: String, value: Value| {
        let each = Value::object([("key", Value::from(k.as_str())), ("value", value)]);
        (Some(serde_json::Value::String(k)), Some(("each".to_string(), each)))
    };
    match v.v {
        Value::Null => Err((ARG, r#"The given "for_each" argument value is unsuitable: the given "for_each" argument value is null. A map, or set of strings is allowed."#.into())),
        Value::Unknown(_) if is_set => Err((ARG, unknown_set())),
        Value::Unknown(_) if matches!(v.ty, Type::Map(_) | Type::Object { .. } | Type::Dynamic) => Err((ARG, format!("The \"for_each\" map includes keys derived from resource attributes that cannot be determined until apply, and so Terraform cannot determine the full set of keys that will identify the instances of this resource.\n\nWhen working with unknown values in for_each, it's better to define the map keys statically in your configuration and place apply-time results only in the map values.\n\n{LATER}"))),
        Value::Object(m) | Value::Map(m) if matches!(v.ty, Type::Map(_) | Type::Object { .. }) => {
            Ok(m.into_iter().map(|(k, v)| each(k, v)).collect())
        }
        Value::Set(items) if is_set => {
            let Type::Set(elem) = &v.ty else { return Ok(Vec::new()) };
            if !matches!(**elem, Type::String | Type::Dynamic) {
                return Err((SET, format!("The given \"for_each\" argument value is unsuitable: \"for_each\" supports maps and sets of strings, but you have provided a set containing type {}.", crate::lang::types::friendly_name(elem))));
            }
            items
                .into_iter()
                .map(|k| match k {
                    Value::String(k) => Ok(each(k.clone(), Value::String(k))),
                    Value::Null => Err((SET, r#"The given "for_each" argument value is unsuitable: "for_each" sets must not contain null values."#.into())),
                    _ => Err((ARG, unknown_set())),
                })
                .collect()
        }
        _ => Err((ARG, format!("The given \"for_each\" argument value is unsuitable: the \"for_each\" argument must be a map, or set of strings, and you have provided a value of type {}.", crate::lang::types::friendly_name(&v.ty)))),
    }
}

/// The configuration value of a resource instance, typed by its schema.
/// `count`/`each` must already be in `scope.extra`.
pub fn resource_config(r: &Resource, schema: &Schema, scope: &Scope) -> Result<Value, Error> {
    body_value(&r.address(), &r.attributes, &r.blocks, &schema.block, scope, r, &r.loc)
}

fn body_value(
    path: &str,
    attributes: &[(String, hcl::Expression)],
    blocks: &[NestedBlock],
    schema: &Block,
    scope: &Scope,
    r: &Resource,
    loc: &Loc,
) -> Result<Value, Error> {
    check_level(path, attributes, blocks, schema, r, loc)?;
    let mut v = Value::null_object(&schema.implied_type());
    let here = |k: &str| if path != r.address() { loc } else { r.loc_of(k) };
    for (k, e) in attributes {
        let Some(attr) = schema.attributes.iter().find(|a| &a.name == k) else { continue };
        let ty: Type = attr.value_type();
        let value = eval(e, scope)
            .and_then(|x| convert(x, &ty))
            .map_err(|m| Error::config(here(k), format!("{path}.{k}: {m}")))?;
        v.set_attr(k, value);
    }
    for bt in &schema.block_types {
        let mut items: Vec<(Option<String>, Value)> = Vec::new();
        for b in blocks.iter().filter(|b| b.type_name == bt.type_name) {
            let sub = format!("{path}.{}", bt.type_name);
            match &b.dynamic {
                None => items.push((None, body_value(&sub, &b.attributes, &b.blocks, &bt.block, scope, r, &b.loc)?)),
                Some((for_each, iterator)) => {
                    let coll = eval(for_each, scope).map_err(|m| Error::config(&b.loc, format!("{sub}: {m}")))?;
                    let entries: Vec<(Value, Value)> = match coll {
                        Value::Object(m) | Value::Map(m) => {
                            m.into_iter().map(|(k, v)| (Value::from(k.as_str()), v)).collect()
                        }
                        Value::List(x) | Value::Tuple(x) | Value::Set(x) => {
                            x.into_iter().enumerate().map(|(i, v)| (Value::int(i as i64), v)).collect()
                        }
                        Value::Null => Vec::new(),
                        Value::Unknown(_) => {
                            v.set_attr(&bt.type_name, Value::unknown());
                            continue;
                        }
                        other => {
                            return Err(Error::config(
                                &b.loc,
                                format!("{sub}: for_each cannot iterate over {other:?}"),
                            ));
                        }
                    };
                    for (k, e) in entries {
                        let mut inner = scope.clone();
                        inner.extra.insert(iterator.clone(), Value::object([("key", k.clone()), ("value", e)]));
                        let val = body_value(&sub, &b.attributes, &b.blocks, &bt.block, &inner, r, &b.loc)?;
                        items.push((k.as_str().map(str::to_string), val));
                    }
                }
            }
        }
        if let Some(b) = blocks.iter().find(|b| b.type_name == bt.type_name)
            && ((bt.max_items > 0 && items.len() as i64 > bt.max_items) || (items.len() as i64) < bt.min_items)
        {
            return Err(Error::config(
                &b.loc,
                format!(
                    "{path}: {} blocks: {} given, {}..{} allowed",
                    bt.type_name,
                    items.len(),
                    bt.min_items,
                    bt.max_items
                ),
            ));
        }
        let value = match bt.nesting {
            Nesting::Single | Nesting::Group => items.pop().map(|(_, v)| v).unwrap_or(Value::Null),
            Nesting::List => Value::List(items.into_iter().map(|(_, v)| v).collect()),
            Nesting::Set => Value::Set(items.into_iter().map(|(_, v)| v).collect()),
            Nesting::Map => {
                Value::Map(items.into_iter().map(|(k, v)| (k.unwrap_or_default(), v)).collect::<BTreeMap<_, _>>())
            }
        };
        v.set_attr(&bt.type_name, value);
    }
    for a in &schema.attributes {
        if a.required && v.attr(&a.name).is_null() {
            return Err(Error::config(loc, format!("{path}: the argument {:?} is required", a.name)));
        }
    }
    Ok(v)
}

/// One level of a body against its schema: every argument exists and can
/// be set, and every block type exists.
fn check_level(
    path: &str,
    attributes: &[(String, hcl::Expression)],
    blocks: &[NestedBlock],
    schema: &Block,
    r: &Resource,
    loc: &Loc,
) -> Result<(), Error> {
    let here = |k: &str| if path != r.address() { loc } else { r.loc_of(k) };
    for (k, _) in attributes {
        match schema.attributes.iter().find(|a| &a.name == k) {
            None => {
                let hint = if schema.block_types.iter().any(|b| &b.type_name == k) {
                    format!("; {k} is a block, written as {k} {{ ... }}")
                } else {
                    crate::error::did_you_mean(k, schema.attributes.iter().map(|a| a.name.as_str()))
                };
                let at = here(k).narrow(k);
                return Err(Error::config(&at, format!("{path}: unsupported argument {k:?}{hint}")));
            }
            Some(a) if a.computed && !a.optional && !a.required => {
                return Err(Error::config(here(k), format!("{path}: {k:?} is computed and cannot be set")));
            }
            Some(_) => {}
        }
    }
    if let Some(b) = blocks.iter().find(|b| !schema.block_types.iter().any(|t| t.type_name == b.type_name)) {
        return Err(Error::config(&b.loc, format!("{path}: unsupported block type {:?}", b.type_name)));
    }
    Ok(())
}

/// The checks `validate` can make without values: every level passes
/// [`check_level`], and required arguments are written.
pub fn check_shape(r: &Resource, schema: &Schema) -> Result<(), Error> {
    fn walk(
        path: &str,
        attrs: &[(String, hcl::Expression)],
        blocks: &[NestedBlock],
        schema: &Block,
        r: &Resource,
        loc: &Loc,
    ) -> Result<(), Error> {
        check_level(path, attrs, blocks, schema, r, loc)?;
        if let Some(a) = schema.attributes.iter().find(|a| a.required && !attrs.iter().any(|(k, _)| *k == a.name)) {
            return Err(Error::config(loc, format!("{path}: the argument {:?} is required", a.name)));
        }
        for b in blocks {
            if let Some(bt) = schema.block_types.iter().find(|t| t.type_name == b.type_name) {
                walk(&format!("{path}.{}", b.type_name), &b.attributes, &b.blocks, &bt.block, r, &b.loc)?;
            }
        }
        Ok(())
    }
    walk(&r.address(), &r.attributes, &r.blocks, &schema.block, r, &r.loc)
}

/// `lifecycle { ignore_changes }`: the configuration takes the prior
/// values of the ignored attributes.
pub fn ignore_changes(r: &Resource, prior: &Value, config: &mut Value) {
    if prior.is_null() {
        return;
    }
    let Value::Object(m) = prior else { return };
    for (k, v) in m {
        if r.lifecycle.ignore_all || r.lifecycle.ignore_changes.iter().any(|x| x == k) {
            config.set_attr(k, v.clone());
        }
    }
}

/// Core's proposed new state: configuration values, and for computed
/// attributes the configuration leaves out, the prior values.
pub fn proposed_new(schema: &Schema, prior: &Value, config: &Value) -> Value {
    if prior.is_null() {
        return config.clone();
    }
    let mut out = config.clone();
    for a in &schema.block.attributes {
        if a.computed && config.attr(&a.name).is_null() {
            out.set_attr(&a.name, prior.attr(&a.name).clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::schema::{Attribute, NestedBlock as SchemaBlock};

    #[test]
    fn nested_and_dynamic_blocks_become_the_schema_s_collections() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(
            d.path().join("main.tf"),
            "resource \"x_thing\" \"t\" {\n  name = \"a\"\n  rule {\n    port = 80\n  }\n  dynamic \"rule\" {\n    for_each = [443, 8443]\n    content {\n      port = rule.value\n    }\n  }\n}\n",
        )
        .unwrap();
        let cfg = crate::config::Config::load(d.path()).unwrap();
        let rule = Block::new("").attr(Attribute::new("port", Type::Number).required());
        let schema = Schema::new(
            0,
            Block::new("").attr(Attribute::new("name", Type::String).required()).block(SchemaBlock {
                type_name: "rule".into(),
                block: rule,
                nesting: Nesting::List,
                min_items: 0,
                max_items: 0,
            }),
        );
        let v = resource_config(&cfg.resources[0], &schema, &Scope::default()).unwrap();
        let ports: Vec<Value> = match v.attr("rule") {
            Value::List(x) => x.iter().map(|o| o.attr("port").clone()).collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(ports, vec![Value::int(80), Value::int(443), Value::int(8443)]);
    }
}
