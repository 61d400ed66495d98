//! Lead conversion (docs/design.md §6 "Lead conversion"; Salesforce's LeadConvert, improved):
//! `convertLead` and its list form `convertLeads(inputs, allOrNone)`.
//!
//! Shape: every conversion runs in one transaction.
//!
//! 1. **Input rules** (pure, before any statement): `opportunityName` vs `doNotCreateOpportunity`
//!    and its length, `overwriteLeadSource` needs `contactId`, `contactId` needs `accountId`.
//! 2. **Claim** — the transaction's first statement — a guarded `UPDATE lead … WHERE lead_status =
//!    'QUALIFIED'`: of two concurrent conversions one wins; the other waits (PostgreSQL: on the row;
//!    SQLite: on the write lock, taken before any read so the loser never holds a stale snapshot)
//!    and then gets `CONFLICT`.
//! 3. **Checks and plan** (reads only): the lead through the caller's access (`NOT_FOUND` when
//!    invisible); when the claim failed, why — read-only (`CONFLICT`), not QUALIFIED
//!    (`INVALID_TRANSITION`) or a concurrent change (`CONFLICT`); the referenced ids
//!    (`BAD_USER_INPUT` naming the field); then identity resolution ([`identity`]) and the facts
//!    the plan needs (the linked account and contact, whether they are related), from which
//!    [`conversion::plan`] decides which account and contact are created or linked, which empty
//!    fields of existing records are filled, the relation, the opportunity.
//! 4. **Apply**: insert or fill the records, copy the channel identities, re-point touchpoints and
//!    events, set the `converted_*` ids, read the records back; announce `LeadConverted` (outbox)
//!    and mark the three summaries stale (refreshed right after the commit).
//!
//! Any error rolls the transaction back: nothing is half-written.
//!
//! **dryRun** runs every step and then rolls the transaction back: the answer is exactly what a
//! real run would do (records, field diff, candidates, counts), including the failures only a write
//! can meet (an identity owned by another contact). Ids of records it would create are not kept.
//!
//! Decisions: the rules — which account and contact are linked or created, fill-empty-only,
//! owners, new records and their names, identity copies — are [`conversion`]'s (pure,
//! unit-tested). Here, how they are applied:
//! - Existing records are filled in one `UPDATE` guarded on the fields still being empty (a
//!   concurrent fill is `CONFLICT`); PII is re-sealed for the contact row (ciphertexts are bound to
//!   their row).
//! - Channel identities: each `lead_channel_identity` becomes a `contact_channel_identity` of the
//!   contact, upserted on `(channel_id, channel_user_id)` in one guarded statement, so one that
//!   belongs to another contact is `CONFLICT` even when it arrives concurrently.
//! - Touchpoints and events carrying the lead id get the contact and account where they have none.
//! - The field diff lists, for existing records, every filled or overwritten field as old → new,
//!   PII masked. Candidates are every contact and account a key matched, with the key.

use crate::catalog::Catalogued;
use chrono::{DateTime, Utc};
use entity::enums::{EntityType, LeadStatus};
use entity::{account, app_user, contact, event, lead, lead_channel_identity, opportunity, touchpoint};
use sea_orm::{DatabaseTransaction, EntityTrait, TransactionTrait, Value};

use crate::domain::conversion::{self, AccountToLink, Facts, FillValue, PiiField, Plan, Target};
use crate::domain::lead_status;
use crate::error::{AppError, AppResult};
use crate::pubsub::DomainEvent;
use crate::repo::{self, summary::Summary};
use crate::services::identity::{self, Candidate, MatchKey};
use crate::services::pii::{self, Pii, PiiColumn};
use crate::services::read;
use crate::services::tx::{Store, Write};
use crate::services::write::{Actor, new_id, now, require_ref};

/// Inputs of one `convertLeads` call.
pub const MAX_BATCH: usize = 100;

const LEAD: repo::page::Table = <lead::Entity as Catalogued>::TABLE;
const CONTACT: repo::page::Table = <contact::Entity as Catalogued>::TABLE;

/// One conversion request (`ConvertLeadInput`).
#[derive(Clone, Debug, Default)]
pub struct ConvertLead {
    pub lead_id: String,
    pub account_id: Option<String>,
    pub contact_id: Option<String>,
    pub do_not_create_opportunity: bool,
    pub opportunity_name: Option<String>,
    pub owner_user_id: Option<String>,
    pub overwrite_lead_source: bool,
    pub dry_run: bool,
}

/// A field of an existing record the conversion fills (or, with `overwriteLeadSource`, replaces).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldChange {
    /// `Account` or `Contact`.
    pub entity: EntityType,
    pub id: String,
    /// The field's API name (`jobTitle`).
    pub field: &'static str,
    /// Stored values; PII masked.
    pub old: Option<String>,
    pub new: Option<String>,
}

/// What a conversion did (or, for a dry run, would do).
#[derive(Clone, Debug)]
pub struct ConvertResult {
    /// The lead after conversion.
    pub lead: lead::Model,
    pub account: account::Model,
    pub contact: contact::Model,
    pub opportunity: Option<opportunity::Model>,
    pub account_created: bool,
    pub contact_created: bool,
    pub dry_run: bool,
    pub field_diff: Vec<FieldChange>,
    pub candidates: Vec<Candidate>,
    /// Channel identities copied to (or refreshed on) the contact.
    pub identities_linked: u64,
    pub touchpoints_repointed: u64,
    pub events_repointed: u64,
}

impl ConvertResult {
    pub fn opportunity_created(&self) -> bool {
        self.opportunity.is_some()
    }
}

/// A failed `convertLeads` with `allOrNone`: nothing was written. `index` is the failing input
/// (None when the call failed as a whole, e.g. too many inputs).
#[derive(Debug)]
pub struct BatchFailure {
    pub index: Option<usize>,
    pub error: AppError,
}

/// Converts one lead (see the module doc).
pub async fn convert_lead(
    store: &Store,
    pii: &Pii,
    actor: &Actor,
    input: &ConvertLead,
    cap: u64,
) -> AppResult<ConvertResult> {
    let w = Write::begin(store).await?;
    let result = convert_in(&w, pii, actor, input, cap).await?;
    if input.dry_run {
        w.rollback().await?;
    } else {
        announce(&w, &result);
        w.commit().await?;
    }
    Ok(result)
}

/// Converts several leads (at most [`MAX_BATCH`]). `all_or_none`: one transaction for all — the
/// first failure rolls everything back and names its input; otherwise each lead in its own
/// transaction, with one result or error per input, in input order.
pub async fn convert_leads(
    store: &Store,
    pii: &Pii,
    actor: &Actor,
    inputs: &[ConvertLead],
    all_or_none: bool,
    cap: u64,
) -> Result<Vec<AppResult<ConvertResult>>, BatchFailure> {
    let whole = |error: AppError| BatchFailure { index: None, error };
    if inputs.len() > MAX_BATCH {
        return Err(whole(AppError::bad_input(format!("inputs: at most {MAX_BATCH} leads per call"))));
    }
    if !all_or_none {
        let mut results = Vec::with_capacity(inputs.len());
        for input in inputs {
            results.push(convert_lead(store, pii, actor, input, cap).await);
        }
        return Ok(results);
    }
    let w = Write::begin(store).await.map_err(whole)?;
    let mut results = Vec::with_capacity(inputs.len());
    for (index, input) in inputs.iter().enumerate() {
        // Each conversion in a savepoint, so a dry run among real ones rolls back alone.
        let failed = |error: AppError| BatchFailure { index: Some(index), error };
        let savepoint = w.begin().await.map_err(|e| failed(e.into()))?;
        match convert_in(&savepoint, pii, actor, input, cap).await {
            Ok(result) if input.dry_run => {
                savepoint.rollback().await.map_err(|e| failed(e.into()))?;
                results.push(Ok(result));
            }
            Ok(result) => {
                savepoint.commit().await.map_err(|e| failed(e.into()))?;
                announce(&w, &result);
                results.push(Ok(result));
            }
            Err(error) => {
                rollback(savepoint).await;
                return Err(failed(error));
            }
        }
    }
    w.commit().await.map_err(whole)?;
    Ok(results)
}

/// The event and the stale summaries of a committed conversion.
fn announce(w: &Write<'_>, r: &ConvertResult) {
    w.emit(DomainEvent::LeadConverted {
        lead_id: r.lead.lead_id.clone(),
        channel_id: r.lead.channel_id.clone(),
        contact_id: r.contact.contact_id.clone(),
        account_id: r.account.account_id.clone(),
        opportunity_id: r.opportunity.as_ref().map(|o| o.opportunity_id.clone()),
    });
    w.emit(DomainEvent::LeadUpdated { lead_id: r.lead.lead_id.clone(), channel_id: r.lead.channel_id.clone() });
    let zone = w.store().zone();
    w.stale(|s| {
        s.add(Summary::Account, Some(&r.account.account_id));
        s.add(Summary::Contact, Some(&r.contact.contact_id));
        s.add(Summary::Lead, Some(&r.lead.lead_id));
        // The lead's day (now converted), and the days of the contact and opportunity it made.
        s.day_of(zone, r.lead.created_at);
        s.day_of(zone, r.contact.created_at);
        if let Some(o) = &r.opportunity {
            s.day_of(zone, o.created_at);
        }
    });
}

/// Rolls back after a failure; the failure is what the caller reports.
async fn rollback(txn: DatabaseTransaction) {
    if let Err(e) = txn.rollback().await {
        tracing::warn!(error = %e, "rollback after a failed conversion failed");
    }
}

fn concurrent(what: &str, id: &str) -> AppError {
    AppError::Conflict(format!("{what} {id} was changed by another request meanwhile; read it again and retry"))
}

impl ConvertLead {
    fn request(&self) -> conversion::Request<'_> {
        conversion::Request {
            account_id: self.account_id.as_deref(),
            contact_id: self.contact_id.as_deref(),
            do_not_create_opportunity: self.do_not_create_opportunity,
            opportunity_name: self.opportunity_name.as_deref(),
            owner_user_id: self.owner_user_id.as_deref(),
            overwrite_lead_source: self.overwrite_lead_source,
        }
    }
}

/// The encrypted column behind a field of the plan.
fn pii_column(field: PiiField) -> PiiColumn {
    match field {
        PiiField::MobilePhone => pii::MOBILE_PHONE,
        PiiField::Email => pii::EMAIL,
        PiiField::WechatId => pii::WECHAT_ID,
    }
}

/// The lead's plaintext PII, opened here only to be resolved and re-sealed for the contact row.
fn open_lead_pii(pii: &Pii, lead: &lead::Model) -> AppResult<conversion::LeadPii> {
    let open = |field: PiiField, ct: &Option<String>| match ct.as_deref().filter(|c| !c.is_empty()) {
        Some(ct) => pii.open(LEAD.name, pii_column(field), &lead.lead_id, ct).map(Some),
        None => Ok(None),
    };
    Ok(conversion::LeadPii {
        mobile_phone: open(PiiField::MobilePhone, &lead.mobile_phone)?,
        email: open(PiiField::Email, &lead.email)?,
        wechat_id: open(PiiField::WechatId, &lead.wechat_id)?,
    })
}

async fn convert_in(
    txn: &DatabaseTransaction,
    pii: &Pii,
    actor: &Actor,
    input: &ConvertLead,
    cap: u64,
) -> AppResult<ConvertResult> {
    let request = input.request();
    let opportunity_name = conversion::check_request(&request)?;
    let at = now();
    // The claim is the transaction's first statement: SQLite takes its write lock before anything
    // is read (a read first would leave the loser of a race with a stale snapshot and an
    // SQLITE_BUSY), PostgreSQL locks the row so a concurrent conversion waits here and then finds
    // the lead no longer QUALIFIED. Every check below runs after it, inside the same transaction:
    // any refusal rolls the claim back with everything else.
    let claimed = claim(txn, &input.lead_id, at).await?;
    let mut rows =
        read::find_by::<lead::Model>(txn, &actor.access, LEAD, "lead_id", std::slice::from_ref(&input.lead_id)).await?;
    let lead = rows.pop().map(|(_, m)| m).ok_or_else(|| AppError::NotFound(format!("lead {}", input.lead_id)))?;
    if !claimed {
        lead_status::ensure_lead_editable(lead.lead_status)?;
        lead_status::may_convert(lead.lead_status)?;
        return Err(concurrent(LEAD.name, &lead.lead_id));
    }
    require_ref::<account::Entity>(txn, "accountId", input.account_id.as_deref()).await?;
    require_ref::<contact::Entity>(txn, "contactId", input.contact_id.as_deref()).await?;
    require_ref::<app_user::Entity>(txn, "ownerUserId", input.owner_user_id.as_deref()).await?;
    let identities = repo::identity::lead_identities(txn, &lead.lead_id).await?;
    let (facts, candidates) = facts(txn, pii, lead, &identities, &request, at, cap).await?;
    let lead_id = facts.lead.lead_id.clone();
    let plan = conversion::plan(facts, &request, opportunity_name)?;
    let plan = seal(pii, plan)?;
    apply(txn, plan, identities, candidates, &lead_id, at, input.dry_run).await
}

/// `UPDATE lead SET lead_status = 'CONVERTED', … WHERE lead_id = ? AND lead_status = 'QUALIFIED'`:
/// true when this conversion owns the lead (the `converted_*` ids follow once the records exist).
async fn claim(txn: &DatabaseTransaction, lead_id: &str, at: DateTime<Utc>) -> AppResult<bool> {
    let sets = vec![
        ("lead_status", Value::from(lead_status::lead_status_name(LeadStatus::Converted))),
        ("is_qualified", Value::from(true)),
        ("converted_at", Value::from(at)),
        ("updated_at", Value::from(at)),
    ];
    let expect = vec![("lead_status", Value::from(lead_status::lead_status_name(LeadStatus::Qualified)))];
    repo::write::update_where::<lead::Entity>(txn, lead_id, sets, expect).await
}

/// What the plan decides on: identity resolution, the linked contact and account, whether they are
/// related. Also the candidates, for the answer.
async fn facts(
    txn: &DatabaseTransaction,
    pii: &Pii,
    lead: lead::Model,
    identities: &[lead_channel_identity::Model],
    request: &conversion::Request<'_>,
    at: DateTime<Utc>,
    cap: u64,
) -> AppResult<(Facts, Vec<Candidate>)> {
    let plain = open_lead_pii(pii, &lead)?;
    // The lead's channel identities are keys too: a contact already holding one is this person
    // (linking it, rather than refusing the conversion when its identity is copied).
    let channel_identities: Vec<(String, String)> =
        identities.iter().map(|i| (i.channel_id.clone(), i.channel_user_id.clone())).collect();
    let keys = identity::PersonKeys {
        phone: plain.mobile_phone.as_deref(),
        email: plain.email.as_deref(),
        wechat_id: plain.wechat_id.as_deref(),
        channel_identities: &channel_identities,
    };
    let contact_match = identity::resolve_contact(txn, pii, keys, cap).await?;
    let account_match = identity::resolve_account(
        txn,
        conversion::lead_credit_code(&lead).as_deref(),
        lead.company_name.as_deref(),
        cap,
    )
    .await
    .map_err(|e| match e {
        AppError::BadUserInput(m) => AppError::bad_input(format!("the lead's customFields: {m}")),
        other => other,
    })?;

    // The existing contact, if any: given, or resolved.
    let contact = match request.contact_id {
        Some(id) => repo::write::find_by_id::<contact::Entity>(txn, id).await?,
        None => contact_match.contact.clone(),
    };
    let account =
        match conversion::account_to_link(request.account_id, account_match.account.is_some(), contact.as_ref(), &lead)
        {
            AccountToLink::Read(id) => repo::write::find_by_id::<account::Entity>(txn, id).await?,
            AccountToLink::Resolved => account_match.account.clone(),
            AccountToLink::New => None,
        };
    let related = match (&account, &contact) {
        (Some(a), Some(c)) => repo::identity::related(txn, &a.account_id, &c.contact_id).await?,
        _ => false,
    };
    let holders = conversion::Holders {
        mobile_phone: contact_match.holders(MatchKey::Phone).map(str::to_string).collect(),
        email: contact_match.holders(MatchKey::Email).map(str::to_string).collect(),
        credit_code: account_match.holders(MatchKey::CreditCode).map(str::to_string).collect(),
    };
    let ids = conversion::NewIds {
        account: new_id("ACC"),
        contact: new_id("CNT"),
        relation: new_id("ACR"),
        opportunity: new_id("OPP"),
    };
    let facts = Facts {
        lead,
        pii: plain,
        contact,
        account,
        related,
        credit_code: account_match.credit_code.as_ref().map(|c| c.as_str().to_string()),
        holders,
        ids,
        at,
    };
    let mut candidates = contact_match.candidates;
    candidates.extend(account_match.candidates);
    Ok((facts, candidates))
}

/// A fill ready to write: the columns it sets (PII sealed), the column that must still be empty,
/// and its line of the field diff.
struct Fill {
    sets: Vec<(&'static str, Value)>,
    guard: Option<&'static str>,
    field: &'static str,
    old: Option<String>,
    new: Option<String>,
}

/// The plan with its PII sealed for the rows it goes to.
struct Sealed {
    plan: Plan,
    account_fills: Vec<Fill>,
    contact_fills: Vec<Fill>,
}

fn seal(pii: &Pii, mut plan: Plan) -> AppResult<Sealed> {
    let seal_fills = |table: &str, id: &str, fills: Vec<conversion::Fill>| -> AppResult<Vec<Fill>> {
        let mut out = Vec::with_capacity(fills.len());
        for f in fills {
            let guard = f.only_if_empty.then_some(f.column);
            let (sets, new) = match f.value {
                FillValue::Text(value) => (vec![(f.column, Value::from(value.clone()))], Some(value)),
                FillValue::Pii(field, value) => {
                    let col = pii_column(field);
                    let sealed = pii.seal(table, col, id, &value)?;
                    let sets = vec![(col.column, Value::from(sealed.ciphertext)), (col.bidx, Value::from(sealed.bidx))];
                    (sets, Some(pii::mask(col.kind, &value)))
                }
            };
            out.push(Fill { sets, guard, field: f.field, old: f.old, new });
        }
        Ok(out)
    };
    let account_fills = match &mut plan.account {
        Target::Existing(a, fills) => {
            seal_fills(<account::Entity as Catalogued>::TABLE.name, &a.account_id, std::mem::take(fills))?
        }
        Target::New(_) => vec![],
    };
    let contact_fills = match &mut plan.contact {
        Target::Existing(c, fills) => seal_fills(CONTACT.name, &c.contact_id, std::mem::take(fills))?,
        Target::New(c) => {
            for (field, value) in &plan.contact_pii {
                let sealed = pii.seal(CONTACT.name, pii_column(*field), &c.contact_id, value)?;
                let (ct, bidx) = match field {
                    PiiField::MobilePhone => (&mut c.mobile_phone, &mut c.mobile_phone_bidx),
                    PiiField::Email => (&mut c.email, &mut c.email_bidx),
                    PiiField::WechatId => (&mut c.wechat_id, &mut c.wechat_id_bidx),
                };
                *ct = Some(sealed.ciphertext);
                *bidx = Some(sealed.bidx);
            }
            vec![]
        }
    };
    Ok(Sealed { plan, account_fills, contact_fills })
}

/// Fills the planned fields of an existing record in one `UPDATE`, guarded on them still being
/// empty. Returns the field diff.
async fn fill<E: EntityTrait>(
    txn: &DatabaseTransaction,
    fills: Vec<Fill>,
    entity: EntityType,
    id: &str,
    at: DateTime<Utc>,
) -> AppResult<Vec<FieldChange>> {
    if fills.is_empty() {
        return Ok(vec![]);
    }
    let mut sets = vec![("updated_at", Value::from(at))];
    let mut guards = Vec::new();
    let mut diff = Vec::new();
    for fill in fills {
        sets.extend(fill.sets);
        guards.extend(fill.guard);
        diff.push(FieldChange { entity, id: id.to_string(), field: fill.field, old: fill.old, new: fill.new });
    }
    if !repo::identity::update_if_empty::<E>(txn, id, sets, &guards).await? {
        return Err(concurrent(repo::write::table::<E>(), id));
    }
    Ok(diff)
}

async fn apply(
    txn: &DatabaseTransaction,
    sealed: Sealed,
    identities: Vec<entity::lead_channel_identity::Model>,
    candidates: Vec<Candidate>,
    lead_id: &str,
    at: DateTime<Utc>,
    dry_run: bool,
) -> AppResult<ConvertResult> {
    let Sealed { plan, account_fills, contact_fills } = sealed;
    let Plan { account, contact, relation, opportunity, .. } = plan;
    let account_id = account.model().account_id.clone();
    let contact_id = contact.model().contact_id.clone();
    let (account_created, contact_created) = (account.is_new(), contact.is_new());

    let mut field_diff = match account {
        Target::New(model) => {
            repo::write::insert_model(txn, model).await?;
            vec![]
        }
        Target::Existing(..) => {
            fill::<account::Entity>(txn, account_fills, EntityType::Account, &account_id, at).await?
        }
    };
    match contact {
        Target::New(model) => {
            repo::write::insert_model(txn, model).await?;
        }
        Target::Existing(..) => {
            field_diff.extend(fill::<contact::Entity>(txn, contact_fills, EntityType::Contact, &contact_id, at).await?);
        }
    }
    if let Some(relation) = relation {
        repo::write::insert_model(txn, relation).await?;
    }
    let opportunity_id = match opportunity {
        Some(opp) => Some(repo::write::insert_model(txn, opp).await?.opportunity_id),
        None => None,
    };

    let mut identities_linked = 0;
    for lci in identities {
        let existing = repo::identity::contact_identity(txn, &lci.channel_id, &lci.channel_user_id).await?;
        let row = conversion::identity_copy(&lci, &contact_id, existing.as_ref(), new_id("CCI"));
        if !repo::identity::upsert_contact_identity(txn, row).await? {
            return Err(conversion::identity_taken(&lci, existing.as_ref()).into());
        }
        identities_linked += 1;
    }
    let touchpoints_repointed =
        repo::identity::repoint_lead_rows::<touchpoint::Entity>(txn, lead_id, &contact_id, &account_id).await?;
    let events_repointed =
        repo::identity::repoint_lead_rows::<event::Entity>(txn, lead_id, &contact_id, &account_id).await?;

    let ids = vec![
        ("converted_contact_id", Value::from(contact_id.as_str())),
        ("converted_account_id", Value::from(account_id.as_str())),
        ("converted_opportunity_id", Value::from(opportunity_id.clone())),
    ];
    if !repo::write::update_where::<lead::Entity>(txn, lead_id, ids, vec![]).await? {
        return Err(concurrent(LEAD.name, lead_id));
    }

    let gone = || AppError::internal(format!("lead {lead_id}: a converted record vanished inside its transaction"));
    let lead = repo::write::find_by_id::<lead::Entity>(txn, lead_id).await?.ok_or_else(gone)?;
    let account = repo::write::find_by_id::<account::Entity>(txn, &account_id).await?.ok_or_else(gone)?;
    let contact = repo::write::find_by_id::<contact::Entity>(txn, &contact_id).await?.ok_or_else(gone)?;
    let opportunity = match &opportunity_id {
        Some(id) => Some(repo::write::find_by_id::<opportunity::Entity>(txn, id).await?.ok_or_else(gone)?),
        None => None,
    };
    Ok(ConvertResult {
        lead,
        account,
        contact,
        opportunity,
        account_created,
        contact_created,
        dry_run,
        field_diff,
        candidates,
        identities_linked,
        touchpoints_repointed,
        events_repointed,
    })
}
