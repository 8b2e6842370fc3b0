//! Per-client token bucket (`NOVA_RATE_LIMIT_PER_MINUTE`). The client table is bounded:
//! beyond `MAX_CLIENTS` the longest-idle entries are dropped, which can only make the
//! limiter more permissive for them, never grow memory.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::time::Instant;

const MAX_CLIENTS: usize = 10_000;

struct Bucket {
    tokens: f64,
    last: Instant,
}

pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Ok, or Err(seconds until the next request would be allowed).
    pub fn check(&self, client: &str) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let cap = self.per_minute as f64;
        let rate = cap / 60.0;
        let now = Instant::now();
        let mut map = self.buckets.lock();
        if map.len() >= MAX_CLIENTS && !map.contains_key(client) {
            let mut idle: Vec<(String, Instant)> =
                map.iter().map(|(k, b)| (k.clone(), b.last)).collect();
            idle.sort_by_key(|(_, t)| *t);
            for (k, _) in idle.into_iter().take(MAX_CLIENTS / 10) {
                map.remove(&k);
            }
        }
        let b = map.entry(client.to_string()).or_insert(Bucket {
            tokens: cap,
            last: now,
        });
        b.tokens = (b.tokens + now.duration_since(b.last).as_secs_f64() * rate).min(cap);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(((1.0 - b.tokens) / rate).ceil().max(1.0) as u64)
        }
    }

    pub fn clients(&self) -> usize {
        self.buckets.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_client() {
        let r = RateLimiter::new(3);
        for _ in 0..3 {
            assert!(r.check("a").is_ok());
        }
        let wait = r.check("a").unwrap_err();
        assert!(wait >= 1);
        assert!(r.check("b").is_ok());
        assert!(RateLimiter::new(0).check("a").is_ok());
    }
}
