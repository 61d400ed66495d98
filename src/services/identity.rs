//! Identity resolution (docs/design.md §6): which existing contact or account a person or company
//! described by raw keys already is. Used by lead conversion now, by upserts and ingestion later.
//!
//! Rules:
//! - Contacts are tried by phone → e-mail → WeChat id, each through the contact table's blind index
//!   of the normalised value (`138 0013 8000`, `+86 13800138000` and `13800138000` are one key).
//!   Accounts are tried by unified social credit code (trimmed, upper-cased, check character
//!   verified; an invalid code is `BAD_USER_INPUT` naming `unifiedSocialCreditCode`) → exact
//!   company name (trimmed, compared exactly).
//! - The first key that matches exactly one record links it. A key matching several records is
//!   ambiguous: it links nothing and the next key is tried.
//! - **Switchboard cap**: a key shared by more than `cap` records ([`MAX_SHARED_KEY`] by default) is
//!   not an identifier — a company switchboard number, a shared `info@` mailbox, a reception desk's
//!   WeChat — and links nothing, whatever it matches. Because a contact's phone and e-mail are
//!   unique, "records" counts people, not contact rows: the contacts holding the key plus the leads
//!   holding it, a converted lead counted as its contact (so a person's repeated sign-ups count
//!   once after conversion). Accounts count account rows. The count is the same for every caller
//!   (it is not narrowed by a partner's channels) so that resolution does not depend on who asks;
//!   only the count leaves this module, never a forbidden row.
//! - **Tombstones** (records merged into another, `merged_into_id` set) are not identities of their
//!   own: a key that matches one matches the live record it was merged into (following the chain
//!   when that survivor was merged since), so a lead naming a merged company resolves to the
//!   survivor, and a tombstone and its survivor matching one key are one record, not an ambiguity.
//!   Candidates name the survivor. For the switchboard count a contact tombstone counts as the
//!   contact it was merged into (one hop).
//! - Every record a key matched is reported as a [`Candidate`] with the key, the number of records
//!   sharing it and the verdict, so a caller (a dry run) can show why something was or was not
//!   linked. Candidates carry ids only: never a PII value, and errors never echo one either.
//!
//! The cap is a parameter of the resolvers; the server passes `CDP_IDENTITY_MAX_SHARED_KEY`
//! (default [`MAX_SHARED_KEY`]).

use crate::catalog::Catalogued;
use std::collections::{HashMap, HashSet};

use entity::enums::EntityType;
use entity::{account, contact};
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::domain::value::{self, CreditCode};
use crate::error::{AppError, AppResult};
use crate::repo;
use crate::services::pii::{self, Pii, PiiColumn};
use crate::services::read::{self, Access};

/// A key shared by more records than this stops auto-linking (see the module doc). The default
/// of `CDP_IDENTITY_MAX_SHARED_KEY`, owned by `config.rs`.
pub use crate::config::DEFAULT_IDENTITY_MAX_SHARED_KEY as MAX_SHARED_KEY;

/// At most this many records are read (and reported) per key.
pub const CANDIDATE_LIMIT: u64 = 20;

/// The key a record was found by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchKey {
    Phone,
    Email,
    WechatId,
    CreditCode,
    CompanyName,
    /// A channel identity (`contact_channel_identity`: a WeChat openid or unionid, a platform user
    /// id): the source's priority 5 "custom id", tried after phone, e-mail and WeChat id.
    ChannelIdentity,
}

impl MatchKey {
    /// The input/field name clients know.
    pub fn field(self) -> &'static str {
        match self {
            MatchKey::Phone => "mobilePhone",
            MatchKey::Email => "email",
            MatchKey::WechatId => "wechatId",
            MatchKey::CreditCode => "unifiedSocialCreditCode",
            MatchKey::CompanyName => "companyName",
            MatchKey::ChannelIdentity => "channelIdentity",
        }
    }
}

/// What became of a record a key matched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// The record that is linked (by this key or an earlier one).
    Linked,
    /// Matched this key alone, but an earlier key already linked another record.
    Outranked,
    /// The key matched several records (up to the cap): it cannot tell which one.
    Ambiguous,
    /// The key is shared by more records than the cap: not an identifier, links nothing.
    SharedKey,
}

/// A record one key matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// `Contact` or `Account`.
    pub entity: EntityType,
    pub id: String,
    pub key: MatchKey,
    /// How many records share the key (see the module doc for what counts).
    pub shared_by: u64,
    pub verdict: Verdict,
}

/// What one key found: the matched record ids (at most [`CANDIDATE_LIMIT`], oldest first) and how
/// many records share the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyHits {
    pub key: MatchKey,
    pub ids: Vec<String>,
    pub shared_by: u64,
}

/// The outcome of resolution: the record to link (if any), the key that linked it, and every
/// candidate with its verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub linked: Option<(MatchKey, String)>,
    pub candidates: Vec<Candidate>,
}

/// The pure rule of the module doc: keys in the given order; the first key whose records are
/// exactly one (and shared by at most `cap` records) links it.
pub fn decide(entity: EntityType, hits: &[KeyHits], cap: u64) -> Decision {
    let mut linked: Option<(MatchKey, String)> = None;
    let mut candidates = Vec::new();
    for hit in hits {
        let shared_by = std::cmp::max(hit.shared_by, hit.ids.len() as u64);
        let key_verdict = if shared_by > cap {
            Some(Verdict::SharedKey)
        } else if hit.ids.len() > 1 {
            Some(Verdict::Ambiguous)
        } else {
            None
        };
        if key_verdict.is_none()
            && linked.is_none()
            && let Some(id) = hit.ids.first()
        {
            linked = Some((hit.key, id.clone()));
        }
        for id in &hit.ids {
            let verdict = match (key_verdict, &linked) {
                (_, Some((_, l))) if l == id && key_verdict.is_none() => Verdict::Linked,
                (Some(v), _) => v,
                (None, _) => Verdict::Outranked,
            };
            candidates.push(Candidate { entity, id: id.clone(), key: hit.key, shared_by, verdict });
        }
    }
    Decision { linked, candidates }
}

/// The contact a person's keys resolve to.
#[derive(Clone, Debug, Default)]
pub struct ContactMatch {
    /// The contact to link, if a key identified exactly one.
    pub contact: Option<contact::Model>,
    /// The key that identified it.
    pub key: Option<MatchKey>,
    /// Every contact a key matched, with the key and the verdict.
    pub candidates: Vec<Candidate>,
}

impl ContactMatch {
    /// Ids of contacts holding `key` (phones and e-mails are unique, so at most one there).
    pub fn holders(&self, key: MatchKey) -> impl Iterator<Item = &str> {
        self.candidates.iter().filter(move |c| c.key == key).map(|c| c.id.as_str())
    }
}

/// The account a company's keys resolve to.
#[derive(Clone, Debug, Default)]
pub struct AccountMatch {
    pub account: Option<account::Model>,
    pub key: Option<MatchKey>,
    pub candidates: Vec<Candidate>,
    /// The credit code as parsed (normalised), when one was given.
    pub credit_code: Option<CreditCode>,
}

impl AccountMatch {
    pub fn holders(&self, key: MatchKey) -> impl Iterator<Item = &str> {
        self.candidates.iter().filter(move |c| c.key == key).map(|c| c.id.as_str())
    }
}

fn given(raw: Option<&str>) -> Option<&str> {
    raw.map(str::trim).filter(|r| !r.is_empty())
}

/// A person's keys: raw values, any spelling, and channel identities `(channel_id, channel_user_id)`.
#[derive(Clone, Copy, Debug, Default)]
pub struct PersonKeys<'a> {
    pub phone: Option<&'a str>,
    pub email: Option<&'a str>,
    pub wechat_id: Option<&'a str>,
    pub channel_identities: &'a [(String, String)],
}

/// Resolves a person by phone → e-mail → WeChat id against the contact table's blind indexes, then
/// by channel identity (one per channel and user id, so such a key is never shared). A value that
/// does not normalise is `BAD_USER_INPUT` naming the field (never the value).
pub async fn resolve_contact(
    db: &impl ConnectionTrait,
    pii: &Pii,
    keys: PersonKeys<'_>,
    cap: u64,
) -> AppResult<ContactMatch> {
    resolve_contact_in(&Live(db), pii, keys, cap).await
}

/// [`resolve_contact`] over any source of the facts it reads: the database ([`Live`]), or a batch's
/// [`Snapshot`], so a batch of ingestions decides by the very same rules as one ingestion.
pub async fn resolve_contact_in(
    src: &impl ContactFacts,
    pii: &Pii,
    keys: PersonKeys<'_>,
    cap: u64,
) -> AppResult<ContactMatch> {
    let PersonKeys { phone, email, wechat_id, channel_identities } = keys;
    let mut hits = Vec::new();
    let mut rows: Vec<contact::Model> = Vec::new();
    for (key, col) in PERSON_KEYS {
        let raw = match key {
            MatchKey::Phone => phone,
            MatchKey::Email => email,
            _ => wechat_id,
        };
        let Some(raw) = given(raw) else { continue };
        let contact_bidx = pii.blind(CONTACT.name, col, raw)?;
        let lead_bidx = pii.blind(LEAD.name, col, raw)?;
        let found = src.matching(col, &contact_bidx).await?;
        let shared_by = src.people_sharing(col, &contact_bidx, &lead_bidx).await?;
        hits.push(KeyHits { key, ids: found.iter().map(|c| c.contact_id.clone()).collect(), shared_by });
        rows.extend(found);
    }
    for (channel_id, channel_user_id) in channel_identities.iter().take(CANDIDATE_LIMIT as usize) {
        if let Some(holder) = src.identity_holder(channel_id, channel_user_id).await? {
            hits.push(KeyHits { key: MatchKey::ChannelIdentity, ids: vec![holder], shared_by: 1 });
        }
    }
    let tombstones: Vec<String> =
        rows.iter().filter(|c| c.merged_into_id.is_some()).map(|c| c.contact_id.clone()).collect();
    // Contacts found by channel identity only are read when linked (below), tombstones or not.
    let live = if tombstones.is_empty() { HashMap::new() } else { src.survivors(&tombstones).await? };
    hits.iter_mut().for_each(|h| h.ids = follow(&h.ids, &live));
    let decision = decide(EntityType::Contact, &hits, cap);
    let contact = match &decision.linked {
        Some((_, id)) => match rows.iter().find(|r| &r.contact_id == id) {
            Some(row) => Some(row.clone()),
            None => src.contact(id).await?,
        },
        None => None,
    };
    Ok(ContactMatch { contact, key: decision.linked.map(|(k, _)| k), candidates: decision.candidates })
}

/// The PII keys of a person, in the order they are tried.
const PERSON_KEYS: [(MatchKey, PiiColumn); 3] =
    [(MatchKey::Phone, pii::MOBILE_PHONE), (MatchKey::Email, pii::EMAIL), (MatchKey::WechatId, pii::WECHAT_ID)];

/// What contact resolution reads (module doc): each answer as the database gives it now.
#[allow(async_fn_in_trait)] // used with concrete types only
pub trait ContactFacts {
    /// The contacts holding a key (its contact-table blind index), oldest id first, at most
    /// [`CANDIDATE_LIMIT`].
    async fn matching(&self, col: PiiColumn, contact_bidx: &str) -> AppResult<Vec<contact::Model>>;
    /// How many people hold a key (the module doc's count).
    async fn people_sharing(&self, col: PiiColumn, contact_bidx: &str, lead_bidx: &str) -> AppResult<u64>;
    /// The contact holding a channel identity.
    async fn identity_holder(&self, channel_id: &str, channel_user_id: &str) -> AppResult<Option<String>>;
    /// The live contact each of these tombstones was merged into.
    async fn survivors(&self, tombstones: &[String]) -> AppResult<HashMap<String, String>>;
    /// One contact by id.
    async fn contact(&self, id: &str) -> AppResult<Option<contact::Model>>;
}

/// The database, asked one question at a time.
pub struct Live<'a, C>(pub &'a C);

impl<C: ConnectionTrait> ContactFacts for Live<'_, C> {
    async fn matching(&self, col: PiiColumn, contact_bidx: &str) -> AppResult<Vec<contact::Model>> {
        let bidx = contact_bidx_column(col)?;
        repo::identity::matching::<contact::Entity>(self.0, bidx, contact_bidx, CANDIDATE_LIMIT).await
    }

    async fn people_sharing(&self, col: PiiColumn, contact_bidx: &str, lead_bidx: &str) -> AppResult<u64> {
        repo::identity::people_sharing(self.0, col.bidx, contact_bidx, lead_bidx).await
    }

    async fn identity_holder(&self, channel_id: &str, channel_user_id: &str) -> AppResult<Option<String>> {
        Ok(repo::identity::contact_identity(self.0, channel_id, channel_user_id).await?.map(|i| i.contact_id))
    }

    async fn survivors(&self, tombstones: &[String]) -> AppResult<HashMap<String, String>> {
        repo::merge::survivors::<contact::Entity>(self.0, tombstones).await
    }

    async fn contact(&self, id: &str) -> AppResult<Option<contact::Model>> {
        let mut found =
            read::find_by::<contact::Model>(self.0, &Access::unrestricted(), CONTACT, CONTACT.pk, &[id.to_string()])
                .await?;
        Ok(found.pop().map(|(_, m)| m))
    }
}

/// The contact table's blind-index column of a PII column (the catalogue names it).
fn contact_bidx_column(col: PiiColumn) -> AppResult<contact::Column> {
    <contact::Column as std::str::FromStr>::from_str(col.bidx)
        .map_err(|_| AppError::internal(format!("contact has no column {}", col.bidx)))
}

/// Everything contact resolution can ask about a batch of people, read in a few set-based
/// statements up front ([`Snapshot::load`]), plus the leads the batch itself creates
/// ([`Snapshot::add_lead`]), which later people of the batch count as sharers exactly as they
/// would one transaction later. Ingestion creates no contacts, so contacts cannot change within a
/// batch. Answers equal [`Live`]'s for the loaded people (the differential test of
/// `tests/api/ingestion_pipeline.rs` holds the two paths to byte-identical outcomes).
#[derive(Default)]
pub struct Snapshot {
    /// (PII column, contact blind index) → every contact holding it, oldest id first.
    contacts: HashMap<(&'static str, String), Vec<contact::Model>>,
    /// (PII column, lead blind index) → the people (converted contact, else the lead) of the
    /// leads holding it.
    lead_holders: HashMap<(&'static str, String), HashSet<String>>,
    /// (channel id, channel user id) → contact id.
    identities: HashMap<(String, String), String>,
    survivors: HashMap<String, String>,
    /// Contacts read by id: channel-identity holders and survivors.
    by_id: HashMap<String, contact::Model>,
}

impl Snapshot {
    /// Reads what resolving these people needs (values that do not normalise are skipped here:
    /// resolving them reports the error).
    pub async fn load(db: &impl ConnectionTrait, pii: &Pii, people: &[PersonKeys<'_>]) -> AppResult<Snapshot> {
        let mut snap = Snapshot::default();
        for (key, col) in PERSON_KEYS {
            let (mut cbs, mut lbs) = (Vec::new(), Vec::new());
            for p in people {
                let raw = match key {
                    MatchKey::Phone => p.phone,
                    MatchKey::Email => p.email,
                    _ => p.wechat_id,
                };
                let Some(raw) = given(raw) else { continue };
                if let (Ok(cb), Ok(lb)) = (pii.blind(CONTACT.name, col, raw), pii.blind(LEAD.name, col, raw)) {
                    cbs.push(cb);
                    lbs.push(lb);
                }
            }
            if cbs.is_empty() {
                continue;
            }
            for b in &cbs {
                snap.contacts.entry((col.column, b.clone())).or_default();
            }
            let found: Vec<(String, contact::Model)> =
                read::find_by(db, &Access::unrestricted(), CONTACT, col.bidx, &distinct(cbs)).await?;
            for (b, c) in found {
                snap.contacts.entry((col.column, b)).or_default().push(c);
            }
            for (b, who) in repo::identity::lead_holders(db, col.bidx, &distinct(lbs)).await? {
                snap.lead_holders.entry((col.column, b)).or_default().insert(who);
            }
        }
        snap.contacts.values_mut().for_each(|v| v.sort_by(|a, b| a.contact_id.cmp(&b.contact_id)));
        let pairs: Vec<(String, String)> =
            people.iter().flat_map(|p| p.channel_identities.iter().take(CANDIDATE_LIMIT as usize).cloned()).collect();
        if !pairs.is_empty() {
            let mut pairs = pairs;
            pairs.sort_unstable();
            pairs.dedup();
            for held in repo::identity::contact_identities(db, &pairs).await? {
                snap.identities.insert((held.channel_id, held.channel_user_id), held.contact_id);
            }
        }
        let tombstones: Vec<String> = snap
            .contacts
            .values()
            .flatten()
            .filter(|c| c.merged_into_id.is_some())
            .map(|c| c.contact_id.clone())
            .collect();
        if !tombstones.is_empty() {
            snap.survivors = repo::merge::survivors::<contact::Entity>(db, &distinct(tombstones)).await?;
        }
        let wanted: Vec<String> = snap.identities.values().chain(snap.survivors.values()).cloned().collect();
        if !wanted.is_empty() {
            let found: Vec<(String, contact::Model)> =
                read::find_by(db, &Access::unrestricted(), CONTACT, CONTACT.pk, &distinct(wanted)).await?;
            snap.by_id.extend(found);
        }
        Ok(snap)
    }

    /// A lead this batch created, with its keys' lead blind indexes: one more person sharing them.
    pub fn add_lead(&mut self, lead_id: &str, keys: &[(PiiColumn, String)]) {
        for (col, lead_bidx) in keys {
            self.lead_holders.entry((col.column, lead_bidx.clone())).or_default().insert(lead_id.to_string());
        }
    }

    fn holders(&self, col: PiiColumn, contact_bidx: &str) -> AppResult<&Vec<contact::Model>> {
        self.contacts
            .get(&(col.column, contact_bidx.to_string()))
            .ok_or_else(|| AppError::internal("identity snapshot: a key was not loaded"))
    }
}

impl ContactFacts for Snapshot {
    async fn matching(&self, col: PiiColumn, contact_bidx: &str) -> AppResult<Vec<contact::Model>> {
        Ok(self.holders(col, contact_bidx)?.iter().take(CANDIDATE_LIMIT as usize).cloned().collect())
    }

    async fn people_sharing(&self, col: PiiColumn, contact_bidx: &str, lead_bidx: &str) -> AppResult<u64> {
        let mut who: HashSet<&str> = self
            .holders(col, contact_bidx)?
            .iter()
            .map(|c| c.merged_into_id.as_deref().unwrap_or(&c.contact_id))
            .collect();
        if let Some(leads) = self.lead_holders.get(&(col.column, lead_bidx.to_string())) {
            who.extend(leads.iter().map(String::as_str));
        }
        Ok(who.len() as u64)
    }

    async fn identity_holder(&self, channel_id: &str, channel_user_id: &str) -> AppResult<Option<String>> {
        Ok(self.identities.get(&(channel_id.to_string(), channel_user_id.to_string())).cloned())
    }

    async fn survivors(&self, tombstones: &[String]) -> AppResult<HashMap<String, String>> {
        Ok(tombstones.iter().filter_map(|t| Some((t.clone(), self.survivors.get(t)?.clone()))).collect())
    }

    async fn contact(&self, id: &str) -> AppResult<Option<contact::Model>> {
        Ok(self.by_id.get(id).cloned())
    }
}

/// The values once each, sorted (keys of a set-based lookup; sorted, they also lock in one order).
pub(crate) fn distinct(v: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = v.into_iter().collect();
    v.sort_unstable();
    v.dedup();
    v
}

const CONTACT: repo::page::Table = <entity::contact::Entity as Catalogued>::TABLE;
const LEAD: repo::page::Table = <entity::lead::Entity as Catalogued>::TABLE;
const ACCOUNT: repo::page::Table = <entity::account::Entity as Catalogued>::TABLE;

/// The live record of each tombstone among `ids` (none asked when there is no tombstone).
async fn survivors<E: EntityTrait>(db: &impl ConnectionTrait, ids: Vec<String>) -> AppResult<HashMap<String, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    repo::merge::survivors::<E>(db, &ids).await
}

/// `ids` with every tombstone replaced by its live record, each record once, in order.
fn follow(ids: &[String], live: &HashMap<String, String>) -> Vec<String> {
    let mut seen = HashSet::new();
    ids.iter().map(|id| live.get(id).unwrap_or(id)).filter(|id| seen.insert(id.as_str())).cloned().collect()
}

/// The linked record: one of the matched rows, or the survivor a matched tombstone resolved to.
async fn record<M: sea_orm::FromQueryResult + Clone>(
    db: &impl ConnectionTrait,
    table: repo::page::Table,
    rows: &[M],
    id: &str,
    id_of: impl Fn(&M) -> &String,
) -> AppResult<Option<M>> {
    if let Some(row) = rows.iter().find(|r| id_of(r) == id) {
        return Ok(Some(row.clone()));
    }
    let mut found = read::find_by::<M>(db, &Access::unrestricted(), table, table.pk, &[id.to_string()]).await?;
    Ok(found.pop().map(|(_, m)| m))
}

/// Resolves a company by unified social credit code → exact company name.
pub async fn resolve_account(
    db: &impl ConnectionTrait,
    credit_code: Option<&str>,
    company_name: Option<&str>,
    cap: u64,
) -> AppResult<AccountMatch> {
    let credit_code = value::optional(credit_code, CreditCode::parse)?;
    let mut found_by_key = Vec::new();
    let mut rows: Vec<account::Model> = Vec::new();
    let keys = [
        (MatchKey::CreditCode, account::Column::UnifiedSocialCreditCode, credit_code.as_ref().map(CreditCode::as_str)),
        (MatchKey::CompanyName, account::Column::AccountName, given(company_name)),
    ];
    for (key, column, wanted) in keys {
        let Some(wanted) = wanted else { continue };
        let found = repo::identity::matching::<account::Entity>(db, column, wanted, CANDIDATE_LIMIT).await?;
        // Below the limit the rows are all there is: counted after tombstones are resolved.
        let counted = if (found.len() as u64) < CANDIDATE_LIMIT {
            None
        } else {
            Some(repo::identity::count_matching::<account::Entity>(db, column, wanted).await?)
        };
        found_by_key.push((key, found.iter().map(|a| a.account_id.clone()).collect::<Vec<_>>(), counted));
        rows.extend(found);
    }
    let tombstones = rows.iter().filter(|a| a.merged_into_id.is_some()).map(|a| a.account_id.clone());
    let live = survivors::<account::Entity>(db, tombstones.collect()).await?;
    let hits: Vec<KeyHits> = found_by_key
        .into_iter()
        .map(|(key, ids, counted)| {
            let ids = follow(&ids, &live);
            KeyHits { key, shared_by: counted.unwrap_or(ids.len() as u64), ids }
        })
        .collect();
    let decision = decide(EntityType::Account, &hits, cap);
    let account = match &decision.linked {
        Some((_, id)) => record(db, ACCOUNT, &rows, id, |a: &account::Model| &a.account_id).await?,
        None => None,
    };
    Ok(AccountMatch { account, key: decision.linked.map(|(k, _)| k), candidates: decision.candidates, credit_code })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(key: MatchKey, ids: &[&str], shared_by: u64) -> KeyHits {
        KeyHits { key, ids: ids.iter().map(|s| s.to_string()).collect(), shared_by }
    }

    fn verdicts(d: &Decision) -> Vec<(MatchKey, &str, Verdict)> {
        d.candidates.iter().map(|c| (c.key, c.id.as_str(), c.verdict)).collect()
    }

    #[test]
    fn the_first_key_that_matches_exactly_one_record_links_it() {
        let d = decide(
            EntityType::Contact,
            &[
                hits(MatchKey::Phone, &[], 1),
                hits(MatchKey::Email, &["CNT_B"], 1),
                hits(MatchKey::WechatId, &["CNT_C"], 1),
            ],
            MAX_SHARED_KEY,
        );
        assert_eq!(d.linked, Some((MatchKey::Email, "CNT_B".into())));
        assert_eq!(
            verdicts(&d),
            vec![(MatchKey::Email, "CNT_B", Verdict::Linked), (MatchKey::WechatId, "CNT_C", Verdict::Outranked)]
        );
        assert!(d.candidates.iter().all(|c| c.entity == EntityType::Contact));
    }

    #[test]
    fn phone_outranks_email_and_a_record_matching_both_is_linked_under_both() {
        let d = decide(
            EntityType::Contact,
            &[hits(MatchKey::Phone, &["CNT_A"], 1), hits(MatchKey::Email, &["CNT_A"], 1)],
            MAX_SHARED_KEY,
        );
        assert_eq!(d.linked, Some((MatchKey::Phone, "CNT_A".into())));
        assert_eq!(
            verdicts(&d),
            vec![(MatchKey::Phone, "CNT_A", Verdict::Linked), (MatchKey::Email, "CNT_A", Verdict::Linked)]
        );
    }

    #[test]
    fn an_ambiguous_key_links_nothing_and_the_next_key_is_tried() {
        let d = decide(EntityType::Contact, &[hits(MatchKey::WechatId, &["CNT_A", "CNT_B"], 2)], MAX_SHARED_KEY);
        assert_eq!(d.linked, None);
        assert_eq!(
            verdicts(&d),
            vec![(MatchKey::WechatId, "CNT_A", Verdict::Ambiguous), (MatchKey::WechatId, "CNT_B", Verdict::Ambiguous)]
        );
        let d = decide(
            EntityType::Account,
            &[hits(MatchKey::CreditCode, &[], 0), hits(MatchKey::CompanyName, &["ACC_1", "ACC_2"], 2)],
            MAX_SHARED_KEY,
        );
        assert_eq!(d.linked, None);
    }

    #[test]
    fn a_key_shared_by_more_records_than_the_cap_links_nothing_but_reports_its_candidates() {
        // One contact holds the switchboard number; four more leads carry it.
        let switchboard = [hits(MatchKey::Phone, &["CNT_A"], 5), hits(MatchKey::Email, &["CNT_B"], 1)];
        let d = decide(EntityType::Contact, &switchboard, MAX_SHARED_KEY);
        assert_eq!(d.linked, Some((MatchKey::Email, "CNT_B".into())));
        assert_eq!(d.candidates[0].verdict, Verdict::SharedKey);
        assert_eq!(d.candidates[0].shared_by, 5);
        // At the cap the key still links.
        let d = decide(EntityType::Contact, &[hits(MatchKey::Phone, &["CNT_A"], 3)], 3);
        assert_eq!(d.linked, Some((MatchKey::Phone, "CNT_A".into())));
    }

    #[test]
    fn a_lowered_cap_stops_a_key_shared_by_two_records() {
        let two = [hits(MatchKey::Phone, &["CNT_A"], 2)];
        assert_eq!(decide(EntityType::Contact, &two, 2).linked, Some((MatchKey::Phone, "CNT_A".into())));
        let d = decide(EntityType::Contact, &two, 1);
        assert_eq!(d.linked, None);
        assert_eq!(verdicts(&d), vec![(MatchKey::Phone, "CNT_A", Verdict::SharedKey)]);
    }

    #[test]
    fn more_matched_rows_than_the_count_still_count_as_sharing() {
        let d = decide(EntityType::Account, &[hits(MatchKey::CompanyName, &["ACC_1", "ACC_2"], 0)], 1);
        assert!(d.candidates.iter().all(|c| c.verdict == Verdict::SharedKey && c.shared_by == 2));
    }

    #[test]
    fn a_tombstone_follows_to_its_survivor_and_counts_once_with_it() {
        let live = HashMap::from([("CNT_B".to_string(), "CNT_A".to_string())]);
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(follow(&ids(&["CNT_B"]), &live), ids(&["CNT_A"]));
        assert_eq!(follow(&ids(&["CNT_A", "CNT_B", "CNT_C"]), &live), ids(&["CNT_A", "CNT_C"]));
    }

    #[test]
    fn no_keys_no_candidates() {
        assert_eq!(decide(EntityType::Contact, &[], MAX_SHARED_KEY), Decision { linked: None, candidates: vec![] });
    }
}
