//! PII at rest (docs/design.md §5): the one place that turns a plaintext phone, e-mail or WeChat id into
//! the stored pair (AES-256-GCM ciphertext, blind index) and back. Writes, the seed generator,
//! exact-match filters, identity resolution and `rotate-keys` all go through [`Pii`], so every
//! path normalises, binds and indexes the same way.
//!
//! Decisions:
//! - The ciphertext holds the value as given (trimmed), so a client reads back what it wrote; the
//!   blind index holds the normalised form (E.164 phone, lower-cased e-mail), so `138 0013 8000`,
//!   `+86 13800138000` and `13800138000` are one person.
//! - A value that does not normalise is refused (`BAD_USER_INPUT`, naming the field, never echoing
//!   the value): an unindexable value could not be deduplicated or found again.
//! - Masking (no `pii` scope) needs the plaintext's shape, so masked reads decrypt too; the mask is
//!   applied before the value leaves this module.

use entity::{contact, lead};
use sea_orm::{ConnectionTrait, DatabaseConnection};

use crate::crypto::{BlindIndex, CryptoError, FieldCipher, FieldContext, KeyRing, PiiKind};
use crate::domain::mask::{mask_email, mask_phone, mask_wechat_id};
use crate::domain::value::Phone;
use crate::domain::verification::{Code, mac_message};
use crate::error::{AppError, AppResult};
use crate::repo;

use crate::catalog::Catalogued;
pub use crate::catalog::{EMAIL, MOBILE_PHONE, PII_COLUMNS, PiiColumn, WECHAT_ID};

/// The stored form of one value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sealed {
    pub ciphertext: String,
    pub bidx: String,
}

/// Field cipher and blind index of one key ring.
#[derive(Debug)]
pub struct Pii {
    cipher: FieldCipher,
    index: BlindIndex,
}

impl Pii {
    pub fn new(ring: &KeyRing) -> Pii {
        Pii { cipher: FieldCipher::new(ring), index: BlindIndex::new(ring) }
    }

    /// Encrypts `raw` for `table.column` of row `row_id` and indexes its normalised form.
    pub fn seal(&self, table: &str, col: PiiColumn, row_id: &str, raw: &str) -> AppResult<Sealed> {
        let value = raw.trim();
        let bidx = self.blind(table, col, value)?;
        let ciphertext =
            self.cipher.encrypt(&FieldContext::new(table, col.column, row_id), value).map_err(crypto_failure)?;
        Ok(Sealed { ciphertext, bidx })
    }

    /// Encrypts `raw` (trimmed) for `table.column` of row `row_id` without indexing it: for values
    /// kept as received before they are validated (a stored lead submission, whose phone may turn
    /// out to be invalid), which must be sealed all the same.
    pub fn encrypt(&self, table: &str, col: PiiColumn, row_id: &str, raw: &str) -> AppResult<String> {
        self.cipher.encrypt(&FieldContext::new(table, col.column, row_id), raw.trim()).map_err(crypto_failure)
    }

    /// Encrypts a secret the server generated (a webhook's HMAC key) for `table.column` of row
    /// `row_id`: the field cipher of every sealed value, without PII's normalisation or index.
    pub fn seal_secret(&self, table: &str, column: &str, row_id: &str, secret: &str) -> AppResult<String> {
        self.cipher.encrypt(&FieldContext::new(table, column, row_id), secret).map_err(crypto_failure)
    }

    /// The plaintext of [`Pii::seal_secret`]'s ciphertext; a failure names the row, never the value.
    pub fn open_secret(&self, table: &str, column: &str, row_id: &str, ciphertext: &str) -> AppResult<String> {
        self.cipher
            .decrypt(&FieldContext::new(table, column, row_id), ciphertext)
            .map_err(|e| AppError::internal(format!("cannot decrypt {table}.{column} of {row_id}: {e}")))
    }

    /// The blind index `raw` would have in `table.column`: for exact-match filters and identity
    /// resolution.
    pub fn blind(&self, table: &str, col: PiiColumn, raw: &str) -> AppResult<String> {
        self.index.index(table, col.column, col.kind, raw).map_err(|e| match e {
            CryptoError::Invalid(reason) => AppError::bad_input(format!("{}: {reason}", graphql_name(col))),
            other => crypto_failure(other),
        })
    }

    /// The keyed hash of a verification code (HMAC-SHA256 under a key derived from the blind-index
    /// root for `verification_code.code_hash`) over its row, phone and code
    /// (`domain::verification::mac_message`).
    pub fn code_digest(&self, code_id: &str, phone: &Phone, code: &Code) -> AppResult<String> {
        let message = mac_message(code_id, phone, code);
        self.index.index_normalized(repo::verification::TABLE, "code_hash", &message).map_err(crypto_failure)
    }

    /// The keyed hash of a caller's IP (`verification_code.ip_hash`): the per-IP limit counts
    /// without storing addresses.
    pub fn ip_digest(&self, ip: &str) -> AppResult<String> {
        self.index.index_normalized(repo::verification::TABLE, "ip_hash", ip.trim()).map_err(crypto_failure)
    }

    /// The plaintext of a stored ciphertext. Failure (a moved or tampered value, a key no longer
    /// in the ring) is an internal error naming the row and column, never the value.
    pub fn open(&self, table: &str, col: PiiColumn, row_id: &str, ciphertext: &str) -> AppResult<String> {
        self.cipher
            .decrypt(&FieldContext::new(table, col.column, row_id), ciphertext)
            .map_err(|e| AppError::internal(format!("cannot decrypt {table}.{} of {row_id}: {e}", col.column)))
    }

    /// What a caller sees: the plaintext with the `pii` scope, the masked plaintext without it.
    pub fn reveal(
        &self,
        table: &str,
        col: PiiColumn,
        row_id: &str,
        ciphertext: &str,
        unmasked: bool,
    ) -> AppResult<String> {
        let plain = self.open(table, col, row_id, ciphertext)?;
        Ok(if unmasked { plain } else { mask(col.kind, &plain) })
    }

    /// The ciphertext re-encrypted under the current key, or `None` when it already is.
    pub fn rotate(&self, table: &str, col: PiiColumn, row_id: &str, ciphertext: &str) -> AppResult<Option<String>> {
        self.cipher
            .rotate(&FieldContext::new(table, col.column, row_id), ciphertext)
            .map_err(|e| AppError::internal(format!("cannot re-encrypt {table}.{} of {row_id}: {e}", col.column)))
    }

    /// The `v1:<key id>:` prefix of ciphertexts under the current key (rotation skips those).
    pub fn current_prefix(&self) -> String {
        format!("{}:{}:", crate::crypto::CIPHERTEXT_VERSION, self.cipher.current_key_id())
    }

    /// Replaces the plaintext PII of a model about to be inserted by its ciphertexts and fills the
    /// blind indexes (the seed generator and imports build models with plaintext first).
    pub fn seal_model<M: HasPii>(&self, model: &mut M) -> AppResult<()> {
        let row_id = model.row_id().to_string();
        for (col, value, bidx) in model.pii_mut() {
            match value.take() {
                Some(raw) => {
                    let sealed = self.seal(M::TABLE, col, &row_id, &raw)?;
                    *value = Some(sealed.ciphertext);
                    *bidx = Some(sealed.bidx);
                }
                None => *bidx = None,
            }
        }
        Ok(())
    }
}

/// The API's masked form of a value of `kind`.
pub fn mask(kind: PiiKind, plain: &str) -> String {
    match kind {
        PiiKind::Phone => mask_phone(plain),
        PiiKind::Email => mask_email(plain),
        PiiKind::WechatId => mask_wechat_id(plain),
    }
}

/// The field name clients know (`mobilePhone`), for error messages.
pub fn graphql_name(col: PiiColumn) -> &'static str {
    match col.kind {
        PiiKind::Phone => "mobilePhone",
        PiiKind::Email => "email",
        PiiKind::WechatId => "wechatId",
    }
}

fn crypto_failure(e: CryptoError) -> AppError {
    AppError::internal(format!("field encryption failed: {e}"))
}

/// How `rotate-keys` walks the tables.
#[derive(Clone, Copy, Debug)]
pub struct RotateOptions {
    /// Rows re-encrypted per transaction.
    pub batch_size: u64,
    /// Stop after this many batches (None: until done). A later run resumes where this one stopped.
    pub max_batches: Option<u64>,
}

impl Default for RotateOptions {
    fn default() -> Self {
        RotateOptions { batch_size: 500, max_batches: None }
    }
}

/// What a `rotate-keys` run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RotationReport {
    pub rotated: u64,
    /// Rows a concurrent write changed between read and update (its fresh ciphertext wins).
    pub raced: u64,
    /// `table.column of <id>` for values that could not be decrypted (moved, tampered, or under a
    /// key no longer in the ring). Ids only: never values.
    pub failed: Vec<String>,
    /// False when `max_batches` stopped the run early.
    pub complete: bool,
}

/// Values not yet under the current key, over all encrypted columns (the progress bar's length).
pub async fn stale_values(db: &impl ConnectionTrait, pii: &Pii) -> AppResult<u64> {
    let prefix = pii.current_prefix();
    Ok(stale_in::<lead::Entity>(db, &prefix).await? + stale_in::<contact::Entity>(db, &prefix).await?)
}

async fn stale_in<E: Catalogued>(db: &impl ConnectionTrait, prefix: &str) -> AppResult<u64> {
    let mut n = 0;
    for col in E::FACTS.pii {
        n += repo::pii::count_stale::<E>(db, col.column, prefix).await?;
    }
    Ok(n)
}

/// Re-encrypts every PII value to the ring's current key, one transaction per batch, so it can be
/// interrupted and run again: it only ever selects values not yet under the current key. Reads keep
/// working throughout because the ring still holds the old keys; drop them only after a complete
/// run. Blind indexes do not change (their key is not rotated, see `crypto`), nor does
/// `updated_at`: the record's content is the same.
pub async fn rotate_keys(
    db: &DatabaseConnection,
    pii: &Pii,
    opts: RotateOptions,
    mut on_batch: impl FnMut(u64),
) -> AppResult<RotationReport> {
    let mut run = Rotation { pii, prefix: pii.current_prefix(), opts, batches: 0, report: RotationReport::default() };
    // The tables with PII columns in the catalogue (`catalog::tests` checks these are all of them).
    if run.table::<lead::Entity>(db, &mut on_batch).await? && run.table::<contact::Entity>(db, &mut on_batch).await? {
        run.report.complete = true;
    }
    Ok(run.report)
}

/// A `rotate-keys` run in progress.
struct Rotation<'p> {
    pii: &'p Pii,
    prefix: String,
    opts: RotateOptions,
    batches: u64,
    report: RotationReport,
}

impl Rotation<'_> {
    /// Rotates every encrypted column of `E`'s table; false when `max_batches` stopped the run.
    async fn table<E: Catalogued>(
        &mut self,
        db: &DatabaseConnection,
        on_batch: &mut impl FnMut(u64),
    ) -> AppResult<bool> {
        let table = repo::write::table::<E>();
        for col in E::FACTS.pii.iter().copied() {
            let mut after: Option<String> = None;
            loop {
                if self.opts.max_batches.is_some_and(|max| self.batches >= max) {
                    return Ok(false);
                }
                let rows =
                    repo::pii::stale_batch::<E>(db, col.column, &self.prefix, after.as_deref(), self.opts.batch_size)
                        .await?;
                let Some((last, _)) = rows.last() else { break };
                after = Some(last.clone());
                let txn = crate::services::write::begin_write(db).await?;
                for (id, old) in &rows {
                    match self.pii.rotate(table, col, id, old) {
                        Ok(Some(new)) => {
                            if repo::pii::replace_value::<E>(&txn, col.column, id, old, &new).await? {
                                self.report.rotated += 1;
                            } else {
                                self.report.raced += 1;
                            }
                        }
                        Ok(None) => {}
                        Err(e) => {
                            tracing::error!(error = %e.message(), "rotate-keys: value left as it is");
                            self.report.failed.push(format!("{table}.{} of {id}", col.column));
                        }
                    }
                }
                txn.commit().await?;
                self.batches += 1;
                on_batch(rows.len() as u64);
            }
        }
        Ok(true)
    }
}

/// Models with encrypted columns (`lead`, `contact`): one generic path seals them.
pub trait HasPii {
    const TABLE: &'static str;
    fn row_id(&self) -> &str;
    /// Each encrypted column with its value and blind index.
    fn pii_mut(&mut self) -> [(PiiColumn, &mut Option<String>, &mut Option<String>); 3];
}

macro_rules! has_pii {
    ($($module:ident . $pk:ident),*) => {$(
        impl HasPii for $module::Model {
            const TABLE: &'static str = stringify!($module);
            fn row_id(&self) -> &str {
                &self.$pk
            }
            fn pii_mut(&mut self) -> [(PiiColumn, &mut Option<String>, &mut Option<String>); 3] {
                [
                    (MOBILE_PHONE, &mut self.mobile_phone, &mut self.mobile_phone_bidx),
                    (EMAIL, &mut self.email, &mut self.email_bidx),
                    (WECHAT_ID, &mut self.wechat_id, &mut self.wechat_id_bidx),
                ]
            }
        }
    )*};
}
has_pii!(lead.lead_id, contact.contact_id);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::FieldCipher;

    fn pii() -> Pii {
        Pii::new(&KeyRing::generate().unwrap())
    }

    #[test]
    fn equal_phones_in_any_format_share_one_blind_index() {
        let p = pii();
        let a = p.seal("contact", MOBILE_PHONE, "CNT_1", "138 0013 8000").unwrap();
        let b = p.seal("contact", MOBILE_PHONE, "CNT_2", "+86 13800138000").unwrap();
        assert_eq!(a.bidx, b.bidx);
        assert_ne!(a.ciphertext, b.ciphertext);
        assert_eq!(p.open("contact", MOBILE_PHONE, "CNT_1", &a.ciphertext).unwrap(), "138 0013 8000");
    }

    #[test]
    fn the_same_value_in_another_table_gets_another_index() {
        let p = pii();
        assert_ne!(
            p.blind("lead", EMAIL, "a@example.com").unwrap(),
            p.blind("contact", EMAIL, "a@example.com").unwrap()
        );
    }

    #[test]
    fn an_invalid_value_is_bad_input_naming_the_field_not_the_value() {
        let e = pii().seal("lead", MOBILE_PHONE, "LEAD_1", "call me 555").unwrap_err();
        assert_eq!(e.code(), "BAD_USER_INPUT");
        assert!(e.message().starts_with("mobilePhone:"), "{e:?}");
        assert!(!e.message().contains("555"), "{e:?}");
    }

    #[test]
    fn a_ciphertext_of_another_row_does_not_open() {
        let p = pii();
        let a = p.seal("lead", EMAIL, "LEAD_1", "z@example.com").unwrap();
        let e = p.open("lead", EMAIL, "LEAD_2", &a.ciphertext).unwrap_err();
        assert_eq!(e.code(), "INTERNAL");
        assert!(!e.message().contains("z@example.com"));
    }

    #[test]
    fn reveal_masks_without_the_pii_scope() {
        let p = pii();
        let s = p.seal("contact", MOBILE_PHONE, "CNT_1", "13800138000").unwrap();
        assert_eq!(p.reveal("contact", MOBILE_PHONE, "CNT_1", &s.ciphertext, false).unwrap(), "138****8000");
        assert_eq!(p.reveal("contact", MOBILE_PHONE, "CNT_1", &s.ciphertext, true).unwrap(), "13800138000");
        let e = p.seal("contact", EMAIL, "CNT_1", "zhang@example.com").unwrap();
        assert_eq!(p.reveal("contact", EMAIL, "CNT_1", &e.ciphertext, false).unwrap(), "z***@example.com");
    }

    #[test]
    fn sealing_a_model_encrypts_every_pii_column_and_clears_stale_indexes() {
        let p = pii();
        let now = chrono::Utc::now();
        let mut m = lead::Model {
            lead_id: "LEAD_1".into(),
            lead_name: "张伟".into(),
            company_name: None,
            mobile_phone: Some("13800138000".into()),
            mobile_phone_bidx: None,
            email: None,
            email_bidx: Some("stale".into()),
            wechat_id: Some("wxid_zhang01".into()),
            wechat_id_bidx: None,
            job_title: None,
            lead_source: entity::enums::SourceType::Website,
            channel_id: None,
            campaign_id: None,
            lead_status: entity::enums::LeadStatus::New,
            lead_score: 0,
            lead_grade: None,
            industry_id: None,
            province: None,
            city: None,
            owner_user_id: None,
            created_at: now,
            updated_at: now,
            last_contacted_at: None,
            converted_at: None,
            converted_contact_id: None,
            converted_account_id: None,
            converted_opportunity_id: None,
            custom_fields: None,
            is_qualified: false,
            owner_team_id: None,
            owner_lease_until: None,
            lease_extensions: 0,
        };
        p.seal_model(&mut m).unwrap();
        assert!(m.mobile_phone.as_deref().unwrap().starts_with(&p.current_prefix()));
        assert_eq!(m.mobile_phone_bidx.as_deref().map(str::len), Some(64));
        assert_eq!((m.email.as_deref(), m.email_bidx.as_deref()), (None, None));
        assert_eq!(p.open("lead", WECHAT_ID, &m.lead_id, m.wechat_id.as_deref().unwrap()).unwrap(), "wxid_zhang01");
    }

    /// The widths of migration `m20261122_000002_encrypt_pii` (seed limit × 4 UTF-8 bytes).
    #[test]
    fn the_migration_column_widths_hold_the_longest_ciphertexts() {
        for (chars, width) in [(20, 164), (200, 1124), (100, 592)] {
            assert!(FieldCipher::max_ciphertext_len(chars * 4) <= width, "{chars} chars need more than {width}");
        }
    }
}
