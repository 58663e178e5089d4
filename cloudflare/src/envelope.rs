//! The v4 response envelope shared by every management endpoint.
use serde::{Deserialize, Serialize};

/// `{success, errors, messages, result, result_info}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope<T> {
    pub success: bool,
    #[serde(default)]
    pub errors: Vec<ApiMessage>,
    #[serde(default)]
    pub messages: Vec<ApiMessage>,
    /// Route lists answer under `data` instead.
    #[serde(default = "Option::default", alias = "data")]
    pub result: Option<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_info: Option<ResultInfo>,
}

impl<T> Envelope<T> {
    pub fn ok(result: T) -> Envelope<T> {
        Envelope { success: true, errors: vec![], messages: vec![], result: Some(result), result_info: None }
    }
    pub fn error(errors: Vec<ApiMessage>) -> Envelope<T> {
        Envelope { success: false, errors, messages: vec![], result: None, result_info: None }
    }
}

/// One error or message. `path` names the offending field on validation errors.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApiMessage {
    pub code: i64,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<serde_json::Value>>,
}

impl ApiMessage {
    pub fn new(code: i64, message: impl Into<String>) -> ApiMessage {
        ApiMessage { code, message: message.into(), path: None }
    }
    pub fn at(code: i64, message: impl Into<String>, field: &str) -> ApiMessage {
        ApiMessage { code, message: message.into(), path: Some(vec![field.into()]) }
    }
}

impl std::fmt::Display for ApiMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (code {})", self.message, self.code)?;
        if let Some(p) = &self.path {
            let p: Vec<String> = p.iter().map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_owned)).collect();
            write!(f, " at {}", p.join("."))?;
        }
        Ok(())
    }
}

/// Paging facts on list responses.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ResultInfo {
    pub page: u64,
    pub per_page: u64,
    pub count: u64,
    pub total_count: u64,
}
