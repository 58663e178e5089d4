//! The emulator's error type, and Cloudflare-shaped error responses.
use aigw_cloudflare::{ApiMessage, Envelope};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("database: {0}")]
    Db(#[from] rusqlite::Error),
    #[error("TLS for upstream providers: {0}")]
    Tls(#[from] rustls::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("data directory {0} is in use by another emulator (pid {1}); stop it, or give this one another -data-dir")]
    DataDirInUse(String, String),
}

/// A management API error: HTTP status plus Cloudflare's error envelope.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub errors: Vec<ApiMessage>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: i64, message: impl Into<String>) -> ApiError {
        ApiError { status, errors: vec![ApiMessage::new(code, message)] }
    }
    /// HTTP 400, code 7001, one message per invalid field.
    pub fn validation(errors: Vec<ApiMessage>) -> ApiError {
        ApiError { status: StatusCode::BAD_REQUEST, errors }
    }
    pub fn not_found(what: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, 7002, format!("{what} not found"))
    }
    pub fn internal(e: Error) -> ApiError {
        tracing::error!("emulator internal error: {e}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, 7000, "Internal Server Error")
    }
}

impl From<Error> for ApiError {
    fn from(e: Error) -> ApiError {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, axum::Json(Envelope::<serde_json::Value>::error(self.errors))).into_response()
    }
}
