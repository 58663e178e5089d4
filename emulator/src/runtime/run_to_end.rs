//! Runtime requests run to their end even if the client goes away first, as
//! Cloudflare's do: the upstream call finishes, the cache is filled and the
//! request is logged. A request runs in its connection's task (no hop to a
//! task of its own on the hot path); only when its client leaves early is
//! what remains of it moved to a task of its own.
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;

use super::error::RuntimeError;

type Work = Pin<Box<dyn Future<Output = std::thread::Result<Response>> + Send>>;

/// The request's work; dropped unfinished, it goes on in a spawned task.
struct RunToEnd(Option<Work>);

impl Future for RunToEnd {
    type Output = std::thread::Result<Response>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let Some(work) = self.0.as_mut() else { return Poll::Pending };
        let out = ready!(work.as_mut().poll(cx));
        self.0 = None;
        Poll::Ready(out)
    }
}

impl Drop for RunToEnd {
    fn drop(&mut self) {
        if let Some(work) = self.0.take()
            && let Ok(rt) = tokio::runtime::Handle::try_current()
        {
            rt.spawn(work);
        }
    }
}

/// Runs `work` to its end whether or not its answer is still wanted; a
/// panic in it is answered with a 500 (code 2000), not a dropped connection.
pub(super) async fn run_to_end(work: impl Future<Output = Response> + Send + 'static) -> Response {
    match RunToEnd(Some(Box::pin(AssertUnwindSafe(work).catch_unwind()))).await {
        Ok(r) => r,
        Err(_) => RuntimeError::new(StatusCode::INTERNAL_SERVER_ERROR, 2000, "Internal error: the request failed")
            .into_response(),
    }
}
