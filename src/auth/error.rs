//! `AuthError`: why a token was refused (safe to show a client) or why keys could not be loaded.

use crate::error::AppError;

/// Token errors (`Missing` … `MissingClaim`) have Display messages safe for clients: they never echo
/// the token, its `kid` or its claims. The remaining variants are operator errors (configuration,
/// key files, minting) and map to `INTERNAL` when they reach a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("missing bearer token")]
    Missing,
    #[error("the Authorization header must be `Bearer <token>`")]
    BadAuthorizationHeader,
    #[error("malformed token")]
    Malformed,
    #[error("token signed with an unknown key")]
    UnknownKey,
    #[error("invalid token signature")]
    BadSignature,
    #[error("token algorithm not allowed")]
    DisallowedAlgorithm,
    #[error("token has expired")]
    Expired,
    #[error("token is not valid yet")]
    NotYetValid,
    #[error("token issued in the future")]
    IssuedInFuture,
    #[error("token has the wrong issuer")]
    WrongIssuer,
    #[error("token has the wrong audience")]
    WrongAudience,
    #[error("token lacks the required `{0}` claim")]
    MissingClaim(&'static str),

    /// Verifier configuration refused (short secret, leeway too large, no key at all, …).
    #[error("auth configuration: {0}")]
    Config(String),
    /// The JWKS file / PEM directory could not be read or holds a bad key; nothing was changed.
    #[error("JWT public keys: {0}")]
    KeySource(String),
    /// A mint request or a TTL was refused.
    #[error("{0}")]
    InvalidRequest(String),
    /// Signing failed (should not happen with a valid secret).
    #[error("token signing failed: {0}")]
    Signing(String),
}

impl AuthError {
    /// True for errors caused by the presented credentials (→ `UNAUTHENTICATED`, HTTP 401).
    pub fn is_credential_error(&self) -> bool {
        !matches!(
            self,
            AuthError::Config(_) | AuthError::KeySource(_) | AuthError::InvalidRequest(_) | AuthError::Signing(_)
        )
    }
}

impl From<AuthError> for AppError {
    fn from(e: AuthError) -> Self {
        match e {
            e if e.is_credential_error() => AppError::Unauthenticated(e.to_string()),
            AuthError::InvalidRequest(msg) => AppError::BadUserInput(msg),
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// Map the library's verdict onto ours. Anything about the key itself (it was validated when
/// loaded) or the encoding collapses into `BadSignature` / `Malformed`, never into details.
pub(crate) fn from_jwt(e: jsonwebtoken::errors::Error) -> AuthError {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::InvalidSignature | K::InvalidEcdsaKey | K::InvalidRsaKey(_) | K::InvalidKeyFormat => AuthError::BadSignature,
        K::ExpiredSignature => AuthError::Expired,
        K::ImmatureSignature => AuthError::NotYetValid,
        K::InvalidIssuer => AuthError::WrongIssuer,
        K::InvalidAudience => AuthError::WrongAudience,
        K::InvalidAlgorithm | K::MissingAlgorithm | K::UnsupportedAlgorithm => AuthError::DisallowedAlgorithm,
        K::MissingRequiredClaim(claim) => AuthError::MissingClaim(static_claim_name(claim)),
        _ => AuthError::Malformed,
    }
}

fn static_claim_name(claim: &str) -> &'static str {
    match claim {
        "exp" => "exp",
        "sub" => "sub",
        "iss" => "iss",
        "aud" => "aud",
        "nbf" => "nbf",
        _ => "required",
    }
}
