//! Field encryption (AES-256-GCM), blind indexes (HMAC-SHA256) and the key ring. Pure, leaf.
//!
//! PII columns (docs/design.md §5) hold a ciphertext plus, beside it, a blind index of the normalised
//! value:
//!
//! ```text
//! mobile_phone       = v1:k2:<base64(nonce ‖ ciphertext ‖ tag)>     FieldCipher::encrypt
//! mobile_phone_index = 3f1c…(64 lowercase hex)                       BlindIndex::index
//! ```
//!
//! # `CDP_FIELD_KEYS`
//!
//! ```text
//! k1:<base64 32 bytes>,k2:<base64 32 bytes>;index:<base64 32 bytes>
//! ```
//!
//! * Data keys come first, comma-separated `<id>:<key>`; ids are 1–16 ASCII letters or digits and
//!   unique; keys are 32 bytes in standard (padded) base64. Whitespace around entries is ignored.
//! * The LAST data key is current: new values are encrypted with it, the earlier ones only decrypt.
//!   Rotation is "append a key, run `rotate-keys`, then drop the old key" — a list kept oldest to
//!   newest, with no separate "current" marker that could disagree with it or be forgotten.
//! * After `;`, exactly one `index:<key>`: the blind-index root key. It is NOT versioned and must
//!   never change with rotation: stored indexes are compared byte for byte, so a new index key would
//!   make every uniqueness check and lookup miss (changing it means recomputing every index from
//!   decrypted values — a different, offline migration).
//!
//! Parse errors ([`KeyRingError`]) and [`fmt::Debug`](std::fmt::Debug) output never contain key
//! material; [`KeyRing::to_config_string`] returns a [`Secret`].
//!
//! # Ciphertexts
//!
//! `v1:<key id>:<base64(12-byte random nonce ‖ AES-256-GCM ciphertext ‖ 16-byte tag)>`, standard
//! base64. The associated data binds the key id, table, column and row id, each length-prefixed
//! (see `cipher::associated_data`), so a ciphertext copied to another row or column fails with
//! [`CryptoError::AuthenticationFailed`]. Column sizes: [`FieldCipher::max_ciphertext_len`].
//!
//! # Blind indexes
//!
//! `hex(HMAC-SHA256(column_key, normalised value))` with
//! `column_key = HMAC-SHA256(index_root, "cdp360 blind index v1|<table>|<column>")`. Hex (not
//! base64url) because it is case-insensitive-collation safe and fits `varchar(64)` exactly. The
//! full 256 bits are kept: indexes back unique constraints, so they must not collide.
//!
//! Normalisation (E.164 phones with `+86` default region, lower-cased e-mails, case-preserving
//! WeChat ids) lives in [`normalize`](self::normalize) and is shared with the domain layer.

mod blind_index;
mod cipher;
mod keyring;
pub mod normalize;
mod secret;

pub use blind_index::{BLIND_INDEX_LEN, BlindIndex};
pub use cipher::{CIPHERTEXT_VERSION, FieldCipher, FieldContext, NONCE_LEN, TAG_LEN};
pub use keyring::{KEY_LEN, KeyId, KeyRing, KeyRingError, MAX_KEY_ID_LEN};
pub use normalize::{NormalizeError, PiiKind, normalize_email, normalize_phone, normalize_wechat_id};
pub use secret::Secret;

/// Why a field could not be encrypted, decrypted or indexed. Messages never contain plaintext,
/// ciphertext payloads or keys (they may name a key id, which is not secret).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CryptoError {
    /// The ciphertext names a key that is not (or no longer) in the ring.
    #[error("the value was encrypted with key `{0}`, which is not in the field key ring")]
    UnknownKeyId(KeyId),
    /// Not a `v1:<key id>:<base64>` value of the right shape.
    #[error("malformed encrypted value: {0}")]
    Malformed(&'static str),
    /// The key is known but the tag does not verify: tampered, or copied from another row/column.
    #[error("encrypted value failed authentication (tampered, or moved from another row or column)")]
    AuthenticationFailed,
    /// AES-GCM refused the input (only possible beyond 64 GiB of plaintext).
    #[error("encryption failed")]
    EncryptionFailed,
    /// The value to index is not a valid phone, e-mail or WeChat id.
    #[error(transparent)]
    Invalid(#[from] NormalizeError),
    /// A blind index was asked for with a table or column name that is not an SQL identifier.
    #[error("`{0}` is not a valid table or column name for a blind index")]
    InvalidIdentifier(String),
}
