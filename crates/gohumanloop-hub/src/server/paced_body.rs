//! A request body that must keep arriving: after a short grace period it must average at least
//! [`BODY_MIN_RATE`] bytes a second, or reading it fails with [`BodyRefused::TooSlow`]. Headers
//! have their own deadline in hyper; this closes the same door for bodies (a client sending one
//! byte every few seconds would otherwise hold its connection, and its memory, for as long as it
//! likes).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Bytes;
use hyper::body::{Body, Frame, Incoming, SizeHint};
use tokio::time::{Instant, Sleep};

use super::limits::MAX_BODY_BYTES;

/// How long any body may take before the rate counts, by default.
pub const BODY_GRACE: Duration = Duration::from_secs(10);

/// The slowest average rate accepted after the grace period, in bytes a second (a 1 MiB body
/// may take 10 s + 128 s).
pub const BODY_MIN_RATE: u64 = 8 * 1024;

/// Why reading a request body failed at the hub's edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyRefused {
    /// It arrived too slowly.
    #[error(
        "the request body arrived too slowly (the hub needs {BODY_MIN_RATE} bytes a second \
         after the first few seconds)"
    )]
    TooSlow,
    /// Its announced length is over the limit; none of it was read.
    #[error("request body is larger than {MAX_BODY_BYTES} bytes")]
    TooLarge,
}

/// [`Incoming`] with a deadline that moves on as bytes arrive.
pub(crate) struct PacedBody {
    inner: Incoming,
    started: Instant,
    grace: Duration,
    received: u64,
    /// Created only when the body is not all there at the first read (most bodies are).
    deadline: Option<Pin<Box<Sleep>>>,
    /// Refuse it without reading a byte (its announced length is over the limit).
    too_large: bool,
}

impl PacedBody {
    pub(crate) fn new(inner: Incoming, grace: Duration) -> Self {
        Self {
            inner,
            started: Instant::now(),
            grace,
            received: 0,
            deadline: None,
            too_large: false,
        }
    }

    /// A body refused unread, for a handler to answer in its own way (a page, not JSON).
    pub(crate) fn too_large(inner: Incoming) -> Self {
        Self {
            too_large: true,
            ..Self::new(inner, Duration::ZERO)
        }
    }

    fn due(&self) -> Instant {
        self.started
            + self.grace
            + Duration::from_millis(self.received.saturating_mul(1000) / BODY_MIN_RATE)
    }
}

impl Body for PacedBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if this.too_large {
            return Poll::Ready(Some(Err(Box::new(BodyRefused::TooLarge))));
        }
        match Pin::new(&mut this.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(data) = frame.data_ref() {
                    this.received += data.len() as u64;
                    let due = this.due();
                    if let Some(deadline) = &mut this.deadline {
                        deadline.as_mut().reset(due);
                    }
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(other) => Poll::Ready(other.map(|r| r.map_err(Into::into))),
            Poll::Pending => {
                let due = this.due();
                let deadline = this
                    .deadline
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(due)));
                match deadline.as_mut().poll(cx) {
                    Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyRefused::TooSlow)))),
                    Poll::Pending => Poll::Pending,
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// Why the hub's edge refused a body, if that is what `error` (or one of its causes) says.
pub fn body_refused(error: &(dyn std::error::Error + 'static)) -> Option<BodyRefused> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(refused) = e.downcast_ref::<BodyRefused>() {
            return Some(*refused);
        }
        cause = e.source();
    }
    None
}
