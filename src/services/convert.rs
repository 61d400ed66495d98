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
//!    (`BAD_USER_INPUT` naming the field); then identity resolution ([`identity`]) and the plan:
//!    which account and contact are created or linked, which empty fields of existing records are
//!    filled, the relation, the opportunity.
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
//! Decisions:
//! - Account: `accountId`, else identity resolution (credit code — read from the lead's
//!   `customFields.unifiedSocialCreditCode`, leads have no such column — then exact company name),
//!   else, when the lead names no company, the resolved contact's primary account, else a new
//!   PROSPECT account named after the company (or the lead). Contact: `contactId` (needs
//!   `accountId`, as in Salesforce, and must belong to it through `primary_account_id` or an
//!   `account_contact_relation`), else identity resolution (phone → e-mail → WeChat id), else a new
//!   contact. A contact found by identity may belong to another account: it is linked to this one
//!   too (a person can work with several accounts).
//! - Merging into existing records fills EMPTY (NULL or `''`) fields only and never overwrites
//!   (the update is guarded on the fields still being empty; a concurrent fill is `CONFLICT`).
//!   Account: `industry_id`, `province`, `city`, `account_source` (lead source),
//!   `primary_channel_id`, `unified_social_credit_code`. Contact: `job_title`, `mobile_phone`,
//!   `email`, `wechat_id` (re-sealed for the contact row: ciphertexts are bound to their row),
//!   `primary_account_id`, `primary_channel_id`, `contact_source`; `overwriteLeadSource` replaces
//!   `contact_source`. Owners of existing records are left alone. A phone or e-mail that another
//!   contact already holds (both are unique) is not copied to a new or existing contact.
//! - Owner: `ownerUserId`, else the lead's owner; it owns every new record.
//! - New records: the contact's lifecycle stage is OPPORTUNITY (or SQL without an opportunity);
//!   the relation is the account's primary contact when the account is new; the opportunity is
//!   QUALIFICATION at the stage's default probability, source LEAD_CONVERSION, type NEW_BUSINESS
//!   for a new account, with the lead's campaign, named `opportunityName` or the company (or the
//!   lead) name, at most 200 characters.
//! - Channel identities: each `lead_channel_identity` becomes a `contact_channel_identity` of the
//!   contact, upserted on `(channel_id, channel_user_id)` in one guarded statement: a new identity
//!   is inserted with `first_seen_at`/`last_seen_at` = the capture time; one the contact already
//!   has widens its seen window; one that belongs to another contact is `CONFLICT` (convert into
//!   that contact, or merge the two, first).
//! - Touchpoints and events carrying the lead id get the contact and account where they have none.
//! - The field diff lists, for existing records, every filled or overwritten field as old → new,
//!   PII masked. Candidates are every contact and account a key matched, with the key.

use chrono::{DateTime, Utc};
use entity::enums::{
    AccountStatus, AccountType, ContactLifecycleStage, ContactStatus, EntityType, LeadStatus, OpportunitySource,
    OpportunityStage, OpportunityType, RelationshipStatus,
};
use entity::{
    account, account_contact_relation, contact, contact_channel_identity, lead, lead_channel_identity, opportunity,
};
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, TransactionTrait, Value,
};

use crate::domain::value::BoundedText;
use crate::domain::{lead_status, opportunity_stage};
use crate::error::{AppError, AppResult};
use crate::pubsub::DomainEvent;
use crate::repo::{self, summary::Summary};
use crate::services::identity::{self, Candidate, MatchKey};
use crate::services::pii::{self, Pii, PiiColumn};
use crate::services::read;
use crate::services::tx::{Store, Write};
use crate::services::write::{Actor, new_id, now, require_ref};

/// `opportunity.opportunity_name` is `varchar(200)`.
pub const OPPORTUNITY_NAME_MAX_CHARS: usize = 200;
/// Inputs of one `convertLeads` call.
pub const MAX_BATCH: usize = 100;

const LEAD: repo::page::Table = repo::page::Table { name: "lead", pk: "lead_id" };

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
    w.stale(|s| {
        s.add(Summary::Account, Some(&r.account.account_id));
        s.add(Summary::Contact, Some(&r.contact.contact_id));
        s.add(Summary::Lead, Some(&r.lead.lead_id));
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

/// The input's own rules, before anything is read.
fn check_input(input: &ConvertLead) -> AppResult<Option<String>> {
    if input.do_not_create_opportunity && input.opportunity_name.is_some() {
        return Err(AppError::bad_input("opportunityName: must not be given together with doNotCreateOpportunity"));
    }
    if input.overwrite_lead_source && input.contact_id.is_none() {
        return Err(AppError::bad_input("overwriteLeadSource: needs contactId (the contact whose source it replaces)"));
    }
    if input.contact_id.is_some() && input.account_id.is_none() {
        return Err(AppError::bad_input("contactId: needs accountId (the account the contact belongs to)"));
    }
    let name = input
        .opportunity_name
        .as_deref()
        .map(|raw| BoundedText::required("opportunityName", raw, OPPORTUNITY_NAME_MAX_CHARS))
        .transpose()?;
    Ok(name.map(BoundedText::into_inner))
}

/// A record the conversion links or creates.
enum Target<M> {
    New(M),
    Existing(M, Vec<Fill>),
}

impl<M> Target<M> {
    fn model(&self) -> &M {
        match self {
            Target::New(m) | Target::Existing(m, _) => m,
        }
    }

    fn is_new(&self) -> bool {
        matches!(self, Target::New(_))
    }
}

/// One field filled on an existing record.
struct Fill {
    field: &'static str,
    sets: Vec<(&'static str, Value)>,
    /// The column that must still be empty (None: `overwriteLeadSource`).
    guard: Option<&'static str>,
    old: Option<String>,
    new: Option<String>,
}

struct Plan {
    lead: lead::Model,
    at: DateTime<Utc>,
    account: Target<account::Model>,
    contact: Target<contact::Model>,
    relation: Option<account_contact_relation::Model>,
    opportunity: Option<opportunity::Model>,
    identities: Vec<lead_channel_identity::Model>,
    candidates: Vec<Candidate>,
}

fn is_empty(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(str::is_empty)
}

fn non_empty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// A fill of a plain text column when it is empty and the lead has a value.
fn fill_text(
    fills: &mut Vec<Fill>,
    field: &'static str,
    column: &'static str,
    current: &Option<String>,
    from: &Option<String>,
) {
    if is_empty(current)
        && let Some(value) = non_empty(from)
    {
        fills.push(Fill {
            field,
            sets: vec![(column, Value::from(value))],
            guard: Some(column),
            old: current.clone(),
            new: Some(value.to_string()),
        });
    }
}

/// A fill of an enum column (stored as its string) when it is empty.
fn fill_enum<E: ActiveEnum<Value = String>>(
    fills: &mut Vec<Fill>,
    field: &'static str,
    column: &'static str,
    current: &Option<E>,
    from: &E,
) {
    if current.is_none() {
        fills.push(Fill {
            field,
            sets: vec![(column, Value::from(from.to_value()))],
            guard: Some(column),
            old: None,
            new: Some(from.to_value()),
        });
    }
}

/// The lead's plaintext PII, opened here only to be resolved and re-sealed for the contact row.
struct LeadPii {
    phone: Option<String>,
    email: Option<String>,
    wechat_id: Option<String>,
}

impl LeadPii {
    fn open(pii: &Pii, lead: &lead::Model) -> AppResult<LeadPii> {
        let open = |col: PiiColumn, ct: &Option<String>| match ct.as_deref().filter(|c| !c.is_empty()) {
            Some(ct) => pii.open("lead", col, &lead.lead_id, ct).map(Some),
            None => Ok(None),
        };
        Ok(LeadPii {
            phone: open(pii::MOBILE_PHONE, &lead.mobile_phone)?,
            email: open(pii::EMAIL, &lead.email)?,
            wechat_id: open(pii::WECHAT_ID, &lead.wechat_id)?,
        })
    }

    fn columns(&self) -> [(PiiColumn, MatchKey, &Option<String>); 3] {
        [
            (pii::MOBILE_PHONE, MatchKey::Phone, &self.phone),
            (pii::EMAIL, MatchKey::Email, &self.email),
            (pii::WECHAT_ID, MatchKey::WechatId, &self.wechat_id),
        ]
    }
}

/// Whether a contact may take the lead's value of `col`: phones and e-mails are unique among
/// contacts, so not when another contact holds it already.
fn may_take(matched: &identity::ContactMatch, col: PiiColumn, key: MatchKey, contact_id: &str) -> bool {
    col == pii::WECHAT_ID || matched.holders(key).all(|holder| holder == contact_id)
}

/// The credit code a lead carries in its custom fields, if any (leads have no such column).
fn lead_credit_code(lead: &lead::Model) -> Option<String> {
    let fields = lead.custom_fields.as_ref()?;
    ["unifiedSocialCreditCode", "unified_social_credit_code"]
        .iter()
        .find_map(|k| fields.get(k).and_then(|v| v.as_str()).map(str::to_string))
}

async fn convert_in(
    txn: &DatabaseTransaction,
    pii: &Pii,
    actor: &Actor,
    input: &ConvertLead,
    cap: u64,
) -> AppResult<ConvertResult> {
    let opportunity_name = check_input(input)?;
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
        return Err(concurrent("lead", &lead.lead_id));
    }
    require_ref(txn, "accountId", "account", "account_id", input.account_id.as_deref()).await?;
    require_ref(txn, "contactId", "contact", "contact_id", input.contact_id.as_deref()).await?;
    require_ref(txn, "ownerUserId", "app_user", "user_id", input.owner_user_id.as_deref()).await?;
    let plan = plan(txn, pii, lead, input, opportunity_name, at, cap).await?;
    apply(txn, plan, input.dry_run).await
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
    repo::write::update_where(txn, "lead", "lead_id", lead_id, sets, expect).await
}

async fn plan(
    txn: &DatabaseTransaction,
    pii: &Pii,
    lead: lead::Model,
    input: &ConvertLead,
    opportunity_name: Option<String>,
    at: DateTime<Utc>,
    cap: u64,
) -> AppResult<Plan> {
    let owner = input.owner_user_id.clone().or_else(|| lead.owner_user_id.clone());
    let plain = LeadPii::open(pii, &lead)?;
    let contact_match = identity::resolve_contact(
        txn,
        pii,
        plain.phone.as_deref(),
        plain.email.as_deref(),
        plain.wechat_id.as_deref(),
        cap,
    )
    .await?;
    let account_match =
        identity::resolve_account(txn, lead_credit_code(&lead).as_deref(), lead.company_name.as_deref(), cap)
            .await
            .map_err(|e| match e {
                AppError::BadUserInput(m) => AppError::bad_input(format!("the lead's customFields: {m}")),
                other => other,
            })?;
    let company = non_empty(&lead.company_name).map(str::to_string);

    // The existing contact, if any: given, or resolved.
    let existing_contact = match &input.contact_id {
        Some(id) => contact::Entity::find_by_id(id.as_str()).one(txn).await?,
        None => contact_match.contact.clone(),
    };
    // The existing account, if any: given, resolved, or (no company named) the contact's own.
    let existing_account = match (&input.account_id, &account_match.account, &existing_contact) {
        (Some(id), _, _) => account::Entity::find_by_id(id.as_str()).one(txn).await?,
        (None, Some(found), _) => Some(found.clone()),
        (None, None, Some(c)) if company.is_none() => match &c.primary_account_id {
            Some(id) => account::Entity::find_by_id(id.as_str()).one(txn).await?,
            None => None,
        },
        _ => None,
    };
    let account_id = existing_account.as_ref().map_or_else(|| new_id("ACC"), |a| a.account_id.clone());
    let contact_id = existing_contact.as_ref().map_or_else(|| new_id("CNT"), |c| c.contact_id.clone());

    // A given contact must belong to the given account.
    let related = match (&existing_account, &existing_contact) {
        (Some(a), Some(c)) => {
            account_contact_relation::Entity::find()
                .filter(account_contact_relation::Column::AccountId.eq(a.account_id.as_str()))
                .filter(account_contact_relation::Column::ContactId.eq(c.contact_id.as_str()))
                .count(txn)
                .await?
                > 0
        }
        _ => false,
    };
    if let (Some(_), Some(c)) = (&input.contact_id, &existing_contact)
        && !related
        && c.primary_account_id.as_deref() != Some(account_id.as_str())
    {
        return Err(AppError::bad_input(format!(
            "contactId: contact {} does not belong to account {account_id}",
            c.contact_id
        )));
    }

    let create_opportunity = !input.do_not_create_opportunity;
    let account = match existing_account {
        Some(a) => {
            let mut fills = Vec::new();
            fill_text(&mut fills, "industryId", "industry_id", &a.industry_id, &lead.industry_id);
            fill_text(&mut fills, "province", "province", &a.province, &lead.province);
            fill_text(&mut fills, "city", "city", &a.city, &lead.city);
            fill_enum(&mut fills, "accountSource", "account_source", &a.account_source, &lead.lead_source);
            fill_text(&mut fills, "primaryChannelId", "primary_channel_id", &a.primary_channel_id, &lead.channel_id);
            if account_match.holders(MatchKey::CreditCode).all(|h| h == a.account_id) {
                let code = account_match.credit_code.as_ref().map(|c| c.as_str().to_string());
                fill_text(
                    &mut fills,
                    "unifiedSocialCreditCode",
                    "unified_social_credit_code",
                    &a.unified_social_credit_code,
                    &code,
                );
            }
            Target::Existing(a, fills)
        }
        None => Target::New(account::Model {
            account_id: account_id.clone(),
            account_name: company.clone().unwrap_or_else(|| lead.lead_name.clone()),
            unified_social_credit_code: account_match
                .credit_code
                .as_ref()
                .filter(|_| account_match.holders(MatchKey::CreditCode).next().is_none())
                .map(|c| c.as_str().to_string()),
            account_type: AccountType::Prospect,
            industry_id: lead.industry_id.clone(),
            account_status: AccountStatus::Active,
            account_level: None,
            annual_revenue: None,
            employee_count: None,
            company_website: None,
            company_address: None,
            province: lead.province.clone(),
            city: lead.city.clone(),
            district: None,
            account_source: Some(lead.lead_source),
            primary_channel_id: lead.channel_id.clone(),
            owner_user_id: owner.clone(),
            created_at: at,
            updated_at: at,
            custom_fields: None,
            lifecycle_stage: None,
            merged_into_id: None,
        }),
    };

    let contact = match existing_contact {
        Some(c) => {
            let mut fills = Vec::new();
            fill_text(&mut fills, "jobTitle", "job_title", &c.job_title, &lead.job_title);
            let current = [&c.mobile_phone, &c.email, &c.wechat_id];
            for ((col, key, value), current) in plain.columns().into_iter().zip(current) {
                if let Some(value) = non_empty(value)
                    && is_empty(current)
                    && may_take(&contact_match, col, key, &c.contact_id)
                {
                    let sealed = pii.seal("contact", col, &c.contact_id, value)?;
                    fills.push(Fill {
                        field: pii::graphql_name(col),
                        sets: vec![(col.column, Value::from(sealed.ciphertext)), (col.bidx, Value::from(sealed.bidx))],
                        guard: Some(col.column),
                        old: None,
                        new: Some(pii::mask(col.kind, value)),
                    });
                }
            }
            fill_text(
                &mut fills,
                "primaryAccountId",
                "primary_account_id",
                &c.primary_account_id,
                &Some(account_id.clone()),
            );
            fill_text(&mut fills, "primaryChannelId", "primary_channel_id", &c.primary_channel_id, &lead.channel_id);
            if input.overwrite_lead_source {
                if c.contact_source != Some(lead.lead_source) {
                    fills.push(Fill {
                        field: "contactSource",
                        sets: vec![("contact_source", Value::from(lead.lead_source.to_value()))],
                        guard: None,
                        old: c.contact_source.map(|s| s.to_value()),
                        new: Some(lead.lead_source.to_value()),
                    });
                }
            } else {
                fill_enum(&mut fills, "contactSource", "contact_source", &c.contact_source, &lead.lead_source);
            }
            Target::Existing(c, fills)
        }
        None => {
            let mut c = contact::Model {
                contact_id: contact_id.clone(),
                contact_name: lead.lead_name.clone(),
                mobile_phone: None,
                mobile_phone_bidx: None,
                email: None,
                email_bidx: None,
                wechat_id: None,
                wechat_id_bidx: None,
                job_title: lead.job_title.clone(),
                department: None,
                contact_status: ContactStatus::Active,
                primary_account_id: Some(account_id.clone()),
                contact_source: Some(lead.lead_source),
                primary_channel_id: lead.channel_id.clone(),
                owner_user_id: owner.clone(),
                created_at: at,
                updated_at: at,
                custom_fields: None,
                lifecycle_stage: Some(if create_opportunity {
                    ContactLifecycleStage::Opportunity
                } else {
                    ContactLifecycleStage::Sql
                }),
                is_decision_maker: false,
                is_verified: false,
                merged_into_id: None,
            };
            for (col, key, value) in plain.columns() {
                if let Some(value) = non_empty(value)
                    && may_take(&contact_match, col, key, &contact_id)
                {
                    let sealed = pii.seal("contact", col, &contact_id, value)?;
                    let (ct, bidx) = match key {
                        MatchKey::Phone => (&mut c.mobile_phone, &mut c.mobile_phone_bidx),
                        MatchKey::Email => (&mut c.email, &mut c.email_bidx),
                        _ => (&mut c.wechat_id, &mut c.wechat_id_bidx),
                    };
                    *ct = Some(sealed.ciphertext);
                    *bidx = Some(sealed.bidx);
                }
            }
            Target::New(c)
        }
    };

    let relation = (account.is_new() || contact.is_new() || !related).then(|| account_contact_relation::Model {
        relation_id: new_id("ACR"),
        account_id: account_id.clone(),
        contact_id: contact_id.clone(),
        role_in_account: non_empty(&lead.job_title).map(str::to_string),
        decision_level: None,
        is_primary_contact: account.is_new(),
        relationship_status: Some(RelationshipStatus::Active),
        relation_start_date: Some(at.date_naive()),
        relation_end_date: None,
        created_at: at,
        updated_at: at,
    });

    let opportunity = create_opportunity.then(|| {
        let name = opportunity_name.unwrap_or_else(|| {
            company.clone().unwrap_or_else(|| lead.lead_name.clone()).chars().take(OPPORTUNITY_NAME_MAX_CHARS).collect()
        });
        opportunity::Model {
            opportunity_id: new_id("OPP"),
            opportunity_name: name,
            account_id: account_id.clone(),
            primary_contact_id: Some(contact_id.clone()),
            lead_id: Some(lead.lead_id.clone()),
            opportunity_type: account.is_new().then_some(OpportunityType::NewBusiness),
            opportunity_source: Some(OpportunitySource::LeadConversion),
            amount: None,
            currency: None,
            stage: OpportunityStage::Qualification,
            probability: opportunity_stage::default_probability(OpportunityStage::Qualification),
            expected_close_date: None,
            actual_close_date: None,
            close_reason: None,
            owner_user_id: owner.clone(),
            product_ids: None,
            campaign_id: lead.campaign_id.clone(),
            created_at: at,
            updated_at: at,
            custom_fields: None,
            days_in_stage: 0,
            is_won: false,
            is_lost: false,
        }
    });

    let identities = lead_channel_identity::Entity::find()
        .filter(lead_channel_identity::Column::LeadId.eq(lead.lead_id.as_str()))
        .order_by_asc(lead_channel_identity::Column::CapturedAt)
        .order_by_asc(lead_channel_identity::Column::IdentityId)
        .all(txn)
        .await?;
    let mut candidates = contact_match.candidates;
    candidates.extend(account_match.candidates);
    Ok(Plan { lead, at, account, contact, relation, opportunity, identities, candidates })
}

/// Fills the planned fields of an existing record in one `UPDATE`, guarded on them still being
/// empty. Returns the field diff.
async fn fill(
    txn: &DatabaseTransaction,
    fills: Vec<Fill>,
    entity: EntityType,
    (table, pk): (&'static str, &'static str),
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
    if !repo::identity::update_if_empty(txn, table, pk, id, sets, &guards).await? {
        return Err(concurrent(table, id));
    }
    Ok(diff)
}

async fn apply(txn: &DatabaseTransaction, plan: Plan, dry_run: bool) -> AppResult<ConvertResult> {
    let Plan { lead, at, account, contact, relation, opportunity, identities, candidates } = plan;
    let lead_id = lead.lead_id.clone();
    let account_id = account.model().account_id.clone();
    let contact_id = contact.model().contact_id.clone();
    let (account_created, contact_created) = (account.is_new(), contact.is_new());

    let mut field_diff = match account {
        Target::New(model) => {
            model.into_active_model().insert(txn).await?;
            vec![]
        }
        Target::Existing(_, fills) => {
            fill(txn, fills, EntityType::Account, ("account", "account_id"), &account_id, at).await?
        }
    };
    match contact {
        Target::New(model) => {
            model.into_active_model().insert(txn).await?;
        }
        Target::Existing(_, fills) => {
            field_diff.extend(fill(txn, fills, EntityType::Contact, ("contact", "contact_id"), &contact_id, at).await?);
        }
    }
    if let Some(relation) = relation {
        relation.into_active_model().insert(txn).await?;
    }
    let opportunity_id = match opportunity {
        Some(opp) => Some(opp.into_active_model().insert(txn).await?.opportunity_id),
        None => None,
    };

    let mut identities_linked = 0;
    for lci in identities {
        let existing = contact_channel_identity::Entity::find()
            .filter(contact_channel_identity::Column::ChannelId.eq(lci.channel_id.as_str()))
            .filter(contact_channel_identity::Column::ChannelUserId.eq(lci.channel_user_id.as_str()))
            .one(txn)
            .await?;
        let seen = lci.captured_at;
        let (first, last) = match &existing {
            Some(e) => (
                Some(e.first_seen_at.map_or(seen, |f| f.min(seen))),
                Some(e.last_seen_at.map_or(seen, |l| l.max(seen))),
            ),
            None => (Some(seen), Some(seen)),
        };
        let row = contact_channel_identity::Model {
            identity_id: new_id("CCI"),
            contact_id: contact_id.clone(),
            channel_id: lci.channel_id.clone(),
            channel_user_id: lci.channel_user_id.clone(),
            identity_type: None,
            is_primary: false,
            is_verified: false,
            first_seen_at: first,
            last_seen_at: last,
            additional_info: lci.additional_info.clone(),
        };
        if !repo::identity::upsert_contact_identity(txn, row).await? {
            let owner = existing.map(|e| e.contact_id).unwrap_or_else(|| "another contact".into());
            return Err(AppError::Conflict(format!(
                "the lead's identity in channel {} belongs to contact {owner}; convert into that contact or merge \
                 the two first",
                lci.channel_id
            )));
        }
        identities_linked += 1;
    }
    let touchpoints_repointed =
        repo::identity::repoint_lead_rows(txn, "touchpoint", &lead_id, &contact_id, &account_id).await?;
    let events_repointed = repo::identity::repoint_lead_rows(txn, "event", &lead_id, &contact_id, &account_id).await?;

    let ids = vec![
        ("converted_contact_id", Value::from(contact_id.as_str())),
        ("converted_account_id", Value::from(account_id.as_str())),
        ("converted_opportunity_id", Value::from(opportunity_id.clone())),
    ];
    if !repo::write::update_where(txn, "lead", "lead_id", &lead_id, ids, vec![]).await? {
        return Err(concurrent("lead", &lead_id));
    }

    let gone = || AppError::internal(format!("lead {lead_id}: a converted record vanished inside its transaction"));
    let lead = lead::Entity::find_by_id(lead_id.as_str()).one(txn).await?.ok_or_else(gone)?;
    let account = account::Entity::find_by_id(account_id.as_str()).one(txn).await?.ok_or_else(gone)?;
    let contact = contact::Entity::find_by_id(contact_id.as_str()).one(txn).await?.ok_or_else(gone)?;
    let opportunity = match &opportunity_id {
        Some(id) => Some(opportunity::Entity::find_by_id(id.as_str()).one(txn).await?.ok_or_else(gone)?),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> ConvertLead {
        ConvertLead { lead_id: "LEAD_1".into(), ..ConvertLead::default() }
    }

    #[test]
    fn an_opportunity_name_with_do_not_create_opportunity_is_refused() {
        let e = check_input(&ConvertLead {
            do_not_create_opportunity: true,
            opportunity_name: Some("Deal".into()),
            ..input()
        })
        .unwrap_err();
        assert_eq!(e.code(), "BAD_USER_INPUT");
        assert!(e.message().starts_with("opportunityName:"), "{e:?}");
    }

    #[test]
    fn an_opportunity_name_is_trimmed_bounded_and_not_blank() {
        assert_eq!(
            check_input(&ConvertLead { opportunity_name: Some(" Deal ".into()), ..input() }).unwrap().as_deref(),
            Some("Deal")
        );
        let long = "商".repeat(OPPORTUNITY_NAME_MAX_CHARS + 1);
        let e = check_input(&ConvertLead { opportunity_name: Some(long), ..input() }).unwrap_err();
        assert!(e.message().contains("opportunityName"), "{e:?}");
        let e = check_input(&ConvertLead { opportunity_name: Some("  ".into()), ..input() }).unwrap_err();
        assert_eq!(e.code(), "BAD_USER_INPUT");
        assert_eq!(check_input(&input()).unwrap(), None);
    }

    #[test]
    fn overwrite_lead_source_needs_a_contact_and_a_contact_needs_its_account() {
        let e = check_input(&ConvertLead { overwrite_lead_source: true, ..input() }).unwrap_err();
        assert!(e.message().starts_with("overwriteLeadSource:"), "{e:?}");
        let e = check_input(&ConvertLead { contact_id: Some("CNT_1".into()), ..input() }).unwrap_err();
        assert!(e.message().starts_with("contactId:"), "{e:?}");
        let ok = ConvertLead {
            contact_id: Some("CNT_1".into()),
            account_id: Some("ACC_1".into()),
            overwrite_lead_source: true,
            ..input()
        };
        assert!(check_input(&ok).is_ok());
    }

    #[test]
    fn only_empty_fields_are_filled() {
        let mut fills = Vec::new();
        fill_text(&mut fills, "city", "city", &Some("上海".into()), &Some("北京".into()));
        fill_text(&mut fills, "province", "province", &Some(String::new()), &Some("北京".into()));
        fill_text(&mut fills, "jobTitle", "job_title", &None, &Some("  ".into()));
        fill_enum(
            &mut fills,
            "contactSource",
            "contact_source",
            &Some(entity::enums::SourceType::Form),
            &entity::enums::SourceType::Website,
        );
        fill_enum(&mut fills, "accountSource", "account_source", &None, &entity::enums::SourceType::Website);
        let filled: Vec<(&str, Option<&str>)> = fills.iter().map(|f| (f.field, f.new.as_deref())).collect();
        assert_eq!(filled, vec![("province", Some("北京")), ("accountSource", Some("WEBSITE"))]);
        assert!(fills.iter().all(|f| f.guard.is_some()));
    }

    #[test]
    fn a_credit_code_is_read_from_the_lead_custom_fields() {
        let mut lead: lead::Model = serde_json::from_value(serde_json::json!({
            "lead_id": "LEAD_1", "lead_name": "张伟", "company_name": null, "mobile_phone": null,
            "mobile_phone_bidx": null, "email": null, "email_bidx": null, "wechat_id": null,
            "wechat_id_bidx": null, "job_title": null, "lead_source": "WEBSITE", "channel_id": null,
            "campaign_id": null, "lead_status": "QUALIFIED", "lead_score": 0, "lead_grade": null,
            "industry_id": null, "province": null, "city": null, "owner_user_id": null,
            "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
            "last_contacted_at": null, "converted_at": null, "converted_contact_id": null,
            "converted_account_id": null, "converted_opportunity_id": null, "custom_fields": null,
            "is_qualified": true
        }))
        .unwrap();
        assert_eq!(lead_credit_code(&lead), None);
        lead.custom_fields = Some(serde_json::json!({ "unifiedSocialCreditCode": "91110000MA01ABCD1X" }));
        assert_eq!(lead_credit_code(&lead).as_deref(), Some("91110000MA01ABCD1X"));
    }
}
