//! Streamed answers: SSE bytes go to the client chunk by chunk as they
//! arrive, while usage is read from them on the way; the request is logged
//! when the stream ends, or when the client goes away. Streams are never
//! cached.
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::body::Body;
use bytes::Bytes;
use futures_util::Stream;
use http_body_util::BodyDataStream;
use hyper::body::Incoming;

use super::usage::SseUsage;
use super::{Draft, Ending};
use crate::logs::MAX_BODY;

/// What the log entry needs once the stream is over.
pub(super) struct StreamLog {
    pub(super) draft: Draft,
    pub(super) provider: String,
    pub(super) model: String,
    pub(super) step: u32,
    pub(super) attempts: u32,
    pub(super) status: u16,
    pub(super) content_type: Option<String>,
    pub(super) byok: Option<String>,
    pub(super) budgets: Vec<String>,
}

struct Logged {
    inner: BodyDataStream<Incoming>,
    usage: SseUsage,
    kept: Vec<u8>,
    log: Option<StreamLog>,
}

impl Logged {
    fn finish(&mut self) {
        if let Some(l) = self.log.take() {
            l.draft.finish(Ending {
                status: l.status,
                cached: false,
                provider: &l.provider,
                model: &l.model,
                step: l.step,
                attempts: l.attempts,
                usage: self.usage.usage,
                stream: true,
                response_content_type: l.content_type.clone(),
                response_body: Bytes::from(std::mem::take(&mut self.kept)),
                found: super::Findings::default(),
                byok: l.byok.as_deref(),
                budgets: &l.budgets,
            });
        }
    }
}

impl Stream for Logged {
    type Item = Result<Bytes, hyper::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.usage.feed(&chunk);
                let room = MAX_BODY.saturating_sub(this.kept.len());
                this.kept.extend_from_slice(&chunk[..chunk.len().min(room)]);
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(other) => {
                this.finish();
                Poll::Ready(other)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        self.finish();
    }
}

pub(super) fn logged(body: Incoming, log: StreamLog) -> Body {
    Body::from_stream(Logged {
        inner: BodyDataStream::new(body),
        usage: SseUsage::default(),
        kept: Vec::new(),
        log: Some(log),
    })
}
