//! The field key ring: versioned AES-256 data keys plus one blind-index root key.
//!
//! See the module documentation of [`crate::crypto`] for the `CDP_FIELD_KEYS` format.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rand::TryRngCore as _;
use rand::rngs::OsRng;

use crate::crypto::Secret;

/// Every key (data or index) is 256 bits.
pub const KEY_LEN: usize = 32;
/// Key ids are short so they cost little in every ciphertext.
pub const MAX_KEY_ID_LEN: usize = 16;
/// The label of the blind-index root key in the config string.
const INDEX_LABEL: &str = "index";

/// Why a key ring config is unusable. Messages name the entry (by position or by its valid id) and
/// the rule, and never contain key material or text that might be key material.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyRingError {
    #[error("the field key ring is empty; expected `<id>:<base64 key>,…;index:<base64 key>`")]
    Empty,
    #[error("the field key ring has no `;index:<base64 key>` section after the data keys")]
    MissingIndexKey,
    #[error("the field key ring must have exactly two `;`-separated sections: data keys, then index key")]
    TooManySections,
    #[error("the field key ring has no data key before `;index:`")]
    NoDataKeys,
    #[error("data key #{position} is not of the form `<id>:<base64 key>`")]
    MalformedEntry { position: usize },
    #[error("data key #{position} has an invalid id (1 to 16 ASCII letters or digits)")]
    InvalidKeyId { position: usize },
    #[error("data key id `{id}` appears more than once")]
    DuplicateKeyId { id: KeyId },
    #[error("key `{key}` is not valid standard base64")]
    InvalidBase64 { key: String },
    #[error("key `{key}` is {len} bytes long; AES-256 and HMAC-SHA256 keys here are exactly 32 bytes")]
    WrongKeyLength { key: String, len: usize },
    #[error("no more key ids are available for a new data key")]
    KeyIdsExhausted,
    #[error("the operating system's random number generator failed")]
    Randomness,
}

/// A data key id: 1 to 16 ASCII letters or digits (it is written into every ciphertext).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// `None` unless `id` is 1 to 16 ASCII letters or digits.
    pub fn parse(id: &str) -> Option<KeyId> {
        let valid = (1..=MAX_KEY_ID_LEN).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric());
        valid.then(|| KeyId(id.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

/// 32 key bytes that never print themselves and are wiped when dropped.
#[derive(Clone)]
pub(crate) struct KeyBytes([u8; KEY_LEN]);

impl KeyBytes {
    pub(crate) fn expose(&self) -> &[u8; KEY_LEN] {
        &self.0
    }

    fn random() -> Result<KeyBytes, KeyRingError> {
        let mut bytes = [0u8; KEY_LEN];
        // Keys come straight from the OS (not a userspace generator): they live for years.
        OsRng.try_fill_bytes(&mut bytes).map_err(|_| KeyRingError::Randomness)?;
        Ok(KeyBytes(bytes))
    }

    /// Decodes one base64 key; `label` (a validated id or `index`) is all an error may show.
    fn decode(label: &str, encoded: &str) -> Result<KeyBytes, KeyRingError> {
        let mut decoded =
            BASE64.decode(encoded.trim()).map_err(|_| KeyRingError::InvalidBase64 { key: label.to_string() })?;
        let key = <[u8; KEY_LEN]>::try_from(decoded.as_slice())
            .map_err(|_| KeyRingError::WrongKeyLength { key: label.to_string(), len: decoded.len() });
        wipe(&mut decoded);
        key.map(KeyBytes)
    }

    fn encode(&self) -> String {
        BASE64.encode(self.0)
    }
}

impl Drop for KeyBytes {
    fn drop(&mut self) {
        wipe(&mut self.0);
    }
}

impl fmt::Debug for KeyBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Overwrites key bytes before their memory is released. Best effort (no `zeroize` crate here):
/// `black_box` keeps the optimiser from dropping the stores as dead.
fn wipe(bytes: &mut [u8]) {
    bytes.fill(0);
    std::hint::black_box(bytes);
}

/// Named AES-256 data keys (the last one is current, the others only decrypt) and the blind-index
/// root key, which is deliberately NOT versioned: blind indexes are compared with stored ones, so a
/// new index key would make every existing index unfindable.
#[derive(Clone)]
pub struct KeyRing {
    /// In config order, oldest first; never empty. The last entry is the current key.
    data_keys: Vec<(KeyId, KeyBytes)>,
    index_root: KeyBytes,
}

impl KeyRing {
    /// Parses `<id>:<base64 key>[,<id>:<base64 key>…];index:<base64 key>` (see [`crate::crypto`]).
    pub fn parse(config: &str) -> Result<KeyRing, KeyRingError> {
        let config = config.trim();
        if config.is_empty() {
            return Err(KeyRingError::Empty);
        }
        let mut sections = config.split(';');
        let data_section = sections.next().unwrap_or_default();
        let index_section = sections.next().ok_or(KeyRingError::MissingIndexKey)?;
        if sections.next().is_some() {
            return Err(KeyRingError::TooManySections);
        }
        let index_root = parse_index_section(index_section)?;
        let data_keys = parse_data_section(data_section)?;
        Ok(KeyRing { data_keys, index_root })
    }

    /// A fresh ring with one data key `k1` and an index key, from the OS random number generator
    /// (demo mode; persist it with [`KeyRing::to_config_string`]).
    pub fn generate() -> Result<KeyRing, KeyRingError> {
        let id = KeyId("k1".to_string());
        Ok(KeyRing { data_keys: vec![(id, KeyBytes::random()?)], index_root: KeyBytes::random()? })
    }

    /// This ring plus a new random data key that becomes current (`k<n>`, the first unused `n`
    /// above the key count). The index key is kept, so blind indexes stay valid.
    pub fn with_new_current_key(&self) -> Result<KeyRing, KeyRingError> {
        let id = (self.data_keys.len() + 1..)
            .map(|n| format!("k{n}"))
            .take_while(|id| id.len() <= MAX_KEY_ID_LEN)
            .filter_map(|id| KeyId::parse(&id))
            .find(|id| self.data_key(id).is_none())
            .ok_or(KeyRingError::KeyIdsExhausted)?;
        let mut ring = self.clone();
        ring.data_keys.push((id, KeyBytes::random()?));
        Ok(ring)
    }

    /// The config string for this ring; `KeyRing::parse` reads it back. It holds every key, hence
    /// the [`Secret`] wrapper (no `Display`, redacted `Debug`): write it only to a `0600` file.
    pub fn to_config_string(&self) -> Secret {
        let data: Vec<String> = self.data_keys.iter().map(|(id, key)| format!("{id}:{}", key.encode())).collect();
        let config = format!("{};{INDEX_LABEL}:{}", data.join(","), self.index_root.encode());
        Secret::new(config.into_bytes())
    }

    /// The key new ciphertexts are written with.
    pub fn current_key_id(&self) -> &KeyId {
        &self.current().0
    }

    /// All data key ids, oldest first (the last is current).
    pub fn key_ids(&self) -> impl Iterator<Item = &KeyId> {
        self.data_keys.iter().map(|(id, _)| id)
    }

    pub(crate) fn current(&self) -> &(KeyId, KeyBytes) {
        // `parse` and `generate` refuse empty rings and nothing removes keys, so there is a last one.
        self.data_keys.last().expect("a key ring always has at least one data key")
    }

    pub(crate) fn data_keys(&self) -> &[(KeyId, KeyBytes)] {
        &self.data_keys
    }

    pub(crate) fn data_key(&self, id: &KeyId) -> Option<&KeyBytes> {
        self.data_keys.iter().find(|(known, _)| known == id).map(|(_, key)| key)
    }

    pub(crate) fn index_root(&self) -> &KeyBytes {
        &self.index_root
    }
}

impl FromStr for KeyRing {
    type Err = KeyRingError;

    fn from_str(config: &str) -> Result<KeyRing, KeyRingError> {
        KeyRing::parse(config)
    }
}

/// Lists key ids, never keys.
impl fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyRing")
            .field("data_keys", &self.key_ids().collect::<Vec<_>>())
            .field("current", self.current_key_id())
            .field("index_root", &self.index_root)
            .finish()
    }
}

fn parse_index_section(section: &str) -> Result<KeyBytes, KeyRingError> {
    let encoded = section.trim().strip_prefix(INDEX_LABEL).and_then(|rest| rest.strip_prefix(':'));
    let encoded = encoded.ok_or(KeyRingError::MissingIndexKey)?;
    KeyBytes::decode(INDEX_LABEL, encoded)
}

fn parse_data_section(section: &str) -> Result<Vec<(KeyId, KeyBytes)>, KeyRingError> {
    if section.trim().is_empty() {
        return Err(KeyRingError::NoDataKeys);
    }
    let mut keys: Vec<(KeyId, KeyBytes)> = Vec::new();
    for (index, entry) in section.split(',').enumerate() {
        let position = index + 1;
        let (id, encoded) = entry.trim().split_once(':').ok_or(KeyRingError::MalformedEntry { position })?;
        // The id text is not echoed when invalid: a misplaced key could sit where the id belongs.
        let id = KeyId::parse(id.trim()).ok_or(KeyRingError::InvalidKeyId { position })?;
        if keys.iter().any(|(known, _)| *known == id) {
            return Err(KeyRingError::DuplicateKeyId { id });
        }
        let key = KeyBytes::decode(id.as_str(), encoded)?;
        keys.push((id, key));
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recognisable 32-byte key: `"AAAA…"` never occurs in error texts by accident.
    fn key_b64(byte: u8) -> String {
        BASE64.encode([byte; KEY_LEN])
    }

    fn config_text(ring: &KeyRing) -> String {
        String::from_utf8(ring.to_config_string().expose().to_vec()).expect("the config string is ASCII")
    }

    #[test]
    fn key_ring_config_round_trips() {
        let config = format!("k1:{},k2:{};index:{}", key_b64(1), key_b64(2), key_b64(9));
        let ring = KeyRing::parse(&config).unwrap();
        assert_eq!(config_text(&ring), config);
        assert_eq!(ring.current_key_id().as_str(), "k2");
        assert_eq!(ring.key_ids().map(KeyId::as_str).collect::<Vec<_>>(), ["k1", "k2"]);

        let generated = KeyRing::generate().unwrap();
        let reparsed = KeyRing::parse(&config_text(&generated)).unwrap();
        assert_eq!(config_text(&reparsed), config_text(&generated));
        assert_eq!(reparsed.current_key_id().as_str(), "k1");
    }

    #[test]
    fn the_config_tolerates_whitespace_around_entries() {
        let config = format!(" k1 : {} ,\n k2:{} ;\tindex: {}\n", key_b64(1), key_b64(2), key_b64(9));
        let ring = KeyRing::parse(&config).unwrap();
        assert_eq!(ring.current_key_id().as_str(), "k2");
        assert_eq!(ring.index_root().expose(), &[9; KEY_LEN]);
    }

    #[test]
    fn generated_rings_hold_distinct_random_keys() {
        let (a, b) = (KeyRing::generate().unwrap(), KeyRing::generate().unwrap());
        assert_ne!(a.current().1.expose(), b.current().1.expose());
        assert_ne!(a.current().1.expose(), a.index_root().expose());
    }

    #[test]
    fn a_new_current_key_keeps_the_old_keys_and_the_index_key() {
        let ring = KeyRing::generate().unwrap();
        let rotated = ring.with_new_current_key().unwrap();
        assert_eq!(rotated.key_ids().map(KeyId::as_str).collect::<Vec<_>>(), ["k1", "k2"]);
        assert_eq!(rotated.data_key(ring.current_key_id()).unwrap().expose(), ring.current().1.expose());
        assert_eq!(rotated.index_root().expose(), ring.index_root().expose());
        assert_ne!(rotated.current().1.expose(), ring.current().1.expose());

        // Ids already taken out of sequence are skipped.
        let config = format!("k2:{};index:{}", key_b64(2), key_b64(9));
        let rotated = KeyRing::parse(&config).unwrap().with_new_current_key().unwrap();
        assert_eq!(rotated.current_key_id().as_str(), "k3");
    }

    #[test]
    fn key_ring_configs_are_validated() {
        let (k, i) = (key_b64(1), key_b64(9));
        let short = BASE64.encode([1u8; 16]);
        let cases = [
            (String::new(), KeyRingError::Empty),
            (format!("k1:{k}"), KeyRingError::MissingIndexKey),
            (format!("k1:{k};idx:{i}"), KeyRingError::MissingIndexKey),
            (format!("k1:{k};index:{i};k2:{k}"), KeyRingError::TooManySections),
            (format!(" ;index:{i}"), KeyRingError::NoDataKeys),
            (format!("k1:{k},;index:{i}"), KeyRingError::MalformedEntry { position: 2 }),
            (format!("k1{k};index:{i}"), KeyRingError::MalformedEntry { position: 1 }),
            (format!("k-1:{k};index:{i}"), KeyRingError::InvalidKeyId { position: 1 }),
            (format!("k1:{k},:{k};index:{i}"), KeyRingError::InvalidKeyId { position: 2 }),
            (format!("k1:{k},k12345678901234567:{k};index:{i}"), KeyRingError::InvalidKeyId { position: 2 }),
            (format!("k1:{k},k1:{k};index:{i}"), KeyRingError::DuplicateKeyId { id: KeyId("k1".into()) }),
            (format!("k1:not*base64;index:{i}"), KeyRingError::InvalidBase64 { key: "k1".into() }),
            (format!("k1:{short};index:{i}"), KeyRingError::WrongKeyLength { key: "k1".into(), len: 16 }),
            (format!("k1:{k};index:{short}"), KeyRingError::WrongKeyLength { key: "index".into(), len: 16 }),
        ];
        for (config, expected) in cases {
            assert_eq!(KeyRing::parse(&config).unwrap_err(), expected, "{config:?}");
        }
    }

    #[test]
    fn key_ring_config_errors_never_echo_keys() {
        // A recognisable key, misplaced or mangled in every way the parser reports.
        let secret = "U0VDUkVUc2VjcmV0U0VDUkVUc2VjcmV0U0VDUkVUczE=";
        let secret_bytes = "SECRETsecret";
        let configs = [
            format!("{secret};index:{secret}"),
            format!("{secret}:k1;index:{secret}"),
            format!("k1:{secret}x;index:{secret}"),
            format!("k1:{};index:{secret}", &secret[..40]),
            format!("k1:{secret};index:{}", &secret[..40]),
            format!("k1:{secret};{secret}"),
            format!("k1:{secret},k1:{secret};index:{secret}"),
            format!("k1:{secret};index:{secret};{secret}"),
        ];
        for config in configs {
            let err = KeyRing::parse(&config).unwrap_err();
            for text in [err.to_string(), format!("{err:?}")] {
                assert!(!text.contains(&secret[..8]) && !text.contains(secret_bytes), "{text}");
            }
        }
    }

    #[test]
    fn debug_output_hides_keys() {
        let config = format!("k1:{},k2:{};index:{}", key_b64(0x41), key_b64(0x42), key_b64(0x43));
        let ring = KeyRing::parse(&config).unwrap();
        let text = format!("{ring:?} {ring:#?} {:?}", ring.to_config_string());
        assert!(text.contains("k1") && text.contains("k2"), "ids are useful in logs: {text}");
        for key in [key_b64(0x41), key_b64(0x42), key_b64(0x43)] {
            assert!(!text.contains(&key[..8]), "{text}");
        }
        assert!(!text.contains("AAAA") && !text.contains("65, 65"), "{text}");
    }
}
