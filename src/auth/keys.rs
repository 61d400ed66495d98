//! Loading partner public keys from a JWKS file or a directory of `<kid>.pem` files.
//!
//! Every key is pinned to exactly ONE algorithm when it is loaded (RSA → RS256, EC P-256 → ES256):
//! the token header's `alg` only has to agree with it, it never chooses how a key is used.
//! A source is loaded all-or-nothing: one broken key refuses the whole file, so a half-written
//! update can never silently drop keys.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, DecodingKeyKind};
use serde::Deserialize;

use crate::auth::AuthError;

/// The `kid` that selects the HS256 shared secret; refused as a public key id.
pub const HS256_KID: &str = "hs256";

/// RSA moduli below this are refused (NIST SP 800-131A).
const MIN_RSA_BITS: usize = 2048;

/// A verification key and the only algorithm it may verify.
#[derive(Clone)]
pub(crate) struct PinnedKey {
    pub alg: Algorithm,
    pub key: DecodingKey,
}

impl PinnedKey {
    /// Same algorithm and same key material (used to report replaced keys on reload).
    fn same_as(&self, other: &PinnedKey) -> bool {
        self.alg == other.alg && material(&self.key) == material(&other.key)
    }
}

/// The public keys of one load, by `kid`.
#[derive(Clone, Default)]
pub(crate) struct KeySet {
    pub keys: HashMap<String, PinnedKey>,
    /// Keys present in the source but not usable for verification (e.g. `use: enc`), with why.
    pub skipped: Vec<String>,
}

/// What a reload changed (key ids only; never key material).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReloadReport {
    pub added: Vec<String>,
    pub removed: Vec<String>,
    /// Same `kid`, different key or algorithm.
    pub replaced: Vec<String>,
    /// Entries of the source that were ignored, with the reason.
    pub skipped: Vec<String>,
    /// Public keys active after the reload.
    pub total: usize,
}

impl ReloadReport {
    pub(crate) fn diff(old: &KeySet, new: &KeySet) -> ReloadReport {
        let mut report = ReloadReport { skipped: new.skipped.clone(), total: new.keys.len(), ..Default::default() };
        for (kid, key) in &new.keys {
            match old.keys.get(kid) {
                None => report.added.push(kid.clone()),
                Some(previous) if !previous.same_as(key) => report.replaced.push(kid.clone()),
                Some(_) => {}
            }
        }
        report.removed = old.keys.keys().filter(|kid| !new.keys.contains_key(*kid)).cloned().collect();
        report.added.sort();
        report.removed.sort();
        report.replaced.sort();
        report
    }
}

/// Load a JWKS file, or every `*.pem` in a directory.
pub(crate) fn load(path: &Path) -> Result<KeySet, AuthError> {
    let fail = |problem: String| AuthError::KeySource(format!("{}: {problem}", path.display()));
    if path.is_dir() { load_pem_dir(path).map_err(fail) } else { load_jwks_file(path).map_err(fail) }
}

// ---------------------------------------------------------------------------------------------
// PEM directory

fn load_pem_dir(dir: &Path) -> Result<KeySet, String> {
    // BTreeMap: a stable order, so errors and reports do not depend on the file system.
    let mut files = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("cannot read directory: {e}"))? {
        let path = entry.map_err(|e| format!("cannot read directory: {e}"))?.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else { continue };
        // Hidden files are editor/atomic-write leftovers, not keys.
        let Some(kid) = name.strip_suffix(".pem").filter(|_| !name.starts_with('.')) else { continue };
        files.insert(kid.to_owned(), path);
    }
    let mut set = KeySet::default();
    for (kid, path) in files {
        check_kid(&kid)?;
        let text = std::fs::read(&path).map_err(|e| format!("{kid}.pem: cannot read: {e}"))?;
        let key = pem_key(&text).map_err(|problem| format!("{kid}.pem: {problem}"))?;
        set.keys.insert(kid, key);
    }
    Ok(set)
}

/// An RSA or EC P-256 public key from one PEM block; the algorithm follows from the key type.
fn pem_key(text: &[u8]) -> Result<PinnedKey, String> {
    match pem_label(text)?.as_str() {
        "PUBLIC KEY" | "RSA PUBLIC KEY" => {}
        label if label.contains("PRIVATE") => {
            return Err("holds a PRIVATE key; only public keys belong here".into());
        }
        label => return Err(format!("unsupported PEM block {label:?} (expected PUBLIC KEY)")),
    }
    // The crate classifies SubjectPublicKeyInfo by its algorithm OID, so an EC key never parses as
    // RSA and vice versa.
    if let Ok(key) = DecodingKey::from_rsa_pem(text) {
        check_rsa_der(&key)?;
        return Ok(PinnedKey { alg: Algorithm::RS256, key });
    }
    if let Ok(key) = DecodingKey::from_ec_pem(text) {
        check_es256(&key)?;
        return Ok(PinnedKey { alg: Algorithm::ES256, key });
    }
    Err("neither an RSA nor an EC P-256 public key".into())
}

/// The label of the one and only `-----BEGIN …-----` line.
fn pem_label(text: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(text).map_err(|_| "not a PEM text file".to_string())?;
    let labels: Vec<&str> =
        text.lines().filter_map(|l| l.trim().strip_prefix("-----BEGIN ")?.strip_suffix("-----")).collect();
    match labels.as_slice() {
        [one] => Ok((*one).to_owned()),
        [] => Err("no PEM block".into()),
        _ => Err("more than one PEM block (one key per file)".into()),
    }
}

fn check_rsa_der(key: &DecodingKey) -> Result<(), String> {
    let der = key.try_get_as_bytes().map_err(|_| "unreadable RSA key".to_string())?;
    let parse = jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER.key_utils.rsa_pub_components_from_public_key;
    let (n, _e) = parse(der).map_err(|_| "unreadable RSA public key".to_string())?;
    check_rsa_modulus(&n)
}

// ---------------------------------------------------------------------------------------------
// JWKS file

#[derive(Deserialize)]
struct JwksDoc {
    keys: Vec<serde_json::Value>,
}

/// The members of a JWK we look at; everything else (x5c, key_ops, …) is ignored.
#[derive(Deserialize)]
struct RawJwk {
    kty: String,
    kid: Option<String>,
    alg: Option<String>,
    #[serde(rename = "use")]
    usage: Option<String>,
    crv: Option<String>,
    n: Option<String>,
    e: Option<String>,
    x: Option<String>,
    y: Option<String>,
    d: Option<serde_json::Value>,
}

fn load_jwks_file(path: &Path) -> Result<KeySet, String> {
    let text = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let doc: JwksDoc =
        serde_json::from_slice(&text).map_err(|e| format!("not a JWKS document ({{\"keys\": [...]}}): {e}"))?;
    let mut set = KeySet::default();
    for (index, value) in doc.keys.into_iter().enumerate() {
        let jwk: RawJwk = serde_json::from_value(value).map_err(|e| format!("keys[{index}]: {e}"))?;
        let name = jwk.kid.clone().unwrap_or_else(|| format!("keys[{index}]"));
        match jwk_key(&jwk).map_err(|problem| format!("{name}: {problem}"))? {
            JwkVerdict::Skip(reason) => set.skipped.push(format!("{name}: {reason}")),
            JwkVerdict::Use(key) => {
                let kid = jwk.kid.ok_or_else(|| format!("{name}: a signing key needs a `kid`"))?;
                check_kid(&kid)?;
                if set.keys.insert(kid.clone(), key).is_some() {
                    return Err(format!("duplicate kid {kid:?}"));
                }
            }
        }
    }
    Ok(set)
}

enum JwkVerdict {
    Use(PinnedKey),
    /// A well-formed key we do not verify with (encryption key, other algorithm or curve).
    Skip(&'static str),
}

fn jwk_key(jwk: &RawJwk) -> Result<JwkVerdict, String> {
    if jwk.d.is_some() {
        // A private key published as "public" is a leak or a mix-up: stop and let a human look.
        return Err("holds private key material (`d`); publish public keys only".into());
    }
    if jwk.usage.as_deref().is_some_and(|u| u != "sig") {
        return Ok(JwkVerdict::Skip("not a signature key (`use` is not `sig`)"));
    }
    let alg = jwk.alg.as_deref();
    match (jwk.kty.as_str(), alg) {
        ("RSA", None | Some("RS256")) => {
            let (n, e) = (required(&jwk.n, "n")?, required(&jwk.e, "e")?);
            check_rsa_modulus(&b64(n, "n")?)?;
            b64(e, "e")?;
            let key = DecodingKey::from_rsa_components(n, e).map_err(|_| "bad RSA components".to_string())?;
            Ok(JwkVerdict::Use(PinnedKey { alg: Algorithm::RS256, key }))
        }
        ("EC", None | Some("ES256")) => {
            if jwk.crv.as_deref() != Some("P-256") {
                return match alg {
                    Some(_) => Err("ES256 needs `crv` P-256".into()),
                    None => Ok(JwkVerdict::Skip("EC curve other than P-256")),
                };
            }
            let (x, y) = (required(&jwk.x, "x")?, required(&jwk.y, "y")?);
            if b64(x, "x")?.len() != 32 || b64(y, "y")?.len() != 32 {
                return Err("P-256 coordinates must be 32 bytes".into());
            }
            let key = DecodingKey::from_ec_components(x, y).map_err(|_| "bad EC components".to_string())?;
            check_es256(&key)?;
            Ok(JwkVerdict::Use(PinnedKey { alg: Algorithm::ES256, key }))
        }
        _ => Ok(JwkVerdict::Skip("key type or algorithm not accepted (RS256 and ES256 only)")),
    }
}

fn required<'a>(field: &'a Option<String>, name: &str) -> Result<&'a str, String> {
    field.as_deref().filter(|v| !v.is_empty()).ok_or_else(|| format!("missing `{name}`"))
}

fn b64(value: &str, name: &str) -> Result<Vec<u8>, String> {
    URL_SAFE_NO_PAD.decode(value.trim_end_matches('=')).map_err(|_| format!("`{name}` is not base64url"))
}

// ---------------------------------------------------------------------------------------------
// Shared checks

fn check_kid(kid: &str) -> Result<(), String> {
    if kid.is_empty() || kid.len() > 128 || kid.chars().any(char::is_control) {
        return Err(format!("unusable kid {kid:?}"));
    }
    if kid == HS256_KID {
        return Err(format!("kid {HS256_KID:?} is reserved for the HS256 shared secret"));
    }
    Ok(())
}

fn check_rsa_modulus(n: &[u8]) -> Result<(), String> {
    let n = match n.iter().position(|b| *b != 0) {
        Some(first) => &n[first..],
        None => return Err("empty RSA modulus".into()),
    };
    let bits = n.len() * 8 - n[0].leading_zeros() as usize;
    if bits < MIN_RSA_BITS {
        return Err(format!("RSA key of {bits} bits; at least {MIN_RSA_BITS} required"));
    }
    Ok(())
}

/// Building an ES256 verifier parses the point, so an off-curve or P-384 key is refused at load time
/// rather than failing every token later. The dummy signature itself is of course invalid.
fn check_es256(key: &DecodingKey) -> Result<(), String> {
    jsonwebtoken::crypto::verify("AA", b"probe", key, Algorithm::ES256)
        .map(|_| ())
        .map_err(|_| "not a valid EC P-256 public key".to_string())
}

/// Comparable bytes of a key (only used to tell "same kid, new key" apart on reload).
fn material(key: &DecodingKey) -> Vec<u8> {
    match key.kind() {
        DecodingKeyKind::SecretOrDer(bytes) => bytes.clone(),
        DecodingKeyKind::RsaModulusExponent { n, e } => [n.as_slice(), b"|", e.as_slice()].concat(),
    }
}
