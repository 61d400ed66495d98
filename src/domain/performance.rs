//! The measures of one performance row — a (channel or campaign, business day) — from the day's
//! counts: the day's share of a cost and the ratios. docs/performance.md defines every measure;
//! `repo/performance.rs` counts, `services/performance.rs` puts the two together.

use chrono::{Datelike, NaiveDate};
use rust_decimal::{Decimal, RoundingStrategy};

/// What was counted for one key on one business day.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub leads: i64,
    /// Of those leads, the ones whose status is now CONVERTED.
    pub converted: i64,
    pub contacts: i64,
    pub opportunities: i64,
    /// Amounts of the opportunities won on the day (CLOSED_WON, `actual_close_date` = the day).
    pub revenue: Decimal,
    pub cost: Decimal,
    pub impressions: i64,
    pub clicks: i64,
}

impl DayCounts {
    /// A day with nothing in it gets no row.
    pub fn is_empty(&self) -> bool {
        *self == DayCounts::default()
    }
}

/// The ratios of a row; `None` (NULL) when the divisor is zero or the quotient does not fit the
/// column (NUMERIC(18,2); 0–100 for the rate).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ratios {
    /// (revenue − cost) / cost.
    pub roi: Option<Decimal>,
    /// cost / leads.
    pub cpl: Option<Decimal>,
    /// cost / opportunities created.
    pub cpa: Option<Decimal>,
    /// converted leads × 100 / leads (a percentage).
    pub conversion_rate: Option<Decimal>,
}

/// The largest magnitude a NUMERIC(18,2) column holds, exclusive.
const NUMERIC_18_2: i64 = 10_000_000_000_000_000;

pub fn ratios(c: &DayCounts) -> Ratios {
    Ratios {
        roi: divide(c.revenue - c.cost, c.cost),
        cpl: divide(c.cost, Decimal::from(c.leads)),
        cpa: divide(c.cost, Decimal::from(c.opportunities)),
        conversion_rate: divide(Decimal::from(c.converted * 100), Decimal::from(c.leads)),
    }
}

/// `n / d` to the cent (half away from zero); NULL for a zero divisor or a quotient no
/// NUMERIC(18,2) holds.
fn divide(n: Decimal, d: Decimal) -> Option<Decimal> {
    if d.is_zero() {
        return None;
    }
    let q = n.checked_div(d)?.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    (q.abs() < Decimal::from(NUMERIC_18_2)).then_some(q)
}

/// A channel's cost on `day`: its monthly cost (元/月) spread over the days of `day`'s month.
pub fn channel_day_cost(monthly: Decimal, day: NaiveDate) -> Decimal {
    let first = day.with_day(1).expect("day 1 exists");
    let next = first.checked_add_months(chrono::Months::new(1)).expect("a next month exists");
    let days = (next - first).num_days();
    spread(monthly, days, day.day() as i64)
}

/// A campaign's cost on `day`: its actual cost spread over the days of `start..=end`; zero outside
/// them, and when either date is missing (nothing says over which days it was spent).
pub fn campaign_day_cost(actual: Decimal, start: Option<NaiveDate>, end: Option<NaiveDate>, day: NaiveDate) -> Decimal {
    let (Some(start), Some(end)) = (start, end) else { return Decimal::ZERO };
    if day < start || day > end {
        return Decimal::ZERO;
    }
    spread(actual, (end - start).num_days() + 1, (day - start).num_days() + 1)
}

/// The share of day `nth` (1-based) of `total` spread over `days` days: every day but the last
/// gets `total / days` rounded down to the cent, the last day the rest, so the days add up to
/// `total` exactly and no share is negative.
fn spread(total: Decimal, days: i64, nth: i64) -> Decimal {
    if days <= 0 || total <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    let share = (total / Decimal::from(days)).round_dp_with_strategy(2, RoundingStrategy::ToZero);
    if nth < days { share } else { total - share * Decimal::from(days - 1) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn dec(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn a_division_by_zero_is_null_not_a_giant_number() {
        let r = ratios(&DayCounts { cost: dec("100"), ..DayCounts::default() });
        assert_eq!(r, Ratios { roi: Some(dec("-1.00")), cpl: None, cpa: None, conversion_rate: None });
        let r = ratios(&DayCounts { leads: 3, converted: 1, revenue: dec("50"), ..DayCounts::default() });
        assert_eq!((r.roi, r.cpl, r.conversion_rate), (None, Some(dec("0.00")), Some(dec("33.33"))));
    }

    #[test]
    fn ratios_are_rounded_to_the_cent_half_away_from_zero() {
        let c = DayCounts {
            leads: 3,
            opportunities: 2,
            converted: 2,
            revenue: dec("1000"),
            cost: dec("300.01"),
            ..Default::default()
        };
        let r = ratios(&c);
        assert_eq!(r.cpl, Some(dec("100.00")));
        assert_eq!(r.cpa, Some(dec("150.01")));
        assert_eq!(r.roi, Some(dec("2.33")));
        assert_eq!(r.conversion_rate, Some(dec("66.67")));
    }

    #[test]
    fn a_ratio_too_large_for_its_column_is_null() {
        let c = DayCounts { revenue: dec("9999999999999999.99"), cost: dec("0.01"), ..Default::default() };
        assert_eq!(ratios(&c).roi, None);
    }

    #[test]
    fn a_month_of_channel_cost_adds_up_to_the_monthly_cost() {
        let monthly = dec("1000.00");
        let days: Vec<Decimal> =
            d("2026-02-01").iter_days().take(28).map(|day| channel_day_cost(monthly, day)).collect();
        assert_eq!(days[0], dec("35.71"));
        assert_eq!(days[27], dec("35.83"), "the last day takes the rest");
        assert_eq!(days.iter().sum::<Decimal>(), monthly);
        assert_eq!(channel_day_cost(dec("3100"), d("2026-12-04")), dec("100.00"));
    }

    #[test]
    fn a_campaign_cost_is_spread_over_its_dates_and_nowhere_else() {
        let (s, e) = (Some(d("2026-12-01")), Some(d("2026-12-03")));
        let cost: Vec<Decimal> = ["2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04"]
            .map(|x| campaign_day_cost(dec("0.10"), s, e, d(x)))
            .to_vec();
        assert_eq!(cost, vec![dec("0"), dec("0.03"), dec("0.03"), dec("0.04"), dec("0")]);
        assert_eq!(campaign_day_cost(dec("100"), None, e, d("2026-12-02")), Decimal::ZERO);
    }
}
