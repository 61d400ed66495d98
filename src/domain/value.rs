//! Parse-don't-validate value types of the write path.
//!
//! Each type can only be built by a parser that checks it, so a service holding a `Phone` or a
//! `Money` knows the value fits its column and its rules. Errors are [`DomainError`]s naming the
//! GraphQL input field (camelCase) and the rule, never the value.
//!
//! Types tied to one input field parse under that field's name ([`Phone::FIELD`], [`Email::FIELD`],
//! [`CreditCode::FIELD`]; rename with [`DomainError::with_field`]); generic types take the field
//! name as their first argument. Blank input is [`DomainError::Required`]; for optional inputs use
//! [`optional`], which turns an absent or blank value into `None` before parsing.
//!
//! PII types ([`Phone`], [`Email`]) have no `Display` and a masking `Debug`, so they cannot leak into
//! logs by accident; read them with `as_str`.

use std::fmt;
use std::ops::Range;

use rust_decimal::Decimal;
use ulid::Ulid;

use super::error::DomainError;
use super::mask::{mask_email, mask_phone};
use crate::crypto::normalize::{NormalizeError, normalize_email, normalize_phone};

/// Parses an optional input: absent or blank (whitespace only) is `None`, anything else must parse.
pub fn optional<T>(
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, DomainError>,
) -> Result<Option<T>, DomainError> {
    match raw {
        Some(raw) if !raw.trim().is_empty() => parse(raw).map(Some),
        _ => Ok(None),
    }
}

fn rule_of(err: NormalizeError) -> &'static str {
    match err {
        NormalizeError::Phone(rule) | NormalizeError::Email(rule) | NormalizeError::WechatId(rule) => rule,
    }
}

// ---------------------------------------------------------------------------------------------
// Phone

/// A mobile phone number in E.164 (`+8613800138000`).
///
/// Accepts what the blind-index normaliser [`normalize_phone`] accepts (national mainland mobiles
/// `1[3-9]` + 9 digits, `+`/`00`-prefixed international numbers of 7–15 digits, spaces, dashes,
/// dots and parentheses as separators) and, in addition, a mainland mobile behind a bare `86`
/// country code (`86 138 0013 8000`, 13 digits): that form cannot be a national number, so reading
/// it as `+86` is unambiguous. The stored form is always a fixed point of `normalize_phone`, so
/// `BlindIndex::index(phone.as_str())` matches the index of any other spelling of the number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    /// The input field phones are parsed under.
    pub const FIELD: &'static str = "mobilePhone";

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.trim().is_empty() {
            return Err(DomainError::required(Self::FIELD));
        }
        let normalized = match bare_country_code_mobile(raw) {
            Some(e164) => normalize_phone(&e164),
            None => normalize_phone(raw),
        };
        normalized.map(Phone).map_err(|err| {
            DomainError::invalid(
                Self::FIELD,
                format!("is not a valid mainland mobile or E.164 number ({})", rule_of(err)),
            )
        })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// `86` + a mainland mobile, written without `+` (`8613800138000`, `86 138-0013-8000`), as `+86…`.
fn bare_country_code_mobile(raw: &str) -> Option<String> {
    let digits: String = raw.trim().chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let national = digits.strip_prefix("86")?;
    let bytes = national.as_bytes();
    let is_mobile = bytes.len() == 11
        && bytes.iter().all(u8::is_ascii_digit)
        && bytes[0] == b'1'
        && (b'3'..=b'9').contains(&bytes[1]);
    is_mobile.then(|| format!("+{digits}"))
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Phone").field(&mask_phone(&self.0)).finish()
    }
}

impl AsRef<str> for Phone {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

// ---------------------------------------------------------------------------------------------
// Email

/// The longest DNS label (RFC 1035).
const DNS_LABEL_MAX_LEN: usize = 63;

/// An e-mail address, trimmed and lower-cased (the blind-index normaliser [`normalize_email`]:
/// exactly one `@`, a non-empty local part of at most 64 bytes, at most 254 bytes in all, no
/// whitespace or control characters), whose domain is further restricted to dot-separated labels of
/// `[a-z0-9-]` (at most 63 characters, not starting or ending with `-`). Internationalised domains
/// must be written in punycode (`xn--…`); the local part is not restricted further.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    /// The input field e-mail addresses are parsed under.
    pub const FIELD: &'static str = "email";

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        if raw.trim().is_empty() {
            return Err(DomainError::required(Self::FIELD));
        }
        let invalid = |rule: &str| DomainError::invalid(Self::FIELD, format!("is not a valid e-mail address ({rule})"));
        let email = normalize_email(raw).map_err(|err| invalid(rule_of(err)))?;
        let domain = email.rsplit_once('@').map_or("", |(_, domain)| domain);
        for label in domain.split('.') {
            if !label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
                return Err(invalid("the domain may contain only letters a-z, digits, hyphens and dots"));
            }
            if label.starts_with('-') || label.ends_with('-') {
                return Err(invalid("a domain label cannot start or end with a hyphen"));
            }
            if label.len() > DNS_LABEL_MAX_LEN {
                return Err(invalid("a domain label is longer than 63 characters"));
            }
        }
        Ok(Email(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }

    /// The part after `@`.
    pub fn domain(&self) -> &str {
        self.0.rsplit_once('@').map_or("", |(_, domain)| domain)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Email").field(&mask_email(&self.0)).finish()
    }
}

impl AsRef<str> for Email {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

// ---------------------------------------------------------------------------------------------
// Unified social credit code

/// The 31 characters of GB 32100-2015, in value order (no I, O, S, V, Z).
const CREDIT_CODE_CHARSET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of the first 17 characters (3^i mod 31).
const CREDIT_CODE_WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
const CREDIT_CODE_LEN: usize = 18;

/// An 18-character unified social credit code (统一社会信用代码, GB 32100-2015), upper-cased, with a
/// correct check character.
///
/// Checked: length, the 31-character set and the check character (the 18th) computed from the
/// first 17 with the standard's weights. Not checked: that the registration authority and
/// organisation-type codes (characters 1–2) and the region code (3–8) are assigned values — the
/// checksum already catches single typos and adjacent swaps, and the code lists change over time.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

impl CreditCode {
    /// The input field credit codes are parsed under.
    pub const FIELD: &'static str = "unifiedSocialCreditCode";

    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let code = raw.trim().to_ascii_uppercase();
        if code.is_empty() {
            return Err(DomainError::required(Self::FIELD));
        }
        if code.chars().count() != CREDIT_CODE_LEN {
            return Err(DomainError::invalid(Self::FIELD, "must be 18 characters"));
        }
        if !code.bytes().all(|b| CREDIT_CODE_CHARSET.contains(&b)) {
            return Err(DomainError::invalid(
                Self::FIELD,
                "may contain only digits and the letters A-Y except I, O, S, V",
            ));
        }
        let (first17, check) = code.split_at(CREDIT_CODE_LEN - 1);
        if Self::check_char(first17).map(String::from).as_deref() != Some(check) {
            return Err(DomainError::invalid(Self::FIELD, "has a wrong check character (the 18th)"));
        }
        Ok(CreditCode(code))
    }

    /// The check character (the 18th) for the first 17 characters of a code, or `None` if `first17`
    /// is not 17 characters of the code's character set (lower case is read as upper case).
    pub fn check_char(first17: &str) -> Option<char> {
        if first17.len() != CREDIT_CODE_LEN - 1 {
            return None;
        }
        let mut sum = 0;
        for (c, weight) in first17.bytes().zip(CREDIT_CODE_WEIGHTS) {
            let value = CREDIT_CODE_CHARSET.iter().position(|&d| d == c.to_ascii_uppercase())?;
            sum += u32::try_from(value).ok()? * weight;
        }
        let check = (31 - sum % 31) % 31;
        Some(char::from(CREDIT_CODE_CHARSET[check as usize]))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for CreditCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

// ---------------------------------------------------------------------------------------------
// URL

/// The longest host name DNS allows (RFC 1035, without the trailing dot).
const HOST_MAX_LEN: usize = 253;

/// An absolute `http`/`https` URL with a host, trimmed, as written.
///
/// Checked: at most `max_chars` characters (default [`HttpUrl::DEFAULT_MAX_CHARS`]; pass the
/// column's length, e.g. 500 for `company_website`), no whitespace or control characters inside, the
/// scheme `http` or `https` (any case) followed by `://`, a host that is a DNS-style name (labels of
/// letters — Unicode allowed —, digits, `-` and `_`, at most 63 characters each, not starting or
/// ending with `-`) or a bracketed IPv6 literal, an optional port 1–65535, and no credentials
/// (`user:password@host`: a secret in a stored URL is a leak, and `trusted.com@evil.com` a
/// phishing trick). Path, query and fragment are kept as given and not checked further.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct HttpUrl {
    url: String,
    host: Range<usize>,
}

impl HttpUrl {
    /// The length limit of [`HttpUrl::parse`].
    pub const DEFAULT_MAX_CHARS: usize = 2048;

    /// An URL of at most [`HttpUrl::DEFAULT_MAX_CHARS`] characters.
    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        Self::parse_max(field, raw, Self::DEFAULT_MAX_CHARS)
    }

    /// An URL of at most `max_chars` characters (the column's length).
    pub fn parse_max(field: &str, raw: &str, max_chars: usize) -> Result<Self, DomainError> {
        let url = raw.trim();
        if url.is_empty() {
            return Err(DomainError::required(field));
        }
        let invalid = |reason: &str| DomainError::invalid(field, reason);
        if url.chars().count() > max_chars {
            return Err(DomainError::invalid(field, format!("must be at most {max_chars} characters")));
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("must not contain whitespace or control characters"));
        }
        let (scheme, rest) = url.split_once("://").ok_or_else(|| invalid("must be an absolute http or https URL"))?;
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return Err(invalid("must be an absolute http or https URL"));
        }
        let authority_start = scheme.len() + 3;
        let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
        if authority.contains('@') {
            return Err(invalid("must not contain credentials (user@host)"));
        }
        let (host, port) = split_host_port(authority).ok_or_else(|| invalid("has a malformed host or port"))?;
        if host.is_empty() {
            return Err(invalid("must have a host"));
        }
        if let Some(port) = port
            && !port.parse::<u16>().is_ok_and(|p| p != 0)
        {
            return Err(invalid("has a port outside 1-65535"));
        }
        let valid_host = if host.starts_with('[') { is_ipv6_literal(host) } else { is_dns_name(host) };
        if !valid_host {
            return Err(invalid("has an invalid host name"));
        }
        Ok(HttpUrl { url: url.to_string(), host: authority_start..authority_start + host.len() })
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    pub fn into_inner(self) -> String {
        self.url
    }

    /// The host as written (`www.example.com`, `[::1]`).
    pub fn host(&self) -> &str {
        &self.url[self.host.clone()]
    }

    /// Whether the scheme is `https`.
    pub fn is_https(&self) -> bool {
        self.url.get(..5).is_some_and(|s| s.eq_ignore_ascii_case("https"))
    }
}

/// Splits `host[:port]` / `[v6][:port]`; `None` if the shape is wrong (stray `:` or `]`).
fn split_host_port(authority: &str) -> Option<(&str, Option<&str>)> {
    let (host, after) = if authority.starts_with('[') {
        let end = authority.find(']')? + 1;
        authority.split_at(end)
    } else {
        let end = authority.find(':').unwrap_or(authority.len());
        authority.split_at(end)
    };
    match after.strip_prefix(':') {
        None if after.is_empty() => Some((host, None)),
        None => None,
        Some(port) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => Some((host, Some(port))),
        Some(_) => None,
    }
}

fn is_ipv6_literal(host: &str) -> bool {
    let inner = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')).unwrap_or("");
    inner.contains(':') && inner.bytes().all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
}

fn is_dns_name(host: &str) -> bool {
    let name = host.strip_suffix('.').unwrap_or(host);
    !name.is_empty()
        && name.chars().count() <= HOST_MAX_LEN
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.chars().count() <= DNS_LABEL_MAX_LEN
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
}

impl fmt::Display for HttpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

impl AsRef<str> for HttpUrl {
    fn as_ref(&self) -> &str {
        &self.url
    }
}

// ---------------------------------------------------------------------------------------------
// Numbers

/// An integer score or percentage 0–100 inclusive: the data model's 0–100 columns `lead_score`,
/// `probability`, `health_score`, `engagement_score` (docs/data-model.md, scores 0–100) and `score`;
/// all `INT` with `CHECK 0–100` in the migration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Score(i32);

impl Score {
    pub const MIN: i32 = 0;
    pub const MAX: i32 = 100;

    pub fn new(field: &str, value: i32) -> Result<Self, DomainError> {
        if (Self::MIN..=Self::MAX).contains(&value) {
            Ok(Score(value))
        } else {
            Err(DomainError::invalid(field, "must be between 0 and 100"))
        }
    }

    pub fn get(self) -> i32 {
        self.0
    }
}

impl From<Score> for i32 {
    fn from(score: Score) -> i32 {
        score.0
    }
}

impl fmt::Display for Score {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// `value` with exactly `scale` fraction digits, refusing values that need more (`1.500` is fine
/// for scale 2, `1.505` is not: money is never rounded silently).
fn with_scale(field: &str, value: Decimal, scale: u32) -> Result<Decimal, DomainError> {
    let mut exact = value.normalize();
    if exact.scale() > scale {
        return Err(DomainError::invalid(field, format!("must have at most {scale} decimal places")));
    }
    exact.rescale(scale);
    if exact.is_zero() {
        exact.set_sign_positive(true);
    }
    Ok(exact)
}

/// A percentage 0–100 with at most two decimals, for `DECIMAL(5,2)` columns (`win_rate`,
/// `conversion_rate`). Stored with scale 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percent(Decimal);

impl Percent {
    pub fn new(field: &str, value: Decimal) -> Result<Self, DomainError> {
        let value = with_scale(field, value, 2)?;
        if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
            return Err(DomainError::invalid(field, "must be between 0 and 100"));
        }
        Ok(Percent(value))
    }

    pub fn get(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A fraction 0–1 with at most four decimals, for `DECIMAL(5,4)` columns (`attribution_weight`).
/// Stored with scale 4.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rate(Decimal);

impl Rate {
    pub fn new(field: &str, value: Decimal) -> Result<Self, DomainError> {
        let value = with_scale(field, value, 4)?;
        if value < Decimal::ZERO || value > Decimal::ONE {
            return Err(DomainError::invalid(field, "must be between 0 and 1"));
        }
        Ok(Rate(value))
    }

    pub fn get(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A non-negative amount of money for `DECIMAL(18,2)` columns (`amount`, `unit_price`, `budget`,
/// …): at most two decimals and at most 16 integer digits. Stored with scale 2. Negative amounts
/// (a ROI, a refund) are not `Money`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Money {
    /// Integer digits of `DECIMAL(18,2)`.
    pub const MAX_INTEGER_DIGITS: u32 = 16;

    pub fn new(field: &str, value: Decimal) -> Result<Self, DomainError> {
        let value = with_scale(field, value, 2)?;
        if value < Decimal::ZERO {
            return Err(DomainError::invalid(field, "must not be negative"));
        }
        if value >= Decimal::from(10_i64.pow(Self::MAX_INTEGER_DIGITS)) {
            return Err(DomainError::invalid(field, "must have at most 16 digits before the decimal point"));
        }
        Ok(Money(value))
    }

    pub fn get(self) -> Decimal {
        self.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

// ---------------------------------------------------------------------------------------------
// Text

/// A free-text value of at most `max_chars` characters (Unicode scalar values, not bytes: the data
/// model's `varchar(n)` lengths count characters — `varchar(200)` holds 200 Chinese characters).
///
/// Leading and trailing whitespace is trimmed (nothing else is changed). Control characters other
/// than newline, carriage return and tab are refused (PostgreSQL refuses NUL in text, and the
/// others are invisible). [`BoundedText::parse`] accepts an empty value, [`BoundedText::required`]
/// refuses it and [`BoundedText::optional`] turns it into `None`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BoundedText(String);

impl BoundedText {
    /// The trimmed text, possibly empty.
    pub fn parse(field: &str, raw: &str, max_chars: usize) -> Result<Self, DomainError> {
        let text = raw.trim();
        if text.chars().count() > max_chars {
            return Err(DomainError::invalid(field, format!("must be at most {max_chars} characters")));
        }
        if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
            return Err(DomainError::invalid(field, "must not contain control characters"));
        }
        Ok(BoundedText(text.to_string()))
    }

    /// The trimmed text, which must not be empty.
    pub fn required(field: &str, raw: &str, max_chars: usize) -> Result<Self, DomainError> {
        if raw.trim().is_empty() {
            return Err(DomainError::required(field));
        }
        Self::parse(field, raw, max_chars)
    }

    /// `None` for an absent or blank value, else the trimmed text.
    pub fn optional(field: &str, raw: Option<&str>, max_chars: usize) -> Result<Option<Self>, DomainError> {
        optional(raw, |raw| Self::parse(field, raw, max_chars))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for BoundedText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for BoundedText {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

// ---------------------------------------------------------------------------------------------
// Ids

/// A primary key: `^[A-Za-z0-9_\-]{1,64}$` (docs/design.md §3). Either supplied by the client (imports)
/// and parsed exactly — no trimming, an id is compared byte for byte — or generated as
/// `<PREFIX>_<ULID>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntityId(String);

impl EntityId {
    /// The `varchar(64)` of every id column.
    pub const MAX_LEN: usize = 64;
    /// Length of a ULID in Crockford base 32.
    const ULID_LEN: usize = 26;

    pub fn parse(field: &str, raw: &str) -> Result<Self, DomainError> {
        if raw.is_empty() {
            return Err(DomainError::required(field));
        }
        if raw.len() > Self::MAX_LEN {
            return Err(DomainError::invalid(field, "must be at most 64 characters"));
        }
        if !raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
            return Err(DomainError::invalid(field, "may contain only ASCII letters, digits, _ and -"));
        }
        Ok(EntityId(raw.to_string()))
    }

    /// A new time-ordered id `<PREFIX>_<ULID>` (`LEAD_01JDQ3…`), the runtime counterpart of the
    /// data generator's reproducible `seed::clock::prefix_id` (same shape; the ULID here
    /// takes the wall clock and OS randomness).
    ///
    /// # Panics
    ///
    /// If `prefix` is not 1–37 upper-case ASCII letters or digits (the id would not fit 64
    /// characters or would not look like the other ids). Prefixes are constants, so this is a
    /// programming error.
    pub fn generate(prefix: &str) -> Self {
        assert!(
            !prefix.is_empty()
                && prefix.len() < Self::MAX_LEN - Self::ULID_LEN
                && prefix.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()),
            "invalid id prefix {prefix:?}"
        );
        EntityId(format!("{prefix}_{}", Ulid::new()))
    }

    /// The text before the first `_` (`ACC` for `ACC_01J…`), if there is one.
    pub fn prefix(&self) -> Option<&str> {
        self.0.split_once('_').map(|(prefix, _)| prefix)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl fmt::Display for EntityId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for EntityId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn reason(err: DomainError) -> String {
        err.to_string()
    }

    // Phone

    #[test]
    fn mainland_mobiles_in_every_usual_spelling_become_e164() {
        for raw in [
            "13800138000",
            " 138 0013 8000 ",
            "138-0013-8000",
            "+8613800138000",
            "+86 138 0013 8000",
            "0086 13800138000",
            "8613800138000",
            "86 138-0013-8000",
        ] {
            assert_eq!(Phone::parse(raw).map(Phone::into_inner).as_deref(), Ok("+8613800138000"), "{raw:?}");
        }
    }

    #[test]
    fn international_numbers_with_a_plus_are_accepted_as_e164() {
        assert_eq!(Phone::parse("+1 (415) 555-2671").unwrap().as_str(), "+14155552671");
        assert_eq!(Phone::parse("+44 20 7946 0958").unwrap().as_str(), "+442079460958");
        assert_eq!(Phone::parse("+852 9123 4567").unwrap().as_str(), "+85291234567");
    }

    #[test]
    fn numbers_that_are_neither_mainland_mobiles_nor_e164_are_rejected() {
        for raw in [
            "12800138000",
            "1380013800",
            "138001380001",
            "86 12800138000",
            "8613800138",
            "+86 10 6552 9988",
            "010-65529988",
            "+49 1234 5678 9012 3456",
            "call me",
            "１３８００１３８０００",
        ] {
            let err = Phone::parse(raw).unwrap_err();
            assert_eq!(err.field(), Some("mobilePhone"), "{raw:?}");
            assert!(err.to_string().starts_with("mobilePhone is not a valid mainland mobile or E.164 number"), "{err}");
        }
    }

    #[test]
    fn a_blank_phone_is_reported_as_missing() {
        assert_eq!(Phone::parse("  "), Err(DomainError::required("mobilePhone")));
    }

    #[test]
    fn a_phone_error_never_contains_the_number() {
        for raw in ["12800138000", "+86 128 0013 8000", "86 12800138000"] {
            let message = reason(Phone::parse(raw).unwrap_err());
            assert!(!message.contains("0013") && !message.contains("128"), "{message}");
        }
    }

    #[test]
    fn a_parsed_phone_is_its_own_blind_index_form() {
        for raw in ["8613800138000", "138 0013 8000", "+1 415 555 2671"] {
            let phone = Phone::parse(raw).unwrap();
            assert_eq!(normalize_phone(phone.as_str()).as_deref(), Ok(phone.as_str()));
        }
    }

    #[test]
    fn a_phone_is_masked_in_debug_output() {
        let debug = format!("{:?}", Phone::parse("13800138000").unwrap());
        assert!(!debug.contains("13800138000") && debug.contains("****"), "{debug}");
    }

    // Email

    #[test]
    fn an_email_is_trimmed_and_lower_cased() {
        let email = Email::parse("  ZhangWei@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "zhangwei@example.com");
        assert_eq!(email.domain(), "example.com");
        assert_eq!(
            Email::parse("li.na+crm@mail.example-corp.com.cn").unwrap().as_str(),
            "li.na+crm@mail.example-corp.com.cn"
        );
        assert_eq!(Email::parse("a@xn--fsqu00a.xn--fiqs8s").unwrap().as_str(), "a@xn--fsqu00a.xn--fiqs8s");
    }

    #[test]
    fn malformed_emails_are_rejected_without_echoing_them() {
        let too_long_local = format!("{}@example.com", "a".repeat(65));
        let too_long_label = format!("a@{}.com", "b".repeat(64));
        let too_long = format!("a@{}.com", vec!["c".repeat(60); 5].join("."));
        for raw in [
            "zhangwei",
            "zhang@wei@example.com",
            "@example.com",
            "zhangwei@localhost",
            "zhangwei@example..com",
            "zhang wei@example.com",
            "zhangwei@ex_ample.com",
            "zhangwei@-example.com",
            "zhangwei@example-.com",
            "用户@例子.中国",
            too_long_local.as_str(),
            too_long_label.as_str(),
            too_long.as_str(),
        ] {
            let err = Email::parse(raw).unwrap_err();
            assert_eq!(err.field(), Some("email"), "{raw:?}");
            let message = reason(err);
            assert!(message.starts_with("email is not a valid e-mail address ("), "{message}");
            assert!(!message.contains(raw) && !message.contains("zhang") && !message.contains("用户"), "{message}");
        }
        assert_eq!(Email::parse(""), Err(DomainError::required("email")));
    }

    #[test]
    fn a_parsed_email_is_its_own_blind_index_form() {
        let email = Email::parse(" A.B@X.CN ").unwrap();
        assert_eq!(normalize_email(email.as_str()).as_deref(), Ok(email.as_str()));
    }

    #[test]
    fn an_email_is_masked_in_debug_output() {
        let debug = format!("{:?}", Email::parse("zhangwei@example.com").unwrap());
        assert!(!debug.contains("zhangwei"), "{debug}");
    }

    // Credit code

    /// Published codes of real companies that pass the GB 32100-2015 checksum.
    const REAL_CREDIT_CODES: [&str; 4] =
        ["91350100M000100Y43", "91110000600037341L", "91440300708461136T", "914403001922038216"];

    #[test]
    fn published_credit_codes_are_accepted() {
        for code in REAL_CREDIT_CODES {
            assert_eq!(CreditCode::parse(code).map(CreditCode::into_inner).as_deref(), Ok(code));
        }
    }

    #[test]
    fn a_credit_code_is_trimmed_and_upper_cased() {
        assert_eq!(CreditCode::parse(" 91350100m000100y43 ").unwrap().as_str(), "91350100M000100Y43");
    }

    #[test]
    fn the_check_character_of_a_published_code_is_computed_from_its_first_17() {
        for code in REAL_CREDIT_CODES {
            assert_eq!(CreditCode::check_char(&code[..17]), code.chars().last());
        }
        assert_eq!(CreditCode::check_char("91350100m000100y4"), Some('3'));
    }

    #[test]
    fn check_char_refuses_prefixes_of_the_wrong_length_or_alphabet() {
        assert_eq!(CreditCode::check_char("9135010"), None);
        assert_eq!(CreditCode::check_char("91350100M000100Y43"), None);
        assert_eq!(CreditCode::check_char("91350100I000100Y4"), None);
    }

    #[test]
    fn a_code_built_with_check_char_validates() {
        for first17 in ["91330106MA2CFYQ1X", "12100000400000624", "52110000500000000"] {
            let check = CreditCode::check_char(first17).unwrap();
            let code = format!("{first17}{check}");
            assert_eq!(CreditCode::parse(&code).unwrap().as_str(), code);
        }
    }

    #[test]
    fn a_credit_code_with_a_wrong_check_character_is_rejected() {
        let err = CreditCode::parse("91350100M000100Y44").unwrap_err();
        assert_eq!(err, DomainError::invalid("unifiedSocialCreditCode", "has a wrong check character (the 18th)"));
    }

    #[test]
    fn a_credit_code_with_two_swapped_characters_is_rejected() {
        assert!(CreditCode::parse("91350100M000010Y43").is_err());
    }

    #[test]
    fn the_seed_example_credit_code_is_rejected_because_it_uses_z() {
        // The data model's Account field table shows `91330000MA27XYZ123` (docs/data-model.md, value
        // lists): an illustration, not a real code.
        let err = CreditCode::parse("91330000MA27XYZ123").unwrap_err();
        assert!(reason(err).contains("except I, O, S, V"));
    }

    #[test]
    fn credit_codes_of_the_wrong_length_or_alphabet_are_rejected() {
        for raw in ["9135010", "91350100M000100Y431", "91350100O000100Y43", "91350100M000100Y4中"] {
            assert_eq!(CreditCode::parse(raw).unwrap_err().field(), Some("unifiedSocialCreditCode"), "{raw:?}");
        }
        assert_eq!(CreditCode::parse(" "), Err(DomainError::required("unifiedSocialCreditCode")));
    }

    // URL

    #[test]
    fn http_and_https_urls_with_a_host_are_accepted() {
        for (raw, host) in [
            ("https://www.example.com", "www.example.com"),
            ("  http://example.com/path?q=1#top ", "example.com"),
            ("HTTPS://Example.COM:8443/a", "Example.COM"),
            ("https://例子.中国/首页", "例子.中国"),
            ("http://[2001:db8::1]:8080/", "[2001:db8::1]"),
            ("http://192.168.0.1/", "192.168.0.1"),
            ("https://my_host.example.com.", "my_host.example.com."),
        ] {
            let url = HttpUrl::parse("companyWebsite", raw).unwrap();
            assert_eq!(url.as_str(), raw.trim());
            assert_eq!(url.host(), host, "{raw:?}");
        }
        assert!(HttpUrl::parse("u", "https://a.cn").unwrap().is_https());
        assert!(!HttpUrl::parse("u", "http://a.cn").unwrap().is_https());
    }

    #[test]
    fn urls_without_http_a_host_or_with_whitespace_are_rejected() {
        for raw in [
            "www.example.com",
            "ftp://example.com",
            "javascript:alert(1)",
            "https://",
            "https:///path",
            "https://exa mple.com",
            "https://example.com/a b",
            "https://user:secret@example.com/",
            "https://example.com:0/",
            "https://example.com:65536/",
            "https://example.com:/",
            "https://example.com:80:80/",
            "https://-example.com/",
            "https://example..com/",
            "https://exa%6dple.com/",
            "http://[zz::1]/",
            "http://[::1/",
        ] {
            let err = HttpUrl::parse("pageUrl", raw).unwrap_err();
            assert_eq!(err.field(), Some("pageUrl"), "{raw:?}");
        }
    }

    #[test]
    fn an_url_longer_than_its_column_is_rejected() {
        let url = format!("https://example.com/{}", "a".repeat(480));
        assert!(HttpUrl::parse_max("companyWebsite", &url, 500).is_ok());
        let err = HttpUrl::parse_max("companyWebsite", &format!("{url}a"), 500).unwrap_err();
        assert_eq!(reason(err), "companyWebsite must be at most 500 characters");
        let long = format!("https://example.com/{}", "a".repeat(HttpUrl::DEFAULT_MAX_CHARS));
        assert!(HttpUrl::parse("pageUrl", &long).is_err());
    }

    // Numbers

    #[test]
    fn scores_from_0_to_100_inclusive_are_accepted() {
        assert_eq!(Score::new("leadScore", 0).map(Score::get), Ok(0));
        assert_eq!(Score::new("leadScore", 100).map(i32::from), Ok(100));
        assert_eq!(Score::new("leadScore", 101), Err(DomainError::invalid("leadScore", "must be between 0 and 100")));
        assert!(Score::new("probability", -1).is_err());
    }

    #[test]
    fn a_percent_has_at_most_two_decimals_and_lies_between_0_and_100() {
        assert_eq!(Percent::new("winRate", dec("12.5")).unwrap().to_string(), "12.50");
        assert_eq!(Percent::new("winRate", dec("100.000")).unwrap().get(), dec("100.00"));
        assert!(Percent::new("winRate", dec("12.345")).is_err());
        assert!(Percent::new("winRate", dec("100.01")).is_err());
        assert!(Percent::new("winRate", dec("-0.01")).is_err());
    }

    #[test]
    fn a_rate_has_at_most_four_decimals_and_lies_between_0_and_1() {
        assert_eq!(Rate::new("attributionWeight", dec("0.25")).unwrap().to_string(), "0.2500");
        assert_eq!(Rate::new("attributionWeight", dec("1")).unwrap().get(), dec("1.0000"));
        assert!(Rate::new("attributionWeight", dec("0.12345")).is_err());
        assert!(Rate::new("attributionWeight", dec("1.0001")).is_err());
        assert!(Rate::new("attributionWeight", dec("-0.5")).is_err());
    }

    #[test]
    fn money_is_stored_with_two_decimals() {
        assert_eq!(Money::new("amount", dec("1000000")).unwrap().to_string(), "1000000.00");
        assert_eq!(Money::new("amount", dec("19.900")).unwrap().get(), dec("19.90"));
        assert_eq!(Money::new("amount", dec("-0.00")).unwrap().to_string(), "0.00");
        assert_eq!(Money::new("amount", dec("9999999999999999.99")).unwrap().to_string(), "9999999999999999.99");
    }

    #[test]
    fn money_is_never_rounded_negative_or_too_large() {
        assert_eq!(
            Money::new("amount", dec("19.999")),
            Err(DomainError::invalid("amount", "must have at most 2 decimal places"))
        );
        assert_eq!(Money::new("unitPrice", dec("-1")), Err(DomainError::invalid("unitPrice", "must not be negative")));
        assert!(Money::new("amount", dec("10000000000000000")).is_err());
    }

    // Text

    #[test]
    fn text_length_counts_characters_not_bytes() {
        let name = "腾".repeat(200);
        assert_eq!(BoundedText::parse("companyName", &name, 200).unwrap().as_str(), name);
        let err = BoundedText::parse("companyName", &format!("{name}讯"), 200).unwrap_err();
        assert_eq!(reason(err), "companyName must be at most 200 characters");
    }

    #[test]
    fn text_is_trimmed_at_both_ends_only() {
        let text = BoundedText::parse("notes", "  first line\n  second line \n", 100).unwrap();
        assert_eq!(text.as_str(), "first line\n  second line");
        assert_eq!(text.to_string(), "first line\n  second line");
    }

    #[test]
    fn text_with_control_characters_is_rejected() {
        assert!(BoundedText::parse("notes", "a\0b", 10).is_err());
        assert!(BoundedText::parse("notes", "a\u{1b}[31mb", 10).is_err());
        assert!(BoundedText::parse("notes", "a\tb", 10).is_ok());
    }

    #[test]
    fn required_text_must_not_be_blank() {
        assert_eq!(BoundedText::required("leadName", " \n ", 100), Err(DomainError::required("leadName")));
        assert_eq!(BoundedText::required("leadName", " 李明 ", 100).unwrap().into_inner(), "李明");
        assert!(BoundedText::parse("leadName", "  ", 100).unwrap().is_empty());
    }

    #[test]
    fn optional_text_turns_absent_or_blank_into_none() {
        assert_eq!(BoundedText::optional("city", None, 50), Ok(None));
        assert_eq!(BoundedText::optional("city", Some("   "), 50), Ok(None));
        assert_eq!(BoundedText::optional("city", Some(" 深圳市 "), 50).unwrap().unwrap().as_str(), "深圳市");
        assert!(BoundedText::optional("city", Some(&"市".repeat(51)), 50).is_err());
    }

    #[test]
    fn an_optional_value_is_parsed_only_when_present() {
        assert_eq!(optional(Some(" "), Phone::parse), Ok(None));
        assert_eq!(optional(None, Email::parse), Ok(None));
        assert_eq!(optional(Some("a@b.cn"), Email::parse).unwrap().unwrap().as_str(), "a@b.cn");
        assert!(optional(Some("nope"), Email::parse).is_err());
    }

    // Ids

    #[test]
    fn client_supplied_ids_match_the_id_pattern() {
        for raw in ["ACC_001", "lead-2023-11-05", "a", "X".repeat(64).as_str(), "01JDQ3ZK5W8Y9XH7V6T5R4Q3P2"] {
            assert_eq!(EntityId::parse("accountId", raw).unwrap().as_str(), raw);
        }
        for raw in ["X".repeat(65).as_str(), "ACC 001", " ACC_001", "ACC/001", "ACC_001;DROP", "账户_1", "ACC.1"] {
            assert_eq!(EntityId::parse("accountId", raw).unwrap_err().field(), Some("accountId"), "{raw:?}");
        }
        assert_eq!(EntityId::parse("accountId", ""), Err(DomainError::required("accountId")));
    }

    #[test]
    fn generated_ids_are_a_prefix_and_a_ulid_and_parse_back() {
        let id = EntityId::generate("LEAD");
        let (prefix, ulid) = id.as_str().split_once('_').unwrap();
        assert_eq!(prefix, "LEAD");
        assert_eq!(id.prefix(), Some("LEAD"));
        assert!(Ulid::from_string(ulid).is_ok(), "{id}");
        assert_eq!(EntityId::parse("id", id.as_str()), Ok(id.clone()));
        assert_ne!(EntityId::generate("LEAD"), id);
    }

    #[test]
    fn generated_ids_sort_by_creation_time() {
        let first = EntityId::generate("OPP");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let second = EntityId::generate("OPP");
        assert!(first < second, "{first} {second}");
    }

    #[test]
    fn the_longest_prefix_still_fits_64_characters() {
        let id = EntityId::generate(&"P".repeat(37));
        assert_eq!(id.as_str().len(), 64);
    }

    #[test]
    #[should_panic(expected = "invalid id prefix")]
    fn a_lower_case_prefix_is_a_programming_error() {
        let _ = EntityId::generate("lead");
    }
}
