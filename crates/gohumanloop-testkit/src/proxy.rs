//! A TCP proxy on loopback in front of a database server that can be frozen: while frozen it
//! accepts connections and reads what is sent, but passes nothing on either way — a database
//! that hangs without closing anything. Thawed, it passes on what it held and goes on.

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// The proxy; it runs until the test's runtime ends.
pub struct Proxy {
    /// Where it listens (loopback).
    pub addr: SocketAddr,
    frozen: watch::Sender<bool>,
}

impl Proxy {
    /// A proxy to `upstream` (`HOST:PORT`), passing bytes on.
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (frozen, _) = watch::channel(false);
        let gate = frozen.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let Ok(server) = TcpStream::connect(&upstream).await else {
                    continue;
                };
                let (client_read, client_write) = client.into_split();
                let (server_read, server_write) = server.into_split();
                tokio::spawn(pass(client_read, server_write, gate.subscribe()));
                tokio::spawn(pass(server_read, client_write, gate.subscribe()));
            }
        });
        Self { addr, frozen }
    }

    /// From now on nothing passes, either way.
    pub fn freeze(&self) {
        self.frozen.send_replace(true);
    }

    /// Passes on what it held, and everything after.
    pub fn thaw(&self) {
        self.frozen.send_replace(false);
    }
}

/// Copies `from` to `to`, holding each chunk while the proxy is frozen.
async fn pass(
    mut from: impl AsyncReadExt + Unpin,
    mut to: impl AsyncWriteExt + Unpin,
    mut frozen: watch::Receiver<bool>,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if frozen.wait_for(|frozen| !frozen).await.is_err() {
            return;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}
