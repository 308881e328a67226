//! The run's state, shared by the server (which starts and stops runs) and the run's thread
//! (which reports its progress): one run at a time, each change published as a `status`
//! message in the order it happened.

use super::hub::Hub;
use super::protocol::{FinishedBody, Kind, RunState, StatusBody};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

#[derive(Debug)]
struct Slot {
    status: StatusBody,
    /// The running run's stop flag.
    stop: Option<Arc<AtomicBool>>,
}

#[derive(Debug)]
pub struct RunStatus {
    slot: Mutex<Slot>,
}

impl Default for RunStatus {
    fn default() -> Self {
        RunStatus {
            slot: Mutex::new(Slot {
                status: StatusBody {
                    state: RunState::Idle,
                    run_id: None,
                    settings: None,
                },
                stop: None,
            }),
        }
    }
}

impl RunStatus {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub fn current(&self) -> StatusBody {
        self.lock().status.clone()
    }

    /// Claims the run slot for a new run and publishes `starting` (after `hub` has forgotten
    /// the last run); `None` while a run is going.
    pub fn begin(&self, hub: &Hub) -> Option<Arc<AtomicBool>> {
        let mut slot = self.lock();
        if slot.status.state.is_running() {
            return None;
        }
        let stop = Arc::new(AtomicBool::new(false));
        slot.stop = Some(Arc::clone(&stop));
        slot.status = StatusBody {
            state: RunState::Starting,
            run_id: None,
            settings: None,
        };
        hub.new_run();
        hub.publish_value(Kind::Status, &slot.status);
        Some(stop)
    }

    /// Changes the running run's status and publishes it; ignored once the run has ended
    /// (a late report of a finished run changes nothing).
    pub fn update(&self, hub: &Hub, change: impl FnOnce(&mut StatusBody)) {
        let mut slot = self.lock();
        if !slot.status.state.is_running() {
            return;
        }
        change(&mut slot.status);
        hub.publish_value(Kind::Status, &slot.status);
    }

    /// Asks the running run to stop after its current iteration (as Ctrl-C does); `false`
    /// when no run is going.
    pub fn request_stop(&self, hub: &Hub) -> bool {
        let mut slot = self.lock();
        let Some(stop) = &slot.stop else {
            return false;
        };
        stop.store(true, Ordering::SeqCst);
        if matches!(slot.status.state, RunState::Starting | RunState::Training) {
            slot.status.state = RunState::Stopping;
            hub.publish_value(Kind::Status, &slot.status);
        }
        true
    }

    /// The run ended: publishes `finished`, then the `finished` state, and frees the slot.
    pub fn finish(&self, hub: &Hub, finished: &FinishedBody) {
        let mut slot = self.lock();
        slot.stop = None;
        slot.status.state = RunState::Finished;
        if slot.status.run_id.is_none() {
            slot.status.run_id = finished.run_id.clone();
        }
        hub.publish_value(Kind::Finished, finished);
        hub.publish_value(Kind::Status, &slot.status);
    }

    pub fn is_running(&self) -> bool {
        self.lock().status.state.is_running()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dashboard::protocol::EndReason;

    fn states(hello: &str) -> serde_json::Value {
        serde_json::from_str::<serde_json::Value>(hello).unwrap()["status"]["state"].clone()
    }

    #[test]
    fn one_run_at_a_time_and_stop_reaches_its_flag() {
        let hub = Hub::new(16, 100);
        let status = RunStatus::default();
        assert!(!status.request_stop(&hub));
        let stop = status.begin(&hub).unwrap();
        assert!(status.begin(&hub).is_none());
        status.update(&hub, |s| s.state = RunState::Training);
        assert!(status.request_stop(&hub));
        assert!(stop.load(Ordering::SeqCst));
        assert_eq!(status.current().state, RunState::Stopping);
        assert_eq!(states(&hub.subscribe().hello), "stopping");
        status.finish(
            &hub,
            &FinishedBody {
                reason: EndReason::Interrupted,
                error: None,
                run_id: Some("20261201T201809Z".into()),
                duration_s: 1.5,
                report: None,
                comparison: None,
            },
        );
        assert_eq!(status.current().state, RunState::Finished);
        assert_eq!(status.current().run_id.as_deref(), Some("20261201T201809Z"));
        // A late update of the ended run changes nothing; the slot is free again.
        status.update(&hub, |s| s.state = RunState::Training);
        assert_eq!(status.current().state, RunState::Finished);
        assert!(!status.is_running());
        assert!(status.begin(&hub).is_some());
    }
}
