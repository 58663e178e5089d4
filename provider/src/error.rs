//! The provider's error type and how API failures become diagnostics.
use aigw_cloudflare::ApiMessage;
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
        let mut d = Diagnostics::new();
        match self {
            Error::Api(aigw_cloudflare::Error::Api { errors, status }) if !errors.is_empty() => {
                for e in errors {
                    let detail = format!("Cloudflare API error (HTTP {status}): {}", describe(e));
                    match attribute_of(e, attributes) {
                        Some(a) => d.attribute_error(AttributePath::root(a), summary, detail),
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

fn attribute_of<'a>(e: &ApiMessage, attributes: &[&'a str]) -> Option<&'a str> {
    let first = e.path.as_ref()?.first()?.as_str()?;
    attributes.iter().find(|a| **a == first).copied()
}
