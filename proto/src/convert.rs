//! Conversions between the generated protobuf types and ours. Nothing else
//! in the crate builds or reads protobuf messages by hand.
use crate::Error;
use crate::diag::{AttributePath, Diagnostic, Diagnostics, PathStep, Severity};
use crate::pb::tfplugin6 as pb;
use crate::schema::{Attribute, AttributeType, Block, NestedBlock, NestedObject, Nesting, Schema};
use crate::value::{Type, Value, decode_json, decode_msgpack, encode_msgpack};

pub(crate) fn path_to_pb(p: &AttributePath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: p
            .0
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attr(a) => Selector::AttributeName(a.clone()),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

pub(crate) fn path_from_pb(p: &pb::AttributePath) -> AttributePath {
    use pb::attribute_path::step::Selector;
    AttributePath(
        p.steps
            .iter()
            .filter_map(|s| {
                Some(match s.selector.as_ref()? {
                    Selector::AttributeName(a) => PathStep::Attr(a.clone()),
                    Selector::ElementKeyString(k) => PathStep::Key(k.clone()),
                    Selector::ElementKeyInt(i) => PathStep::Index(*i),
                })
            })
            .collect(),
    )
}

pub(crate) fn diags_to_pb(d: &Diagnostics) -> Vec<pb::Diagnostic> {
    d.iter()
        .map(|d| pb::Diagnostic {
            severity: match d.severity {
                Severity::Error => pb::diagnostic::Severity::Error,
                Severity::Warning => pb::diagnostic::Severity::Warning,
            } as i32,
            summary: d.summary.clone(),
            detail: d.detail.clone(),
            attribute: d.attribute.as_ref().map(path_to_pb),
        })
        .collect()
}

pub(crate) fn diags_from_pb(d: &[pb::Diagnostic]) -> Diagnostics {
    Diagnostics(
        d.iter()
            .map(|d| Diagnostic {
                severity: if d.severity == pb::diagnostic::Severity::Warning as i32 {
                    Severity::Warning
                } else {
                    Severity::Error
                },
                summary: d.summary.clone(),
                detail: d.detail.clone(),
                attribute: d.attribute.as_ref().map(path_from_pb),
            })
            .collect(),
    )
}

/// Decodes a DynamicValue: msgpack when present, else JSON, else null.
pub(crate) fn dv_decode(dv: Option<&pb::DynamicValue>, ty: &Type) -> Result<Value, Error> {
    match dv {
        Some(dv) if !dv.msgpack.is_empty() => decode_msgpack(&dv.msgpack, ty),
        Some(dv) if !dv.json.is_empty() => {
            let j: serde_json::Value = serde_json::from_slice(&dv.json).map_err(|e| Error::Decode(e.to_string()))?;
            decode_json(&j, ty)
        }
        _ => Ok(Value::Null),
    }
}

/// Encodes a value as a msgpack DynamicValue (the protocol's preferred form).
pub(crate) fn dv_encode(v: &Value, ty: &Type) -> Result<pb::DynamicValue, Error> {
    Ok(pb::DynamicValue { msgpack: encode_msgpack(v, ty)?, json: Vec::new() })
}

fn nesting_to_pb(n: Nesting) -> i32 {
    use pb::schema::nested_block::NestingMode as M;
    (match n {
        Nesting::Single => M::Single,
        Nesting::List => M::List,
        Nesting::Set => M::Set,
        Nesting::Map => M::Map,
        Nesting::Group => M::Group,
    }) as i32
}

fn nesting_from_pb(n: i32) -> Result<Nesting, Error> {
    Ok(match n {
        1 => Nesting::Single,
        2 => Nesting::List,
        3 => Nesting::Set,
        4 => Nesting::Map,
        5 => Nesting::Group,
        other => return Err(Error::Schema(format!("invalid nesting mode {other}"))),
    })
}

fn attr_to_pb(a: &Attribute) -> pb::schema::Attribute {
    let (ty, nested) = match &a.ty {
        AttributeType::Type(t) => (t.to_json_bytes(), None),
        AttributeType::Nested(o) => (
            Vec::new(),
            Some(pb::schema::Object {
                attributes: o.attributes.iter().map(attr_to_pb).collect(),
                nesting: nesting_to_pb(o.nesting),
                ..Default::default()
            }),
        ),
    };
    pb::schema::Attribute {
        name: a.name.clone(),
        r#type: ty,
        nested_type: nested,
        description: a.description.clone(),
        required: a.required,
        optional: a.optional,
        computed: a.computed,
        sensitive: a.sensitive,
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: a.deprecated,
        write_only: a.write_only,
    }
}

fn attr_from_pb(a: &pb::schema::Attribute) -> Result<Attribute, Error> {
    let ty = match &a.nested_type {
        Some(o) => AttributeType::Nested(NestedObject {
            attributes: o.attributes.iter().map(attr_from_pb).collect::<Result<_, _>>()?,
            nesting: nesting_from_pb(o.nesting)?,
        }),
        None => AttributeType::Type(Type::from_json_bytes(&a.r#type)?),
    };
    Ok(Attribute {
        name: a.name.clone(),
        ty,
        description: a.description.clone(),
        required: a.required,
        optional: a.optional,
        computed: a.computed,
        sensitive: a.sensitive,
        deprecated: a.deprecated,
        write_only: a.write_only,
    })
}

fn block_to_pb(b: &Block, version: i64) -> pb::schema::Block {
    pb::schema::Block {
        version,
        attributes: b.attributes.iter().map(attr_to_pb).collect(),
        block_types: b
            .block_types
            .iter()
            .map(|nb| pb::schema::NestedBlock {
                type_name: nb.type_name.clone(),
                block: Some(block_to_pb(&nb.block, 0)),
                nesting: nesting_to_pb(nb.nesting),
                min_items: nb.min_items,
                max_items: nb.max_items,
            })
            .collect(),
        description: b.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: b.deprecated,
    }
}

fn block_from_pb(b: &pb::schema::Block) -> Result<Block, Error> {
    Ok(Block {
        attributes: b.attributes.iter().map(attr_from_pb).collect::<Result<_, _>>()?,
        block_types: b
            .block_types
            .iter()
            .map(|nb| {
                Ok(NestedBlock {
                    type_name: nb.type_name.clone(),
                    block: nb.block.as_ref().map(block_from_pb).transpose()?.unwrap_or_default(),
                    nesting: nesting_from_pb(nb.nesting)?,
                    min_items: nb.min_items,
                    max_items: nb.max_items,
                })
            })
            .collect::<Result<_, Error>>()?,
        description: b.description.clone(),
        deprecated: b.deprecated,
    })
}

pub(crate) fn schema_to_pb(s: &Schema) -> pb::Schema {
    pb::Schema { version: s.version, block: Some(block_to_pb(&s.block, s.version)) }
}

pub(crate) fn schema_from_pb(s: &pb::Schema) -> Result<Schema, Error> {
    Ok(Schema { version: s.version, block: s.block.as_ref().map(block_from_pb).transpose()?.unwrap_or_default() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_and_diagnostics_survive_the_wire() {
        let s = Schema::new(
            2,
            Block::new("thing").attr(Attribute::new("id", Type::String).required()).attr(Attribute::nested(
                "steps",
                NestedObject { attributes: vec![Attribute::new("x", Type::Number).optional()], nesting: Nesting::List },
            )),
        );
        assert_eq!(schema_from_pb(&schema_to_pb(&s)).unwrap(), s);
        let mut d = Diagnostics::new();
        d.attribute_error(AttributePath::root("steps").index(0).attr("x").key("k"), "bad", "worse");
        d.warning("w", "");
        assert_eq!(diags_from_pb(&diags_to_pb(&d)), d);
    }
}
