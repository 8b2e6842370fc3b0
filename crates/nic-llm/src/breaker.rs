//! A circuit breaker shared by all requests.
//!
//! Why: when the LLM server is down or overloaded, every question would otherwise wait for
//! a connect failure or the full `NOVA_LLM_TIMEOUT_S` before falling back to the extractive
//! answer. After `NOVA_LLM_BREAKER_FAILURES` consecutive failures the breaker *opens* and
//! requests skip the LLM at once for `NOVA_LLM_BREAKER_COOLDOWN_S`; then it is *half-open*:
//! exactly one trial request goes through (others keep skipping), and its result closes or
//! re-opens the breaker.
//!
//! A request that is cancelled (the client went away) says nothing about the server: it
//! neither counts as a failure nor as a success, and a cancelled trial frees the trial slot.

use serde::Serialize;
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half_open",
        }
    }
}

/// What `/health` and `/api/status` show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BreakerSnapshot {
    pub state: BreakerState,
    /// Seconds until a trial request is allowed (0 unless open).
    pub retry_in_s: u64,
    pub consecutive_failures: u32,
}

#[derive(Debug)]
enum Inner {
    Closed { failures: u32 },
    Open { until: Instant },
    HalfOpen { trial_in_flight: bool },
}

#[derive(Debug)]
pub struct CircuitBreaker {
    threshold: u32,
    cooldown: Duration,
    inner: Mutex<Inner>,
}

/// Permission to make one request. Report its result with [`CircuitBreaker::record`];
/// a permit dropped unreported (cancellation) releases a half-open trial slot.
#[derive(Debug)]
pub struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    trial: bool,
    reported: bool,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if self.trial && !self.reported {
            let mut inner = self.breaker.lock();
            if let Inner::HalfOpen { trial_in_flight } = &mut *inner {
                *trial_in_flight = false;
            }
        }
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

impl CircuitBreaker {
    /// `threshold` consecutive failures open the breaker for `cooldown` (threshold ≥ 1).
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Self {
            threshold: threshold.max(1),
            cooldown,
            inner: Mutex::new(Inner::Closed { failures: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // The state is a plain enum; a panic elsewhere cannot leave it half-updated.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks to make a request: `Err(retry_in_s)` when the LLM must be skipped.
    pub fn try_acquire(&self) -> Result<Permit<'_>, u64> {
        let mut inner = self.lock();
        let trial = match &mut *inner {
            Inner::Closed { .. } => false,
            Inner::Open { until } => {
                let now = Instant::now();
                if now < *until {
                    return Err(ceil_secs(*until - now).max(1));
                }
                *inner = Inner::HalfOpen {
                    trial_in_flight: true,
                };
                true
            }
            Inner::HalfOpen { trial_in_flight } => {
                if *trial_in_flight {
                    return Err(1);
                }
                *trial_in_flight = true;
                true
            }
        };
        Ok(Permit {
            breaker: self,
            trial,
            reported: false,
        })
    }

    /// Reports the result of a permitted request.
    pub fn record(&self, mut permit: Permit<'_>, success: bool) {
        permit.reported = true;
        let mut inner = self.lock();
        if success {
            *inner = Inner::Closed { failures: 0 };
            return;
        }
        let open = Inner::Open {
            until: Instant::now() + self.cooldown,
        };
        *inner = match &*inner {
            Inner::Closed { failures } if failures + 1 < self.threshold => Inner::Closed {
                failures: failures + 1,
            },
            // Threshold reached, a failed trial, or a late failure while open: (re)open.
            _ => open,
        };
    }

    pub fn snapshot(&self) -> BreakerSnapshot {
        let inner = self.lock();
        match &*inner {
            Inner::Closed { failures } => BreakerSnapshot {
                state: BreakerState::Closed,
                retry_in_s: 0,
                consecutive_failures: *failures,
            },
            Inner::Open { until } => {
                let now = Instant::now();
                if now < *until {
                    BreakerSnapshot {
                        state: BreakerState::Open,
                        retry_in_s: ceil_secs(*until - now),
                        consecutive_failures: self.threshold,
                    }
                } else {
                    BreakerSnapshot {
                        state: BreakerState::HalfOpen,
                        retry_in_s: 0,
                        consecutive_failures: self.threshold,
                    }
                }
            }
            Inner::HalfOpen { .. } => BreakerSnapshot {
                state: BreakerState::HalfOpen,
                retry_in_s: 0,
                consecutive_failures: self.threshold,
            },
        }
    }

    /// `closed`, `open` or `half_open`.
    pub fn state(&self) -> BreakerState {
        self.snapshot().state
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(b: &CircuitBreaker) {
        let p = b.try_acquire().unwrap();
        b.record(p, false);
    }

    #[test]
    fn opens_after_threshold_and_success_resets_count() {
        let b = CircuitBreaker::new(3, Duration::from_secs(60));
        fail(&b);
        fail(&b);
        let p = b.try_acquire().unwrap();
        b.record(p, true);
        assert_eq!(b.snapshot().consecutive_failures, 0);
        fail(&b);
        fail(&b);
        assert_eq!(b.state(), BreakerState::Closed);
        fail(&b);
        let s = b.snapshot();
        assert_eq!(s.state, BreakerState::Open);
        assert!(s.retry_in_s >= 59 && s.retry_in_s <= 60);
        assert!(b.try_acquire().is_err());
    }

    #[test]
    fn half_open_allows_one_trial_and_cancellation_frees_it() {
        let b = CircuitBreaker::new(1, Duration::ZERO);
        fail(&b);
        assert_eq!(b.state(), BreakerState::HalfOpen);
        let trial = b.try_acquire().unwrap();
        assert!(b.try_acquire().is_err(), "only one trial at a time");
        drop(trial); // cancelled
        let trial = b.try_acquire().expect("slot freed by the cancelled trial");
        b.record(trial, false);
        // Zero cooldown: immediately half-open again; a successful trial closes it.
        let trial = b.try_acquire().unwrap();
        b.record(trial, true);
        assert_eq!(b.state(), BreakerState::Closed);
    }
}
