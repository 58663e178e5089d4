//! The provider processes of a run: one per provider the configuration
//! uses, launched over tfplugin6 and configured from its `provider` block.
use std::collections::BTreeMap;

use tfplugin::client::PluginClient;
use tfplugin::{Type, Value};

use crate::config::Config;
use crate::discovery::find_provider;
use crate::error::{Error, check};
use crate::eval::{Scope, convert, eval};

pub struct Providers {
    clients: BTreeMap<String, (String, PluginClient)>,
}

/// The address Terraform records for a provider source in state.
pub fn state_address(source: &str) -> String {
    let full =
        if source.matches('/').count() == 1 { format!("registry.terraform.io/{source}") } else { source.to_string() };
    format!("provider[\"{full}\"]")
}

impl Providers {
    /// Launches and configures every provider that `cfg` or `state` uses.
    pub async fn start(
        cfg: &Config,
        state: &crate::state::State,
        scope: &Scope,
        overrides: &BTreeMap<String, BTreeMap<String, Value>>,
    ) -> Result<Providers, Error> {
        let mut clients = BTreeMap::new();
        let mut used: std::collections::BTreeSet<&str> = cfg.resources.iter().map(|r| r.provider()).collect();
        used.extend(state.resources.iter().filter_map(|r| r.type_name.split('_').next()));
        for local in used {
            let source = cfg.required_providers.get(local).cloned().unwrap_or_else(|| format!("hashicorp/{local}"));
            let bin = find_provider(&source)?;
            let client = PluginClient::launch(&bin, &[]).await?;
            let schema = client.schemas().provider.clone();
            let mut config = Value::null_object(&schema.value_type());
            if let Some((attrs, loc)) = cfg.provider_blocks.get(local) {
                for (k, e) in attrs {
                    let ty: Type = schema
                        .attribute(k)
                        .map(|a| a.value_type())
                        .ok_or_else(|| Error::config(loc, format!("provider {local} has no argument {k:?}")))?;
                    let v = eval(e, scope)
                        .and_then(|v| convert(v, &ty))
                        .map_err(|m| Error::config(loc, format!("{k}: {m}")))?;
                    config.set_attr(k, v);
                }
            }
            for (k, v) in overrides.get(local).into_iter().flatten() {
                config.set_attr(k, v.clone());
            }
            check(&client.validate_provider_config(&config).await?, &format!("provider {local}"))?;
            check(&client.configure(crate::state::TERRAFORM_VERSION, &config).await?, &format!("provider {local}"))?;
            clients.insert(local.to_string(), (source, client));
        }
        Ok(Providers { clients })
    }

    pub fn get(&self, local: &str) -> Result<(&str, &PluginClient), Error> {
        self.clients
            .get(local)
            .map(|(s, c)| (s.as_str(), c))
            .ok_or_else(|| Error::Provider(format!("{local} is not configured")))
    }

    /// Shuts every provider down.
    pub async fn stop(self) {
        for (_, (_, c)) in self.clients {
            let _ = c.shutdown().await;
        }
    }
}
