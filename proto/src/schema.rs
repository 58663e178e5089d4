//! Schemas for providers, resources and data sources, with a small builder.
//! A schema's block implies the cty object type its values follow.
use std::collections::BTreeMap;

use crate::value::Type;

/// A versioned schema: the top-level block of a provider, resource or data source.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Schema {
    pub version: i64,
    pub block: Block,
}

impl Schema {
    pub fn new(version: i64, block: Block) -> Schema {
        Schema { version, block }
    }
    /// The object type of values that follow this schema.
    pub fn value_type(&self) -> Type {
        self.block.implied_type()
    }
    pub fn attribute(&self, name: &str) -> Option<&Attribute> {
        self.block.attributes.iter().find(|a| a.name == name)
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Block {
    pub attributes: Vec<Attribute>,
    pub block_types: Vec<NestedBlock>,
    pub description: String,
    pub deprecated: bool,
}

impl Block {
    pub fn new(description: impl Into<String>) -> Block {
        Block { description: description.into(), ..Block::default() }
    }
    pub fn attr(mut self, a: Attribute) -> Block {
        self.attributes.push(a);
        self
    }
    pub fn block(mut self, b: NestedBlock) -> Block {
        self.block_types.push(b);
        self
    }
    pub fn implied_type(&self) -> Type {
        let mut attrs: BTreeMap<String, Type> =
            self.attributes.iter().map(|a| (a.name.clone(), a.value_type())).collect();
        for b in &self.block_types {
            let inner = b.block.implied_type();
            let t = match b.nesting {
                Nesting::Single | Nesting::Group => inner,
                Nesting::List => Type::list(inner),
                Nesting::Set => Type::set(inner),
                Nesting::Map => Type::map(inner),
            };
            attrs.insert(b.type_name.clone(), t);
        }
        Type::Object { attrs, optional: Default::default() }
    }
}

/// An attribute's type: a plain cty type, or (protocol 6) nested attributes.
#[derive(Debug, Clone, PartialEq)]
pub enum AttributeType {
    Type(Type),
    Nested(NestedObject),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    pub name: String,
    pub ty: AttributeType,
    pub description: String,
    pub required: bool,
    pub optional: bool,
    pub computed: bool,
    pub sensitive: bool,
    pub deprecated: bool,
    pub write_only: bool,
}

impl Attribute {
    pub fn new(name: impl Into<String>, ty: Type) -> Attribute {
        Attribute {
            name: name.into(),
            ty: AttributeType::Type(ty),
            description: String::new(),
            required: false,
            optional: false,
            computed: false,
            sensitive: false,
            deprecated: false,
            write_only: false,
        }
    }
    pub fn nested(name: impl Into<String>, obj: NestedObject) -> Attribute {
        Attribute { ty: AttributeType::Nested(obj), ..Attribute::new(name, Type::Dynamic) }
    }
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }
    pub fn computed(mut self) -> Self {
        self.computed = true;
        self
    }
    pub fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
    /// Write-only (Terraform 1.11+): the value is in the configuration
    /// only, never in a plan or state; the provider must return it null.
    pub fn write_only(mut self) -> Self {
        self.write_only = true;
        self
    }
    pub fn describe(mut self, d: impl Into<String>) -> Self {
        self.description = d.into();
        self
    }
    pub fn value_type(&self) -> Type {
        match &self.ty {
            AttributeType::Type(t) => t.clone(),
            AttributeType::Nested(o) => o.value_type(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nesting {
    Single,
    List,
    Set,
    Map,
    Group,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NestedBlock {
    pub type_name: String,
    pub block: Block,
    pub nesting: Nesting,
    pub min_items: i64,
    pub max_items: i64,
}

/// Nested attributes (protocol 6): an object, or a collection of objects.
#[derive(Debug, Clone, PartialEq)]
pub struct NestedObject {
    pub attributes: Vec<Attribute>,
    /// Only Single, List, Set and Map are valid here.
    pub nesting: Nesting,
}

impl NestedObject {
    pub fn value_type(&self) -> Type {
        let obj = Type::Object {
            attrs: self.attributes.iter().map(|a| (a.name.clone(), a.value_type())).collect(),
            optional: Default::default(),
        };
        match self.nesting {
            Nesting::Single | Nesting::Group => obj,
            Nesting::List => Type::list(obj),
            Nesting::Set => Type::set(obj),
            Nesting::Map => Type::map(obj),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_implies_object_type() {
        let b = Block::new("x")
            .attr(Attribute::new("name", Type::String).required())
            .attr(Attribute::nested(
                "steps",
                NestedObject { attributes: vec![Attribute::new("p", Type::String)], nesting: Nesting::List },
            ))
            .block(NestedBlock {
                type_name: "timeouts".into(),
                block: Block::new("").attr(Attribute::new("create", Type::String).optional()),
                nesting: Nesting::Single,
                min_items: 0,
                max_items: 1,
            });
        assert_eq!(
            b.implied_type().to_json().to_string(),
            r#"["object",{"name":"string","steps":["list",["object",{"p":"string"}]],"timeouts":["object",{"create":"string"}]}]"#
        );
    }
}
