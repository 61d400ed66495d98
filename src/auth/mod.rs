//! JWT verification, principals and scopes (docs/design.md §5). Leaf module: no database access and no
//! HTTP/GraphQL types; the transport layers call [`bearer_token`] and [`Verifier::verify`] and carry
//! the resulting [`Principal`].
//!
//! Decisions:
//! - **Key selection** is by the header `kid` only. No `kid`, or `kid` = `"hs256"`, selects the HS256
//!   shared secret; any other `kid` selects a partner public key. Every key is pinned to one algorithm
//!   (HS256 / RS256 / ES256) and the header `alg` must equal it, which blocks `alg: none` and
//!   RS/HS confusion. `jku`, `x5u`, `jwk` and `x5c` header members are never read.
//! - **Claims**: `exp` and `sub` required; `nbf` and `iat` checked with the leeway (default 30 s,
//!   at most 60 s). `iss` must equal the configured issuer (unchecked when none is configured); `aud`
//!   must contain the configured audience, and when none is configured a token carrying `aud` is
//!   refused (RFC 7519 §4.1.3). A `crit` header is refused (we implement no extensions).
//! - **Scopes**: unknown names in the `scope` claim are ignored (forward compatibility, never grants
//!   anything); [`Scope::parse_list_strict`] is the strict variant for people typing scopes.
//! - **Channels**: a `channels` claim (list, or comma/space-separated string) restricts the
//!   principal; see [`Principal::can_see_channel`].
//! - **Key sources** (`CDP_JWT_PUBLIC_KEYS`): a JWKS file `{"keys": [...]}` (RSA `n`/`e` → RS256,
//!   EC P-256 `x`/`y` → ES256; keys with `use` ≠ `sig` or other types are skipped; `kid` required,
//!   `d` refused), or a directory of `<kid>.pem` SubjectPublicKeyInfo (`PUBLIC KEY`) or PKCS#1
//!   (`RSA PUBLIC KEY`) files. RSA keys need ≥ 2048 bits. Loads are all-or-nothing.

mod bearer;
mod error;
mod keys;
mod mint;
mod principal;
mod verifier;

#[cfg(test)]
mod tests;

pub use bearer::bearer_token;
pub use error::AuthError;
pub use keys::{HS256_KID, ReloadReport};
pub use mint::{MAX_TTL, MintRequest, mint_hs256, parse_ttl};
pub use principal::{Principal, Scope, parse_channel_list};
pub use verifier::{DEFAULT_LEEWAY_SECS, MAX_LEEWAY_SECS, MIN_HS256_SECRET_BYTES, Verifier, VerifierConfig};
