//! How much of a PII value someone without the `pii` scope, or a log line, may see (docs/design.md
//! §5: `138****8000`, `z***@example.com`). Pure, so `value.rs`' `Debug` impls and the API's
//! masking (`services::pii`) share one rule.

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
