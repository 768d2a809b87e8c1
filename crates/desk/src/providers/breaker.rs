//! A circuit breaker per provider: after a run of failures it opens, and sends fail fast
//! (kept, to be retried) instead of each waiting out a timeout against a provider that is down;
//! after a cool-down one send is let through to probe, and a success closes it. Texts then go
//! in order, since a later text waits for an earlier one to the same number.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures in a row that open the breaker.
pub const OPEN_AFTER: u32 = 5;
/// How long it stays open before one probe is let through, by default.
pub const COOL_DOWN: Duration = Duration::from_secs(30);

pub struct Breaker {
    state: Mutex<State>,
    cool_down: Duration,
}

impl Default for Breaker {
    fn default() -> Self {
        Self::new(COOL_DOWN)
    }
}

#[derive(Default)]
struct State {
    failures: u32,
    open_until: Option<Instant>,
}

impl Breaker {
    pub fn new(cool_down: Duration) -> Self {
        Self {
            state: Mutex::default(),
            cool_down,
        }
    }

    /// Whether a call may go to the provider now: closed, or open with its cool-down over (the
    /// probe; the next probe waits another cool-down unless this one succeeds).
    pub fn allow(&self, now: Instant) -> bool {
        let Ok(mut s) = self.state.lock() else {
            return true;
        };
        match s.open_until {
            Some(until) if now < until => false,
            Some(_) => {
                s.open_until = Some(now + self.cool_down);
                true
            }
            None => true,
        }
    }

    pub fn success(&self) {
        if let Ok(mut s) = self.state.lock() {
            *s = State::default();
        }
    }

    /// A failure of the provider (not a refusal of one request); opens after [`OPEN_AFTER`].
    pub fn failure(&self, now: Instant) {
        if let Ok(mut s) = self.state.lock() {
            s.failures += 1;
            if s.failures >= OPEN_AFTER {
                s.open_until = Some(now + self.cool_down);
            }
        }
    }

    pub fn is_open(&self, now: Instant) -> bool {
        self.state
            .lock()
            .map(|s| s.open_until.is_some_and(|u| now < u))
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_a_run_of_failures_probes_after_the_cool_down_and_closes_on_success() {
        let b = Breaker::default();
        let t0 = Instant::now();
        for _ in 0..OPEN_AFTER - 1 {
            b.failure(t0);
            assert!(b.allow(t0));
        }
        b.failure(t0);
        assert!(!b.allow(t0) && b.is_open(t0));
        assert!(!b.allow(t0 + COOL_DOWN / 2));
        // One probe after the cool-down, not two.
        let later = t0 + COOL_DOWN + Duration::from_millis(1);
        assert!(b.allow(later));
        assert!(!b.allow(later));
        // The probe failed: another cool-down. It succeeds next time: closed.
        b.failure(later);
        let again = later + COOL_DOWN + Duration::from_millis(1);
        assert!(b.allow(again));
        b.success();
        assert!(b.allow(again) && b.allow(again) && !b.is_open(again));
    }
}
