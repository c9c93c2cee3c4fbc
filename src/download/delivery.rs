//! What a connection delivered. Each connection counts the bytes written to it, so that a single-file
//! body cut short (download managers split files over several connections and close those they no longer
//! need) counts the prefix that was written before the connection closed (`download::received`).
//!
//! A zip counts only whole: a body handed over to the connection may still sit in socket buffers when the
//! client goes away, so a zip counts only if the connection shows no failure (no reset, no broken pipe)
//! for a short grace period after its body went out. A client closing with unread data makes its kernel
//! answer with a reset, seen here at once — or just after the server closed its side, so a closed
//! connection with a delivery pending is held open (and read) for the rest of the grace period.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// How long a connection must stay sound after a body went out for that body to count as delivered.
pub const GRACE: Duration = Duration::from_millis(500);

/// A TCP listener whose connections report their failures.
pub struct WatchedListener(pub TcpListener);

impl Listener for WatchedListener {
    type Io = Watched;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, address) = Listener::accept(&mut self.0).await;
        (
            Watched {
                io: Some(io),
                connection: Connection::default(),
            },
            address,
        )
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Listener::local_addr(&self.0)
    }
}

/// One client connection, as seen by the handlers serving it (`ConnectInfo<Connection>`).
#[derive(Debug, Clone, Default)]
pub struct Connection(Arc<State>);

#[derive(Debug, Default)]
struct State {
    broken: AtomicBool,
    /// Deliveries in their grace period.
    pending: AtomicUsize,
    /// Bytes written to the socket so far.
    written: AtomicU64,
    /// The server has let go of the socket: nothing more will be written.
    closed: AtomicBool,
    /// Woken when bytes are written and when the connection closes.
    changed: Notify,
}

impl Connection {
    /// Runs `delivered` once the connection stayed sound for [`GRACE`]; never if it failed before.
    pub fn after_delivery(&self, delivered: impl FnOnce() + Send + 'static) {
        let state = self.0.clone();
        state.pending.fetch_add(1, Ordering::AcqRel);
        tokio::spawn(async move {
            tokio::time::sleep(GRACE).await;
            if !state.broken.load(Ordering::Acquire) {
                delivered();
            }
            state.pending.fetch_sub(1, Ordering::AcqRel);
        });
    }

    /// Bytes written to the socket so far (response heads included).
    pub fn written(&self) -> u64 {
        self.0.written.load(Ordering::Acquire)
    }

    /// How many of `handed` bytes, handed over after the connection had written `start`, were written to
    /// the socket: waits until they all were, or until the connection closed. Counted from `start`, the
    /// response head is included: the result may pass the body's true prefix by a head's length, never
    /// fall short of it.
    pub async fn written_since(&self, start: u64, handed: u64) -> u64 {
        loop {
            let changed = self.0.changed.notified();
            tokio::pin!(changed);
            changed.as_mut().enable();
            let written = self.written().saturating_sub(start);
            if written >= handed || self.0.closed.load(Ordering::Acquire) {
                return written.min(handed);
            }
            changed.await;
        }
    }

    fn wrote(&self, bytes: usize) {
        self.0.written.fetch_add(bytes as u64, Ordering::AcqRel);
        self.0.changed.notify_waiters();
    }

    fn close(&self) {
        self.0.closed.store(true, Ordering::Release);
        self.0.changed.notify_waiters();
    }

    fn fail(&self) {
        self.0.broken.store(true, Ordering::Release);
    }

    fn waits(&self) -> bool {
        self.0.pending.load(Ordering::Acquire) > 0 && !self.0.broken.load(Ordering::Acquire)
    }
}

impl Connected<IncomingStream<'_, WatchedListener>> for Connection {
    fn connect_info(stream: IncomingStream<'_, WatchedListener>) -> Connection {
        stream.io().connection.clone()
    }
}

impl Watched {
    /// The connection the requests read from this stream belong to (what `connect_info` gives them when
    /// a server other than `axum::serve` accepts it).
    pub fn connection(&self) -> Connection {
        self.connection.clone()
    }
}

/// An I/O stream that marks its connection broken on the first error.
pub struct Watched {
    /// Always there until dropped.
    io: Option<TcpStream>,
    connection: Connection,
}

impl Watched {
    fn io(&mut self) -> Pin<&mut TcpStream> {
        Pin::new(
            self.io
                .as_mut()
                .expect("a watched stream has its I/O until dropped"),
        )
    }

    fn watch<T>(&self, poll: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        if let Poll::Ready(Err(_)) = &poll {
            self.connection.fail();
        }
        poll
    }

    fn count(&self, poll: Poll<io::Result<usize>>) -> Poll<io::Result<usize>> {
        if let Poll::Ready(Ok(bytes)) = &poll {
            self.connection.wrote(*bytes);
        }
        self.watch(poll)
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let poll = self.io().poll_read(cx, buf);
        self.watch(poll)
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let poll = self.io().poll_write(cx, buf);
        self.count(poll)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let poll = self.io().poll_write_vectored(cx, bufs);
        self.count(poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.as_ref().is_some_and(|io| io.is_write_vectored())
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = self.io().poll_flush(cx);
        self.watch(poll)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let poll = self.io().poll_shutdown(cx);
        self.watch(poll)
    }
}

impl Drop for Watched {
    /// Closed by the server with a delivery still in its grace period: keeps reading the socket for that
    /// long, so that the reset of a client that left without reading everything is still seen.
    fn drop(&mut self) {
        self.connection.close();
        let (Some(io), Ok(runtime)) = (self.io.take(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        if !self.connection.waits() {
            return;
        }
        let connection = self.connection.clone();
        runtime.spawn(async move {
            let deadline = tokio::time::Instant::now() + GRACE;
            let mut buffer = [0u8; 4096];
            while tokio::time::Instant::now() < deadline {
                // Once the client's FIN is in, reads say 0 for ever: a later reset only shows as the
                // socket's pending error.
                let failed = match io.try_read(&mut buffer) {
                    Ok(_) => false,
                    Err(error) => error.kind() != io::ErrorKind::WouldBlock,
                };
                if failed || !matches!(io.take_error(), Ok(None)) {
                    return connection.fail();
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        });
    }
}

/// The connection of a request, when it came through a [`WatchedListener`].
pub fn connection_of(extensions: &axum::http::Extensions) -> Option<Connection> {
    extensions
        .get::<axum::extract::ConnectInfo<Connection>>()
        .map(|info| info.0.clone())
}
