//! `Authorization: Bearer <token>` parsing (RFC 6750 §2.1).

use crate::auth::AuthError;

/// The token of an `Authorization` header value. The scheme is case-insensitive; exactly one
/// non-empty token must follow (a second word means a mangled header, not a token to guess at).
pub fn bearer_token(header_value: &str) -> Result<&str, AuthError> {
    let value = header_value.trim();
    let (scheme, rest) = value.split_once([' ', '\t']).ok_or(AuthError::BadAuthorizationHeader)?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::BadAuthorizationHeader);
    }
    let token = rest.trim();
    // A header value is ASCII (`HeaderValue::to_str`): checked a byte at a time, not decoded as
    // UTF-8 (a token is some hundred bytes, and this runs on every request).
    let spaced = if token.is_ascii() {
        token.bytes().any(|b| b.is_ascii_whitespace() || b == 0x0b)
    } else {
        token.contains(char::is_whitespace)
    };
    if token.is_empty() || spaced {
        return Err(AuthError::BadAuthorizationHeader);
    }
    Ok(token)
}
