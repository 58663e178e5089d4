//! `plan -generate-config-out=FILE`: for each `import` block whose target
//! has no `resource` block, the object is imported and read, and a
//! resource block for it is written to FILE (a new file, formatted as
//! `aigw fmt` formats it), so the plan that follows imports it as written.
//! As in Terraform: every argument the schema lets a configuration set,
//! with the object's value (`null` where it has none); read-only
//! attributes are left out; `for_each` imports are refused.
use std::fmt::Write;
use std::path::Path;

use tfplugin::Value;
use tfplugin::provider::ReadRequest;

use crate::error::{Error, check};
use crate::plan::Options;
use crate::run::Run;

/// Writes the configuration of what the import blocks name but the
/// configuration does not declare; returns how many resources it wrote.
pub async fn write(dir: &Path, opts: &Options, file: &Path) -> Result<usize, Error> {
    let path = if file.is_absolute() { file.to_path_buf() } else { dir.join(file) };
    if path.exists() {
        return Err(Error::Syntax(format!(
            "{}: -generate-config-out writes a new file, and this one exists; choose another name or remove it",
            file.display()
        )));
    }
    let mut run = Run::open(dir, opts).await?;
    let result = generate(&mut run).await;
    run.close().await;
    let blocks = result?;
    if blocks.is_empty() {
        return Ok(0);
    }
    let mut text = String::from(
        "# __generated__ by aigw\n# Please review these resources and move them into your main configuration files.\n",
    );
    for b in &blocks {
        text.push('\n');
        text.push_str(b);
    }
    let text = crate::fmt::try_format(&text).map_err(|e| Error::Syntax(format!("generated configuration: {e}")))?;
    std::fs::write(&path, text).map_err(|e| Error::Syntax(format!("{}: {e}", path.display())))?;
    Ok(blocks.len())
}

async fn generate(run: &mut Run) -> Result<Vec<String>, Error> {
    let mut blocks = Vec::new();
    for im in &run.cfg.imports {
        let Some(addr) = crate::imports::resource_of(im) else { continue };
        if run.cfg.resources.iter().any(|r| r.address() == addr) {
            continue;
        }
        if im.for_each.is_some() {
            return Err(Error::config(
                &im.loc,
                format!(
                    "{addr}: configuration generation for for_each imports is not supported, as in Terraform; write the resource block"
                ),
            ));
        }
        let (ty, name) = addr.split_once('.').unwrap_or((&addr, ""));
        let id = match crate::lang::eval(&im.id, &run.scope) {
            Ok(Value::String(s)) => s,
            _ => return Err(Error::config(&im.loc, format!("import {addr}: id must be a known string"))),
        };
        let (_, client) = run.providers.get(ty.split('_').next().unwrap_or(ty))?;
        let schema = client
            .schemas()
            .resources
            .get(ty)
            .cloned()
            .ok_or_else(|| Error::config(&im.loc, format!("the provider has no resource type {ty:?}")))?;
        let resp = client.import_resource_state(ty, &id).await?;
        check(&resp.diagnostics, &addr)?;
        let Some(obj) = resp.imported.into_iter().next() else {
            return Err(Error::config(&im.loc, format!("{addr}: nothing to import for ID {id:?}")));
        };
        let read = client
            .read_resource(ReadRequest { type_name: ty.to_string(), current_state: obj.state, private: obj.private })
            .await?;
        check(&read.diagnostics, &addr)?;
        if read.new_state.is_null() {
            return Err(Error::config(&im.loc, format!("{addr}: Cannot import non-existent remote object {id:?}")));
        }
        let mut b = format!("# __generated__ by aigw from {id:?}\nresource \"{ty}\" \"{name}\" {{\n");
        let mut attrs: Vec<&tfplugin::Attribute> =
            schema.block.attributes.iter().filter(|a| a.required || a.optional).collect();
        attrs.sort_by(|a, b| a.name.cmp(&b.name));
        for a in attrs {
            let v = read.new_state.attr(&a.name);
            let shown = if a.sensitive && !v.is_null() {
                "null # sensitive".to_string()
            } else {
                crate::lang::to_hcl(v).to_string()
            };
            let _ = writeln!(b, "  {} = {shown}", a.name);
        }
        b.push_str("}\n");
        blocks.push(b);
    }
    Ok(blocks)
}
