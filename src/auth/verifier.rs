//! `Verifier`: bearer token → `Principal`, with hot-reloadable partner keys.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use tokio::task::JoinHandle;

use crate::auth::error::from_jwt;
use crate::auth::keys::{self, HS256_KID, KeySet, PinnedKey};
use crate::auth::{AuthError, Principal, ReloadReport, Scope, parse_channel_list};
use crate::crypto::Secret;

pub const DEFAULT_LEEWAY_SECS: u64 = 30;
pub const MAX_LEEWAY_SECS: u64 = 60;
pub const MIN_HS256_SECRET_BYTES: usize = 32;
/// Far above any real token; bounds the work an anonymous caller can make us do.
const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Verified tokens kept ([`Verified`]); a full cache starts over.
const VERIFIED_CAPACITY: usize = 4096;

/// Everything the verifier needs, already read from the environment by `config`.
#[derive(Clone, Debug)]
pub struct VerifierConfig {
    /// `CDP_JWT_HS256_SECRET` (≥ 32 bytes): internal apps and `cdp360 token`.
    pub hs256_secret: Option<Secret>,
    /// `CDP_JWT_PUBLIC_KEYS`: a JWKS file, or a directory of `<kid>.pem` files.
    pub public_keys: Option<PathBuf>,
    /// `CDP_JWT_ISSUER`: when set, `iss` is required and must equal it. When unset, `iss` is not checked.
    pub issuer: Option<String>,
    /// `CDP_JWT_AUDIENCE`: when set, `aud` is required and must contain it. When unset, a token that
    /// carries an `aud` at all is refused (RFC 7519 §4.1.3: we cannot tell we are its audience).
    pub audience: Option<String>,
    /// Clock skew allowed on `exp`, `nbf` and `iat`; at most 60 s.
    pub leeway_secs: u64,
}

impl Default for VerifierConfig {
    fn default() -> Self {
        VerifierConfig {
            hs256_secret: None,
            public_keys: None,
            issuer: None,
            audience: None,
            leeway_secs: DEFAULT_LEEWAY_SECS,
        }
    }
}

/// Verifies bearer tokens. Cheap to share (`Arc<Verifier>`); `verify` never blocks on a reload for
/// longer than an `Arc` clone.
pub struct Verifier {
    hs256: Option<DecodingKey>,
    public_keys: Option<PathBuf>,
    keys: RwLock<Arc<KeySet>>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway: u64,
    verified: Verified,
}

/// Tokens already verified, by their text. A client sends the same token with every request until
/// it expires, and verifying it again (two base64 decodes, two JSON parses and an HMAC, RSA or
/// ECDSA check) was 4 % of a point read's server CPU with HS256 (README, the read benchmarks). A hit
/// is checked against the clock (`exp` plus the leeway: the instant the full check would start to
/// refuse it); the cache is emptied whenever the key set changes, so a removed key's tokens stop
/// at once; only tokens that passed every check are kept, and the map's hasher is keyed at random,
/// so a caller cannot steer which entries its guesses are compared with.
#[derive(Default)]
struct Verified {
    inner: RwLock<VerifiedInner>,
}

#[derive(Default)]
struct VerifiedInner {
    /// Bumped with every key set change: a verification that started under older keys is not kept.
    generation: u64,
    tokens: HashMap<Box<str>, (Principal, u64)>,
}

impl Verified {
    /// The principal of `token` if it was verified and is still valid at `now` (Unix seconds).
    fn get(&self, token: &str, now: u64) -> Option<Principal> {
        let inner = self.inner.read().unwrap_or_else(|e| e.into_inner());
        inner.tokens.get(token).filter(|(_, until)| now <= *until).map(|(p, _)| p.clone())
    }

    fn generation(&self) -> u64 {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).generation
    }

    /// Keep `principal` for `token` until `until`, unless the keys changed since `generation`.
    fn put(&self, token: &str, principal: &Principal, until: u64, generation: u64) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        if inner.generation != generation {
            return;
        }
        if inner.tokens.len() >= VERIFIED_CAPACITY {
            inner.tokens.clear();
        }
        inner.tokens.insert(token.into(), (principal.clone(), until));
    }

    fn forget_all(&self) {
        let mut inner = self.inner.write().unwrap_or_else(|e| e.into_inner());
        inner.generation += 1;
        inner.tokens.clear();
    }
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("hs256", &self.hs256.is_some())
            .field("public_keys", &self.public_keys)
            .field("key_ids", &self.key_ids())
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway", &self.leeway)
            .finish()
    }
}

/// The header members we decide on. `jku`, `x5u`, `jwk`, `x5c` are deliberately not read: keys come
/// only from our own configuration, never from the token.
#[derive(Deserialize)]
struct RawHeader {
    alg: String,
    kid: Option<String>,
    crit: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct Claims {
    sub: Option<String>,
    exp: Option<u64>,
    iat: Option<u64>,
    scope: Option<StringOrList>,
    channels: Option<StringOrList>,
    jti: Option<String>,
}

/// `scope` is normally one space-separated string; some identity providers emit a list instead.
/// `channels` is normally a list; a comma/space-separated string is accepted too.
#[derive(Deserialize)]
#[serde(untagged)]
enum StringOrList {
    One(String),
    Many(Vec<String>),
}

impl Verifier {
    pub fn new(config: VerifierConfig) -> Result<Verifier, AuthError> {
        let hs256 = match &config.hs256_secret {
            Some(s) if s.expose().len() < MIN_HS256_SECRET_BYTES => {
                return Err(AuthError::Config(format!(
                    "the HS256 secret must be at least {MIN_HS256_SECRET_BYTES} bytes"
                )));
            }
            Some(s) => Some(DecodingKey::from_secret(s.expose())),
            None => None,
        };
        if config.leeway_secs > MAX_LEEWAY_SECS {
            return Err(AuthError::Config(format!("leeway must be at most {MAX_LEEWAY_SECS} s")));
        }
        if hs256.is_none() && config.public_keys.is_none() {
            return Err(AuthError::Config("no HS256 secret and no public keys: no token could verify".into()));
        }
        let keys = match &config.public_keys {
            Some(path) => keys::load(path)?,
            None => KeySet::default(),
        };
        Ok(Verifier {
            hs256,
            public_keys: config.public_keys,
            keys: RwLock::new(Arc::new(keys)),
            issuer: non_empty("issuer", config.issuer)?,
            audience: non_empty("audience", config.audience)?,
            leeway: config.leeway_secs,
            verified: Verified::default(),
        })
    }

    /// Verify a compact JWS (the part after `Bearer `) and return who it proves.
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        if let Some(principal) = self.verified.get(token, jsonwebtoken::get_current_timestamp()) {
            return Ok(principal);
        }
        let generation = self.verified.generation();
        let principal = self.verify_fully(token)?;
        let until = u64::try_from(principal.expires_at.timestamp()).unwrap_or(0).saturating_add(self.leeway);
        self.verified.put(token, &principal, until, generation);
        Ok(principal)
    }

    fn verify_fully(&self, token: &str) -> Result<Principal, AuthError> {
        let header = parse_header(token)?;
        let alg = allowed_algorithm(&header.alg)?;
        let keys = self.snapshot();
        let pinned = self.select_key(header.kid.as_deref(), &keys)?;
        // The key decides the algorithm; the header may only agree. This is what stops an HS256
        // token "signed" with an RSA public key from being checked as HMAC.
        if pinned.alg != alg {
            return Err(AuthError::DisallowedAlgorithm);
        }
        let data =
            jsonwebtoken::decode::<Claims>(token, &pinned.key, &self.validation(pinned.alg)).map_err(from_jwt)?;
        self.principal(data.claims)
    }

    /// Re-read the JWKS file / PEM directory and swap the key set in one step. On any error the
    /// previous keys stay active and the error is returned (the caller logs it).
    pub fn reload(&self) -> Result<ReloadReport, AuthError> {
        let Some(path) = &self.public_keys else {
            return Ok(ReloadReport::default());
        };
        let fresh = Arc::new(keys::load(path)?);
        let mut slot = self.keys.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let report = ReloadReport::diff(&slot, &fresh);
        *slot = fresh;
        self.verified.forget_all();
        Ok(report)
    }

    /// The active public key ids, sorted (for startup logs and diagnostics).
    pub fn key_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.snapshot().keys.keys().cloned().collect();
        ids.sort();
        ids
    }

    /// Poll the key source every `interval` and reload when its modification time or size changes
    /// (for a directory: any `*.pem` added, removed or changed). Logs each outcome. The task ends at
    /// once when no public key source is configured; abort the handle to stop it.
    pub fn watch(self: Arc<Self>, interval: Duration) -> JoinHandle<()> {
        tokio::spawn(async move {
            let Some(path) = self.public_keys.clone() else { return };
            let mut last = source_fingerprint(path.clone()).await;
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticker.tick().await; // the first tick fires immediately
            loop {
                ticker.tick().await;
                let now = source_fingerprint(path.clone()).await;
                if now != last {
                    last = now;
                    self.reload_logged("file change").await;
                }
            }
        })
    }

    /// Reload on every `SIGHUP` (the classic "re-read your config" signal). Must be called inside a
    /// tokio runtime; fails only if the signal handler cannot be installed.
    #[cfg(unix)]
    pub fn reload_on_sighup(self: Arc<Self>) -> std::io::Result<JoinHandle<()>> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut hangups = signal(SignalKind::hangup())?;
        Ok(tokio::spawn(async move {
            while hangups.recv().await.is_some() {
                self.reload_logged("SIGHUP").await;
            }
        }))
    }

    async fn reload_logged(self: &Arc<Self>, trigger: &'static str) {
        let this = Arc::clone(self);
        match tokio::task::spawn_blocking(move || this.reload()).await {
            Ok(Ok(r)) => tracing::info!(
                trigger,
                added = ?r.added,
                removed = ?r.removed,
                replaced = ?r.replaced,
                skipped = ?r.skipped,
                total = r.total,
                "JWT public keys reloaded"
            ),
            Ok(Err(e)) => {
                tracing::warn!(trigger, error = %e, "JWT public key reload failed; previous keys stay active")
            }
            Err(e) => tracing::error!(trigger, error = %e, "JWT public key reload task failed"),
        }
    }

    fn snapshot(&self) -> Arc<KeySet> {
        // Poisoning cannot leave a half-written value here (we only ever swap an Arc), so recover.
        Arc::clone(&self.keys.read().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// No `kid`, or the reserved `hs256` kid → the shared secret; any other `kid` → a public key.
    fn select_key(&self, kid: Option<&str>, keys: &KeySet) -> Result<PinnedKey, AuthError> {
        match kid {
            None | Some(HS256_KID) => {
                self.hs256.clone().map(|key| PinnedKey { alg: Algorithm::HS256, key }).ok_or(AuthError::UnknownKey)
            }
            Some(kid) => keys.keys.get(kid).cloned().ok_or(AuthError::UnknownKey),
        }
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.leeway = self.leeway;
        v.validate_exp = true;
        v.validate_nbf = true;
        v.validate_aud = true;
        let mut required = vec!["exp", "sub"];
        if let Some(iss) = &self.issuer {
            v.set_issuer(&[iss]);
            required.push("iss");
        }
        if let Some(aud) = &self.audience {
            v.set_audience(&[aud]);
            required.push("aud");
        }
        v.set_required_spec_claims(&required);
        v
    }

    /// Checks the library does not do (`iat`, non-empty `sub`) and the mapping to `Principal`.
    fn principal(&self, claims: Claims) -> Result<Principal, AuthError> {
        let subject = claims.sub.filter(|s| !s.trim().is_empty()).ok_or(AuthError::MissingClaim("sub"))?;
        let exp = claims.exp.ok_or(AuthError::MissingClaim("exp"))?;
        let expires_at = i64::try_from(exp).ok().and_then(|s| DateTime::<Utc>::from_timestamp(s, 0));
        let expires_at = expires_at.ok_or(AuthError::Malformed)?;
        if let Some(iat) = claims.iat {
            let now = jsonwebtoken::get_current_timestamp();
            if iat > now.saturating_add(self.leeway) {
                return Err(AuthError::IssuedInFuture);
            }
        }
        let scopes = match claims.scope {
            None => Default::default(),
            Some(StringOrList::One(s)) => Scope::parse_claim(&s),
            Some(StringOrList::Many(list)) => list.iter().filter_map(|s| Scope::parse(s)).collect(),
        };
        let channels = claims.channels.map(|c| match c {
            StringOrList::One(s) => parse_channel_list(&s),
            StringOrList::Many(list) => list.into_iter().filter(|c| !c.is_empty()).collect(),
        });
        Ok(Principal { subject, scopes, channels, token_id: claims.jti, expires_at })
    }
}

fn non_empty(what: &str, value: Option<String>) -> Result<Option<String>, AuthError> {
    match value {
        Some(v) if v.trim().is_empty() => Err(AuthError::Config(format!("the expected {what} is empty"))),
        other => Ok(other),
    }
}

/// Shape checks before any cryptography: size, three non-empty parts, a JSON header we understand.
fn parse_header(token: &str) -> Result<RawHeader, AuthError> {
    if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
        return Err(AuthError::Malformed);
    }
    let parts: Vec<&str> = token.split('.').collect();
    let [header, payload, _signature] = parts.as_slice() else {
        return Err(AuthError::Malformed);
    };
    if header.is_empty() || payload.is_empty() {
        return Err(AuthError::Malformed);
    }
    let bytes = URL_SAFE_NO_PAD.decode(header).map_err(|_| AuthError::Malformed)?;
    let header: RawHeader = serde_json::from_slice(&bytes).map_err(|_| AuthError::Malformed)?;
    // RFC 7515 §4.1.11: a `crit` extension we do not implement must make the token invalid, and we
    // implement none.
    if header.crit.is_some() {
        return Err(AuthError::Malformed);
    }
    Ok(header)
}

/// Only the three algorithms of docs/design.md §5; `none` (any case) and everything else is refused.
fn allowed_algorithm(alg: &str) -> Result<Algorithm, AuthError> {
    match alg {
        "HS256" => Ok(Algorithm::HS256),
        "RS256" => Ok(Algorithm::RS256),
        "ES256" => Ok(Algorithm::ES256),
        _ => Err(AuthError::DisallowedAlgorithm),
    }
}

/// What the watcher compares between polls: (path, modified, length) of the file, or of the
/// directory and each of its `*.pem` files. `None` when the source cannot be read at all.
type Fingerprint = Option<Vec<(PathBuf, SystemTime, u64)>>;

async fn source_fingerprint(path: PathBuf) -> Fingerprint {
    tokio::task::spawn_blocking(move || fingerprint(&path)).await.ok().flatten()
}

fn fingerprint(path: &Path) -> Fingerprint {
    let stamp = |p: &Path| std::fs::metadata(p).ok().and_then(|m| Some((p.to_path_buf(), m.modified().ok()?, m.len())));
    let mut entries = vec![stamp(path)?];
    if path.is_dir() {
        for entry in std::fs::read_dir(path).ok()?.flatten() {
            let p = entry.path();
            if p.extension().and_then(|e| e.to_str()) == Some("pem") {
                entries.extend(stamp(&p));
            }
        }
    }
    entries.sort();
    Some(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(expires_at: i64) -> Principal {
        Principal {
            subject: "p".into(),
            scopes: [Scope::Read].into(),
            channels: None,
            token_id: None,
            expires_at: DateTime::<Utc>::from_timestamp(expires_at, 0).unwrap(),
        }
    }

    #[test]
    fn a_verified_token_is_served_until_its_expiry_and_leeway_pass_and_not_after() {
        let cache = Verified::default();
        cache.put("t", &principal(1_000), 1_030, cache.generation());
        assert_eq!(cache.get("t", 1_030).map(|p| p.subject), Some("p".into()));
        assert_eq!(cache.get("t", 1_031), None);
        assert_eq!(cache.get("other", 1_000), None);
    }

    #[test]
    fn a_verification_that_began_under_the_old_keys_is_not_kept() {
        let cache = Verified::default();
        let began = cache.generation();
        cache.forget_all();
        cache.put("t", &principal(1_000), 1_030, began);
        assert_eq!(cache.get("t", 1_000), None);
    }

    #[test]
    fn a_full_cache_starts_over() {
        let cache = Verified::default();
        for i in 0..VERIFIED_CAPACITY {
            cache.put(&i.to_string(), &principal(1_000), 1_030, 0);
        }
        cache.put("last", &principal(1_000), 1_030, 0);
        assert_eq!(cache.inner.read().unwrap().tokens.len(), 1);
        assert!(cache.get("0", 1_000).is_none() && cache.get("last", 1_000).is_some());
    }
}
