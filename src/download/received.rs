//! The byte range a client received of a single-file body. Download managers split a file over several
//! connections and cut those they no longer need, so a body cut short still delivered a prefix: when the
//! body ends or is dropped, the part of it written to the connection (all of it once it was flushed, or
//! what was written before the connection closed) is recorded, and counts toward the file's coverage.
//! "Received" is what was written to the socket: kernel buffers are small beside the files this is for
//! (docs/ARCHITECTURE.md, download decisions).

use std::pin::Pin;
use std::task::{Context, Poll};

use futures::Stream;

use super::Recording;
use crate::domain::ranges::ByteRange;

/// A body of `part` of a file; `record` gets the range received, once (never for a HEAD, never empty
/// unless the part itself is).
pub struct Received<S> {
    inner: S,
    part: ByteRange,
    /// Bytes handed to the HTTP connection so far.
    handed: u64,
    /// What the connection had written when the body was first asked for (its head not yet).
    started_at: Option<u64>,
    recording: Recording,
    record: Option<Box<dyn FnOnce(ByteRange) + Send>>,
}

impl<S> Received<S> {
    pub fn new(
        inner: S,
        part: ByteRange,
        recording: Recording,
        record: impl FnOnce(ByteRange) + Send + 'static,
    ) -> Received<S> {
        let mut body = Received {
            inner,
            part,
            handed: 0,
            started_at: None,
            recording,
            record: Some(Box::new(record)),
        };
        if part.is_empty() {
            // Nothing to send: hyper will not even ask for an empty body.
            body.settle();
        }
        body
    }

    /// Records what was received, once: at once without a connection to watch, else when the connection
    /// has written all that was handed to it, or has closed.
    fn settle(&mut self) {
        let Some(record) = self.record.take() else {
            return;
        };
        let start = self.part.start;
        let handed = self.handed.min(self.part.len());
        let received = move |bytes: u64| ByteRange {
            start,
            end: start + bytes,
        };
        match (&self.recording, self.started_at) {
            (Recording::Never, _) => {}
            _ if self.part.is_empty() => record(received(0)),
            (Recording::Now, _) if handed > 0 => record(received(handed)),
            (Recording::AfterDelivery(connection), Some(started_at)) if handed > 0 => {
                let connection = connection.clone();
                if let Ok(runtime) = tokio::runtime::Handle::try_current() {
                    runtime.spawn(async move {
                        let written = connection.written_since(started_at, handed).await;
                        if written > 0 {
                            record(received(written));
                        }
                    });
                }
            }
            _ => {}
        }
    }
}

impl<S, E> Stream for Received<S>
where
    S: Stream<Item = Result<bytes::Bytes, E>> + Unpin,
{
    type Item = S::Item;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<S::Item>> {
        if self.started_at.is_none()
            && let Recording::AfterDelivery(connection) = &self.recording
        {
            self.started_at = Some(connection.written());
        }
        let next = Pin::new(&mut self.inner).poll_next(cx);
        match &next {
            Poll::Ready(Some(Ok(chunk))) => {
                metrics::counter!("download_bytes_total", "kind" => "file")
                    .increment(chunk.len() as u64);
                self.handed += chunk.len() as u64;
                if self.handed >= self.part.len() {
                    self.settle();
                }
            }
            Poll::Ready(Some(Err(_)) | None) => self.settle(),
            Poll::Pending => {}
        }
        next
    }
}

impl<S> Drop for Received<S> {
    /// Cut short (the client went away, or the connection failed): what was written counts.
    fn drop(&mut self) {
        self.settle();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use futures::StreamExt;

    use super::*;

    type Recorded = Arc<Mutex<Vec<ByteRange>>>;

    fn body(
        part: ByteRange,
        recording: Recording,
    ) -> (
        Received<impl Stream<Item = Result<bytes::Bytes, ()>> + Unpin>,
        Recorded,
    ) {
        let chunks = (0..4).map(|_| Ok(bytes::Bytes::from(vec![0u8; 10])));
        let recorded: Recorded = Arc::default();
        let into = recorded.clone();
        let body = Received::new(
            futures::stream::iter(chunks),
            part,
            recording,
            move |range| into.lock().unwrap().push(range),
        );
        (body, recorded)
    }

    const PART: ByteRange = ByteRange {
        start: 100,
        end: 140,
    };

    #[tokio::test]
    async fn a_body_sent_whole_records_its_range_once() {
        let (mut whole, recorded) = body(PART, Recording::Now);
        while whole.next().await.is_some() {}
        drop(whole);
        assert_eq!(*recorded.lock().unwrap(), [PART]);
    }

    #[tokio::test]
    async fn a_body_cut_short_records_the_prefix_it_handed_over() {
        let (mut cut, recorded) = body(PART, Recording::Now);
        cut.next().await;
        cut.next().await;
        drop(cut);
        assert_eq!(
            *recorded.lock().unwrap(),
            [ByteRange {
                start: 100,
                end: 120
            }]
        );
    }

    #[tokio::test]
    async fn nothing_is_recorded_for_a_head_or_a_body_never_sent() {
        let (mut head, recorded) = body(PART, Recording::Never);
        while head.next().await.is_some() {}
        drop(head);
        let (untouched, never_polled) = body(PART, Recording::Now);
        drop(untouched);
        assert!(recorded.lock().unwrap().is_empty());
        assert!(never_polled.lock().unwrap().is_empty());
        let empty = ByteRange { start: 0, end: 0 };
        let (_, of_empty_file) = body(empty, Recording::Now);
        assert_eq!(*of_empty_file.lock().unwrap(), [empty]);
    }
}
