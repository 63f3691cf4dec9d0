//! The ARI event stream: one websocket (`GET /ari/events?app=NAME`, basic
//! authentication), kept open with reconnects and capped exponential
//! back-off. After every reconnect the bridge reconciles its live calls
//! (events sent while the socket was down are lost).

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use hyper::header;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::bridge::Bridge;
use crate::events::AriEvent;

/// Back-off between reconnect attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_millis(200),
            max: Duration::from_secs(10),
        }
    }
}

/// Runs until `stop` turns true: connect, read events into the bridge,
/// reconnect when the socket drops.
pub async fn run(bridge: Bridge, backoff: Backoff, mut stop: watch::Receiver<bool>) {
    let url = bridge.ari().endpoint().events_url(&bridge.settings().app);
    let auth = bridge.ari().endpoint().authorization();
    let mut delay = backoff.initial;
    let mut connections = 0u64;
    while !*stop.borrow() {
        let request = match url.as_str().into_client_request() {
            Ok(mut r) => {
                if let Ok(v) = auth.parse() {
                    r.headers_mut().insert(header::AUTHORIZATION, v);
                }
                r
            }
            Err(e) => {
                tracing::error!(error = %e, "bad ARI events URL");
                return;
            }
        };
        let connect = tokio::time::timeout(
            Duration::from_secs(5),
            tokio_tungstenite::connect_async(request),
        )
        .await;
        let ws = match connect {
            Ok(Ok((ws, _))) => ws,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, ?delay, "ARI event stream: connect failed");
                if wait_or_stop(&mut stop, delay).await {
                    break;
                }
                delay = (delay * 2).min(backoff.max);
                continue;
            }
            Err(_) => {
                tracing::warn!(?delay, "ARI event stream: connect timed out");
                if wait_or_stop(&mut stop, delay).await {
                    break;
                }
                delay = (delay * 2).min(backoff.max);
                continue;
            }
        };
        connections += 1;
        delay = backoff.initial;
        tracing::info!(connections, "ARI event stream connected");
        bridge.set_connected(true);
        if connections > 1 {
            bridge.reconcile();
        }
        let (mut sink, mut source) = ws.split();
        loop {
            tokio::select! {
                _ = stop.changed() => {
                    let _ = sink.send(Message::Close(None)).await;
                    bridge.set_connected(false);
                    return;
                }
                msg = source.next() => match msg {
                    Some(Ok(Message::Text(text))) => match AriEvent::parse(text.as_str()) {
                        Ok(event) => bridge.dispatch(event),
                        Err(e) => tracing::warn!(error = %e, "ignored an ARI event"),
                    },
                    Some(Ok(Message::Ping(p))) => {
                        let _ = sink.send(Message::Pong(p)).await;
                    }
                    Some(Ok(Message::Close(_))) | None => break,
                    Some(Ok(_)) => {}
                    Some(Err(e)) => {
                        tracing::warn!(error = %e, "ARI event stream error");
                        break;
                    }
                }
            }
        }
        bridge.set_connected(false);
        tracing::warn!("ARI event stream dropped; reconnecting");
        if wait_or_stop(&mut stop, delay).await {
            break;
        }
    }
    bridge.set_connected(false);
}

/// Sleeps `delay`; true when `stop` turned true meanwhile.
async fn wait_or_stop(stop: &mut watch::Receiver<bool>, delay: Duration) -> bool {
    let closed = tokio::select! {
        _ = tokio::time::sleep(delay) => false,
        r = stop.changed() => r.is_err(),
    };
    closed || *stop.borrow()
}
