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
