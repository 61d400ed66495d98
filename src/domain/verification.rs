//! Landing-page verification codes, the pure part (ARCHITECTURE.md, "Verification codes"): the
//! code itself, what its keyed hash covers, when a stored code can still be used, and how long a
//! sender must wait under the rate limits. The service (`services::verification`) reads the facts
//! from the database and applies these rules; the HMAC key lives with the other PII keys.

use std::fmt;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;

use super::value::Phone;

/// Digits of a code.
pub const CODE_DIGITS: usize = 6;

/// A six-digit code. No `Display`, and a `Debug` that hides it: it reaches the sender and nothing
/// else.
#[derive(Clone, PartialEq, Eq)]
pub struct Code(String);

impl Code {
    /// A fresh code from the thread-local CSPRNG (ChaCha, seeded from the operating system), uniform
    /// over `000000`–`999999`.
    pub fn generate() -> Code {
        let n: u32 = rand::rng().random_range(0..10u32.pow(CODE_DIGITS as u32));
        Code(format!("{n:0width$}", width = CODE_DIGITS))
    }

    /// A code as a visitor typed it: six ASCII digits, surrounding blanks ignored.
    pub fn parse(raw: &str) -> Option<Code> {
        let raw = raw.trim();
        (raw.len() == CODE_DIGITS && raw.bytes().all(|b| b.is_ascii_digit())).then(|| Code(raw.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(******)")
    }
}

/// What the keyed hash of a code covers: the row id (a hash copied to another row does not
/// verify there), the normalised phone and the code. A 6-digit code alone has a million values;
/// unkeyed, its hash is brute-forced at once, so the service keys it (HMAC-SHA256).
pub fn mac_message(code_id: &str, phone: &Phone, code: &Code) -> String {
    format!("{code_id}|{}|{}", phone.as_str(), code.as_str())
}

/// Equality of two digests in time independent of where they differ.
pub fn digests_match(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The lifetime, attempts and sending limits of codes (`CDP_VERIFICATION_*`, validated in
/// `config`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// How long a code is valid after it is sent.
    pub lifetime: Duration,
    /// Checks a code allows; the last one that fails kills it.
    pub max_attempts: u32,
    /// The least time between two codes to one phone (zero: no gap).
    pub resend_gap: Duration,
    /// Codes to one phone per rolling hour.
    pub per_phone_per_hour: u32,
    /// Codes requested from one IP per rolling hour.
    pub per_ip_per_hour: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            lifetime: Duration::from_secs(300),
            max_attempts: 5,
            resend_gap: Duration::from_secs(60),
            per_phone_per_hour: 5,
            per_ip_per_hour: 20,
        }
    }
}

/// The rate-limit window.
pub const WINDOW: Duration = Duration::from_secs(3600);

/// Seconds a sender must wait before one more code fits, given when earlier codes were sent
/// (`sent`, oldest first: those of the last [`WINDOW`]), at most `max` of them per window and at
/// least `gap` apart; `None` when one fits now. Rounded up, at least 1.
pub fn retry_after(sent: &[DateTime<Utc>], now: DateTime<Utc>, max: u32, gap: Duration) -> Option<u64> {
    let window = chrono::Duration::from_std(WINDOW).unwrap_or_default();
    let in_window: Vec<&DateTime<Utc>> = sent.iter().filter(|t| **t > now - window).collect();
    let mut free_at: Option<DateTime<Utc>> = None;
    if in_window.len() >= max as usize {
        // The oldest of the last `max` leaves the window first.
        let oldest = in_window[in_window.len() - max as usize];
        free_at = Some(*oldest + window);
    }
    if let Some(last) = in_window.last()
        && !gap.is_zero()
    {
        let next = **last + chrono::Duration::from_std(gap).unwrap_or_default();
        if next > now {
            free_at = Some(free_at.map_or(next, |f| f.max(next)));
        }
    }
    let wait = free_at? - now;
    (wait > chrono::Duration::zero()).then(|| ((wait.num_milliseconds() + 999) / 1000).max(1) as u64)
}

/// What is known of a stored code before it is checked.
#[derive(Clone, Copy, Debug)]
pub struct Stored {
    pub attempts: u32,
    pub expires_at: DateTime<Utc>,
    pub consumed: bool,
}

/// Why a stored code cannot be used any more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unusable {
    /// Used by an accepted submission, replaced by a newer code, or never delivered.
    Consumed,
    Expired,
    /// Its attempts are spent.
    Exhausted,
}

/// Whether a stored code may be checked now (one more attempt).
pub fn usable(code: Stored, now: DateTime<Utc>, limits: &Limits) -> Result<(), Unusable> {
    if code.consumed {
        Err(Unusable::Consumed)
    } else if code.expires_at <= now {
        Err(Unusable::Expired)
    } else if code.attempts >= limits.max_attempts {
        Err(Unusable::Exhausted)
    } else {
        Ok(())
    }
}

/// A phone as a log line may show it: the national number of a mainland mobile
/// (`+8613800138000` → `138****8000`), else the E.164 form, masked the same way.
pub fn masked_phone(phone: &Phone) -> String {
    let s = phone.as_str();
    super::mask::mask_phone(s.strip_prefix("+86").unwrap_or(s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn generated_codes_are_six_digits_and_vary() {
        let codes: Vec<Code> = (0..50).map(|_| Code::generate()).collect();
        assert!(codes.iter().all(|c| c.as_str().len() == 6 && c.as_str().bytes().all(|b| b.is_ascii_digit())));
        assert!(codes.iter().any(|c| c != &codes[0]), "50 codes are not all equal");
        assert_eq!(format!("{:?}", codes[0]), "Code(******)");
    }

    #[test]
    fn a_code_parses_from_six_digits_only() {
        assert_eq!(Code::parse(" 012345 ").unwrap().as_str(), "012345");
        for bad in ["12345", "1234567", "12a456", "", "１２３４５６"] {
            assert!(Code::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn digests_match_only_when_equal() {
        assert!(digests_match("abcd", "abcd"));
        assert!(!digests_match("abcd", "abce"));
        assert!(!digests_match("abcd", "abc"));
    }

    #[test]
    fn the_mac_message_binds_row_phone_and_code() {
        let phone = Phone::parse("138 0013 8000").unwrap();
        let code = Code::parse("123456").unwrap();
        assert_eq!(mac_message("VC_1", &phone, &code), "VC_1|+8613800138000|123456");
    }

    #[test]
    fn a_code_is_unusable_once_consumed_expired_or_out_of_attempts() {
        let limits = Limits::default();
        let live = Stored { attempts: 4, expires_at: at(300), consumed: false };
        assert_eq!(usable(live, at(0), &limits), Ok(()));
        assert_eq!(usable(Stored { consumed: true, ..live }, at(0), &limits), Err(Unusable::Consumed));
        assert_eq!(usable(live, at(300), &limits), Err(Unusable::Expired));
        assert_eq!(usable(Stored { attempts: 5, ..live }, at(0), &limits), Err(Unusable::Exhausted));
    }

    #[test]
    fn retry_after_honours_the_gap_and_the_hourly_count() {
        let gap = Duration::from_secs(60);
        assert_eq!(retry_after(&[], at(0), 5, gap), None);
        assert_eq!(retry_after(&[at(0)], at(10), 5, gap), Some(50));
        assert_eq!(retry_after(&[at(0)], at(60), 5, gap), None);
        // Five in the hour: the oldest leaves the window at 3600.
        let sent: Vec<_> = (0..5).map(|i| at(i * 100)).collect();
        assert_eq!(retry_after(&sent, at(1000), 5, gap), Some(2600));
        assert_eq!(retry_after(&sent, at(3600), 5, gap), None);
        // No gap: only the count.
        assert_eq!(retry_after(&[at(0)], at(1), 2, Duration::ZERO), None);
        assert_eq!(retry_after(&[at(0), at(1)], at(2), 2, Duration::ZERO), Some(3598));
        // Rounded up to whole seconds.
        let half = DateTime::from_timestamp(1_800_000_010, 500_000_000).unwrap();
        assert_eq!(retry_after(&[at(0)], half, 5, gap), Some(50));
    }

    #[test]
    fn a_mainland_phone_is_masked_on_its_national_number() {
        assert_eq!(masked_phone(&Phone::parse("13800138000").unwrap()), "138****8000");
    }
}
