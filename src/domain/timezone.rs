//! The business timezone (`CDP_BUSINESS_TZ`, default `Asia/Shanghai`): the zone in which a
//! "day", "week", "month" or "quarter" of the business is cut — aggregate date buckets, the
//! performance tables' `stat_date`.
//!
//! Only zones without daylight saving time are offered, each as its fixed UTC offset. That keeps
//! bucketing one shift by a constant interval on both backends (SQLite has no zone database), and
//! it is exact for the markets the product serves (China has had no DST since 1991). A zone with
//! DST is refused at start rather than bucketed wrongly twice a year.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

/// The IANA names accepted, with their offset east of UTC in minutes.
const ZONES: &[(&str, i32)] = &[
    ("UTC", 0),
    ("Asia/Shanghai", 480),
    ("Asia/Chongqing", 480),
    ("Asia/Hong_Kong", 480),
    ("Asia/Macau", 480),
    ("Asia/Taipei", 480),
    ("Asia/Singapore", 480),
    ("Asia/Kuala_Lumpur", 480),
    ("Asia/Manila", 480),
    ("Asia/Tokyo", 540),
    ("Asia/Seoul", 540),
    ("Asia/Jakarta", 420),
    ("Asia/Bangkok", 420),
    ("Asia/Ho_Chi_Minh", 420),
    ("Asia/Dhaka", 360),
    ("Asia/Kolkata", 330),
    ("Asia/Karachi", 300),
    ("Asia/Dubai", 240),
    ("Europe/Moscow", 180),
];

/// A calendar unit a date bucket can have.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Period {
    Day,
    /// ISO weeks: Monday to Sunday.
    Week,
    Month,
    Quarter,
}

impl Period {
    /// `day`, `week`, `month`, `quarter` (also PostgreSQL's `date_trunc` unit names).
    pub fn name(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
        }
    }
}

/// The business timezone: a name and its fixed offset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusinessZone {
    name: &'static str,
    offset: FixedOffset,
}

impl Default for BusinessZone {
    fn default() -> Self {
        BusinessZone::parse("Asia/Shanghai").expect("the default zone is in the list")
    }
}

impl BusinessZone {
    /// The zone named `name`; the error lists what is accepted.
    pub fn parse(name: &str) -> Result<BusinessZone, String> {
        ZONES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(name, minutes)| BusinessZone {
                name,
                offset: FixedOffset::east_opt(minutes * 60).expect("offsets in the list are valid"),
            })
            .ok_or_else(|| {
                let names: Vec<&str> = ZONES.iter().map(|(n, _)| *n).collect();
                format!("unknown or daylight-saving timezone {name:?}; accepted: {}", names.join(", "))
            })
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Seconds east of UTC.
    pub fn offset_seconds(&self) -> i32 {
        self.offset.local_minus_utc()
    }

    /// The business day an instant falls on.
    pub fn day_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.offset).date_naive()
    }

    /// The instants `[start, end)` of a business day.
    pub fn day_bounds(&self, day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
        let start = self
            .offset
            .from_local_datetime(&day.and_time(NaiveTime::MIN))
            .single()
            .expect("a fixed offset maps every local time once")
            .with_timezone(&Utc);
        (start, start + Duration::days(1))
    }

    /// The first day of the `period` that `day` is in.
    pub fn bucket_start(period: Period, day: NaiveDate) -> NaiveDate {
        match period {
            Period::Day => day,
            Period::Week => day - Duration::days(day.weekday().num_days_from_monday() as i64),
            Period::Month => day.with_day(1).expect("day 1 exists"),
            Period::Quarter => NaiveDate::from_ymd_opt(day.year(), (day.month0() / 3) * 3 + 1, 1)
                .expect("a quarter's first day exists"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_default_zone_is_beijing_time() {
        let z = BusinessZone::default();
        assert_eq!((z.name(), z.offset_seconds()), ("Asia/Shanghai", 8 * 3600));
    }

    #[test]
    fn a_utc_evening_is_the_next_beijing_day() {
        let z = BusinessZone::default();
        assert_eq!(z.day_of(utc("2026-12-03T15:59:59Z")), date("2026-12-03"));
        assert_eq!(z.day_of(utc("2026-12-03T16:00:00Z")), date("2026-12-04"));
        assert_eq!(z.day_bounds(date("2026-12-04")), (utc("2026-12-03T16:00:00Z"), utc("2026-12-04T16:00:00Z")));
    }

    #[test]
    fn zones_with_daylight_saving_time_are_refused_with_the_accepted_list() {
        let e = BusinessZone::parse("Europe/Berlin").unwrap_err();
        assert!(e.contains("Europe/Berlin") && e.contains("Asia/Shanghai"), "{e}");
        assert_eq!(BusinessZone::parse("Asia/Kolkata").unwrap().offset_seconds(), 19_800);
    }

    #[test]
    fn buckets_start_on_monday_the_first_of_the_month_and_of_the_quarter() {
        let d = date("2026-11-19"); // a Thursday
        assert_eq!(BusinessZone::bucket_start(Period::Day, d), d);
        assert_eq!(BusinessZone::bucket_start(Period::Week, d), date("2026-11-16"));
        assert_eq!(BusinessZone::bucket_start(Period::Month, d), date("2026-11-01"));
        assert_eq!(BusinessZone::bucket_start(Period::Quarter, d), date("2026-10-01"));
    }
}
