//! The one clock the server reads. In production it is the system clock;
//! `replay` and the tests set it to a case's time, after which it runs on
//! at the real rate, so timers and timings still measure real elapsed time.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use jiff::{SignedDuration, Timestamp};

#[derive(Clone, Debug, Default)]
pub struct Clock {
    set: Option<Arc<Mutex<(Timestamp, Instant)>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock { set: None }
    }

    /// A clock that starts at `at` and can be moved with [`Clock::set`].
    pub fn settable(at: Timestamp) -> Clock {
        Clock {
            set: Some(Arc::new(Mutex::new((at, Instant::now())))),
        }
    }

    pub fn now(&self) -> Timestamp {
        match &self.set {
            None => Timestamp::now(),
            Some(cell) => {
                let (at, since) = *cell.lock().unwrap_or_else(|e| e.into_inner());
                let elapsed = SignedDuration::try_from(since.elapsed()).unwrap_or_default();
                at.checked_add(elapsed).unwrap_or(at)
            }
        }
    }

    /// Milliseconds since the epoch, as the store keeps time.
    pub fn millis(&self) -> i64 {
        self.now().as_millisecond()
    }

    /// Moves a settable clock; the system clock cannot be moved.
    pub fn set(&self, at: Timestamp) {
        if let Some(cell) = &self.set {
            *cell.lock().unwrap_or_else(|e| e.into_inner()) = (at, Instant::now());
        }
    }

    /// Moves a settable clock forward, for stepping timers in tests.
    pub fn advance(&self, by: SignedDuration) {
        let now = self.now();
        self.set(now.checked_add(by).unwrap_or(now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_clock_runs_on_from_where_it_was_set() {
        let at: Timestamp = "2026-01-03T08:40:00Z".parse().unwrap();
        let clock = Clock::settable(at);
        assert!(clock.now() >= at && clock.now() < at + SignedDuration::from_secs(5));
        clock.advance(SignedDuration::from_mins(5));
        assert!(clock.now() >= at + SignedDuration::from_mins(5));
    }
}
