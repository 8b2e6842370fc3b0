//! Per-client token bucket (`NOVA_RATE_LIMIT_PER_MINUTE`). The client table is bounded:
//! beyond `MAX_CLIENTS` the longest-idle entries are dropped, which can only make the
//! limiter more permissive for them, never grow memory.

use parking_lot::Mutex;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
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

/// Client addresses whose failed authentications are remembered at most. Beyond it,
/// addresses whose allowance has refilled (they carry no state) are forgotten first, then
/// the tenth with the fullest allowance, so locked-out addresses are forgotten last. About
/// 50 bytes each: the table stays under a few hundred KiB.
pub const MAX_AUTH_FAILURE_CLIENTS: usize = 4096;

/// Failed authentications per client address (`NOVA_AUTH_FAILURES_PER_MINUTE`, issue 16):
/// a token bucket of failures that holds the per-minute allowance and refills at that rate.
///
/// While an address has no failure left, every request it makes to a token-protected
/// route is refused with 429 — with the right token too. Accepting a right token during
/// the lockout would tell a brute-forcer which guess was right, which is exactly the
/// oracle the limit exists to take away; so guessing runs at the refill rate (10 per
/// minute by default) at most. The price: a legitimate client behind the same address
/// (one NAT, one reverse proxy) waits until the allowance refills, at most
/// `60 / NOVA_AUTH_FAILURES_PER_MINUTE` seconds per failure after the attack stops. Open
/// routes (`/health*`, `/metrics`, the UI) are not affected.
///
/// IPv6 clients are counted per /64 (one host usually holds a whole /64, so per-address
/// buckets would be free to dodge); IPv4-mapped IPv6 addresses count as their IPv4.
pub struct AuthFailureLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

/// The address a failure is counted against.
fn auth_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

impl AuthFailureLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refill(&self, b: &mut Bucket, now: Instant) {
        let cap = self.per_minute as f64;
        let rate = cap / 60.0;
        b.tokens = (b.tokens + now.saturating_duration_since(b.last).as_secs_f64() * rate).min(cap);
        b.last = now;
    }

    /// Ok while `ip` may still try, or Err(seconds until its next failure is allowed).
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        self.check_at(ip, Instant::now())
    }

    pub(crate) fn check_at(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let mut map = self.buckets.lock();
        let Some(b) = map.get_mut(&auth_key(ip)) else {
            return Ok(());
        };
        self.refill(b, now);
        // The tolerance makes "retry in N s" exact despite floating-point refills.
        if b.tokens >= 1.0 - 1e-9 {
            Ok(())
        } else {
            let rate = self.per_minute as f64 / 60.0;
            Err(((1.0 - b.tokens) / rate).ceil().max(1.0) as u64)
        }
    }

    /// Counts one failed authentication from `ip`.
    pub fn record_failure(&self, ip: IpAddr) {
        self.record_failure_at(ip, Instant::now());
    }

    pub(crate) fn record_failure_at(&self, ip: IpAddr, now: Instant) {
        if self.per_minute == 0 {
            return;
        }
        let cap = self.per_minute as f64;
        let key = auth_key(ip);
        let mut map = self.buckets.lock();
        if map.len() >= MAX_AUTH_FAILURE_CLIENTS && !map.contains_key(&key) {
            for b in map.values_mut() {
                self.refill(b, now);
            }
            map.retain(|_, b| b.tokens < cap);
            if map.len() >= MAX_AUTH_FAILURE_CLIENTS {
                // The fullest allowances go first; locked-out addresses are kept longest.
                let mut fullest: Vec<(IpAddr, f64)> =
                    map.iter().map(|(k, b)| (*k, b.tokens)).collect();
                fullest.sort_by(|a, b| b.1.total_cmp(&a.1));
                for (k, _) in fullest.into_iter().take(MAX_AUTH_FAILURE_CLIENTS / 10) {
                    map.remove(&k);
                }
            }
        }
        let b = map.entry(key).or_insert(Bucket {
            tokens: cap,
            last: now,
        });
        self.refill(b, now);
        b.tokens = (b.tokens - 1.0).max(0.0);
    }

    /// Addresses remembered now (bounded by [`MAX_AUTH_FAILURE_CLIENTS`]).
    pub fn clients(&self) -> usize {
        self.buckets.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn failures_beyond_the_allowance_lock_the_address_until_it_refills() {
        let l = AuthFailureLimiter::new(10);
        let t0 = Instant::now();
        let a = ip("192.0.2.1");
        for _ in 0..10 {
            assert!(l.check_at(a, t0).is_ok());
            l.record_failure_at(a, t0);
        }
        let wait = l.check_at(a, t0).unwrap_err();
        assert_eq!(wait, 6, "one failure refills every 60/10 s");
        // Another address is not affected.
        assert!(l.check_at(ip("192.0.2.2"), t0).is_ok());
        // Still locked just before one failure has refilled, free again after.
        assert!(l.check_at(a, t0 + Duration::from_secs(5)).is_err());
        assert!(l.check_at(a, t0 + Duration::from_secs(6)).is_ok());
        // ...for one more try only.
        l.record_failure_at(a, t0 + Duration::from_secs(6));
        assert!(l.check_at(a, t0 + Duration::from_secs(6)).is_err());
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_ipv4_as_ipv4() {
        let l = AuthFailureLimiter::new(2);
        let t0 = Instant::now();
        l.record_failure_at(ip("2001:db8:1:2::1"), t0);
        l.record_failure_at(ip("2001:db8:1:2:ffff::9"), t0);
        assert!(l.check_at(ip("2001:db8:1:2::77"), t0).is_err());
        assert!(l.check_at(ip("2001:db8:1:3::1"), t0).is_ok());
        l.record_failure_at(ip("::ffff:198.51.100.7"), t0);
        l.record_failure_at(ip("198.51.100.7"), t0);
        assert!(l.check_at(ip("198.51.100.7"), t0).is_err());
        assert_eq!(l.clients(), 2);
    }

    #[test]
    fn the_table_is_bounded_and_keeps_locked_addresses_first() {
        let l = AuthFailureLimiter::new(3);
        let t0 = Instant::now();
        let locked = ip("10.255.255.255");
        for _ in 0..3 {
            l.record_failure_at(locked, t0);
        }
        // Many addresses with one failure each, long enough ago to have refilled.
        for i in 0..MAX_AUTH_FAILURE_CLIENTS as u32 {
            l.record_failure_at(IpAddr::from(i.to_be_bytes()), t0);
        }
        assert!(l.clients() <= MAX_AUTH_FAILURE_CLIENTS);
        // Pruning drops the fullest allowances (2.5 of 3 at t1), never the locked one (0.5).
        let t1 = t0 + Duration::from_secs(10);
        l.record_failure_at(ip("172.16.0.1"), t1);
        assert!(l.clients() <= MAX_AUTH_FAILURE_CLIENTS);
        assert!(
            l.check_at(locked, t1).is_err(),
            "the lockout survived pruning"
        );
        assert_eq!(AuthFailureLimiter::new(0).check_at(locked, t0), Ok(()));
    }

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
