//! The auth module's specification. Key material under `testdata/` is TEST-ONLY (generated with
//! `openssl genpkey` for these tests, public in the repository, never to be used anywhere else).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use super::*;
use crate::crypto::Secret;
use crate::error::AppError;

// TEST-ONLY keys.
const RSA1_KEY: &str = include_str!("testdata/rsa1.key.pem");
const RSA1_PUB: &str = include_str!("testdata/rsa1.pub.pem");
const RSA1_PKCS1_PUB: &str = include_str!("testdata/rsa1.pkcs1.pub.pem");
const RSA2_KEY: &str = include_str!("testdata/rsa2.key.pem");
const EC1_KEY: &str = include_str!("testdata/ec1.key.pem");
const EC1_PUB: &str = include_str!("testdata/ec1.pub.pem");
const EC2_KEY: &str = include_str!("testdata/ec2.key.pem");
const EC384_PUB: &str = include_str!("testdata/ec384.pub.pem");

const SECRET: &[u8] = b"test-only-hs256-secret-0123456789abcdef";
const ISS: &str = "https://idp.test";
const AUD: &str = "cdp360";
const RSA_KID: &str = "partner-rsa";
const EC_KID: &str = "partner-ec";

// ---------------------------------------------------------------------------------------------
// helpers

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn claims() -> Value {
    json!({
        "sub": "partner-1",
        "scope": "read pii",
        "channels": ["CH_1", "CH_2"],
        "jti": "token-1",
        "iat": now(),
        "nbf": now(),
        "exp": now() + 600,
        "iss": ISS,
        "aud": AUD,
    })
}

fn with(mut base: Value, key: &str, value: Value) -> Value {
    base[key] = value;
    base
}

fn without(mut base: Value, key: &str) -> Value {
    base.as_object_mut().unwrap().remove(key);
    base
}

fn rsa_key(pem: &str) -> EncodingKey {
    EncodingKey::from_rsa_pem(pem.as_bytes()).unwrap()
}

fn ec_key(pem: &str) -> EncodingKey {
    EncodingKey::from_ec_pem(pem.as_bytes()).unwrap()
}

fn hs_key() -> EncodingKey {
    EncodingKey::from_secret(SECRET)
}

fn sign_with_header(header: Header, claims: &Value, key: &EncodingKey) -> String {
    jsonwebtoken::encode(&header, claims, key).unwrap()
}

fn sign(alg: Algorithm, kid: Option<&str>, claims: &Value, key: &EncodingKey) -> String {
    sign_with_header(Header { kid: kid.map(str::to_owned), ..Header::new(alg) }, claims, key)
}

fn rs256(claims: &Value) -> String {
    sign(Algorithm::RS256, Some(RSA_KID), claims, &rsa_key(RSA1_KEY))
}

fn hs256(claims: &Value) -> String {
    sign(Algorithm::HS256, None, claims, &hs_key())
}

/// A compact token from raw JSON parts, for shapes the library refuses to produce.
fn raw_token(header: &Value, claims: &Value, signature: &str) -> String {
    let part = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
    format!("{}.{}.{}", part(header), part(claims), signature)
}

fn jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Value {
    let mut jwk = Jwk::from_encoding_key(key, alg).unwrap();
    jwk.common.key_id = Some(kid.to_owned());
    serde_json::to_value(jwk).unwrap()
}

fn rsa1_jwk() -> Value {
    jwk(&rsa_key(RSA1_KEY), Algorithm::RS256, RSA_KID)
}

fn ec1_jwk() -> Value {
    jwk(&ec_key(EC1_KEY), Algorithm::ES256, EC_KID)
}

fn write_jwks(path: &Path, keys: &[Value]) {
    std::fs::write(path, serde_json::to_vec(&json!({ "keys": keys })).unwrap()).unwrap();
}

fn config(public_keys: Option<PathBuf>) -> VerifierConfig {
    VerifierConfig {
        hs256_secret: Some(Secret::new(SECRET.to_vec())),
        public_keys,
        issuer: Some(ISS.into()),
        audience: Some(AUD.into()),
        leeway_secs: DEFAULT_LEEWAY_SECS,
    }
}

/// A verifier with the HS256 secret and a JWKS holding rsa1 and ec1.
struct Fixture {
    _dir: tempfile::TempDir,
    jwks: PathBuf,
    verifier: Verifier,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("jwks.json");
    write_jwks(&jwks, &[rsa1_jwk(), ec1_jwk()]);
    let verifier = Verifier::new(config(Some(jwks.clone()))).unwrap();
    Fixture { _dir: dir, jwks, verifier }
}

fn hs_only() -> Verifier {
    Verifier::new(config(None)).unwrap()
}

fn rejected(verifier: &Verifier, token: &str) -> AuthError {
    verifier.verify(token).expect_err("token must be rejected")
}

fn mint_request() -> MintRequest {
    MintRequest {
        subject: "alice".into(),
        scopes: [Scope::Read, Scope::Write].into(),
        channels: Some(["CH_1".to_string()].into()),
        ttl: Duration::from_secs(3600),
        issuer: Some(ISS.into()),
        audience: Some(AUD.into()),
    }
}

fn principal(channels: Option<&[&str]>) -> Principal {
    Principal {
        subject: "p".into(),
        scopes: [Scope::Read].into(),
        channels: channels.map(|c| c.iter().map(|s| s.to_string()).collect()),
        token_id: None,
        expires_at: chrono::Utc::now(),
    }
}

// ---------------------------------------------------------------------------------------------
// accepted

#[test]
fn a_valid_hs256_token_yields_its_subject_scopes_channels_and_jti() {
    let p = hs_only().verify(&hs256(&claims())).unwrap();
    assert_eq!(p.subject, "partner-1");
    assert_eq!(p.scopes, BTreeSet::from([Scope::Read, Scope::Pii]));
    assert_eq!(p.channels, Some(BTreeSet::from(["CH_1".to_string(), "CH_2".to_string()])));
    assert_eq!(p.token_id.as_deref(), Some("token-1"));
    assert!((p.expires_at.timestamp() - (now() + 600)).abs() <= 2);
}

#[test]
fn an_hs256_token_with_the_reserved_hs256_kid_is_accepted() {
    let token = sign(Algorithm::HS256, Some(HS256_KID), &claims(), &hs_key());
    assert!(hs_only().verify(&token).is_ok());
}

#[test]
fn a_valid_rs256_token_from_the_jwks_is_accepted() {
    let f = fixture();
    let p = f.verifier.verify(&rs256(&claims())).unwrap();
    assert_eq!(p.subject, "partner-1");
    assert!(p.has(Scope::Pii));
}

#[test]
fn a_valid_es256_token_from_the_jwks_is_accepted() {
    let f = fixture();
    let token = sign(Algorithm::ES256, Some(EC_KID), &claims(), &ec_key(EC1_KEY));
    assert_eq!(f.verifier.verify(&token).unwrap().subject, "partner-1");
}

#[test]
fn a_token_without_scope_or_channels_is_an_unrestricted_principal_without_scopes() {
    let token = hs256(&without(without(claims(), "scope"), "channels"));
    let p = hs_only().verify(&token).unwrap();
    assert!(p.scopes.is_empty());
    assert!(!p.is_restricted());
}

#[test]
fn scope_lists_and_channel_strings_are_accepted_too() {
    let c = with(with(claims(), "scope", json!(["read", "admin"])), "channels", json!("CH_1, CH_9"));
    let p = hs_only().verify(&hs256(&c)).unwrap();
    assert_eq!(p.scopes, BTreeSet::from([Scope::Read, Scope::Admin]));
    assert_eq!(p.channels, Some(BTreeSet::from(["CH_1".to_string(), "CH_9".to_string()])));
}

#[test]
fn an_audience_list_containing_ours_is_accepted() {
    let token = hs256(&with(claims(), "aud", json!(["other", AUD])));
    assert!(hs_only().verify(&token).is_ok());
}

#[test]
fn rs256_and_es256_keys_load_from_a_pem_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("partner-rsa.pem"), RSA1_PUB).unwrap();
    std::fs::write(dir.path().join("partner-rsa-pkcs1.pem"), RSA1_PKCS1_PUB).unwrap();
    std::fs::write(dir.path().join("partner-ec.pem"), EC1_PUB).unwrap();
    std::fs::write(dir.path().join("README.txt"), "not a key").unwrap();
    let v = Verifier::new(config(Some(dir.path().to_path_buf()))).unwrap();
    assert_eq!(v.key_ids(), ["partner-ec", "partner-rsa", "partner-rsa-pkcs1"]);

    assert!(v.verify(&rs256(&claims())).is_ok());
    let pkcs1 = sign(Algorithm::RS256, Some("partner-rsa-pkcs1"), &claims(), &rsa_key(RSA1_KEY));
    assert!(v.verify(&pkcs1).is_ok());
    let es = sign(Algorithm::ES256, Some(EC_KID), &claims(), &ec_key(EC1_KEY));
    assert!(v.verify(&es).is_ok());
    // The PEM type pins the algorithm: the EC key never verifies RS256 and vice versa.
    let swapped = sign(Algorithm::RS256, Some(EC_KID), &claims(), &rsa_key(RSA1_KEY));
    assert_eq!(rejected(&v, &swapped), AuthError::DisallowedAlgorithm);
}

// ---------------------------------------------------------------------------------------------
// rejected: algorithm and key

#[test]
fn alg_none_is_rejected_in_any_spelling_and_with_or_without_a_signature() {
    let f = fixture();
    for alg in ["none", "None", "NONE", "nOnE"] {
        for kid in [None, Some(RSA_KID), Some(HS256_KID)] {
            let header = match kid {
                Some(kid) => json!({ "alg": alg, "typ": "JWT", "kid": kid }),
                None => json!({ "alg": alg, "typ": "JWT" }),
            };
            for signature in ["", "c2ln"] {
                let token = raw_token(&header, &claims(), signature);
                assert_eq!(rejected(&f.verifier, &token), AuthError::DisallowedAlgorithm, "{alg} {kid:?}");
            }
        }
    }
}

#[test]
fn algorithms_other_than_hs256_rs256_es256_are_rejected() {
    let token = sign(Algorithm::HS512, None, &claims(), &hs_key());
    assert_eq!(rejected(&hs_only(), &token), AuthError::DisallowedAlgorithm);
    let f = fixture();
    let pss = sign(Algorithm::PS256, Some(RSA_KID), &claims(), &rsa_key(RSA1_KEY));
    assert_eq!(rejected(&f.verifier, &pss), AuthError::DisallowedAlgorithm);
}

#[test]
fn a_signature_by_another_key_is_rejected() {
    let f = fixture();
    let rsa = sign(Algorithm::RS256, Some(RSA_KID), &claims(), &rsa_key(RSA2_KEY));
    assert_eq!(rejected(&f.verifier, &rsa), AuthError::BadSignature);
    let ec = sign(Algorithm::ES256, Some(EC_KID), &claims(), &ec_key(EC2_KEY));
    assert_eq!(rejected(&f.verifier, &ec), AuthError::BadSignature);
    let hs =
        sign(Algorithm::HS256, None, &claims(), &EncodingKey::from_secret(b"another-secret-of-32-bytes-or-more!!"));
    assert_eq!(rejected(&f.verifier, &hs), AuthError::BadSignature);
}

#[test]
fn a_tampered_payload_is_rejected() {
    let token = hs256(&claims());
    let parts: Vec<&str> = token.split('.').collect();
    let forged = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&with(claims(), "scope", json!("admin"))).unwrap());
    let tampered = format!("{}.{}.{}", parts[0], forged, parts[2]);
    assert_eq!(rejected(&hs_only(), &tampered), AuthError::BadSignature);
}

#[test]
fn an_hs256_token_keyed_with_the_rsa_public_key_is_rejected() {
    let f = fixture();
    let confused_key = EncodingKey::from_secret(RSA1_PUB.as_bytes());
    // Under the RSA key's kid: the key is pinned to RS256, so HS256 is refused before any HMAC.
    let with_kid = sign(Algorithm::HS256, Some(RSA_KID), &claims(), &confused_key);
    assert_eq!(rejected(&f.verifier, &with_kid), AuthError::DisallowedAlgorithm);
    // Without a kid: it is checked against the real HS256 secret and fails.
    let without_kid = sign(Algorithm::HS256, None, &claims(), &confused_key);
    assert_eq!(rejected(&f.verifier, &without_kid), AuthError::BadSignature);
}

#[test]
fn a_public_key_token_under_the_hs256_kid_is_rejected() {
    let f = fixture();
    let token = sign(Algorithm::RS256, Some(HS256_KID), &claims(), &rsa_key(RSA1_KEY));
    assert_eq!(rejected(&f.verifier, &token), AuthError::DisallowedAlgorithm);
    let no_kid = sign(Algorithm::RS256, None, &claims(), &rsa_key(RSA1_KEY));
    assert_eq!(rejected(&f.verifier, &no_kid), AuthError::DisallowedAlgorithm);
}

#[test]
fn an_unknown_kid_is_rejected() {
    let f = fixture();
    let token = sign(Algorithm::RS256, Some("nobody"), &claims(), &rsa_key(RSA1_KEY));
    assert_eq!(rejected(&f.verifier, &token), AuthError::UnknownKey);
}

#[test]
fn without_an_hs256_secret_tokens_without_kid_are_unknown_keys() {
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("jwks.json");
    write_jwks(&jwks, &[rsa1_jwk()]);
    let v = Verifier::new(VerifierConfig { hs256_secret: None, ..config(Some(jwks)) }).unwrap();
    assert_eq!(rejected(&v, &hs256(&claims())), AuthError::UnknownKey);
    assert!(v.verify(&rs256(&claims())).is_ok());
}

#[test]
fn jku_x5u_and_jwk_headers_do_not_change_which_key_is_used() {
    let f = fixture();
    let attacker = ec_key(EC2_KEY);
    let attacker_jwk: Jwk = serde_json::from_value(jwk(&attacker, Algorithm::ES256, EC_KID)).unwrap();
    let header = Header {
        kid: Some(EC_KID.into()),
        jku: Some("https://attacker.test/jwks.json".into()),
        x5u: Some("https://attacker.test/cert.pem".into()),
        jwk: Some(attacker_jwk),
        ..Header::new(Algorithm::ES256)
    };
    // Signed by the attacker's key that the header advertises: still checked against OUR ec1.
    let forged = sign_with_header(header.clone(), &claims(), &attacker);
    assert_eq!(rejected(&f.verifier, &forged), AuthError::BadSignature);
    // Signed by the real key: the extra headers are simply ignored.
    let genuine = sign_with_header(header, &claims(), &ec_key(EC1_KEY));
    assert!(f.verifier.verify(&genuine).is_ok());
}

#[test]
fn a_crit_header_is_rejected() {
    let header = Header { crit: Some(vec!["exp".into()]), ..Header::new(Algorithm::HS256) };
    let token = sign_with_header(header, &claims(), &hs_key());
    assert_eq!(rejected(&hs_only(), &token), AuthError::Malformed);
}

// ---------------------------------------------------------------------------------------------
// rejected: claims

#[test]
fn an_expired_token_is_rejected_but_leeway_covers_small_skew() {
    let v = hs_only();
    assert_eq!(rejected(&v, &hs256(&with(claims(), "exp", json!(now() - 120)))), AuthError::Expired);
    assert!(v.verify(&hs256(&with(claims(), "exp", json!(now() - 10)))).is_ok());
}

#[test]
fn a_token_not_yet_valid_is_rejected_but_leeway_covers_small_skew() {
    let v = hs_only();
    assert_eq!(rejected(&v, &hs256(&with(claims(), "nbf", json!(now() + 120)))), AuthError::NotYetValid);
    assert!(v.verify(&hs256(&with(claims(), "nbf", json!(now() + 10)))).is_ok());
}

#[test]
fn a_token_issued_in_the_future_is_rejected() {
    let token = hs256(&with(claims(), "iat", json!(now() + 3600)));
    assert_eq!(rejected(&hs_only(), &token), AuthError::IssuedInFuture);
}

#[test]
fn a_wrong_or_missing_issuer_is_rejected() {
    let v = hs_only();
    assert_eq!(rejected(&v, &hs256(&with(claims(), "iss", json!("https://evil.test")))), AuthError::WrongIssuer);
    assert_eq!(rejected(&v, &hs256(&without(claims(), "iss"))), AuthError::MissingClaim("iss"));
}

#[test]
fn a_wrong_or_missing_audience_is_rejected() {
    let v = hs_only();
    assert_eq!(rejected(&v, &hs256(&with(claims(), "aud", json!("someone-else")))), AuthError::WrongAudience);
    assert_eq!(rejected(&v, &hs256(&with(claims(), "aud", json!(["a", "b"])))), AuthError::WrongAudience);
    assert_eq!(rejected(&v, &hs256(&without(claims(), "aud"))), AuthError::MissingClaim("aud"));
}

#[test]
fn without_configured_iss_and_aud_the_issuer_is_unchecked_and_any_aud_is_refused() {
    let v = Verifier::new(VerifierConfig { issuer: None, audience: None, ..config(None) }).unwrap();
    let plain = without(with(claims(), "iss", json!("anyone")), "aud");
    assert!(v.verify(&hs256(&plain)).is_ok());
    assert_eq!(rejected(&v, &hs256(&with(plain, "aud", json!(AUD)))), AuthError::WrongAudience);
}

#[test]
fn a_token_without_exp_or_sub_is_rejected() {
    let v = hs_only();
    assert_eq!(rejected(&v, &hs256(&without(claims(), "exp"))), AuthError::MissingClaim("exp"));
    assert_eq!(rejected(&v, &hs256(&without(claims(), "sub"))), AuthError::MissingClaim("sub"));
    assert_eq!(rejected(&v, &hs256(&with(claims(), "sub", json!("  ")))), AuthError::MissingClaim("sub"));
}

#[test]
fn claims_of_the_wrong_type_are_malformed() {
    let v = hs_only();
    assert_eq!(rejected(&v, &hs256(&with(claims(), "exp", json!("tomorrow")))), AuthError::Malformed);
    assert_eq!(rejected(&v, &hs256(&with(claims(), "sub", json!(42)))), AuthError::Malformed);
}

#[test]
fn malformed_strings_are_rejected() {
    let f = fixture();
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
    let oversized = format!("{header}.{}.sig", "A".repeat(10_000));
    let cases = [
        "".to_string(),
        "abc".into(),
        "a.b".into(),
        "a.b.c".into(),
        "a.b.c.d".into(),
        "..".into(),
        format!("{header}..sig"),
        "not base64!.e30.sig".into(),
        format!("{}.e30.sig", URL_SAFE_NO_PAD.encode(b"not json")),
        oversized,
    ];
    for token in cases {
        assert_eq!(rejected(&f.verifier, &token), AuthError::Malformed, "{token:.40}");
    }
}

#[test]
fn error_messages_never_echo_the_token_or_its_kid() {
    let f = fixture();
    let token = sign(Algorithm::RS256, Some("secret-kid-xyz"), &claims(), &rsa_key(RSA1_KEY));
    let message = rejected(&f.verifier, &token).to_string();
    assert!(!message.contains("secret-kid-xyz") && !message.contains(&token[..20]), "{message}");
}

// ---------------------------------------------------------------------------------------------
// key sources and reload

#[test]
fn reload_drops_a_removed_key_and_picks_up_a_new_one() {
    let f = fixture();
    let rsa2 = sign(Algorithm::RS256, Some("partner-rsa-2"), &claims(), &rsa_key(RSA2_KEY));
    assert_eq!(rejected(&f.verifier, &rsa2), AuthError::UnknownKey);

    write_jwks(&f.jwks, &[ec1_jwk(), jwk(&rsa_key(RSA2_KEY), Algorithm::RS256, "partner-rsa-2")]);
    let report = f.verifier.reload().unwrap();
    assert_eq!(report.added, ["partner-rsa-2"]);
    assert_eq!(report.removed, [RSA_KID]);
    assert_eq!(report.total, 2);

    assert_eq!(rejected(&f.verifier, &rs256(&claims())), AuthError::UnknownKey);
    assert!(f.verifier.verify(&rsa2).is_ok());
}

#[test]
fn a_token_verified_before_a_reload_that_removes_its_key_is_refused_after_it() {
    let f = fixture();
    let token = rs256(&claims());
    assert!(f.verifier.verify(&token).is_ok());
    assert!(f.verifier.verify(&token).is_ok(), "verified again, from the cache");
    write_jwks(&f.jwks, &[ec1_jwk()]);
    f.verifier.reload().unwrap();
    assert_eq!(rejected(&f.verifier, &token), AuthError::UnknownKey);
}

#[test]
fn a_tampered_copy_of_a_verified_token_is_still_refused() {
    let v = hs_only();
    let token = hs256(&claims());
    assert!(v.verify(&token).is_ok());
    let at = token.rfind('.').unwrap() + 1;
    let flipped = if &token[at..at + 1] == "A" { "B" } else { "A" };
    let forged = format!("{}{flipped}{}", &token[..at], &token[at + 1..]);
    assert_eq!(rejected(&v, &forged), AuthError::BadSignature);
}

#[test]
fn reload_reports_a_key_replaced_under_the_same_kid() {
    let f = fixture();
    write_jwks(&f.jwks, &[ec1_jwk(), jwk(&rsa_key(RSA2_KEY), Algorithm::RS256, RSA_KID)]);
    let report = f.verifier.reload().unwrap();
    assert_eq!(report.replaced, [RSA_KID]);
    assert_eq!(rejected(&f.verifier, &rs256(&claims())), AuthError::BadSignature);
}

#[test]
fn a_broken_key_file_keeps_the_previous_keys() {
    let f = fixture();
    for broken in
        ["", "{\"keys\": [", "{\"keys\": [{\"kty\": \"RSA\", \"kid\": \"x\", \"n\": \"AQAB\", \"e\": \"AQAB\"}]}"]
    {
        std::fs::write(&f.jwks, broken).unwrap();
        assert!(matches!(f.verifier.reload(), Err(AuthError::KeySource(_))), "{broken}");
        assert!(f.verifier.verify(&rs256(&claims())).is_ok());
    }
    std::fs::remove_file(&f.jwks).unwrap();
    assert!(f.verifier.reload().is_err());
    assert!(f.verifier.verify(&rs256(&claims())).is_ok());
}

#[test]
fn jwks_entries_for_encryption_or_other_curves_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("jwks.json");
    let enc = with(jwk(&rsa_key(RSA2_KEY), Algorithm::RS256, "enc-key"), "use", json!("enc"));
    let okp =
        json!({ "kty": "OKP", "crv": "Ed25519", "kid": "ed", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" });
    write_jwks(&jwks, &[rsa1_jwk(), enc, okp]);
    let v = Verifier::new(config(Some(jwks))).unwrap();
    assert_eq!(v.key_ids(), [RSA_KID]);
    assert_eq!(v.reload().unwrap().skipped.len(), 2);
}

#[test]
fn key_sources_with_private_keys_reserved_or_duplicate_kids_or_weak_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let jwks = dir.path().join("jwks.json");
    let refused = |keys: &[Value]| {
        write_jwks(&jwks, keys);
        matches!(Verifier::new(config(Some(jwks.clone()))), Err(AuthError::KeySource(_)))
    };
    assert!(refused(&[with(rsa1_jwk(), "d", json!("AQAB"))]));
    assert!(refused(&[with(rsa1_jwk(), "kid", json!(HS256_KID))]));
    assert!(refused(&[rsa1_jwk(), rsa1_jwk()]));
    assert!(refused(&[without(rsa1_jwk(), "kid")]));
    assert!(refused(&[with(rsa1_jwk(), "n", json!(URL_SAFE_NO_PAD.encode([0xffu8; 128])))]));
    assert!(refused(&[with(ec1_jwk(), "x", json!(URL_SAFE_NO_PAD.encode([1u8; 32])))]));

    let pem_dir = tempfile::tempdir().unwrap();
    let refused_pem = |name: &str, text: &str| {
        std::fs::write(pem_dir.path().join(name), text).unwrap();
        let result = Verifier::new(config(Some(pem_dir.path().to_path_buf())));
        std::fs::remove_file(pem_dir.path().join(name)).unwrap();
        matches!(result, Err(AuthError::KeySource(_)))
    };
    assert!(refused_pem("leaked.pem", RSA1_KEY));
    assert!(refused_pem("p384.pem", EC384_PUB));
    assert!(refused_pem("hs256.pem", RSA1_PUB));
    assert!(refused_pem("two.pem", &format!("{RSA1_PUB}{EC1_PUB}")));
}

#[tokio::test]
async fn the_watcher_reloads_when_the_key_file_changes() {
    let f = fixture();
    let verifier = Arc::new(f.verifier);
    let task = Arc::clone(&verifier).watch(Duration::from_millis(20));
    tokio::time::sleep(Duration::from_millis(50)).await;
    write_jwks(&f.jwks, &[jwk(&rsa_key(RSA2_KEY), Algorithm::RS256, "partner-rsa-2")]);
    let rsa2 = sign(Algorithm::RS256, Some("partner-rsa-2"), &claims(), &rsa_key(RSA2_KEY));
    let mut accepted = false;
    for _ in 0..250 {
        if verifier.verify(&rsa2).is_ok() {
            accepted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    task.abort();
    assert!(accepted, "the new key was not picked up");
    assert_eq!(rejected(&verifier, &rs256(&claims())), AuthError::UnknownKey);
}

#[test]
fn verifier_config_refuses_short_secrets_large_leeway_empty_iss_and_no_keys() {
    let config_err = |c: VerifierConfig| matches!(Verifier::new(c), Err(AuthError::Config(_)));
    assert!(config_err(VerifierConfig { hs256_secret: Some(Secret::new(b"short".to_vec())), ..config(None) }));
    assert!(config_err(VerifierConfig { leeway_secs: 61, ..config(None) }));
    assert!(config_err(VerifierConfig { issuer: Some(" ".into()), ..config(None) }));
    assert!(config_err(VerifierConfig { hs256_secret: None, ..config(None) }));
    assert!(Verifier::new(VerifierConfig { leeway_secs: 60, ..config(None) }).is_ok());
}

// ---------------------------------------------------------------------------------------------
// minting

#[test]
fn a_minted_token_verifies_round_trip() {
    let token = mint_hs256(&Secret::new(SECRET.to_vec()), &mint_request()).unwrap();
    let p = hs_only().verify(&token).unwrap();
    assert_eq!(p.subject, "alice");
    assert_eq!(p.scopes, BTreeSet::from([Scope::Read, Scope::Write]));
    assert_eq!(p.channels, Some(BTreeSet::from(["CH_1".to_string()])));
    assert!(p.token_id.is_some());
    assert!((p.expires_at.timestamp() - (now() + 3600)).abs() <= 2);
}

#[test]
fn minted_tokens_carry_a_random_jti_and_the_hs256_kid() {
    let secret = Secret::new(SECRET.to_vec());
    let a = mint_hs256(&secret, &mint_request()).unwrap();
    let b = mint_hs256(&secret, &mint_request()).unwrap();
    let (pa, pb) = (hs_only().verify(&a).unwrap(), hs_only().verify(&b).unwrap());
    assert_ne!(pa.token_id, pb.token_id);
    assert_eq!(jsonwebtoken::decode_header(&a).unwrap().kid.as_deref(), Some(HS256_KID));
}

#[test]
fn minting_refuses_short_secrets_empty_subjects_no_scopes_empty_channels_and_bad_ttls() {
    let secret = Secret::new(SECRET.to_vec());
    assert!(matches!(mint_hs256(&Secret::new(b"short".to_vec()), &mint_request()), Err(AuthError::Config(_))));
    let refused = |req: MintRequest| matches!(mint_hs256(&secret, &req), Err(AuthError::InvalidRequest(_)));
    assert!(refused(MintRequest { subject: " ".into(), ..mint_request() }));
    assert!(refused(MintRequest { scopes: BTreeSet::new(), ..mint_request() }));
    assert!(refused(MintRequest { channels: Some(BTreeSet::new()), ..mint_request() }));
    assert!(refused(MintRequest { ttl: Duration::ZERO, ..mint_request() }));
    assert!(refused(MintRequest { ttl: MAX_TTL + Duration::from_secs(1), ..mint_request() }));
}

#[test]
fn parse_ttl_accepts_seconds_minutes_hours_and_days() {
    assert_eq!(parse_ttl("3600s").unwrap(), Duration::from_secs(3600));
    assert_eq!(parse_ttl("30m").unwrap(), Duration::from_secs(1800));
    assert_eq!(parse_ttl("1h").unwrap(), Duration::from_secs(3600));
    assert_eq!(parse_ttl(" 7d ").unwrap(), Duration::from_secs(7 * 86_400));
    assert_eq!(parse_ttl("90d").unwrap(), MAX_TTL);
}

#[test]
fn parse_ttl_refuses_zero_bare_numbers_unknown_units_and_more_than_90_days() {
    for bad in [
        "0s",
        "0h",
        "3600",
        "",
        "h",
        "1w",
        "1.5h",
        "-1h",
        "1 h",
        "91d",
        "99999999999999999999d",
        "18446744073709551615d",
    ] {
        assert!(matches!(parse_ttl(bad), Err(AuthError::InvalidRequest(_))), "{bad:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// bearer header

#[test]
fn bearer_token_takes_the_token_after_a_case_insensitive_scheme() {
    assert_eq!(bearer_token("Bearer abc.def.ghi").unwrap(), "abc.def.ghi");
    assert_eq!(bearer_token("bearer abc").unwrap(), "abc");
    assert_eq!(bearer_token("BEARER   abc  ").unwrap(), "abc");
}

#[test]
fn bearer_token_refuses_other_schemes_empty_and_multiple_tokens() {
    for bad in ["", "Bearer", "Bearer ", "Bearer    ", "Basic dXNlcjpwYXNz", "Bearerabc", "Bearer a b", "Token abc"] {
        assert_eq!(bearer_token(bad), Err(AuthError::BadAuthorizationHeader), "{bad:?}");
    }
}

#[test]
fn bearer_token_refuses_a_token_holding_any_whitespace_character_ascii_or_not() {
    let spaces = ('\0'..='\u{3000}').filter(|c| c.is_whitespace());
    for space in spaces.chain(['\u{feff}', 'x']) {
        let header = format!("Bearer abc{space}def");
        let expected = if space.is_whitespace() {
            Err(AuthError::BadAuthorizationHeader)
        } else {
            Ok(header.as_str()[7..].as_ref())
        };
        assert_eq!(bearer_token(&header), expected, "{space:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// principals and scopes

#[test]
fn require_names_the_missing_scope() {
    let p = principal(None);
    assert!(p.require(Scope::Read).is_ok());
    match p.require(Scope::Pii) {
        Err(AppError::Forbidden(msg)) => assert!(msg.contains("`pii`"), "{msg}"),
        other => panic!("expected Forbidden, got {other:?}"),
    }
}

#[test]
fn unknown_scopes_are_ignored_in_tokens_but_refused_when_typed() {
    assert_eq!(Scope::parse_claim("read  superuser Write pii"), BTreeSet::from([Scope::Read, Scope::Pii]));
    assert_eq!(Scope::parse_list_strict("read write").unwrap(), BTreeSet::from([Scope::Read, Scope::Write]));
    assert!(matches!(Scope::parse_list_strict("read wirte"), Err(AuthError::InvalidRequest(_))));
    assert_eq!(Scope::join(&BTreeSet::from([Scope::Admin, Scope::Read])), "read admin");
}

#[test]
fn an_unrestricted_principal_sees_every_channel_and_rows_without_one() {
    let p = principal(None);
    assert!(!p.is_restricted());
    assert!(p.can_see_channel(Some("CH_1")));
    assert!(p.can_see_channel(None));
}

#[test]
fn a_restricted_principal_sees_only_its_channels_and_no_channelless_rows() {
    let p = principal(Some(&["CH_1", "CH_2"]));
    assert!(p.is_restricted());
    assert!(p.can_see_channel(Some("CH_2")));
    assert!(!p.can_see_channel(Some("CH_3")));
    assert!(!p.can_see_channel(None));
    let nothing = principal(Some(&[]));
    assert!(!nothing.can_see_channel(Some("CH_1")));
}

#[test]
fn auth_errors_map_to_unauthenticated_or_internal_app_errors() {
    assert_eq!(AppError::from(AuthError::Expired).code(), "UNAUTHENTICATED");
    assert_eq!(AppError::from(AuthError::BadAuthorizationHeader).code(), "UNAUTHENTICATED");
    assert_eq!(AppError::from(AuthError::KeySource("x".into())).code(), "INTERNAL");
    assert_eq!(AppError::from(AuthError::InvalidRequest("x".into())).code(), "BAD_USER_INPUT");
}
