//! The broadcast hub: numbers every message, keeps what a client connecting later needs (the
//! run's iterations, the latest message of each other kind), and hands each message to every
//! connected client's bounded queue without ever waiting: a full queue drops the message for
//! that client and counts it, and the count travels with the next message that client gets.
//!
//! Publishing is called from the training thread (`broadcast_metrics`) and the timing
//! sampler; it holds the hub's lock for a few copies and one `try_send` per client.

use super::protocol::{self, Kind, Latest};
use axum::extract::ws::Utf8Bytes;
use serde::Serialize;
use std::sync::{Mutex, MutexGuard, PoisonError};
use tokio::sync::mpsc::{self, error::TrySendError};

/// One message for one client, and how many messages before it were dropped for that client.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub message: Utf8Bytes,
    pub dropped_before: u64,
}

impl Delivery {
    /// The text to send: the shared message, with `dropped` added when messages were lost.
    pub fn text(&self) -> Utf8Bytes {
        if self.dropped_before == 0 {
            self.message.clone()
        } else {
            protocol::with_dropped(self.message.as_str(), self.dropped_before).into()
        }
    }
}

/// A connected client's end: its `hello` and its queue.
#[derive(Debug)]
pub struct Subscription {
    pub id: u64,
    pub hello: String,
    pub deliveries: mpsc::Receiver<Delivery>,
}

/// Clients since the server started.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ClientCounts {
    pub connected: usize,
    pub served: u64,
    /// Messages not delivered because a client's queue was full, all clients together.
    pub dropped_messages: u64,
    /// Clients disconnected because their socket accepted nothing for too long.
    pub disconnected_stalled: u64,
}

#[derive(Debug)]
struct Client {
    id: u64,
    queue: mpsc::Sender<Delivery>,
    /// Messages dropped since the last one that reached the queue.
    pending_drops: u64,
}

#[derive(Debug, Default)]
struct Inner {
    seq: u64,
    history: Vec<Utf8Bytes>,
    last_iteration: Option<Utf8Bytes>,
    latest: Latest<Utf8Bytes>,
    clients: Vec<Client>,
    next_id: u64,
    counts: ClientCounts,
}

#[derive(Debug)]
pub struct Hub {
    inner: Mutex<Inner>,
    queue: usize,
    history_points: usize,
}

impl Hub {
    /// `queue`: messages each client may have waiting; `history_points`: iterations kept
    /// at full resolution before the history is thinned.
    pub fn new(queue: usize, history_points: usize) -> Self {
        Hub {
            inner: Mutex::new(Inner::default()),
            queue: queue.max(1),
            history_points: history_points.max(2),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while the lock was held left whole messages: keep serving.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends `body` (a JSON object) to every client as a message of `kind`; returns its `seq`.
    pub fn publish(&self, kind: Kind, body: &str) -> u64 {
        let mut inner = self.lock();
        inner.seq += 1;
        let seq = inner.seq;
        let message = Utf8Bytes::from(protocol::frame(kind, seq, body));
        match kind {
            Kind::Iteration => {
                if inner.history.len() >= 2 * self.history_points {
                    thin(&mut inner.history);
                }
                inner.history.push(message.clone());
                inner.last_iteration = Some(message.clone());
            }
            Kind::Status => inner.latest.status = Some(message.clone()),
            Kind::Timing => inner.latest.timing = Some(message.clone()),
            Kind::Evaluation => inner.latest.evaluation = Some(message.clone()),
            Kind::Finished => inner.latest.finished = Some(message.clone()),
            Kind::Hello => {}
        }
        let Inner {
            clients, counts, ..
        } = &mut *inner;
        clients.retain_mut(|client| {
            let delivery = Delivery {
                message: message.clone(),
                dropped_before: client.pending_drops,
            };
            match client.queue.try_send(delivery) {
                Ok(()) => {
                    client.pending_drops = 0;
                    true
                }
                Err(TrySendError::Full(_)) => {
                    client.pending_drops += 1;
                    counts.dropped_messages += 1;
                    true
                }
                // Its connection ended; it unsubscribes on its way out.
                Err(TrySendError::Closed(_)) => false,
            }
        });
        seq
    }

    /// `publish` of a serialisable body.
    pub fn publish_value<T: Serialize>(&self, kind: Kind, body: &T) -> u64 {
        let body = serde_json::to_string(body).expect("message bodies serialise to JSON");
        self.publish(kind, &body)
    }

    /// A new run begins: its history starts empty, and the last run's timing, evaluation
    /// and end are no longer current.
    pub fn new_run(&self) {
        let mut inner = self.lock();
        inner.history.clear();
        inner.last_iteration = None;
        inner.latest.timing = None;
        inner.latest.evaluation = None;
        inner.latest.finished = None;
    }

    /// Registers a client: its `hello` accounts for every message up to now, and its queue
    /// gets every message after.
    pub fn subscribe(&self) -> Subscription {
        let (queue, deliveries) = mpsc::channel(self.queue);
        let (id, seq, latest, history) = {
            let mut inner = self.lock();
            inner.next_id += 1;
            let id = inner.next_id;
            inner.clients.push(Client {
                id,
                queue,
                pending_drops: 0,
            });
            inner.counts.served += 1;
            // Cheap clones (reference counts); the text is assembled outside the lock.
            (id, inner.seq, inner.latest.clone(), inner.history.clone())
        };
        Subscription {
            id,
            hello: protocol::hello(seq, &latest, &history),
            deliveries,
        }
    }

    /// The client `id` is gone; `stalled` when it was disconnected for not reading.
    pub fn unsubscribe(&self, id: u64, stalled: bool) {
        let mut inner = self.lock();
        inner.clients.retain(|client| client.id != id);
        if stalled {
            inner.counts.disconnected_stalled += 1;
        }
    }

    pub fn counts(&self) -> ClientCounts {
        let inner = self.lock();
        ClientCounts {
            connected: inner.clients.len(),
            ..inner.counts
        }
    }

    /// The latest message of each kind, and the last iteration's.
    pub fn latest(&self) -> (Latest<Utf8Bytes>, Option<Utf8Bytes>) {
        let inner = self.lock();
        (inner.latest.clone(), inner.last_iteration.clone())
    }

    /// Iterations kept for the current (or last) run.
    pub fn history_len(&self) -> usize {
        self.lock().history.len()
    }
}

/// Keeps every other message, and the last: the same span at half the resolution.
fn thin(history: &mut Vec<Utf8Bytes>) {
    let last = history.len().saturating_sub(1);
    let mut index = 0;
    history.retain(|_| {
        let keep = index % 2 == 0 || index == last;
        index += 1;
        keep
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seqs(hello: &str) -> Vec<u64> {
        let hello: serde_json::Value = serde_json::from_str(hello).unwrap();
        hello["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["seq"].as_u64().unwrap())
            .collect()
    }

    #[test]
    fn a_full_queue_drops_and_the_next_delivery_says_how_many() {
        let hub = Hub::new(2, 100);
        let mut client = hub.subscribe();
        for i in 1..=5 {
            hub.publish(Kind::Iteration, &format!(r#"{{"iteration":{i}}}"#));
        }
        assert_eq!(hub.counts().dropped_messages, 3);
        let first = client.deliveries.try_recv().unwrap();
        assert_eq!(
            (first.dropped_before, first.text().as_str()),
            (0, r#"{"type":"iteration","seq":1,"iteration":1}"#)
        );
        client.deliveries.try_recv().unwrap();
        hub.publish(Kind::Status, r#"{"state":"finishing"}"#);
        let after_gap = client.deliveries.try_recv().unwrap();
        assert_eq!(after_gap.dropped_before, 3);
        assert_eq!(
            after_gap.text().as_str(),
            r#"{"dropped":3,"type":"status","seq":6,"state":"finishing"}"#
        );
        hub.publish(Kind::Status, r#"{"state":"finished"}"#);
        assert_eq!(client.deliveries.try_recv().unwrap().dropped_before, 0);
    }

    #[test]
    fn hello_accounts_for_everything_before_the_queue() {
        let hub = Hub::new(8, 100);
        hub.publish(Kind::Status, r#"{"state":"training"}"#);
        hub.publish(Kind::Iteration, r#"{"iteration":1}"#);
        let mut client = hub.subscribe();
        hub.publish(Kind::Iteration, r#"{"iteration":2}"#);
        let hello: serde_json::Value = serde_json::from_str(&client.hello).unwrap();
        assert_eq!(hello["seq"], 2);
        assert_eq!(hello["status"]["state"], "training");
        assert_eq!(seqs(&client.hello), [2]);
        assert_eq!(
            client.deliveries.try_recv().unwrap().message.as_str(),
            r#"{"type":"iteration","seq":3,"iteration":2}"#
        );
        assert_eq!(hub.counts().connected, 1);
        hub.unsubscribe(client.id, true);
        assert_eq!(
            hub.counts(),
            ClientCounts {
                connected: 0,
                served: 1,
                dropped_messages: 0,
                disconnected_stalled: 1
            }
        );
    }

    #[test]
    fn a_closed_client_is_forgotten_and_a_new_run_starts_a_new_history() {
        let hub = Hub::new(8, 100);
        let client = hub.subscribe();
        drop(client);
        hub.publish(Kind::Iteration, r#"{"iteration":1}"#);
        hub.publish(Kind::Finished, r#"{"reason":"budget_spent"}"#);
        assert_eq!(hub.counts().connected, 0);
        assert_eq!(hub.history_len(), 1);
        hub.new_run();
        let (latest, last) = hub.latest();
        assert!(latest.finished.is_none() && last.is_none());
        assert_eq!(hub.history_len(), 0);
    }

    #[test]
    fn a_long_history_is_thinned_evenly_and_keeps_both_ends() {
        let hub = Hub::new(8, 3);
        for i in 1..=6 {
            hub.publish(Kind::Iteration, &format!(r#"{{"iteration":{i}}}"#));
        }
        // Six kept; the seventh thins them to the 1st, 3rd, 5th and 6th, then joins.
        hub.publish(Kind::Iteration, r#"{"iteration":7}"#);
        assert_eq!(seqs(&hub.subscribe().hello), [1, 3, 5, 6, 7]);
    }
}
