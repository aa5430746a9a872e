//! The sockets: a listener per running node on 127.0.0.1 and a task per
//! accepted connection. Neither knows Redis: listeners hand connections to
//! the bridge's loop, connection tasks carry bytes both ways and report
//! the end. A connection reads its next bytes only once the loop has run
//! the last ones and everything it was given is written: a client that
//! never reads its replies holds back only itself, and its replies wait in
//! its node's output buffer, bounded by what one read can ask for.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

/// What the sockets tell the bridge's loop.
pub enum Event {
    Accepted { port: u16, stream: TcpStream },
    Bytes { conn: u64, bytes: Vec<u8> },
    Closed { conn: u64 },
    /// A connection wrote everything it was given: it can take more.
    Drained,
    /// A line of the control surface, and where its answer goes.
    Control { line: String, answer: tokio::sync::oneshot::Sender<Vec<String>> },
    Stop,
}

/// How much a connection reads at a time.
const READ_CHUNK: usize = 16 * 1024;

/// Listens on 127.0.0.1:`port` until the task is aborted (the listener
/// closes with it, so a client of a node that is down is refused).
pub fn listen(port: u16, events: mpsc::Sender<Event>) -> io::Result<JoinHandle<()>> {
    // std's bind sets SO_REUSEADDR, so a restarted node gets its port back
    // while old connections linger in TIME_WAIT.
    let socket = std::net::TcpListener::bind(("127.0.0.1", port))?;
    socket.set_nonblocking(true)?;
    let listener = TcpListener::from_std(socket)?;
    Ok(tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    let _ = stream.set_nodelay(true);
                    if events.send(Event::Accepted { port, stream }).await.is_err() {
                        return;
                    }
                }
                // Out of file descriptors and the like: try again shortly.
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
    }))
}

/// Carries one connection's bytes until either end closes it. The bridge
/// closes it by dropping the sender of `replies` (after the last bytes).
/// `unwritten` counts the bytes given and not yet written to the socket:
/// until it is back to zero, the rest waits in the node's output buffer.
/// `processed` is notified once the loop has run the bytes last sent.
pub fn serve(
    conn: u64,
    stream: TcpStream,
    events: mpsc::Sender<Event>,
    mut replies: mpsc::UnboundedReceiver<Vec<u8>>,
    unwritten: Arc<AtomicUsize>,
    processed: Arc<Notify>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let (mut reader, mut writer) = stream.into_split();
        let mut buf = vec![0u8; READ_CHUNK];
        let mut in_flight = false;
        loop {
            let may_read = !in_flight && unwritten.load(Ordering::Acquire) == 0;
            tokio::select! {
                _ = processed.notified(), if in_flight => in_flight = false,
                read = reader.read(&mut buf), if may_read => match read {
                    Ok(0) | Err(_) => {
                        let _ = events.send(Event::Closed { conn }).await;
                        return;
                    }
                    Ok(n) => {
                        in_flight = true;
                        if events.send(Event::Bytes { conn, bytes: buf[..n].to_vec() }).await.is_err() {
                            return;
                        }
                    }
                },
                reply = replies.recv() => match reply {
                    Some(bytes) => {
                        if writer.write_all(&bytes).await.is_err() {
                            let _ = events.send(Event::Closed { conn }).await;
                            return;
                        }
                        if unwritten.fetch_sub(bytes.len(), Ordering::AcqRel) == bytes.len()
                            && events.send(Event::Drained).await.is_err()
                        {
                            return;
                        }
                    }
                    None => {
                        let _ = writer.shutdown().await;
                        return;
                    }
                },
            }
        }
    })
}
