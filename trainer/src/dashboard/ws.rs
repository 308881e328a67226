//! `GET /ws`: one task per client. It sends the `hello`, then each message its queue gets, in
//! order; a send the socket does not take within the stall timeout disconnects the client
//! (it stopped reading). Whatever the client sends is read and dropped (pings are answered by
//! the WebSocket library); a message over the size limit, a bad frame or a vanished client
//! ends this connection only.

use super::app::App;
use super::hub::Subscription;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::response::Response;
use std::time::Duration;

pub async fn upgrade(State(app): State<App>, upgrade: WebSocketUpgrade) -> Response {
    upgrade
        .max_message_size(app.max_message_bytes)
        .max_frame_size(app.max_message_bytes)
        .on_upgrade(move |socket| serve_client(socket, app))
}

enum Sent {
    Delivered,
    /// The socket took nothing for the stall timeout.
    Stalled,
    /// The connection is gone.
    Gone,
}

async fn send(socket: &mut WebSocket, text: Utf8Bytes, limit: Duration) -> Sent {
    match tokio::time::timeout(limit, socket.send(Message::Text(text))).await {
        Ok(Ok(())) => Sent::Delivered,
        Ok(Err(_)) => Sent::Gone,
        Err(_) => Sent::Stalled,
    }
}

async fn serve_client(mut socket: WebSocket, app: App) {
    let Subscription {
        id,
        hello,
        mut deliveries,
    } = app.hub.subscribe();
    let mut shutdown = app.shutdown.clone();
    let stalled = 'connection: {
        match send(&mut socket, hello.into(), app.stall_timeout).await {
            Sent::Delivered => {}
            Sent::Stalled => break 'connection true,
            Sent::Gone => break 'connection false,
        }
        loop {
            tokio::select! {
                delivery = deliveries.recv() => {
                    let Some(delivery) = delivery else { break 'connection false };
                    match send(&mut socket, delivery.text(), app.stall_timeout).await {
                        Sent::Delivered => {}
                        Sent::Stalled => break 'connection true,
                        Sent::Gone => break 'connection false,
                    }
                }
                incoming = socket.recv() => match incoming {
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break 'connection false,
                    Some(Ok(_)) => {}
                },
                _ = shutdown.changed() => {
                    let close = Message::Close(Some(CloseFrame {
                        code: close_code::AWAY,
                        reason: Utf8Bytes::from_static("the dashboard is shutting down"),
                    }));
                    let _ = tokio::time::timeout(Duration::from_secs(1), socket.send(close)).await;
                    break 'connection false;
                }
            }
        }
    };
    app.hub.unsubscribe(id, stalled);
}
