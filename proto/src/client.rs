//! The client (engine) half of the handshake and the protocol: launch a
//! provider binary the way Terraform does, read its handshake line, dial it
//! over tcp or unix with mTLS, and call the RPCs with our own types.
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, BufReader};
use tokio::process::{Child, Command};
use tonic::transport::{Channel, Endpoint, Uri};

use crate::Error;
use crate::convert::{diags_from_pb, dv_decode, dv_encode, path_from_pb, schema_from_pb};
use crate::diag::Diagnostics;
use crate::pb::plugin::grpc_controller_client::GrpcControllerClient;
use crate::pb::tfplugin6 as pb;
use crate::pb::tfplugin6::provider_client::ProviderClient as PbClient;
use crate::provider::{
    ApplyRequest, ApplyResponse, ImportResponse, ImportedResource, PlanRequest, PlanResponse, ProviderSchemas,
    ReadRequest, ReadResponse,
};
use crate::server::{MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE};
use crate::tls;
use crate::value::{Type, Value};

const MAX_MESSAGE: usize = 256 << 20;
const START_TIMEOUT: Duration = Duration::from_secs(60);

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// A parsed go-plugin handshake line.
#[derive(Debug, Clone, PartialEq)]
pub struct Handshake {
    pub protocol_version: u32,
    pub network: String,
    pub address: String,
    /// DER of the server certificate, when the plugin serves TLS.
    pub server_cert: Option<Vec<u8>>,
}

impl Handshake {
    /// Parses `CORE|APP|NETWORK|ADDR|PROTOCOL|SERVERCERT`.
    pub fn parse(line: &str) -> Result<Handshake, Error> {
        let bad = |why: &str| Error::Handshake(format!("{why} in handshake line {line:?}"));
        let parts: Vec<&str> = line.trim().split('|').collect();
        if parts.len() < 5 {
            return Err(bad("too few fields"));
        }
        if parts[0] != "1" {
            return Err(bad("unsupported core protocol version"));
        }
        let protocol_version = parts[1].parse().map_err(|_| bad("bad plugin protocol version"))?;
        if parts[4] != "grpc" {
            return Err(bad("the plugin does not speak grpc"));
        }
        let server_cert = match parts.get(5) {
            Some(c) if c.len() > 50 => Some(
                base64::engine::general_purpose::STANDARD_NO_PAD
                    .decode(c.trim_end_matches('='))
                    .map_err(|_| bad("bad server certificate"))?,
            ),
            _ => None,
        };
        Ok(Handshake { protocol_version, network: parts[2].to_string(), address: parts[3].to_string(), server_cert })
    }
}

/// A running provider plugin and a typed client for it.
pub struct PluginClient {
    child: Option<Child>,
    rpc: PbClient<Channel>,
    controller: GrpcControllerClient<Channel>,
    schemas: ProviderSchemas,
    network: String,
}

async fn dial(hs: &Handshake, me: &tls::Identity) -> Result<Channel, Error> {
    let connector = match &hs.server_cert {
        Some(der) => Some(tokio_rustls::TlsConnector::from(Arc::new(tls::client_config(me, der.clone().into())?))),
        None => None,
    };
    let (network, address) = (hs.network.clone(), hs.address.clone());
    let endpoint = Endpoint::try_from("http://localhost").map_err(|e| Error::Transport(e.to_string()))?;
    let channel = endpoint
        .connect_with_connector(tower::service_fn(move |_: Uri| {
            let (network, address, connector) = (network.clone(), address.clone(), connector.clone());
            async move {
                let raw: Box<dyn Io> = match network.as_str() {
                    "tcp" => {
                        let s = tokio::net::TcpStream::connect(&address).await?;
                        s.set_nodelay(true)?;
                        Box::new(s)
                    }
                    "unix" => Box::new(tokio::net::UnixStream::connect(&address).await?),
                    other => {
                        return Err(std::io::Error::other(format!("unsupported plugin network {other:?}")));
                    }
                };
                let io: Box<dyn Io> = match connector {
                    Some(c) => {
                        let name =
                            rustls::pki_types::ServerName::try_from("localhost").map_err(std::io::Error::other)?;
                        Box::new(c.connect(name, raw).await?)
                    }
                    None => raw,
                };
                Ok::<_, std::io::Error>(TokioIo::new(io))
            }
        }))
        .await
        .map_err(|e| Error::Transport(format!("dialing the plugin at {}: {e}", hs.address)))?;
    Ok(channel)
}

impl PluginClient {
    /// Launches `binary` as Terraform would, completes the handshake and
    /// fetches the schemas.
    pub async fn launch(binary: &Path, envs: &[(String, String)]) -> Result<PluginClient, Error> {
        PluginClient::launch_with_args(binary, &[], envs).await
    }

    /// [`PluginClient::launch`], passing `args` to the plugin (a binary
    /// that serves the protocol as one of its modes, like `aigw provider`).
    pub async fn launch_with_args(
        binary: &Path,
        args: &[String],
        envs: &[(String, String)],
    ) -> Result<PluginClient, Error> {
        let me = tls::generate_identity()?;
        let mut cmd = Command::new(binary);
        cmd.args(args)
            .env(MAGIC_COOKIE_KEY, MAGIC_COOKIE_VALUE)
            .env("PLUGIN_PROTOCOL_VERSIONS", "6")
            .env("PLUGIN_MIN_PORT", "10000")
            .env("PLUGIN_MAX_PORT", "25000")
            .env("PLUGIN_CLIENT_CERT", &me.cert_pem)
            .envs(envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        let mut child =
            cmd.spawn().map_err(|e| Error::Handshake(format!("cannot start plugin {}: {e}", binary.display())))?;
        let stdout = child.stdout.take().ok_or_else(|| Error::Handshake("plugin stdout unavailable".into()))?;
        let mut lines = BufReader::new(stdout).lines();
        let line = match tokio::time::timeout(START_TIMEOUT, lines.next_line()).await {
            Err(_) => return Err(Error::Handshake(format!("{} printed no handshake within 60s", binary.display()))),
            Ok(Err(e)) => return Err(e.into()),
            Ok(Ok(None)) => {
                let status = child.wait().await?;
                return Err(Error::Handshake(format!("{} exited ({status}) before the handshake", binary.display())));
            }
            Ok(Ok(Some(line))) => line,
        };
        let hs = Handshake::parse(&line)?;
        if hs.protocol_version != 6 {
            return Err(Error::Handshake(format!("plugin negotiated protocol {}, not 6", hs.protocol_version)));
        }
        // Keep draining stdout so the plugin never blocks writing to it.
        tokio::spawn(async move {
            while let Ok(Some(l)) = lines.next_line().await {
                tracing::debug!(target: "plugin", "{l}");
            }
        });
        let mut client = PluginClient::connect(&hs, &me).await?;
        client.child = Some(child);
        Ok(client)
    }

    /// Connects to an already-running plugin described by a handshake.
    pub async fn connect(hs: &Handshake, me: &tls::Identity) -> Result<PluginClient, Error> {
        let channel = dial(hs, me).await?;
        let mut rpc = PbClient::new(channel.clone())
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
        let resp = rpc.get_provider_schema(pb::get_provider_schema::Request {}).await?.into_inner();
        let d = diags_from_pb(&resp.diagnostics);
        if d.has_errors() {
            return Err(Error::Diagnostics(d));
        }
        let conv = |m: &std::collections::HashMap<String, pb::Schema>| {
            m.iter().map(|(k, v)| Ok((k.clone(), schema_from_pb(v)?))).collect::<Result<_, Error>>()
        };
        let schemas = ProviderSchemas {
            provider: resp.provider.as_ref().map(schema_from_pb).transpose()?.unwrap_or_default(),
            resources: conv(&resp.resource_schemas)?,
            data_sources: conv(&resp.data_source_schemas)?,
        };
        let network = hs.network.clone();
        Ok(PluginClient { child: None, rpc, controller: GrpcControllerClient::new(channel), schemas, network })
    }

    /// How the plugin is reached: `unix` or `tcp`, from its handshake.
    pub fn network(&self) -> &str {
        &self.network
    }

    pub fn schemas(&self) -> &ProviderSchemas {
        &self.schemas
    }

    fn resource_type(&self, name: &str) -> Result<Type, Error> {
        self.schemas
            .resources
            .get(name)
            .map(|s| s.value_type())
            .ok_or_else(|| Error::Schema(format!("the provider has no resource type {name:?}")))
    }

    fn data_type(&self, name: &str) -> Result<Type, Error> {
        self.schemas
            .data_sources
            .get(name)
            .map(|s| s.value_type())
            .ok_or_else(|| Error::Schema(format!("the provider has no data source {name:?}")))
    }

    pub async fn validate_provider_config(&self, config: &Value) -> Result<Diagnostics, Error> {
        let ty = self.schemas.provider.value_type();
        let req = pb::validate_provider_config::Request { config: Some(dv_encode(config, &ty)?) };
        Ok(diags_from_pb(&self.rpc.clone().validate_provider_config(req).await?.into_inner().diagnostics))
    }

    pub async fn configure(&self, terraform_version: &str, config: &Value) -> Result<Diagnostics, Error> {
        let ty = self.schemas.provider.value_type();
        let req = pb::configure_provider::Request {
            terraform_version: terraform_version.to_string(),
            config: Some(dv_encode(config, &ty)?),
            client_capabilities: None,
        };
        Ok(diags_from_pb(&self.rpc.clone().configure_provider(req).await?.into_inner().diagnostics))
    }

    pub async fn validate_resource_config(&self, type_name: &str, config: &Value) -> Result<Diagnostics, Error> {
        let ty = self.resource_type(type_name)?;
        let req = pb::validate_resource_config::Request {
            type_name: type_name.to_string(),
            config: Some(dv_encode(config, &ty)?),
            client_capabilities: None,
        };
        Ok(diags_from_pb(&self.rpc.clone().validate_resource_config(req).await?.into_inner().diagnostics))
    }

    pub async fn validate_data_source_config(&self, type_name: &str, config: &Value) -> Result<Diagnostics, Error> {
        let ty = self.data_type(type_name)?;
        let req = pb::validate_data_resource_config::Request {
            type_name: type_name.to_string(),
            config: Some(dv_encode(config, &ty)?),
        };
        Ok(diags_from_pb(&self.rpc.clone().validate_data_resource_config(req).await?.into_inner().diagnostics))
    }

    /// Upgrades state stored as JSON (as in a state file) to the current schema.
    pub async fn upgrade_resource_state(
        &self,
        type_name: &str,
        version: i64,
        json: &serde_json::Value,
    ) -> Result<(Value, Diagnostics), Error> {
        let ty = self.resource_type(type_name)?;
        let req = pb::upgrade_resource_state::Request {
            type_name: type_name.to_string(),
            version,
            raw_state: Some(pb::RawState { json: json.to_string().into_bytes(), flatmap: Default::default() }),
        };
        let r = self.rpc.clone().upgrade_resource_state(req).await?.into_inner();
        Ok((dv_decode(r.upgraded_state.as_ref(), &ty)?, diags_from_pb(&r.diagnostics)))
    }

    pub async fn read_resource(&self, req: ReadRequest) -> Result<ReadResponse, Error> {
        let ty = self.resource_type(&req.type_name)?;
        let r = self
            .rpc
            .clone()
            .read_resource(pb::read_resource::Request {
                type_name: req.type_name,
                current_state: Some(dv_encode(&req.current_state, &ty)?),
                private: req.private,
                ..Default::default()
            })
            .await?
            .into_inner();
        Ok(ReadResponse {
            new_state: dv_decode(r.new_state.as_ref(), &ty)?,
            private: r.private,
            diagnostics: diags_from_pb(&r.diagnostics),
        })
    }

    pub async fn plan_resource_change(&self, req: PlanRequest) -> Result<PlanResponse, Error> {
        let ty = self.resource_type(&req.type_name)?;
        let r = self
            .rpc
            .clone()
            .plan_resource_change(pb::plan_resource_change::Request {
                type_name: req.type_name,
                prior_state: Some(dv_encode(&req.prior_state, &ty)?),
                proposed_new_state: Some(dv_encode(&req.proposed_new_state, &ty)?),
                config: Some(dv_encode(&req.config, &ty)?),
                prior_private: req.prior_private,
                ..Default::default()
            })
            .await?
            .into_inner();
        Ok(PlanResponse {
            planned_state: dv_decode(r.planned_state.as_ref(), &ty)?,
            requires_replace: r.requires_replace.iter().map(path_from_pb).collect(),
            planned_private: r.planned_private,
            diagnostics: diags_from_pb(&r.diagnostics),
        })
    }

    pub async fn apply_resource_change(&self, req: ApplyRequest) -> Result<ApplyResponse, Error> {
        let ty = self.resource_type(&req.type_name)?;
        let r = self
            .rpc
            .clone()
            .apply_resource_change(pb::apply_resource_change::Request {
                type_name: req.type_name,
                prior_state: Some(dv_encode(&req.prior_state, &ty)?),
                planned_state: Some(dv_encode(&req.planned_state, &ty)?),
                config: Some(dv_encode(&req.config, &ty)?),
                planned_private: req.planned_private,
                ..Default::default()
            })
            .await?
            .into_inner();
        Ok(ApplyResponse {
            new_state: dv_decode(r.new_state.as_ref(), &ty)?,
            private: r.private,
            diagnostics: diags_from_pb(&r.diagnostics),
        })
    }

    pub async fn import_resource_state(&self, type_name: &str, id: &str) -> Result<ImportResponse, Error> {
        let r = self
            .rpc
            .clone()
            .import_resource_state(pb::import_resource_state::Request {
                type_name: type_name.to_string(),
                id: id.to_string(),
                ..Default::default()
            })
            .await?
            .into_inner();
        let mut imported = Vec::new();
        for i in &r.imported_resources {
            let ty = self.resource_type(&i.type_name)?;
            imported.push(ImportedResource {
                type_name: i.type_name.clone(),
                state: dv_decode(i.state.as_ref(), &ty)?,
                private: i.private.clone(),
            });
        }
        Ok(ImportResponse { imported, diagnostics: diags_from_pb(&r.diagnostics) })
    }

    pub async fn read_data_source(&self, type_name: &str, config: &Value) -> Result<(Value, Diagnostics), Error> {
        let ty = self.data_type(type_name)?;
        let r = self
            .rpc
            .clone()
            .read_data_source(pb::read_data_source::Request {
                type_name: type_name.to_string(),
                config: Some(dv_encode(config, &ty)?),
                ..Default::default()
            })
            .await?
            .into_inner();
        Ok((dv_decode(r.state.as_ref(), &ty)?, diags_from_pb(&r.diagnostics)))
    }

    /// Asks the provider to cancel in-flight work (Ctrl-C).
    pub async fn stop(&self) -> Result<Option<String>, Error> {
        let e = self.rpc.clone().stop_provider(pb::stop_provider::Request {}).await?.into_inner().error;
        Ok((!e.is_empty()).then_some(e))
    }

    /// Asks the plugin to exit, waits up to 2 s as go-plugin does, then kills
    /// it. Returns true when the plugin exited on its own.
    pub async fn shutdown(mut self) -> Result<bool, Error> {
        let _ = self.controller.shutdown(()).await;
        let Some(mut child) = self.child.take() else { return Ok(true) };
        match tokio::time::timeout(Duration::from_secs(2), child.wait()).await {
            Ok(status) => {
                status?;
                Ok(true)
            }
            Err(_) => {
                child.kill().await?;
                Ok(false)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_handshake_lines() {
        let hs = Handshake::parse("1|6|unix|/tmp/plugin123|grpc|\n").unwrap();
        assert_eq!(hs.network, "unix");
        assert_eq!(hs.address, "/tmp/plugin123");
        assert!(hs.server_cert.is_none());
        assert!(Handshake::parse("2|6|tcp|x|grpc|").is_err());
        assert!(Handshake::parse("1|6|tcp|x|netrpc|").is_err());
        let id = tls::generate_identity().unwrap();
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD.encode(id.cert.as_ref());
        let hs = Handshake::parse(&format!("1|6|tcp|127.0.0.1:1|grpc|{b64}")).unwrap();
        assert_eq!(hs.server_cert.as_deref(), Some(id.cert.as_ref()));
    }
}
