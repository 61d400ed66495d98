//! Tracing subscriber (pretty or JSON) and PII masking helpers for anything that might be logged.

use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;

pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // Logs go to stderr: stdout carries command output (the listening line, reports).
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(std::io::stderr);
    // `try_init`: tests build several applications in one process.
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// `13800138000` → `138****8000`: enough to recognise, not enough to identify.
pub fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    if digits.len() < 7 {
        return "*".repeat(digits.len());
    }
    let head: String = digits[..3].iter().collect();
    let tail: String = digits[digits.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// `zhangwei@example.com` → `z***@example.com`.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// `wxid_zhang01` → `w***1`: the first and last character.
pub fn mask_wechat_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    match chars.as_slice() {
        [first, .., last] if chars.len() >= 4 => format!("{first}***{last}"),
        _ => "***".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_keep_only_their_ends() {
        assert_eq!(mask_phone("13800138000"), "138****8000");
        assert_eq!(mask_phone("123"), "***");
    }

    #[test]
    fn emails_keep_the_first_letter_and_domain() {
        assert_eq!(mask_email("zhangwei@example.com"), "z***@example.com");
        assert_eq!(mask_email("nonsense"), "***");
    }

    #[test]
    fn wechat_ids_keep_their_first_and_last_character() {
        assert_eq!(mask_wechat_id("wxid_zhang01"), "w***1");
        assert_eq!(mask_wechat_id("abc"), "***");
    }
}
