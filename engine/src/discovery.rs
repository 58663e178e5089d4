//! Finding a provider binary for a source address, as Terraform does under
//! `dev_overrides` (the CLI config named by `TF_CLI_CONFIG_FILE`), or next
//! to the `aigw` executable for aigw's own provider.
use std::path::{Path, PathBuf};

use crate::error::Error;

fn type_of(source: &str) -> &str {
    source.rsplit('/').next().unwrap_or(source)
}

fn in_dir(dir: &Path, ty: &str) -> Option<PathBuf> {
    let prefix = format!("terraform-provider-{ty}");
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n == prefix || n.strip_prefix(&prefix).is_some_and(|r| r.starts_with('_') || r.starts_with('.'))
            })
        })
        .collect();
    found.sort();
    found.into_iter().next()
}

/// The quoted strings of `text`, in order.
fn quoted(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    let mut escaped = false;
    for c in text.chars() {
        match (&mut cur, c) {
            (Some(s), _) if escaped => {
                s.push(c);
                escaped = false;
            }
            (Some(_), '\\') => escaped = true,
            (Some(_), '"') => out.push(cur.take().unwrap_or_default()),
            (Some(s), _) => s.push(c),
            (None, '"') => cur = Some(String::new()),
            (None, _) => {}
        }
    }
    out
}

/// The dev_overrides directory for `source` in a CLI config, if any. The
/// CLI config allows quoted keys (`"aigw/aigw" = "/dir"`), which hcl-rs
/// does not parse, so the block is read as `"key" = "value"` pairs.
pub fn dev_override(cli_config: &str, source: &str) -> Option<PathBuf> {
    let at = cli_config.find("dev_overrides")?;
    let rest = &cli_config[at..];
    let open = rest.find('{')?;
    let close = open + rest[open..].find('}')?;
    let short = |s: &str| s.trim_start_matches("registry.terraform.io/").to_string();
    quoted(&rest[open + 1..close])
        .chunks(2)
        .find(|kv| kv.len() == 2 && short(&kv[0]) == short(source))
        .map(|kv| PathBuf::from(&kv[1]))
}

/// The binary serving `source` (e.g. `aigw/aigw`).
pub fn find_provider(source: &str) -> Result<PathBuf, Error> {
    let ty = type_of(source);
    if let Ok(cfg) = std::env::var("TF_CLI_CONFIG_FILE")
        && let Ok(text) = std::fs::read_to_string(&cfg)
        && let Some(dir) = dev_override(&text, source)
    {
        return in_dir(&dir, ty).ok_or_else(|| {
            Error::Provider(format!(
                "{source}: no terraform-provider-{ty} in {} (dev_overrides in {cfg})",
                dir.display()
            ))
        });
    }
    let exe = std::env::current_exe()?;
    exe.parent().and_then(|d| in_dir(d, ty)).ok_or_else(|| {
        Error::Provider(format!(
            "{source}: terraform-provider-{ty} not found next to {} and no dev_overrides entry",
            exe.display()
        ))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_dev_overrides() {
        let cfg = r#"provider_installation {
  dev_overrides { "aigw/aigw" = "/opt/aigw" }
  direct {}
}"#;
        assert_eq!(super::dev_override(cfg, "aigw/aigw").unwrap().to_str(), Some("/opt/aigw"));
        assert!(super::dev_override(cfg, "hashicorp/null").is_none());
    }
}
