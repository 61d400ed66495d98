//! Canonical forms of the PII fields, so that equal values get equal blind indexes.
//!
//! Pure functions, shared by the blind index and the domain layer. Errors name the rule that was
//! broken and never echo the input: the input is personal data, and error texts end up in logs and
//! GraphQL responses.

/// Why a value is not a valid phone number, e-mail address or WeChat id. Never contains the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NormalizeError {
    #[error("invalid phone number: {0}")]
    Phone(&'static str),
    #[error("invalid e-mail address: {0}")]
    Email(&'static str),
    #[error("invalid WeChat id: {0}")]
    WechatId(&'static str),
}

/// The kinds of PII cdp360 encrypts and indexes, so callers can treat the fields generically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PiiKind {
    Phone,
    Email,
    WechatId,
}

impl PiiKind {
    pub const ALL: [PiiKind; 3] = [PiiKind::Phone, PiiKind::Email, PiiKind::WechatId];

    /// The canonical form of `raw` for this kind (see the `normalize_*` functions).
    pub fn normalize(self, raw: &str) -> Result<String, NormalizeError> {
        match self {
            PiiKind::Phone => normalize_phone(raw),
            PiiKind::Email => normalize_email(raw),
            PiiKind::WechatId => normalize_wechat_id(raw),
        }
    }
}

/// E.164 allows at most 15 digits including the country code.
const E164_MAX_DIGITS: usize = 15;
/// The shortest numbers in service (small island plans) have 7 digits including the country code.
const E164_MIN_DIGITS: usize = 7;
/// The default region: a number written without `+`/`00` is a mainland China number.
const DEFAULT_COUNTRY_CODE: &str = "86";

/// A phone number in E.164 (`+8613800138000`), with `+86` as the default region.
///
/// Accepted: national mainland mobiles (`13800138000`, `138 0013 8000`, `138-0013-8000`) and
/// international numbers written with `+` or `00` (`+86 138 0013 8000`, `0086 13800138000`,
/// `+1 (415) 555-2671`), with spaces, dashes, dots and parentheses as separators, and the
/// `+44 (0)20 …` trunk-prefix notation. Rejected: letters and other symbols, fewer than 7 or more
/// than 15 digits, country codes starting with 0, `+1` numbers without exactly 10 national digits,
/// and `+86` numbers that are not mobiles (`1[3-9]` + 9 digits). Mainland landlines are refused on
/// purpose: the PII field is `mobile_phone`, and accepting `0xx` area codes would need a second set
/// of rules; add them here if a landline field appears.
pub fn normalize_phone(raw: &str) -> Result<String, NormalizeError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(NormalizeError::Phone("it is empty"));
    }
    let (explicit_plus, digits) = phone_digits(trimmed)?;
    let international = if explicit_plus {
        digits.as_str()
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest
    } else {
        // No international prefix: a national number of the default region.
        return mainland_mobile(&digits).map(|national| format!("+{DEFAULT_COUNTRY_CODE}{national}"));
    };
    e164(international)
}

/// Splits a written number into "had a leading `+`" and its digits, refusing anything that is not
/// a digit or a usual separator.
fn phone_digits(trimmed: &str) -> Result<(bool, String), NormalizeError> {
    let (explicit_plus, body) = match trimmed.strip_prefix('+') {
        Some(rest) => (true, rest),
        None => (false, trimmed),
    };
    // "(0)" marks a trunk prefix that is dialled only nationally (`+44 (0)20 7946 0958`).
    let body = if explicit_plus || body.starts_with("00") { body.replace("(0)", "") } else { body.to_string() };
    let mut digits = String::with_capacity(body.len());
    for c in body.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => {
                return Err(NormalizeError::Phone(
                    "only digits, a leading +, spaces, dashes, dots and parentheses are allowed",
                ));
            }
        }
    }
    if digits.is_empty() {
        return Err(NormalizeError::Phone("it has no digits"));
    }
    Ok((explicit_plus, digits))
}

/// Validates the digits after `+` (country code first) and renders them as E.164.
fn e164(digits: &str) -> Result<String, NormalizeError> {
    if digits.starts_with('0') {
        return Err(NormalizeError::Phone("a country code cannot start with 0"));
    }
    if digits.len() < E164_MIN_DIGITS {
        return Err(NormalizeError::Phone("too short for an international number"));
    }
    if digits.len() > E164_MAX_DIGITS {
        return Err(NormalizeError::Phone("longer than the 15 digits E.164 allows"));
    }
    // Country codes are prefix-free, so "86…" is always China and "1…" always the NANP.
    if let Some(national) = digits.strip_prefix(DEFAULT_COUNTRY_CODE) {
        mainland_mobile(national)?;
    } else if digits.starts_with('1') && digits.len() != 11 {
        return Err(NormalizeError::Phone("a +1 number has exactly 10 digits after the country code"));
    }
    Ok(format!("+{digits}"))
}

/// A mainland China mobile: `1[3-9]` followed by 9 digits (the input is already digits only).
fn mainland_mobile(national: &str) -> Result<&str, NormalizeError> {
    let bytes = national.as_bytes();
    let is_mobile = bytes.len() == 11 && bytes[0] == b'1' && (b'3'..=b'9').contains(&bytes[1]);
    if is_mobile {
        Ok(national)
    } else {
        Err(NormalizeError::Phone("a mainland China mobile number has 11 digits starting with 13 to 19"))
    }
}

/// RFC 5321: a forward path holds at most 254 octets of address, 64 of them the local part.
const EMAIL_MAX_LEN: usize = 254;
const EMAIL_LOCAL_MAX_LEN: usize = 64;

/// An e-mail address trimmed and lower-cased.
///
/// Lower-casing the local part is a product decision (RFC 5321 lets it be case-sensitive, no mail
/// provider our customers use treats it so, and identity resolution must match `Zhang@X.com` with
/// `zhang@x.com`). Requires exactly one `@`, a non-empty local part and a domain with a dot and no
/// empty labels; refuses whitespace and control characters anywhere. Non-ASCII (internationalised
/// addresses) is kept.
pub fn normalize_email(raw: &str) -> Result<String, NormalizeError> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err(NormalizeError::Email("it is empty"));
    }
    if email.len() > EMAIL_MAX_LEN {
        return Err(NormalizeError::Email("longer than 254 bytes"));
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(NormalizeError::Email("it contains whitespace or control characters"));
    }
    let mut parts = email.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(NormalizeError::Email("it must contain exactly one @"));
    };
    if local.is_empty() {
        return Err(NormalizeError::Email("the part before @ is empty"));
    }
    if local.len() > EMAIL_LOCAL_MAX_LEN {
        return Err(NormalizeError::Email("the part before @ is longer than 64 bytes"));
    }
    if !domain.contains('.') || domain.split('.').any(str::is_empty) {
        return Err(NormalizeError::Email("the domain must be dot-separated names like example.com"));
    }
    Ok(email)
}

/// Long enough for every WeChat identifier shape (微信号 ≤ 20, openid 28, unionid 29, WeCom ids).
const WECHAT_ID_MAX_LEN: usize = 64;

/// A WeChat id, trimmed but NOT case-folded.
///
/// The field holds user-chosen 微信号 (`wxid_…`, `zhangwei88`) as well as openid/unionid values,
/// which are base64url-like and case-sensitive: lower-casing would merge distinct people. The cost
/// is that a 微信号 typed with different capitals does not match. Allowed characters are those of
/// all these shapes: ASCII letters, digits, `_` and `-`.
pub fn normalize_wechat_id(raw: &str) -> Result<String, NormalizeError> {
    let id = raw.trim();
    if id.is_empty() {
        return Err(NormalizeError::WechatId("it is empty"));
    }
    if id.len() > WECHAT_ID_MAX_LEN {
        return Err(NormalizeError::WechatId("longer than 64 characters"));
    }
    if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-') {
        return Err(NormalizeError::WechatId("only ASCII letters, digits, _ and - are allowed"));
    }
    Ok(id.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_normalise_to_e164() {
        let accepted = [
            ("13800138000", "+8613800138000"),
            ("  13800138000 ", "+8613800138000"),
            ("138 0013 8000", "+8613800138000"),
            ("138-0013-8000", "+8613800138000"),
            ("+86 138 0013 8000", "+8613800138000"),
            ("+86 138-0013-8000", "+8613800138000"),
            ("0086 13800138000", "+8613800138000"),
            ("+8613800138000", "+8613800138000"),
            ("+86 (0)138 0013 8000", "+8613800138000"),
            ("19912345678", "+8619912345678"),
            ("+1 415 555 2671", "+14155552671"),
            ("+1 (415) 555-2671", "+14155552671"),
            ("001 415 555 2671", "+14155552671"),
            ("+44 (0)20 7946 0958", "+442079460958"),
            ("+852 9123 4567", "+85291234567"),
            ("+49.30.123456", "+4930123456"),
        ];
        for (raw, expected) in accepted {
            assert_eq!(normalize_phone(raw).as_deref(), Ok(expected), "{raw:?}");
        }
        let rejected = [
            "",
            "   ",
            "not a phone",
            "138001380OO",
            "+86 138 0013 8000 ext 12",
            "138+00138000",
            "++8613800138000",
            "1380013800",              // 10 digits
            "138001380001",            // 12 digits
            "12800138000",             // 12x is not a mobile range
            "23800138000",             // not starting with 1
            "+86 10 6552 9988",        // Beijing landline: not a mobile
            "010-65529988",            // national landline
            "86 13800138000",          // a country code needs + or 00
            "+0 123 456 789",          // country code 0
            "+49 123",                 // too short
            "+49 1234 5678 9012 3456", // 18 digits: too long for E.164
            "+1 415 555 267",          // NANP needs 10 national digits
            "+",
            "()-",
            "１３８００１３８０００", // full-width digits
        ];
        for raw in rejected {
            assert!(matches!(normalize_phone(raw), Err(NormalizeError::Phone(_))), "{raw:?} should be refused");
        }
    }

    #[test]
    fn phone_errors_never_echo_the_number() {
        let err = normalize_phone("+86 12800138000").unwrap_err().to_string();
        assert!(!err.contains("12800138000") && !err.contains("128"), "{err}");
    }

    #[test]
    fn emails_normalise_trimmed_and_lowercased() {
        let accepted = [
            ("zhangwei@example.com", "zhangwei@example.com"),
            ("  ZhangWei@Example.COM\n", "zhangwei@example.com"),
            ("li.na+crm@mail.example.com.cn", "li.na+crm@mail.example.com.cn"),
            ("用户@例子.中国", "用户@例子.中国"),
        ];
        for (raw, expected) in accepted {
            assert_eq!(normalize_email(raw).as_deref(), Ok(expected), "{raw:?}");
        }
        let too_long = format!("{}@example.com", "a".repeat(65));
        let rejected = [
            "",
            "zhangwei",
            "zhangwei@",
            "@example.com",
            "zhang@wei@example.com",
            "zhangwei@localhost",
            "zhangwei@example.",
            "zhangwei@.example.com",
            "zhangwei@example..com",
            "zhang wei@example.com",
            too_long.as_str(),
        ];
        for raw in rejected {
            assert!(matches!(normalize_email(raw), Err(NormalizeError::Email(_))), "{raw:?} should be refused");
        }
    }

    #[test]
    fn wechat_ids_are_trimmed_but_keep_their_case() {
        assert_eq!(normalize_wechat_id("  wxid_ab12cd34ef56gh ").as_deref(), Ok("wxid_ab12cd34ef56gh"));
        assert_eq!(normalize_wechat_id("oAbC-12_xYz").as_deref(), Ok("oAbC-12_xYz"));
        assert_ne!(normalize_wechat_id("ZhangWei88"), normalize_wechat_id("zhangwei88"));
        for raw in ["", "  ", "zhang wei", "微信号", "a;b", &"a".repeat(65)] {
            assert!(matches!(normalize_wechat_id(raw), Err(NormalizeError::WechatId(_))), "{raw:?} should be refused");
        }
    }

    #[test]
    fn pii_kinds_dispatch_to_their_normaliser() {
        assert_eq!(PiiKind::Phone.normalize("138 0013 8000").as_deref(), Ok("+8613800138000"));
        assert_eq!(PiiKind::Email.normalize(" A@B.CN ").as_deref(), Ok("a@b.cn"));
        assert_eq!(PiiKind::WechatId.normalize(" Wx_1 ").as_deref(), Ok("Wx_1"));
        assert!(matches!(PiiKind::Phone.normalize("a@b.cn"), Err(NormalizeError::Phone(_))));
    }
}
