//! Blind indexes: keyed hashes of normalised PII for uniqueness, exact-match filters and identity
//! resolution without decrypting.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::CryptoError;
use super::keyring::{KeyBytes, KeyRing};
use super::normalize::PiiKind;

type HmacSha256 = Hmac<Sha256>;

/// Length of every blind index: 64 lowercase hex characters (`varchar(64)`).
pub const BLIND_INDEX_LEN: usize = 64;
/// Purpose prefix of the per-column key derivation (CipherSweet-style key separation).
const COLUMN_KEY_PURPOSE: &str = "cdp360 blind index v1|";
/// Table and column names are SQL identifiers; bounding them keeps the derivation unambiguous.
const MAX_IDENTIFIER_LEN: usize = 63;

/// Computes blind indexes with a key per table and column, derived from the ring's index root key:
/// `column_key = HMAC-SHA256(index_root, "cdp360 blind index v1|" + table + "|" + column)`,
/// `index = hex(HMAC-SHA256(column_key, normalised value))`.
///
/// The same value in two columns gets unrelated indexes, so indexes cannot be joined across
/// columns and a leak of one column key does not expose the others. The index root key is not
/// rotated with the data keys: changing it would orphan every stored index (see [`KeyRing`]).
#[derive(Clone)]
pub struct BlindIndex {
    root: KeyBytes,
}

impl BlindIndex {
    pub fn new(ring: &KeyRing) -> BlindIndex {
        BlindIndex { root: ring.index_root().clone() }
    }

    /// Normalises `raw` as `kind` (see [`PiiKind::normalize`]) and returns its index for
    /// `table.column`. Use this on every write and every exact-match lookup, so both sides agree.
    pub fn index(&self, table: &str, column: &str, kind: PiiKind, raw: &str) -> Result<String, CryptoError> {
        let normalized = kind.normalize(raw)?;
        self.index_normalized(table, column, &normalized)
    }

    /// The index of a value the caller has already normalised (e.g. while re-indexing decrypted
    /// rows). Fails only for table or column names that are not SQL identifiers.
    pub fn index_normalized(&self, table: &str, column: &str, normalized: &str) -> Result<String, CryptoError> {
        let mut mac = self.column_key(table, column)?;
        mac.update(normalized.as_bytes());
        Ok(hex(&mac.finalize().into_bytes()))
    }

    /// A MAC keyed for `table.column`. The names are restricted to `[A-Za-z0-9_]` so the `|`
    /// separators of the documented derivation string cannot be forged by a name containing `|`.
    fn column_key(&self, table: &str, column: &str) -> Result<HmacSha256, CryptoError> {
        for name in [table, column] {
            let valid = (1..=MAX_IDENTIFIER_LEN).contains(&name.len())
                && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !valid {
                return Err(CryptoError::InvalidIdentifier(name.to_string()));
            }
        }
        let mut derive = new_mac(self.root.expose());
        derive.update(format!("{COLUMN_KEY_PURPOSE}{table}|{column}").as_bytes());
        Ok(new_mac(&derive.finalize().into_bytes()))
    }
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    // HMAC is defined for keys of any length (long ones are hashed), so this cannot fail.
    HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length")
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    bytes.iter().flat_map(|b| [DIGITS[usize::from(b >> 4)], DIGITS[usize::from(b & 0x0f)]]).map(char::from).collect()
}

impl fmt::Debug for BlindIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlindIndex").field("root", &self.root).finish()
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as BASE64;

    use super::*;

    fn ring(data_byte: u8, index_byte: u8) -> KeyRing {
        let config = format!("k1:{};index:{}", BASE64.encode([data_byte; 32]), BASE64.encode([index_byte; 32]));
        KeyRing::parse(&config).unwrap()
    }

    #[test]
    fn the_blind_index_is_stable_and_separated_per_column() {
        let index = BlindIndex::new(&ring(1, 7));
        let lead_phone = index.index("lead", "mobile_phone", PiiKind::Phone, "13800138000").unwrap();
        assert_eq!(lead_phone.len(), BLIND_INDEX_LEN);
        assert!(lead_phone.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{lead_phone}");
        assert_eq!(index.index("lead", "mobile_phone", PiiKind::Phone, "13800138000").unwrap(), lead_phone);

        let contact_phone = index.index("contact", "mobile_phone", PiiKind::Phone, "13800138000").unwrap();
        let other_column = index.index_normalized("lead", "phone_2", "+8613800138000").unwrap();
        assert_ne!(contact_phone, lead_phone);
        assert_ne!(other_column, lead_phone);
        assert!(!lead_phone.contains("13800138000"));
    }

    #[test]
    fn the_blind_index_matches_its_documented_derivation() {
        let index = BlindIndex::new(&ring(1, 7));
        let mut derive = new_mac(&[7; 32]);
        derive.update(b"cdp360 blind index v1|lead|email");
        let mut mac = new_mac(&derive.finalize().into_bytes());
        mac.update(b"zhangwei@example.com");
        let expected = hex(&mac.finalize().into_bytes());
        assert_eq!(index.index("lead", "email", PiiKind::Email, " ZhangWei@Example.com ").unwrap(), expected);
    }

    #[test]
    fn the_blind_index_of_equivalent_phones_is_equal() {
        let index = BlindIndex::new(&ring(1, 7));
        let of = |raw| index.index("lead", "mobile_phone", PiiKind::Phone, raw).unwrap();
        let expected = of("13800138000");
        for raw in ["+86 138-0013-8000", "138 0013 8000", "0086 13800138000", "+8613800138000"] {
            assert_eq!(of(raw), expected, "{raw:?}");
        }
        assert_ne!(of("13800138001"), expected);
    }

    #[test]
    fn the_blind_index_survives_data_key_rotation() {
        let before = BlindIndex::new(&ring(1, 7));
        let rotated = ring(1, 7).with_new_current_key().unwrap();
        let after = BlindIndex::new(&rotated);
        let of = |index: &BlindIndex| index.index("lead", "email", PiiKind::Email, "a@b.cn").unwrap();
        assert_eq!(of(&before), of(&after));
        assert_ne!(of(&before), of(&BlindIndex::new(&ring(1, 8))), "the index key is what matters");
    }

    #[test]
    fn invalid_values_and_names_are_refused_without_echoing_them() {
        let index = BlindIndex::new(&ring(1, 7));
        let err = index.index("lead", "mobile_phone", PiiKind::Phone, "12800138000").unwrap_err();
        assert!(matches!(err, CryptoError::Invalid(_)));
        assert!(!err.to_string().contains("12800138000"), "{err}");
        for (table, column) in [("lead|x", "email"), ("lead", "x|email"), ("", "email"), ("lead", "")] {
            let err = index.index_normalized(table, column, "a@b.cn").unwrap_err();
            assert!(matches!(err, CryptoError::InvalidIdentifier(_)), "{table:?}.{column:?}");
        }
    }

    #[test]
    fn debug_output_hides_the_index_key() {
        let text = format!("{:?}", BlindIndex::new(&ring(1, 0x41)));
        assert!(!text.contains("QUFB") && !text.contains("65"), "{text}");
    }
}
