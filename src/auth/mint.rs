//! Minting HS256 tokens for people (`cdp360 token …`) and demo mode.

use std::collections::BTreeSet;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use rand::RngCore;
use serde::Serialize;

use crate::auth::keys::HS256_KID;
use crate::auth::verifier::MIN_HS256_SECRET_BYTES;
use crate::auth::{AuthError, Scope};
use crate::crypto::Secret;

/// Longest lifetime a minted token may have: long-lived bearer tokens are the ones that leak.
pub const MAX_TTL: Duration = Duration::from_secs(90 * 24 * 60 * 60);

/// What a minted token says. `issuer`/`audience` should be the verifier's configured values, or the
/// token will be refused (a token with an `aud` is refused by a verifier without an audience).
#[derive(Clone, Debug)]
pub struct MintRequest {
    pub subject: String,
    pub scopes: BTreeSet<Scope>,
    /// `None`: unrestricted token. `Some`: limited to these channel ids (must not be empty).
    pub channels: Option<BTreeSet<String>>,
    pub ttl: Duration,
    pub issuer: Option<String>,
    pub audience: Option<String>,
}

#[derive(Serialize)]
struct MintClaims<'a> {
    sub: &'a str,
    scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    channels: Option<&'a BTreeSet<String>>,
    jti: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    iss: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    aud: Option<&'a str>,
}

/// Sign an HS256 token (header `kid` = `hs256`) with a random `jti` and `iat` = `nbf` = now.
pub fn mint_hs256(secret: &Secret, req: &MintRequest) -> Result<String, AuthError> {
    if secret.expose().len() < MIN_HS256_SECRET_BYTES {
        return Err(AuthError::Config(format!("the HS256 secret must be at least {MIN_HS256_SECRET_BYTES} bytes")));
    }
    check_request(req)?;
    let now = chrono::Utc::now().timestamp();
    // check_request bounded the TTL to 90 days, so this cannot overflow.
    let ttl = i64::try_from(req.ttl.as_secs()).map_err(|_| invalid("the TTL is too long"))?;
    let claims = MintClaims {
        sub: &req.subject,
        scope: Scope::join(&req.scopes),
        channels: req.channels.as_ref(),
        jti: random_jti(),
        iat: now,
        nbf: now,
        exp: now + ttl,
        iss: req.issuer.as_deref(),
        aud: req.audience.as_deref(),
    };
    let header = Header { kid: Some(HS256_KID.to_owned()), ..Header::new(Algorithm::HS256) };
    jsonwebtoken::encode(&header, &claims, &EncodingKey::from_secret(secret.expose()))
        .map_err(|e| AuthError::Signing(e.to_string()))
}

fn check_request(req: &MintRequest) -> Result<(), AuthError> {
    if req.subject.trim().is_empty() || req.subject.chars().any(char::is_control) {
        return Err(invalid("the subject must be a non-empty printable string"));
    }
    if req.scopes.is_empty() {
        return Err(invalid("a token needs at least one scope"));
    }
    if req.channels.as_ref().is_some_and(|c| c.is_empty() || c.iter().any(|id| id.trim().is_empty())) {
        return Err(invalid("--channels needs at least one non-empty channel id"));
    }
    check_ttl(req.ttl)
}

fn check_ttl(ttl: Duration) -> Result<(), AuthError> {
    if ttl.as_secs() == 0 {
        return Err(invalid("the TTL must be at least 1s"));
    }
    if ttl > MAX_TTL {
        return Err(invalid("the TTL may be at most 90d"));
    }
    Ok(())
}

/// 128 random bits, base64url: unique enough to name one token in logs or a deny list.
fn random_jti() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// `"3600s"`, `"30m"`, `"1h"`, `"7d"` → a duration in 1 s ..= 90 d. A unit is required: a bare
/// number is ambiguous (seconds? minutes?) and refused.
pub fn parse_ttl(text: &str) -> Result<Duration, AuthError> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let unit_secs: u64 = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 60 * 60,
        "d" => 24 * 60 * 60,
        "" => return Err(invalid("the TTL needs a unit: s, m, h or d (e.g. 1h)")),
        _ => return Err(invalid("unknown TTL unit; use s, m, h or d (e.g. 1h)")),
    };
    let n: u64 = number.parse().map_err(|_| invalid("the TTL must be a whole number with a unit (e.g. 30m)"))?;
    let ttl = Duration::from_secs(n.checked_mul(unit_secs).ok_or_else(|| invalid("the TTL may be at most 90d"))?);
    check_ttl(ttl)?;
    Ok(ttl)
}

fn invalid(msg: &str) -> AuthError {
    AuthError::InvalidRequest(msg.to_owned())
}
