//! AES-256-GCM encryption of single field values, bound to their table, column and row.

use std::fmt;

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::RngCore as _;

use super::CryptoError;
use super::keyring::{KeyId, KeyRing, MAX_KEY_ID_LEN};

/// The ciphertext format version, the first `:`-separated part of every ciphertext.
pub const CIPHERTEXT_VERSION: &str = "v1";
/// AES-GCM's standard 96-bit nonce: random per encryption (2^32 encryptions per key stay far below
/// the collision bound; rotate keys long before that).
pub const NONCE_LEN: usize = 12;
/// The full 128-bit GCM tag.
pub const TAG_LEN: usize = 16;
/// Domain separation for the associated data, so these ciphertexts verify nowhere else.
const AAD_PREFIX: &[u8] = b"cdp360|field|v1|";

/// Where a value lives. All three are bound into the ciphertext (as associated data), so a value
/// copied to another row, column or table fails to decrypt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldContext<'a> {
    pub table: &'a str,
    pub column: &'a str,
    pub row_id: &'a str,
}

impl<'a> FieldContext<'a> {
    pub fn new(table: &'a str, column: &'a str, row_id: &'a str) -> Self {
        FieldContext { table, column, row_id }
    }
}

/// Encrypts new values with the ring's current key; decrypts with whichever key a ciphertext names.
#[derive(Clone)]
pub struct FieldCipher {
    /// Oldest first, like the ring; the last one is current. Key schedules are expanded once here.
    keys: Vec<(KeyId, Aes256Gcm)>,
}

impl FieldCipher {
    pub fn new(ring: &KeyRing) -> FieldCipher {
        let keys = ring.data_keys().iter().map(|(id, key)| (id.clone(), Aes256Gcm::new(key.expose().into()))).collect();
        FieldCipher { keys }
    }

    /// The key id new ciphertexts carry.
    pub fn current_key_id(&self) -> &KeyId {
        &self.current().0
    }

    /// `v1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>` with a fresh random nonce.
    pub fn encrypt(&self, ctx: &FieldContext<'_>, plaintext: &str) -> Result<String, CryptoError> {
        let (key_id, cipher) = self.current();
        let mut nonce = [0u8; NONCE_LEN];
        // ThreadRng is a CSPRNG seeded (and periodically reseeded) from the OS.
        rand::rng().fill_bytes(&mut nonce);
        let aad = associated_data(key_id, ctx);
        let sealed = cipher
            .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext.as_bytes(), aad: &aad })
            .map_err(|_| CryptoError::EncryptionFailed)?;
        let mut payload = Vec::with_capacity(NONCE_LEN + sealed.len());
        payload.extend_from_slice(&nonce);
        payload.extend_from_slice(&sealed);
        Ok(format!("{CIPHERTEXT_VERSION}:{key_id}:{}", BASE64.encode(payload)))
    }

    /// The plaintext of a ciphertext written by [`FieldCipher::encrypt`] for the same `ctx`, with
    /// any key still in the ring.
    pub fn decrypt(&self, ctx: &FieldContext<'_>, ciphertext: &str) -> Result<String, CryptoError> {
        let parsed = Parsed::parse(ciphertext)?;
        let cipher = self.cipher(&parsed.key_id).ok_or_else(|| CryptoError::UnknownKeyId(parsed.key_id.clone()))?;
        let payload = BASE64.decode(parsed.payload).map_err(|_| CryptoError::Malformed("payload is not base64"))?;
        if payload.len() < NONCE_LEN + TAG_LEN {
            return Err(CryptoError::Malformed("payload is shorter than nonce and tag"));
        }
        let (nonce, sealed) = payload.split_at(NONCE_LEN);
        let aad = associated_data(&parsed.key_id, ctx);
        let plaintext = cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: &aad })
            .map_err(|_| CryptoError::AuthenticationFailed)?;
        // Authentic bytes are what `encrypt` wrote from a `&str`, so this only fails on a foreign writer.
        String::from_utf8(plaintext).map_err(|_| CryptoError::Malformed("plaintext is not UTF-8"))
    }

    /// True unless `ciphertext` is in the current format under the current key. Malformed values
    /// count too, so a re-encryption pass visits (and reports) them instead of skipping them.
    pub fn needs_rotation(&self, ciphertext: &str) -> bool {
        Parsed::parse(ciphertext).map_or(true, |parsed| parsed.key_id != *self.current_key_id())
    }

    /// Re-encrypts under the current key: `Ok(None)` when already current, `Ok(Some(new))` otherwise.
    /// For `rotate-keys`; the new ciphertext is bound to the same `ctx`.
    pub fn rotate(&self, ctx: &FieldContext<'_>, ciphertext: &str) -> Result<Option<String>, CryptoError> {
        if !self.needs_rotation(ciphertext) {
            return Ok(None);
        }
        let plaintext = self.decrypt(ctx, ciphertext)?;
        self.encrypt(ctx, &plaintext).map(Some)
    }

    /// The longest ciphertext for plaintexts of up to `max_plaintext_bytes` UTF-8 bytes (for any key
    /// id): size database columns with it.
    pub const fn max_ciphertext_len(max_plaintext_bytes: usize) -> usize {
        let payload = NONCE_LEN + max_plaintext_bytes + TAG_LEN;
        // "v1" ":" <id> ":" base64(payload), padded base64 being 4 characters per started 3 bytes.
        CIPHERTEXT_VERSION.len() + 1 + MAX_KEY_ID_LEN + 1 + payload.div_ceil(3) * 4
    }

    fn current(&self) -> &(KeyId, Aes256Gcm) {
        // Built from a `KeyRing`, which always has at least one data key.
        self.keys.last().expect("a key ring always has at least one data key")
    }

    fn cipher(&self, id: &KeyId) -> Option<&Aes256Gcm> {
        self.keys.iter().find(|(known, _)| known == id).map(|(_, cipher)| cipher)
    }
}

/// Lists key ids, never keys.
impl fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldCipher")
            .field("key_ids", &self.keys.iter().map(|(id, _)| id).collect::<Vec<_>>())
            .field("current", self.current_key_id())
            .finish()
    }
}

/// The parts of `v1:<key id>:<payload>`; the payload is still base64.
struct Parsed<'a> {
    key_id: KeyId,
    payload: &'a str,
}

impl<'a> Parsed<'a> {
    fn parse(ciphertext: &'a str) -> Result<Parsed<'a>, CryptoError> {
        let mut parts = ciphertext.splitn(3, ':');
        let (Some(version), Some(key_id), Some(payload)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(CryptoError::Malformed("expected v1:<key id>:<base64>"));
        };
        if version != CIPHERTEXT_VERSION {
            return Err(CryptoError::Malformed("unsupported ciphertext version"));
        }
        let key_id = KeyId::parse(key_id).ok_or(CryptoError::Malformed("invalid key id"))?;
        Ok(Parsed { key_id, payload })
    }
}

/// `"cdp360|field|v1|"` then key id, table, column and row id, each as an 8-byte big-endian length
/// followed by its UTF-8 bytes. The length prefixes make the encoding injective: ("ab", "c") and
/// ("a", "bc") differ, whatever characters the names contain. The key id is included so the whole
/// ciphertext header is authenticated.
fn associated_data(key_id: &KeyId, ctx: &FieldContext<'_>) -> Vec<u8> {
    let fields = [key_id.as_str(), ctx.table, ctx.column, ctx.row_id];
    let mut aad = Vec::with_capacity(AAD_PREFIX.len() + fields.iter().map(|f| 8 + f.len()).sum::<usize>());
    aad.extend_from_slice(AAD_PREFIX);
    for field in fields {
        // usize → u64 is lossless on every platform Rust supports.
        aad.extend_from_slice(&(field.len() as u64).to_be_bytes());
        aad.extend_from_slice(field.as_bytes());
    }
    aad
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEAD_PHONE: FieldContext<'static> = FieldContext { table: "lead", column: "mobile_phone", row_id: "L_01" };

    fn key(byte: u8) -> String {
        BASE64.encode([byte; 32])
    }

    fn ring(keys: &[(&str, u8)]) -> KeyRing {
        let data: Vec<String> = keys.iter().map(|(id, byte)| format!("{id}:{}", key(*byte))).collect();
        KeyRing::parse(&format!("{};index:{}", data.join(","), key(0xEE))).unwrap()
    }

    fn cipher() -> FieldCipher {
        FieldCipher::new(&ring(&[("k1", 1)]))
    }

    #[test]
    fn a_value_round_trips_through_encryption() {
        let cipher = cipher();
        for plaintext in ["+8613800138000", "zhangwei@example.com", "", "用户@例子.中国"] {
            let ciphertext = cipher.encrypt(&LEAD_PHONE, plaintext).unwrap();
            assert!(!ciphertext.contains(plaintext) || plaintext.is_empty());
            assert_eq!(cipher.decrypt(&LEAD_PHONE, &ciphertext).unwrap(), plaintext);
        }
    }

    #[test]
    fn two_encryptions_of_one_value_differ() {
        let cipher = cipher();
        let a = cipher.encrypt(&LEAD_PHONE, "+8613800138000").unwrap();
        let b = cipher.encrypt(&LEAD_PHONE, "+8613800138000").unwrap();
        assert_ne!(a, b);
        assert_eq!(cipher.decrypt(&LEAD_PHONE, &a).unwrap(), cipher.decrypt(&LEAD_PHONE, &b).unwrap());
    }

    #[test]
    fn a_ciphertext_moved_to_another_row_fails_to_decrypt() {
        let cipher = cipher();
        let ciphertext = cipher.encrypt(&LEAD_PHONE, "+8613800138000").unwrap();
        let other_row = FieldContext { row_id: "L_02", ..LEAD_PHONE };
        assert_eq!(cipher.decrypt(&other_row, &ciphertext), Err(CryptoError::AuthenticationFailed));
    }

    #[test]
    fn a_ciphertext_moved_to_another_column_fails_to_decrypt() {
        let cipher = cipher();
        let ciphertext = cipher.encrypt(&LEAD_PHONE, "+8613800138000").unwrap();
        let other_column = FieldContext { column: "email", ..LEAD_PHONE };
        let other_table = FieldContext { table: "contact", ..LEAD_PHONE };
        assert_eq!(cipher.decrypt(&other_column, &ciphertext), Err(CryptoError::AuthenticationFailed));
        assert_eq!(cipher.decrypt(&other_table, &ciphertext), Err(CryptoError::AuthenticationFailed));
    }

    #[test]
    fn the_associated_data_is_unambiguous() {
        let id = KeyId::parse("k1").unwrap();
        let split = |table, column| associated_data(&id, &FieldContext::new(table, column, "1"));
        assert_ne!(split("ab", "c"), split("a", "bc"));
        assert_ne!(split("a|b", "c"), split("a", "b|c"));

        let cipher = cipher();
        let ciphertext = cipher.encrypt(&FieldContext::new("ab", "c", "1"), "x").unwrap();
        assert!(cipher.decrypt(&FieldContext::new("a", "bc", "1"), &ciphertext).is_err());
    }

    #[test]
    fn a_tampered_ciphertext_fails_authentication() {
        let cipher = cipher();
        let ciphertext = cipher.encrypt(&LEAD_PHONE, "+8613800138000").unwrap();
        let (header, payload) = ciphertext.rsplit_once(':').unwrap();
        let mut bytes = BASE64.decode(payload).unwrap();
        // Flip one bit in the nonce, in the body and in the tag in turn.
        for at in [0, NONCE_LEN + 1, bytes.len() - 1] {
            bytes[at] ^= 0x01;
            let tampered = format!("{header}:{}", BASE64.encode(&bytes));
            assert_eq!(cipher.decrypt(&LEAD_PHONE, &tampered), Err(CryptoError::AuthenticationFailed), "byte {at}");
            bytes[at] ^= 0x01;
        }
        // Truncating the tag is tampering too.
        let truncated = format!("{header}:{}", BASE64.encode(&bytes[..bytes.len() - 1]));
        assert_eq!(cipher.decrypt(&LEAD_PHONE, &truncated), Err(CryptoError::AuthenticationFailed));
    }

    #[test]
    fn a_ciphertext_relabelled_with_another_key_id_fails() {
        let cipher = FieldCipher::new(&ring(&[("k1", 1), ("k2", 2)]));
        let ciphertext = cipher.encrypt(&LEAD_PHONE, "+8613800138000").unwrap();
        let relabelled = ciphertext.replacen(":k2:", ":k1:", 1);
        assert_eq!(cipher.decrypt(&LEAD_PHONE, &relabelled), Err(CryptoError::AuthenticationFailed));
    }

    #[test]
    fn an_old_key_still_decrypts_after_rotation_and_reports_needs_rotation() {
        let before = FieldCipher::new(&ring(&[("k1", 1)]));
        let old = before.encrypt(&LEAD_PHONE, "+8613800138000").unwrap();
        assert!(!before.needs_rotation(&old));

        let after = FieldCipher::new(&ring(&[("k1", 1), ("k2", 2)]));
        assert_eq!(after.current_key_id().as_str(), "k2");
        assert_eq!(after.decrypt(&LEAD_PHONE, &old).unwrap(), "+8613800138000");
        assert!(after.needs_rotation(&old));

        let new = after.rotate(&LEAD_PHONE, &old).unwrap().expect("an old ciphertext is re-encrypted");
        assert!(new.starts_with("v1:k2:"));
        assert!(!after.needs_rotation(&new));
        assert_eq!(after.rotate(&LEAD_PHONE, &new), Ok(None));
        assert_eq!(after.decrypt(&LEAD_PHONE, &new).unwrap(), "+8613800138000");
    }

    #[test]
    fn malformed_values_need_rotation_so_a_rotation_pass_reports_them() {
        let cipher = cipher();
        for value in ["", "13800138000", "v2:k1:AAAA", "v1:k-1:AAAA"] {
            assert!(cipher.needs_rotation(value), "{value:?}");
            assert!(matches!(cipher.rotate(&LEAD_PHONE, value), Err(CryptoError::Malformed(_))), "{value:?}");
        }
    }

    #[test]
    fn an_unknown_key_id_is_refused() {
        let ciphertext = FieldCipher::new(&ring(&[("k9", 9)])).encrypt(&LEAD_PHONE, "x").unwrap();
        let err = cipher().decrypt(&LEAD_PHONE, &ciphertext).unwrap_err();
        assert_eq!(err, CryptoError::UnknownKeyId(KeyId::parse("k9").unwrap()));
        assert!(err.to_string().contains("k9"), "the id helps operators: {err}");
    }

    #[test]
    fn malformed_ciphertexts_are_refused_as_malformed() {
        let cipher = cipher();
        let cases = [
            "",
            "plain text",
            "v1:k1",
            "v2:k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "v1::AAAA",
            "v1:k1:***",
            "v1:k1:AAAA",
        ];
        for value in cases {
            assert!(matches!(cipher.decrypt(&LEAD_PHONE, value), Err(CryptoError::Malformed(_))), "{value:?}");
        }
    }

    #[test]
    fn the_ciphertext_has_the_documented_format() {
        let plaintext = "+8613800138000";
        let ciphertext = cipher().encrypt(&LEAD_PHONE, plaintext).unwrap();
        let parts: Vec<&str> = ciphertext.split(':').collect();
        assert_eq!(parts.len(), 3, "{ciphertext}");
        assert_eq!(parts[0], "v1");
        assert_eq!(parts[1], "k1");
        let payload = BASE64.decode(parts[2]).expect("standard base64");
        assert_eq!(payload.len(), NONCE_LEN + plaintext.len() + TAG_LEN, "12-byte nonce ‖ ciphertext ‖ 16-byte tag");

        // Independently decrypt with the raw key and the documented AAD layout.
        let (nonce, sealed) = payload.split_at(NONCE_LEN);
        let mut aad = b"cdp360|field|v1|".to_vec();
        for field in ["k1", "lead", "mobile_phone", "L_01"] {
            aad.extend_from_slice(&(field.len() as u64).to_be_bytes());
            aad.extend_from_slice(field.as_bytes());
        }
        let raw = Aes256Gcm::new(&[1u8; 32].into());
        let opened = raw.decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: &aad }).unwrap();
        assert_eq!(opened, plaintext.as_bytes());
    }

    #[test]
    fn max_ciphertext_len_bounds_real_ciphertexts() {
        let long_id = "k234567890123456";
        let cipher = FieldCipher::new(&ring(&[(long_id, 3)]));
        for len in [0, 1, 2, 3, 20, 100, 200] {
            let ciphertext = cipher.encrypt(&LEAD_PHONE, &"x".repeat(len)).unwrap();
            assert_eq!(ciphertext.len(), FieldCipher::max_ciphertext_len(len), "plaintext of {len} bytes");
        }
        assert_eq!(FieldCipher::max_ciphertext_len(20), 84);
        assert_eq!(FieldCipher::max_ciphertext_len(100), 192);
        assert_eq!(FieldCipher::max_ciphertext_len(200), 324);
    }

    #[test]
    fn errors_and_debug_output_never_hold_plaintext_or_keys() {
        let cipher = cipher();
        let ciphertext = cipher.encrypt(&LEAD_PHONE, "+8613800138000").unwrap();
        let err = cipher.decrypt(&FieldContext { row_id: "L_02", ..LEAD_PHONE }, &ciphertext).unwrap_err();
        let text = format!("{err} {err:?} {cipher:?}");
        assert!(!text.contains("138") && !text.contains(&key(1)[..8]), "{text}");
        assert!(text.contains("k1"));
    }
}
