//! Per-principal rate limit: a token bucket (GCRA) keyed by the token's subject, charged once per
//! GraphQL operation — a JSON-array batch of n operations costs n, so batching does not bypass it.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// Above this many tracked subjects, forget the ones whose buckets are full again.
const PRUNE_ABOVE: usize = 10_000;

pub struct OperationLimiter {
    buckets: DefaultKeyedRateLimiter<String>,
    clock: DefaultClock,
}

impl OperationLimiter {
    pub fn new(per_minute: u32, burst: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        OperationLimiter {
            buckets: RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst)),
            clock: DefaultClock::default(),
        }
    }

    /// Admit `operations` for `subject`, or say how long to wait before retrying.
    pub fn admit(&self, subject: &str, operations: usize) -> Result<(), Duration> {
        if self.buckets.len() > PRUNE_ABOVE {
            self.buckets.retain_recent();
        }
        let n = NonZeroU32::new(u32::try_from(operations).unwrap_or(u32::MAX)).unwrap_or(NonZeroU32::MIN);
        match self.buckets.check_key_n(&subject.to_owned(), n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => Err(not_until.wait_time_from(self.clock.now())),
            // More operations than the burst can ever hold: retry as single operations later.
            Err(_) => Err(Duration::from_secs(60)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_admitted_then_refused_with_a_wait() {
        let l = OperationLimiter::new(60, 3);
        assert!(l.admit("a", 2).is_ok());
        assert!(l.admit("a", 1).is_ok());
        let wait = l.admit("a", 1).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1), "{wait:?}");
        assert!(l.admit("b", 3).is_ok(), "buckets are per subject");
        assert!(l.admit("c", 4).is_err(), "a batch larger than the burst never fits");
    }
}
