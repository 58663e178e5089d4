//! Finding the program that serves a provider source address, in
//! Terraform's order: a `dev_overrides` entry in the CLI configuration
//! named by `TF_CLI_CONFIG_FILE`, then what `terraform init` installed in
//! `.terraform/providers`, then, for `aigw/aigw`, the `aigw` binary itself
//! (it carries the provider and serves it as `aigw provider`).
use std::path::{Path, PathBuf};

use tfplugin::client::PluginClient;

use crate::config::Config;
use crate::error::Error;

/// The provider aigw carries.
pub const BUILT_IN: &str = "registry.terraform.io/aigw/aigw";

/// A program to launch for a provider, and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderCommand {
    pub program: PathBuf,
    pub args: Vec<String>,
    /// Where it came from, for `aigw init`: "dev_overrides in FILE", ...
    pub origin: String,
}

/// How [`ProviderCommand::origin`] names the provider `aigw` carries.
const BUILT_IN_ORIGIN: &str = "built into aigw";

impl ProviderCommand {
    /// The provider `aigw` carries (so its version is aigw's).
    pub fn is_built_in(&self) -> bool {
        self.origin == BUILT_IN_ORIGIN
    }

    pub async fn launch(&self) -> Result<PluginClient, Error> {
        Ok(PluginClient::launch_with_args(&self.program, &self.args, &[]).await?)
    }
}

/// `aigw/aigw` → `registry.terraform.io/aigw/aigw`.
pub fn full_source(source: &str) -> String {
    if source.matches('/').count() == 1 { format!("registry.terraform.io/{source}") } else { source.to_string() }
}

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
    quoted(&rest[open + 1..close])
        .chunks(2)
        .find(|kv| kv.len() == 2 && full_source(&kv[0]) == full_source(source))
        .map(|kv| PathBuf::from(&kv[1]))
}

/// The newest version of `source` that `terraform init` installed under
/// `dir/.terraform/providers` for this platform.
fn installed(dir: &Path, source: &str) -> Option<PathBuf> {
    let base = dir.join(".terraform/providers").join(full_source(source));
    let platform = format!("{}_{}", std::env::consts::OS, go_arch());
    let mut versions: Vec<PathBuf> =
        std::fs::read_dir(&base).ok()?.filter_map(|e| e.ok().map(|e| e.path().join(&platform))).collect();
    versions.sort();
    versions.iter().rev().find_map(|d| in_dir(d, type_of(source)))
}

/// Go's name for this machine's architecture, as in provider paths.
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        other => other,
    }
}

/// How to run the provider `local` of `cfg`. A source that cannot be found
/// is an error at its `required_providers` entry that says what to do.
pub fn find_provider(cfg: &Config, local: &str) -> Result<ProviderCommand, Error> {
    let source = full_source(&cfg.source_of(local));
    let ty = type_of(&source).to_string();
    if let Ok(file) = std::env::var("TF_CLI_CONFIG_FILE")
        && let Ok(text) = std::fs::read_to_string(&file)
        && let Some(dir) = dev_override(&text, &source)
    {
        let program = in_dir(&dir, &ty).ok_or_else(|| {
            Error::Provider(format!(
                "{source}: dev_overrides in {file} names {}, which holds no terraform-provider-{ty}; \
                 build it there (cargo build -p terraform-provider-{ty}) or remove the entry",
                dir.display()
            ))
        })?;
        return Ok(ProviderCommand { program, args: Vec::new(), origin: format!("dev_overrides in {file}") });
    }
    if let Some(program) = installed(&cfg.dir, &source) {
        return Ok(ProviderCommand { program, args: Vec::new(), origin: "installed in .terraform/providers".into() });
    }
    if source == BUILT_IN {
        let program = std::env::current_exe()?;
        return Ok(ProviderCommand { program, args: vec!["provider".into()], origin: BUILT_IN_ORIGIN.into() });
    }
    let message = format!(
        "provider {source} is not available: aigw has {BUILT_IN} built in; for any other provider run \
         `terraform init` in this directory (aigw uses .terraform/providers) or add a dev_overrides entry \
         to the file TF_CLI_CONFIG_FILE names"
    );
    let hint = if ty == "aigw" || source.contains("/aigw") {
        format!("{message}. Did you mean source = \"aigw/aigw\"?")
    } else {
        message
    };
    match cfg.required_provider_locs.get(local) {
        Some(loc) => Err(Error::config(loc, hint)),
        None => Err(Error::Provider(hint)),
    }
}

/// Every provider the configuration names, resolved (`validate`, `init`,
/// and every command before it starts work); Terraform's built-in
/// provider needs no binary and is left out.
pub fn check_all(cfg: &Config) -> Result<Vec<(String, ProviderCommand)>, Error> {
    let mut locals: std::collections::BTreeSet<String> = cfg.required_providers.keys().cloned().collect();
    fn walk(cfg: &Config, out: &mut std::collections::BTreeSet<String>) {
        out.extend(cfg.resources.iter().map(|r| r.provider().to_string()));
        cfg.modules.values().for_each(|m| walk(&m.config, out));
    }
    walk(cfg, &mut locals);
    locals
        .into_iter()
        .filter(|l| cfg.source_of(l) != crate::providers::builtin::SOURCE)
        .map(|l| Ok((full_source(&cfg.source_of(&l)), find_provider(cfg, &l)?)))
        .collect()
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
        assert_eq!(super::dev_override(cfg, "registry.terraform.io/aigw/aigw").unwrap().to_str(), Some("/opt/aigw"));
        assert!(super::dev_override(cfg, "hashicorp/null").is_none());
    }
}
