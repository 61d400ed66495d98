//! Time, randomness and ids of the generator, all reproducible.
//!
//! Generated time is anchored to the fixed instant [`anchor`] (2026-11-01T00:00:00Z) instead of the
//! wall clock: the data spans the [`SPAN_DAYS`] days before it, so the same seed and scale produce
//! the same rows on every run and machine. Each generation step draws from its own ChaCha8 stream
//! (see [`Stream`]) so changing one step does not reshuffle the others.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ulid::Ulid;

/// Unix seconds of 2026-11-01T00:00:00Z.
const ANCHOR_SECS: i64 = 1_793_491_200;
/// Days of history before the anchor.
pub const SPAN_DAYS: i64 = 730;

/// The "now" of generated data: every generated event happened before it (a few scheduled
/// touchpoints lie after it), and seeded summaries are calculated at it.
pub fn anchor() -> DateTime<Utc> {
    Utc.timestamp_opt(ANCHOR_SECS, 0).single().expect("constant is a valid timestamp")
}

/// The first instant of generated history.
pub fn start() -> DateTime<Utc> {
    anchor() - Duration::days(SPAN_DAYS)
}

/// `<PREFIX>_<ULID>` whose ULID time part is `at` (so ids sort by creation time) and whose random
/// part comes from `rng` (so ids are reproducible).
pub fn prefix_id(prefix: &str, at: DateTime<Utc>, rng: &mut impl Rng) -> String {
    let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    format!("{prefix}_{}", Ulid::from_parts(ms, rng.random()))
}

/// One independent random stream per generation step.
#[derive(Debug, Clone, Copy)]
pub enum Stream {
    Catalog = 1,
    Accounts,
    Contacts,
    Leads,
    Opportunities,
    Campaigns,
    Members,
    Performance,
    Touchpoints,
    Events,
    Attribution,
    Journeys,
    Tags,
    Segments,
    Scores,
    Identities,
}

pub fn rng(seed: u64, stream: Stream) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(stream as u64);
    rng
}

/// A uniformly random instant in `[from, to)`, whole seconds; `from` when the range is empty.
pub fn between(rng: &mut impl Rng, from: DateTime<Utc>, to: DateTime<Utc>) -> DateTime<Utc> {
    let span = (to - from).num_seconds();
    if span <= 0 {
        return from;
    }
    from + Duration::seconds(rng.random_range(0..span))
}

/// `at` plus a random number of seconds in `range`.
pub fn after(rng: &mut impl Rng, at: DateTime<Utc>, range: std::ops::Range<i64>) -> DateTime<Utc> {
    at + Duration::seconds(rng.random_range(range))
}

pub const HOUR: i64 = 3_600;
pub const DAY: i64 = 86_400;

pub fn days(n: i64) -> Duration {
    Duration::days(n)
}

pub fn date(at: DateTime<Utc>) -> NaiveDate {
    at.date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchor_is_the_first_of_november_2026() {
        assert_eq!(anchor().to_rfc3339(), "2026-11-01T00:00:00+00:00");
        assert_eq!(start().to_rfc3339(), "2024-11-01T00:00:00+00:00");
    }

    #[test]
    fn prefixed_ids_sort_by_time_and_repeat_per_seed() {
        let mut a = rng(42, Stream::Accounts);
        let mut b = rng(42, Stream::Accounts);
        let early = prefix_id("ACC", start(), &mut a);
        let late = prefix_id("ACC", anchor(), &mut a);
        assert!(early < late);
        assert_eq!(early, prefix_id("ACC", start(), &mut b));
        assert!(early.starts_with("ACC_") && early.len() == 4 + 26);
        let other_stream = prefix_id("ACC", start(), &mut rng(42, Stream::Leads));
        assert_ne!(early, other_stream);
    }
}
