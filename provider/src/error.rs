//! The provider's error type and how API failures become diagnostics.
use aigw_cloudflare::ApiMessage;
use serde_json::Value as Json;
use tfplugin::{AttributePath, Diagnostics};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Api(#[from] aigw_cloudflare::Error),
    #[error("the provider is not configured yet")]
    NotConfigured,
}

impl Error {
    /// One diagnostic per API error; validation errors with a `path` that
    /// names a schema attribute are attached to that attribute.
    pub fn to_diagnostics(&self, summary: &str, attributes: &[&str]) -> Diagnostics {
        self.to_diagnostics_at(summary, &|path| {
            let first = path.first()?.as_str()?;
            attributes.iter().find(|a| **a == first).map(|a| AttributePath::root(a))
        })
    }

    /// Like [`Error::to_diagnostics`], with `locate` turning an API error's
    /// `path` into the attribute it concerns (None: the whole resource).
    pub fn to_diagnostics_at(&self, summary: &str, locate: &dyn Fn(&[Json]) -> Option<AttributePath>) -> Diagnostics {
        let mut d = Diagnostics::new();
        match self {
            Error::Api(aigw_cloudflare::Error::Api { errors, status }) if !errors.is_empty() => {
                for e in errors {
                    let detail = format!("Cloudflare API error (HTTP {status}): {}", describe(e));
                    match e.path.as_deref().and_then(locate) {
                        Some(a) => d.attribute_error(a, summary, detail),
                        None => d.error(summary, detail),
                    }
                }
            }
            other => d.error(summary, other.to_string()),
        }
        d
    }
}

fn describe(e: &ApiMessage) -> String {
    format!("{} (code {})", e.message, e.code)
}

/// An API path below a field (`["policies", 0, "profiles", 1]`) as an
/// attribute path: names are attributes, numbers list indexes.
pub fn attribute_path(steps: &[Json]) -> Option<AttributePath> {
    let (first, rest) = steps.split_first()?;
    let mut p = AttributePath::root(first.as_str()?);
    for s in rest {
        p = match s {
            Json::String(name) => p.attr(name),
            Json::Number(n) => p.index(n.as_i64()?),
            _ => return None,
        };
    }
    Some(p)
}
