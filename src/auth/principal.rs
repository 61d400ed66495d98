//! Scopes and the authenticated principal (docs/design.md §5).

use std::collections::BTreeSet;
use std::fmt;

use chrono::{DateTime, Utc};

use crate::auth::AuthError;
use crate::error::AppError;

/// One permission carried in the space-separated `scope` claim.
///
/// Scopes are independent: `admin` does NOT imply `read` or `write` (a token gets exactly what it
/// lists), so guards never have to reason about a hierarchy. Scope names are case-sensitive, as in
/// OAuth 2.0 (RFC 6749 §3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Read leads, accounts, events, … (PII masked without `pii`).
    Read,
    /// Create, update and delete.
    Write,
    /// See decrypted phone / e-mail / WeChat id instead of masked values.
    Pii,
    /// Lead and event ingestion endpoints only.
    Ingest,
    /// Scenes, rules, score models, keys.
    Admin,
}

impl Scope {
    pub const ALL: [Scope; 5] = [Scope::Read, Scope::Write, Scope::Pii, Scope::Ingest, Scope::Admin];

    /// The wire name used in the `scope` claim.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Pii => "pii",
            Scope::Ingest => "ingest",
            Scope::Admin => "admin",
        }
    }

    /// One scope by its wire name; `None` for anything else.
    pub fn parse(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Scopes of a token's `scope` claim. Unknown names are IGNORED on purpose: an identity provider
    /// may issue scopes for other services, or a newer cdp360 may add scopes, and neither should make
    /// an otherwise valid token unusable. Ignoring never grants anything.
    pub fn parse_claim(claim: &str) -> BTreeSet<Scope> {
        claim.split_whitespace().filter_map(Scope::parse).collect()
    }

    /// Scopes typed by a person (`cdp360 token --scope "read write"`): unknown names are an error
    /// here, because a typo would silently mint a weaker token.
    pub fn parse_list_strict(list: &str) -> Result<BTreeSet<Scope>, AuthError> {
        list.split(|c: char| c.is_whitespace() || c == ',')
            .filter(|s| !s.is_empty())
            .map(|name| {
                Scope::parse(name).ok_or_else(|| {
                    AuthError::InvalidRequest(format!(
                        "unknown scope {name:?} (known: read, write, pii, ingest, admin)"
                    ))
                })
            })
            .collect()
    }

    /// The `scope` claim value for a set of scopes (space-separated, stable order).
    pub fn join(scopes: &BTreeSet<Scope>) -> String {
        scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Channel ids typed by a person (`--channels CH_1,CH_2`): comma and/or whitespace separated.
pub fn parse_channel_list(list: &str) -> BTreeSet<String> {
    list.split(|c: char| c.is_whitespace() || c == ',').filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

/// Who is calling, as proven by a verified token. Unauthenticated requests have no principal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The token's `sub` (never empty).
    pub subject: String,
    pub scopes: BTreeSet<Scope>,
    /// `None`: unrestricted. `Some(ids)`: a partner token limited to rows of these channel ids
    /// (an empty set sees no channel-bound row at all).
    pub channels: Option<BTreeSet<String>>,
    /// The token's `jti`, when present (for audit logs and a future deny list).
    pub token_id: Option<String>,
    pub expires_at: DateTime<Utc>,
}

impl Principal {
    pub fn has(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }

    /// `Forbidden` naming the missing scope, so a client knows which token to ask for.
    pub fn require(&self, scope: Scope) -> Result<(), AppError> {
        if self.has(scope) {
            Ok(())
        } else {
            Err(AppError::Forbidden(format!("this operation requires the `{scope}` scope")))
        }
    }

    /// True when a `channels` claim limits this principal.
    pub fn is_restricted(&self) -> bool {
        self.channels.is_some()
    }

    /// May this principal see a row belonging to `channel` (`None` = the row has no channel)?
    ///
    /// An unrestricted principal sees everything. A restricted one sees only rows of its own
    /// channels: a row WITHOUT a channel is refused too, because it was not attributed to the
    /// partner and may have come from any other source (fail closed).
    pub fn can_see_channel(&self, channel: Option<&str>) -> bool {
        match &self.channels {
            None => true,
            Some(allowed) => channel.is_some_and(|c| allowed.contains(c)),
        }
    }
}
