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
    if token.is_empty() || token.contains(char::is_whitespace) {
        return Err(AuthError::BadAuthorizationHeader);
    }
    Ok(token)
}
