//! Cloudflare's runtime error body: `{success:false, result:[], messages:[],
//! error:[{code, message}], name:"AiGatewayError", httpCode, internalCode}`
//! (the key is `error`, singular), and the codes the runtime uses.
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone)]
pub struct RuntimeError {
    pub status: StatusCode,
    pub code: i64,
    pub message: String,
}

impl RuntimeError {
    pub fn new(status: StatusCode, code: i64, message: impl Into<String>) -> RuntimeError {
        RuntimeError { status, code, message: message.into() }
    }
    /// 2001: the gateway does not exist.
    pub fn no_gateway() -> RuntimeError {
        RuntimeError::new(StatusCode::BAD_REQUEST, 2001, "Please configure AI Gateway in the Cloudflare dashboard")
    }
    pub fn rate_limited() -> RuntimeError {
        RuntimeError::new(StatusCode::TOO_MANY_REQUESTS, 2003, "Rate limited")
    }
    pub fn provider_failed(detail: &str) -> RuntimeError {
        RuntimeError::new(StatusCode::BAD_GATEWAY, 2005, format!("Failed to get response from provider: {detail}"))
    }
    pub fn unauthorized() -> RuntimeError {
        RuntimeError::new(StatusCode::UNAUTHORIZED, 2009, "Unauthorized")
    }
    pub fn bad_format(detail: &str) -> RuntimeError {
        RuntimeError::new(StatusCode::BAD_REQUEST, 2019, format!("Chat completion bad format: {detail}"))
    }
    pub fn bad_request(message: impl Into<String>) -> RuntimeError {
        RuntimeError::new(StatusCode::BAD_REQUEST, 2002, message)
    }
    /// 424/2016: guardrails blocked the prompt.
    pub fn prompt_blocked() -> RuntimeError {
        RuntimeError::new(StatusCode::FAILED_DEPENDENCY, 2016, "Prompt blocked due to security configurations")
    }
    /// 424/2017: guardrails blocked the response.
    pub fn response_blocked() -> RuntimeError {
        RuntimeError::new(StatusCode::FAILED_DEPENDENCY, 2017, "Response blocked due to security configurations")
    }
    /// 2029 (request) and 2030 (response): a DLP policy blocked the content.
    /// Cloudflare documents the codes, not the status; the emulator answers
    /// 424 as for guardrails (docs/emulator.md).
    pub fn dlp_blocked(side: aigw_cloudflare::controls::Check) -> RuntimeError {
        use aigw_cloudflare::controls::Check;
        match side {
            Check::Request => RuntimeError::new(
                StatusCode::FAILED_DEPENDENCY,
                2029,
                "Request content blocked due to DLP policy violations",
            ),
            Check::Response => RuntimeError::new(
                StatusCode::FAILED_DEPENDENCY,
                2030,
                "Response content blocked due to DLP policy violations",
            ),
        }
    }
    pub fn no_byok_alias(provider: &str, alias: &str, configured: &[String]) -> RuntimeError {
        let list = if configured.is_empty() { "none".to_string() } else { configured.join(", ") };
        RuntimeError::new(
            StatusCode::BAD_REQUEST,
            2040,
            format!("Provider '{provider}' has no BYOK credential named '{alias}'. Configured aliases: {list}"),
        )
    }
    /// Cloudflare answers 400 and documents no code; 2042 is the emulator's.
    pub fn no_credentials(provider: &str, why: &str) -> RuntimeError {
        RuntimeError::new(
            StatusCode::BAD_REQUEST,
            2042,
            format!(
                "No credentials for provider '{provider}': the request sent no key, the gateway has no BYOK key \
                 for it, and {why} rules out Unified Billing"
            ),
        )
    }
    pub fn too_large() -> RuntimeError {
        RuntimeError::new(StatusCode::PAYLOAD_TOO_LARGE, 2004, "Request body too large (limit 32 MB)")
    }
}

impl RuntimeError {
    /// The body [`IntoResponse`] sends.
    pub fn into_response_body(self) -> Vec<u8> {
        self.body().to_string().into_bytes()
    }

    fn body(&self) -> serde_json::Value {
        json!({
            "success": false,
            "result": [],
            "messages": [],
            "error": [{ "code": self.code, "message": self.message }],
            "name": "AiGatewayError",
            "httpCode": self.status.as_u16(),
            "internalCode": self.code,
        })
    }
}

impl IntoResponse for RuntimeError {
    fn into_response(self) -> Response {
        let body = self.body();
        (self.status, axum::Json(body)).into_response()
    }
}
