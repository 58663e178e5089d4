//! The blocks beside resources: `module` calls, `check` blocks, and the
//! `precondition`/`postcondition` blocks of a `lifecycle`, each read into
//! the model with where it is written.
use std::collections::BTreeMap;

use hcl::{Body, Expression};

use super::{Check, Config, Lifecycle, Mode, ModuleCall, Repeat, Src, Validation, attrs, resource, traversal_text};
use crate::error::{Error, Loc};

pub(super) fn module_call(src: &Src<'_>, name: &str, body: &Body, loc: Loc) -> Result<ModuleCall, Error> {
    let mut call = ModuleCall {
        name: name.to_string(),
        source: String::new(),
        args: Vec::new(),
        repeat: None,
        depends_on: Vec::new(),
        providers: BTreeMap::new(),
        loc,
        attr_locs: BTreeMap::new(),
        config: Config::default(),
    };
    if let Some(b) = body.blocks().next() {
        return Err(Error::config(
            &call.loc,
            format!("module.{name}: a module call takes no {} block", b.identifier()),
        ));
    }
    for (k, v) in attrs(body) {
        let l = src.attr(&k);
        match (k.as_str(), v) {
            ("source", Expression::String(s)) => call.source = s,
            ("source", _) => return Err(Error::config(&l, format!("module.{name}: source must be a literal string"))),
            ("version", _) => {}
            ("count" | "for_each", _) if call.repeat.is_some() => {
                return Err(Error::config(
                    &l,
                    format!("module.{name}: a module call cannot have both count and for_each"),
                ));
            }
            ("count", e) => call.repeat = Some(Repeat::Count(e)),
            ("for_each", e) => call.repeat = Some(Repeat::ForEach(e)),
            ("depends_on", Expression::Array(items)) => call.depends_on = items.iter().map(traversal_text).collect(),
            ("depends_on", _) => {
                return Err(Error::config(&l, format!("module.{name}: depends_on must be a list of references")));
            }
            ("providers", Expression::Object(o)) => {
                for (child, parent) in o.iter() {
                    call.providers.insert(child.to_string().trim_matches('"').to_string(), traversal_text(parent));
                }
            }
            ("providers", _) => {
                return Err(Error::config(
                    &l,
                    format!("module.{name}: providers must be a map such as {{ aigw = aigw.west }}"),
                ));
            }
            (_, e) => call.args.push((k.clone(), e)),
        }
        call.attr_locs.insert(k, l);
    }
    if call.source.is_empty() {
        return Err(Error::config(&call.loc, format!("module.{name}: a module call needs a source")));
    }
    Ok(call)
}

pub(super) fn check_block(src: &mut Src<'_>, name: &str, body: &Body, loc: Loc) -> Result<Check, Error> {
    let mut check = Check { name: name.to_string(), data: Vec::new(), asserts: Vec::new(), loc };
    for b in body.blocks() {
        match (b.identifier(), b.labels()) {
            ("data", [ty, n]) => {
                let at = src.block(&format!("data \"{}\"", ty.as_str()));
                check.data.push(resource(src, Mode::Data, ty.as_str(), n.as_str(), b.body(), at)?);
            }
            ("assert", []) => {
                let at = src.block("assert");
                let get = |k: &str| b.body().attributes().find(|a| a.key() == k).map(|a| a.expr().clone());
                let (Some(condition), Some(error_message)) = (get("condition"), get("error_message")) else {
                    return Err(Error::config(&at, "an assert block needs condition and error_message"));
                };
                let at = argument(src, at.byte, "condition");
                check.asserts.push(Validation { condition, error_message, loc: at });
            }
            (other, _) => {
                return Err(Error::config(
                    &check.loc,
                    format!("check \"{name}\": a check block holds assert blocks and data blocks, not {other}"),
                ));
            }
        }
    }
    if check.asserts.is_empty() {
        return Err(Error::config(
            &check.loc,
            format!("check \"{name}\": Zero assert blocks: check blocks must have at least one assert block."),
        ));
    }
    Ok(check)
}

/// Where argument `key =` is next written at or after byte `from`.
fn argument(src: &Src<'_>, from: usize, key: &str) -> Loc {
    let mut at = from.min(src.text.len());
    while let Some(i) = src.text.get(at..).and_then(|s| s.find(key)) {
        let start = at + i;
        let rest = src.text[start + key.len()..].trim_start_matches([' ', '\t']);
        let word_start = start == 0 || !src.text[..start].ends_with(|c: char| c.is_alphanumeric() || c == '_');
        if word_start && rest.starts_with('=') && !rest.starts_with("==") {
            return Loc::at(&src.file, src.text, start);
        }
        at = start + key.len();
    }
    Loc::at(&src.file, src.text, from)
}

/// A block's `precondition` and `postcondition` blocks.
pub(super) fn conditions(src: &Src<'_>, body: &Body, l: &mut Lifecycle, loc: &Loc) -> Result<(), Error> {
    let mut from = loc.byte;
    for b in body.blocks() {
        let list = match b.identifier() {
            "precondition" => &mut l.preconditions,
            "postcondition" => &mut l.postconditions,
            _ => continue,
        };
        let get = |k: &str| b.body().attributes().find(|a| a.key() == k).map(|a| a.expr().clone());
        let (Some(condition), Some(error_message)) = (get("condition"), get("error_message")) else {
            return Err(Error::config(loc, format!("a {} block needs condition and error_message", b.identifier())));
        };
        let at = argument(src, from, "condition");
        from = at.byte + 1;
        list.push(Validation { condition, error_message, loc: at });
    }
    Ok(())
}
