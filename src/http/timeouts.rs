//! The read deadlines of a connection (docs/ARCHITECTURE.md, "Hostile clients"). A request head must
//! arrive whole within `header_read_timeout` (counted from the accept, or from the first byte of a
//! following request), its body within `body_read_timeout` of the head — one second more per 64 KiB
//! received, so an upload going at that pace or faster is never cut —, and a kept-alive connection waits
//! at most `idle_timeout` for its next request. While a request is answered there is no deadline: a long
//! download is not slow input. The server closes a connection whose deadline passes.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Buf;
use hyper::body::{Body, Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Body bytes that earn a body one more second.
const BODY_BYTES_PER_EXTRA_SECOND: u64 = 64 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    pub header_read: Duration,
    pub body_read: Duration,
    pub idle: Duration,
}

/// What a connection waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The rest of a request head.
    Head,
    /// The rest of a request body, or the handler's answer, whichever comes first.
    Body,
    /// The end of its response: no deadline.
    Responding,
    /// The first byte of the next request.
    Idle,
}

/// Where a connection stands, moved on by its reads, its requests and its responses.
#[derive(Debug)]
struct State {
    phase: Phase,
    /// None while responding.
    deadline: Option<Instant>,
    /// Numbers the requests, so that what a past request's bodies do no longer counts.
    request: u64,
    /// When bytes of a next request came in while the current one was answered (pipelining).
    next_head_since: Option<Instant>,
}

impl State {
    fn accepted(now: Instant, timeouts: &Timeouts) -> State {
        State {
            phase: Phase::Head,
            deadline: Some(now + timeouts.header_read),
            request: 0,
            next_head_since: None,
        }
    }

    fn bytes_read(&mut self, now: Instant, timeouts: &Timeouts) {
        match self.phase {
            Phase::Idle => self.enter(Phase::Head, Some(now + timeouts.header_read)),
            Phase::Responding => {
                self.next_head_since.get_or_insert(now);
            }
            Phase::Head | Phase::Body => {}
        }
    }

    fn request_started(&mut self, has_body: bool, now: Instant, timeouts: &Timeouts) -> u64 {
        self.request += 1;
        self.next_head_since = None;
        if has_body {
            self.enter(Phase::Body, Some(now + timeouts.body_read));
        } else {
            self.enter(Phase::Responding, None);
        }
        self.request
    }

    fn body_received(&mut self, request: u64, bytes: usize) {
        if request != self.request || self.phase != Phase::Body {
            return;
        }
        let extra_nanos = bytes as u64 * 1_000_000_000 / BODY_BYTES_PER_EXTRA_SECOND;
        self.deadline = self
            .deadline
            .map(|deadline| deadline + Duration::from_nanos(extra_nanos));
    }

    fn body_done(&mut self, request: u64) {
        if request == self.request && self.phase == Phase::Body {
            self.enter(Phase::Responding, None);
        }
    }

    fn response_sent(&mut self, request: u64, now: Instant, timeouts: &Timeouts) {
        if request != self.request || self.phase == Phase::Idle || self.phase == Phase::Head {
            return;
        }
        match self.next_head_since.take() {
            Some(since) => self.enter(Phase::Head, Some(since + timeouts.header_read)),
            None => self.enter(Phase::Idle, Some(now + timeouts.idle)),
        }
    }

    fn enter(&mut self, phase: Phase, deadline: Option<Instant>) {
        self.phase = phase;
        self.deadline = deadline;
    }
}

/// The deadline of one connection, shared by its stream, its requests and the task serving it.
#[derive(Clone)]
pub struct ConnectionClock(Arc<Shared>);

struct Shared {
    timeouts: Timeouts,
    state: Mutex<State>,
    /// Told when the deadline comes earlier than the one the watcher sleeps until.
    earlier: Notify,
}

impl ConnectionClock {
    /// A connection just accepted: its first request head is due within `header_read`.
    pub fn start(timeouts: Timeouts) -> ConnectionClock {
        ConnectionClock(Arc::new(Shared {
            state: Mutex::new(State::accepted(Instant::now(), &timeouts)),
            timeouts,
            earlier: Notify::new(),
        }))
    }

    /// Bytes came in on the connection.
    pub fn bytes_read(&self) {
        self.update(|state, timeouts| state.bytes_read(Instant::now(), timeouts));
    }

    /// A request head was read; returns the request's number.
    pub fn request_started(&self, has_body: bool) -> u64 {
        self.update(|state, timeouts| state.request_started(has_body, Instant::now(), timeouts))
    }

    pub fn body_received(&self, request: u64, bytes: usize) {
        self.update(|state, _| state.body_received(request, bytes));
    }

    /// The body was read to its end, or the handler answered without needing the rest.
    pub fn body_done(&self, request: u64) {
        self.update(|state, _| state.body_done(request));
    }

    pub fn response_sent(&self, request: u64) {
        self.update(|state, timeouts| state.response_sent(request, Instant::now(), timeouts));
    }

    /// Whether the connection is between requests (waiting for one, or for the rest of a head).
    pub fn waits_for_request(&self) -> bool {
        matches!(self.lock().phase, Phase::Idle | Phase::Head)
    }

    /// Resolves when the deadline passes, with the phase that took too long.
    pub async fn expired(&self) -> Phase {
        loop {
            let earlier = self.0.earlier.notified();
            let (phase, deadline) = {
                let state = self.lock();
                (state.phase, state.deadline)
            };
            match deadline {
                Some(deadline) if deadline <= Instant::now() => return phase,
                Some(deadline) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(deadline) => {}
                        () = earlier => {}
                    }
                }
                None => earlier.await,
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies a change; wakes the watcher when the deadline came earlier (a later one it finds when it
    /// wakes up at the old one).
    fn update<T>(&self, change: impl FnOnce(&mut State, &Timeouts) -> T) -> T {
        let mut state = self.lock();
        let before = state.deadline;
        let result = change(&mut state, &self.0.timeouts);
        let earlier = match (before, state.deadline) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(before), Some(after)) => after < before,
        };
        drop(state);
        if earlier {
            self.0.earlier.notify_one();
        }
        result
    }
}

/// A connection's stream, telling its clock when bytes come in.
pub struct ClockedIo<T> {
    io: T,
    clock: ConnectionClock,
}

impl<T> ClockedIo<T> {
    pub fn new(io: T, clock: ConnectionClock) -> ClockedIo<T> {
        ClockedIo { io, clock }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for ClockedIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.clock.bytes_read();
        }
        poll
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for ClockedIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

/// A request body telling the clock what arrives, and when it ends.
pub struct ClockedRequestBody<B> {
    inner: B,
    clock: ConnectionClock,
    request: u64,
}

impl<B> ClockedRequestBody<B> {
    pub fn new(inner: B, clock: ConnectionClock, request: u64) -> Self {
        ClockedRequestBody {
            inner,
            clock,
            request,
        }
    }
}

impl<B: Body + Unpin> Body for ClockedRequestBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let poll = Pin::new(&mut self.inner).poll_frame(cx);
        match &poll {
            Poll::Ready(Some(Ok(frame))) => {
                let bytes = frame.data_ref().map_or(0, Buf::remaining);
                self.clock.body_received(self.request, bytes);
            }
            Poll::Ready(None) => self.clock.body_done(self.request),
            Poll::Ready(Some(Err(_))) | Poll::Pending => {}
        }
        poll
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// A response body telling the clock when the response is over (hyper drops it once written).
pub struct ClockedResponseBody<B> {
    inner: B,
    clock: ConnectionClock,
    request: u64,
}

impl<B> ClockedResponseBody<B> {
    pub fn new(inner: B, clock: ConnectionClock, request: u64) -> Self {
        ClockedResponseBody {
            inner,
            clock,
            request,
        }
    }
}

impl<B: Body + Unpin> Body for ClockedResponseBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl<B> Drop for ClockedResponseBody<B> {
    fn drop(&mut self) {
        self.clock.response_sent(self.request);
    }
}

#[cfg(test)]
mod tests;
