//! Time, randomness and ids of the generator, all reproducible.
//!
//! Generated time is anchored to a [`Clock`]: 00:00 UTC of the data set's *as-of* date (`cdp360
//! seed --as-of DATE`, today's UTC date by default). The data spans the [`SPAN_DAYS`] days before
//! that anchor, so it always looks current, and the same seed, scale and as-of date produce the
//! same rows on every run and machine. Each generation step draws from its own ChaCha8 stream (see
//! [`Stream`]) so changing one step does not reshuffle the others.
//!
//! Times of day follow Beijing time (Asia/Shanghai, UTC+8 all year): a [`Rhythm`] per kind of
//! activity says which local hours and days are busy (calls in office hours on weekdays, web
//! visits all day with an evening peak), and [`within`] draws instants that follow it.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use ulid::Ulid;

/// Days of history before the anchor.
pub const SPAN_DAYS: i64 = 730;

/// The "now" of one generated data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    anchor: DateTime<Utc>,
}

impl Clock {
    /// The clock of a data set as of `date`: its anchor is 00:00 UTC that day (08:00 in Beijing),
    /// so data seeded with today's date never lies in the future of the run.
    pub fn as_of(date: NaiveDate) -> Self {
        Self { anchor: date.and_time(chrono::NaiveTime::MIN).and_utc() }
    }

    /// The "now" of generated data: every generated event happened before it (a few scheduled
    /// touchpoints and planned campaigns lie after it), and seeded summaries are calculated at it.
    pub fn anchor(&self) -> DateTime<Utc> {
        self.anchor
    }

    /// The first instant of generated history.
    pub fn start(&self) -> DateTime<Utc> {
        self.anchor - Duration::days(SPAN_DAYS)
    }
}

impl Default for Clock {
    /// As of 2026-11-01, the anchor the generator had before `--as-of` (kept for unit tests).
    fn default() -> Self {
        Self::as_of(NaiveDate::from_ymd_opt(2026, 11, 1).expect("valid date"))
    }
}

/// Today's date in UTC: the default as-of date.
pub fn today() -> NaiveDate {
    Utc::now().date_naive()
}

/// Beijing time is UTC+8 all year (China has no daylight saving time).
const BEIJING_OFFSET_HOURS: i64 = 8;

/// When in the Beijing week a kind of activity happens: a weight (0–100) per local hour of a
/// weekday, and the weight of a weekend hour as a percentage of the same weekday hour.
pub struct Rhythm {
    pub hours: [u32; 24],
    pub weekend_percent: u32,
}

impl Rhythm {
    /// The weight (0–100) of the Beijing hour `at` falls in.
    pub fn weight(&self, at: DateTime<Utc>) -> u32 {
        let local = beijing(at);
        let hour = self.hours[local.hour() as usize];
        if local.weekday().number_from_monday() >= 6 { hour * self.weekend_percent / 100 } else { hour }
    }
}

/// `at` as a Beijing wall-clock time.
pub fn beijing(at: DateTime<Utc>) -> chrono::NaiveDateTime {
    at.naive_utc() + Duration::hours(BEIJING_OFFSET_HOURS)
}

/// Sales work: calls, meetings, e-mails sent, records created in the CRM. 9:00–18:00 on weekdays
/// with a lunch dip; almost nothing before 8 or after 20; weekends a twentieth of a weekday.
#[rustfmt::skip]
pub const OFFICE: Rhythm = Rhythm {
    //      0  1  2  3  4  5  6  7  8   9   10  11  12  13  14  15  16  17  18  19 20 21 22 23
    hours: [0, 0, 0, 0, 0, 0, 0, 1, 8, 70, 100, 95, 35, 60, 95, 100, 90, 70, 20, 6, 3, 1, 0, 0],
    weekend_percent: 5,
};

/// People on their own time: web visits, mini-program sessions, forms, e-mail opens, social
/// media. Busy through the working day with an evening peak around 21:00, few between 1 and 6;
/// weekends at 60 % of a weekday.
#[rustfmt::skip]
pub const WEB: Rhythm = Rhythm {
    //      0   1  2  3  4  5  6  7   8   9   10  11  12  13  14  15  16  17  18  19  20  21   22  23
    hours: [12, 5, 2, 1, 1, 2, 6, 18, 40, 65, 80, 80, 60, 65, 80, 80, 75, 65, 55, 70, 90, 100, 75, 35],
    weekend_percent: 60,
};

/// An instant in `[from, to)` that follows `rhythm` (whole seconds): uniform draws kept with
/// probability weight/100. A range with no busy hour (a few night hours) gives its busiest draw.
pub fn within(rng: &mut impl Rng, from: DateTime<Utc>, to: DateTime<Utc>, rhythm: &Rhythm) -> DateTime<Utc> {
    let mut best = (0, from);
    for i in 0..64 {
        let at = between(rng, from, to);
        let weight = rhythm.weight(at);
        if rng.random_range(0..100) < weight {
            return at;
        }
        if i == 0 || weight > best.0 {
            best = (weight, at);
        }
    }
    best.1
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
    /// 8 was the random performance statistics' stream; performance is now recomputed from the
    /// generated rows (`services::performance`), and the later streams keep their numbers.
    Touchpoints = 9,
    Events,
    Attribution,
    Journeys,
    Tags,
    Segments,
    Scores,
    Identities,
    /// Campaign budgets and costs, settled once the leads are known.
    Costs,
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
    fn the_default_clock_is_as_of_the_first_of_november_2026() {
        let c = Clock::default();
        assert_eq!(c.anchor().to_rfc3339(), "2026-11-01T00:00:00+00:00");
        assert_eq!(c.start().to_rfc3339(), "2024-11-01T00:00:00+00:00");
        let d = NaiveDate::from_ymd_opt(2027, 3, 15).expect("date");
        assert_eq!(Clock::as_of(d).anchor().to_rfc3339(), "2027-03-15T00:00:00+00:00");
    }

    #[test]
    fn prefixed_ids_sort_by_time_and_repeat_per_seed() {
        let c = Clock::default();
        let mut a = rng(42, Stream::Accounts);
        let mut b = rng(42, Stream::Accounts);
        let early = prefix_id("ACC", c.start(), &mut a);
        let late = prefix_id("ACC", c.anchor(), &mut a);
        assert!(early < late);
        assert_eq!(early, prefix_id("ACC", c.start(), &mut b));
        assert!(early.starts_with("ACC_") && early.len() == 4 + 26);
        let other_stream = prefix_id("ACC", c.start(), &mut rng(42, Stream::Leads));
        assert_ne!(early, other_stream);
    }

    #[test]
    fn office_times_fall_on_beijing_weekdays_in_office_hours() {
        let c = Clock::default();
        let mut r = rng(1, Stream::Touchpoints);
        let times: Vec<_> = (0..2_000).map(|_| within(&mut r, c.start(), c.anchor(), &OFFICE)).collect();
        let office = times
            .iter()
            .map(|t| beijing(*t))
            .filter(|t| t.weekday().number_from_monday() <= 5 && (9..18).contains(&t.hour()))
            .count();
        assert!(office * 100 / times.len() >= 85, "{office} of {}", times.len());
        assert!(times.iter().all(|t| (c.start()..c.anchor()).contains(t)));
        // 2026-10-31 is a Saturday: 16:00–24:00 UTC is 00:00–08:00 Beijing on Sunday, no office
        // hour at all: the busiest draw is kept, still inside the range.
        let night = c.anchor() - Duration::hours(8);
        let t = within(&mut r, night, c.anchor(), &OFFICE);
        assert!((night..c.anchor()).contains(&t));
    }
}
