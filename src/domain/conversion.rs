//! The decisions of lead conversion (docs/design.md §6 "Lead conversion"), pure: the service
//! (`services/convert.rs`) reads the facts — the lead and its opened PII, the given or resolved
//! contact and account, whether they are related, who holds the lead's unique keys — and
//! [`plan`] says what becomes of them; the service then seals PII and writes.
//!
//! Rules (the workflow around them — claim, checks, writes, dry run — is `services/convert.rs`'s):
//! - **Input** ([`check_request`]): `opportunityName` not with `doNotCreateOpportunity`, trimmed,
//!   1–[`OPPORTUNITY_NAME_MAX_CHARS`] characters; `overwriteLeadSource` needs `contactId`, which
//!   needs `accountId` (as in Salesforce).
//! - **Account** ([`account_to_link`]): `accountId`, else identity resolution (credit code — read
//!   from the lead's `customFields.unifiedSocialCreditCode` ([`lead_credit_code`]), leads have no
//!   such column — then exact company name), else, when the lead names no company, the resolved
//!   contact's primary account, else a new PROSPECT account named after the company (or the lead),
//!   with the credit code unless another account holds it.
//! - **Contact**: `contactId` (it must belong to the account through `primary_account_id` or an
//!   `account_contact_relation`), else identity resolution (phone → e-mail → WeChat id), else a
//!   new contact. A contact found by identity may belong to another account: it is linked to this
//!   one too (a person can work with several accounts).
//! - **Fill-empty-only**: existing records take the lead's values in EMPTY (NULL or `''`) fields
//!   only and are never overwritten. Account: `industry_id`, `province`, `city`, `account_source`
//!   (lead source), `primary_channel_id`, `unified_social_credit_code` (unless another account
//!   holds it). Contact: `job_title`, `mobile_phone`, `email`, `wechat_id`, `primary_account_id`,
//!   `primary_channel_id`, `contact_source`; `overwriteLeadSource` replaces `contact_source`. A
//!   phone or e-mail that another contact already holds (both are unique) is not copied to a new
//!   or existing contact.
//! - **Owner**: `ownerUserId`, else the lead's owner; it owns every new record. Owners of existing
//!   records are left alone.
//! - **New records**: the contact's lifecycle stage is OPPORTUNITY (or SQL without an
//!   opportunity); a relation unless the account and contact were related already, the account's
//!   primary contact when the account is new; the opportunity is QUALIFICATION at the stage's
//!   default probability, source LEAD_CONVERSION, type NEW_BUSINESS for a new account, with the
//!   lead's campaign, named [`opportunity_name`].
//! - **Identities** ([`identity_copy`]): a new identity is seen from its capture time; one the
//!   contact already has widens its seen window; one that belongs to another contact is a conflict
//!   ([`identity_taken`]: convert into that contact, or merge the two, first).

use chrono::{DateTime, Utc};
use entity::enums::{
    AccountStatus, AccountType, ContactLifecycleStage, ContactStatus, OpportunitySource, OpportunityStage,
    OpportunityType, RelationshipStatus,
};
use entity::{
    account, account_contact_relation, contact, contact_channel_identity, lead, lead_channel_identity, opportunity,
};
use sea_orm::ActiveEnum;

use super::error::DomainError;
use super::opportunity_stage;
use super::value::BoundedText;

/// `opportunity.opportunity_name` is `varchar(200)`.
pub const OPPORTUNITY_NAME_MAX_CHARS: usize = 200;

/// The parts of a `convertLead` input the rules read.
#[derive(Clone, Copy, Debug, Default)]
pub struct Request<'a> {
    pub account_id: Option<&'a str>,
    pub contact_id: Option<&'a str>,
    pub do_not_create_opportunity: bool,
    pub opportunity_name: Option<&'a str>,
    pub owner_user_id: Option<&'a str>,
    pub overwrite_lead_source: bool,
}

/// The input's own rules, before anything is read. Returns the opportunity name, trimmed.
pub fn check_request(r: &Request<'_>) -> Result<Option<String>, DomainError> {
    if r.do_not_create_opportunity && r.opportunity_name.is_some() {
        return Err(DomainError::refused("opportunityName", "must not be given together with doNotCreateOpportunity"));
    }
    if r.overwrite_lead_source && r.contact_id.is_none() {
        return Err(DomainError::refused(
            "overwriteLeadSource",
            "needs contactId (the contact whose source it replaces)",
        ));
    }
    if r.contact_id.is_some() && r.account_id.is_none() {
        return Err(DomainError::refused("contactId", "needs accountId (the account the contact belongs to)"));
    }
    let name = r
        .opportunity_name
        .map(|raw| BoundedText::required("opportunityName", raw, OPPORTUNITY_NAME_MAX_CHARS))
        .transpose()?;
    Ok(name.map(BoundedText::into_inner))
}

/// The credit code a lead carries in its custom fields, if any (leads have no such column).
pub fn lead_credit_code(lead: &lead::Model) -> Option<String> {
    let fields = lead.custom_fields.as_ref()?;
    ["unifiedSocialCreditCode", "unified_social_credit_code"]
        .iter()
        .find_map(|k| fields.get(k).and_then(|v| v.as_str()).map(str::to_string))
}

/// The company the lead names, trimmed; `None` when blank.
pub fn company(lead: &lead::Model) -> Option<String> {
    non_empty(&lead.company_name).map(str::to_string)
}

/// Where the account to link comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AccountToLink<'a> {
    /// The account with this id (given, or the contact's primary account): read it.
    Read(&'a str),
    /// The one identity resolution found.
    Resolved,
    /// None: a new account.
    New,
}

/// Which account the conversion links: `accountId`, else the resolved one, else — when the lead
/// names no company — the contact's primary account.
pub fn account_to_link<'a>(
    given: Option<&'a str>,
    resolved: bool,
    contact: Option<&'a contact::Model>,
    lead: &lead::Model,
) -> AccountToLink<'a> {
    match (given, resolved, contact) {
        (Some(id), _, _) => AccountToLink::Read(id),
        (None, true, _) => AccountToLink::Resolved,
        (None, false, Some(c)) if company(lead).is_none() => {
            c.primary_account_id.as_deref().map_or(AccountToLink::New, AccountToLink::Read)
        }
        _ => AccountToLink::New,
    }
}

/// The encrypted columns a contact takes from the lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PiiField {
    MobilePhone,
    Email,
    WechatId,
}

impl PiiField {
    /// The field's API name.
    pub fn field(self) -> &'static str {
        match self {
            PiiField::MobilePhone => "mobilePhone",
            PiiField::Email => "email",
            PiiField::WechatId => "wechatId",
        }
    }

    /// The ciphertext column.
    pub fn column(self) -> &'static str {
        match self {
            PiiField::MobilePhone => "mobile_phone",
            PiiField::Email => "email",
            PiiField::WechatId => "wechat_id",
        }
    }
}

/// The lead's PII in plaintext (the service opens it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeadPii {
    pub mobile_phone: Option<String>,
    pub email: Option<String>,
    pub wechat_id: Option<String>,
}

impl LeadPii {
    fn fields(&self) -> [(PiiField, &Option<String>); 3] {
        [
            (PiiField::MobilePhone, &self.mobile_phone),
            (PiiField::Email, &self.email),
            (PiiField::WechatId, &self.wechat_id),
        ]
    }
}

/// Ids of records the lead's unique keys matched (identity resolution's candidates per key).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Holders {
    pub mobile_phone: Vec<String>,
    pub email: Vec<String>,
    pub credit_code: Vec<String>,
}

impl Holders {
    /// Whether `contact_id` may take the lead's value of `field`: phones and e-mails are unique
    /// among contacts, so not when another contact holds it already.
    fn contact_may_take(&self, field: PiiField, contact_id: &str) -> bool {
        let holders = match field {
            PiiField::MobilePhone => &self.mobile_phone,
            PiiField::Email => &self.email,
            PiiField::WechatId => return true,
        };
        holders.iter().all(|h| h == contact_id)
    }
}

/// Ids for the records a conversion may create (unused ones are dropped).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewIds {
    pub account: String,
    pub contact: String,
    pub relation: String,
    pub opportunity: String,
}

/// What the service read: the plan's input.
#[derive(Clone, Debug)]
pub struct Facts {
    pub lead: lead::Model,
    pub pii: LeadPii,
    /// The contact to link: given (`contactId`) or resolved.
    pub contact: Option<contact::Model>,
    /// The account to link (see [`account_to_link`]).
    pub account: Option<account::Model>,
    /// Whether an `account_contact_relation` links `account` and `contact` (false unless both).
    pub related: bool,
    /// The lead's credit code, as identity resolution normalised it.
    pub credit_code: Option<String>,
    pub holders: Holders,
    pub ids: NewIds,
    pub at: DateTime<Utc>,
}

/// A value an existing record takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FillValue {
    /// A text or enum column (enums as their stored string).
    Text(String),
    /// An encrypted column, in plaintext: the service seals it for the record's row (ciphertext
    /// and blind index).
    Pii(PiiField, String),
}

/// One field of an existing record the conversion fills (or, with `overwriteLeadSource`, replaces).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fill {
    /// The field's API name (`jobTitle`).
    pub field: &'static str,
    /// The stored column (the ciphertext column for PII).
    pub column: &'static str,
    pub value: FillValue,
    /// Written only while the column is still empty (false: `overwriteLeadSource`).
    pub only_if_empty: bool,
    /// The stored value before.
    pub old: Option<String>,
}

/// A record the conversion links or creates.
#[derive(Clone, Debug, PartialEq)]
pub enum Target<M> {
    New(M),
    Existing(M, Vec<Fill>),
}

impl<M> Target<M> {
    pub fn model(&self) -> &M {
        match self {
            Target::New(m) | Target::Existing(m, _) => m,
        }
    }

    pub fn is_new(&self) -> bool {
        matches!(self, Target::New(_))
    }
}

/// What a conversion creates, links and fills.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub account: Target<account::Model>,
    /// A new contact carries no PII yet: see `contact_pii`.
    pub contact: Target<contact::Model>,
    /// A new contact's PII in plaintext, for the service to seal into it.
    pub contact_pii: Vec<(PiiField, String)>,
    pub relation: Option<account_contact_relation::Model>,
    pub opportunity: Option<opportunity::Model>,
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
        let value = FillValue::Text(value.to_string());
        fills.push(Fill { field, column, value, only_if_empty: true, old: current.clone() });
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
        let value = FillValue::Text(from.to_value());
        fills.push(Fill { field, column, value, only_if_empty: true, old: None });
    }
}

/// The opportunity's name: the given one, else the company's (or the lead's), cut to
/// [`OPPORTUNITY_NAME_MAX_CHARS`].
pub fn opportunity_name(given: Option<String>, lead: &lead::Model) -> String {
    given.unwrap_or_else(|| {
        company(lead).unwrap_or_else(|| lead.lead_name.clone()).chars().take(OPPORTUNITY_NAME_MAX_CHARS).collect()
    })
}

/// The plan of one conversion (see the module doc). `opportunity_name` is [`check_request`]'s.
pub fn plan(facts: Facts, request: &Request<'_>, opportunity_name: Option<String>) -> Result<Plan, DomainError> {
    let Facts { lead, pii, contact, account, related, credit_code, holders, ids, at } = facts;
    let owner = request.owner_user_id.map(str::to_string).or_else(|| lead.owner_user_id.clone());
    let account_id = account.as_ref().map_or_else(|| ids.account.clone(), |a| a.account_id.clone());
    let contact_id = contact.as_ref().map_or_else(|| ids.contact.clone(), |c| c.contact_id.clone());

    // A given contact must belong to the given account.
    if let (Some(_), Some(c)) = (request.contact_id, &contact)
        && !related
        && c.primary_account_id.as_deref() != Some(account_id.as_str())
    {
        return Err(DomainError::refused(
            "contactId",
            format!("contact {} does not belong to account {account_id}", c.contact_id),
        ));
    }

    let create_opportunity = !request.do_not_create_opportunity;
    let account = match account {
        Some(a) => {
            let fills = account_fills(&a, &lead, credit_code.as_ref(), &holders);
            Target::Existing(a, fills)
        }
        None => Target::New(new_account(&lead, account_id.clone(), credit_code, &holders, owner.clone(), at)),
    };
    let mut contact_pii = Vec::new();
    let contact = match contact {
        Some(c) => {
            let fills = contact_fills(&c, &lead, &pii, &holders, &account_id, request.overwrite_lead_source);
            Target::Existing(c, fills)
        }
        None => {
            for (field, value) in pii.fields() {
                if let Some(value) = non_empty(value)
                    && holders.contact_may_take(field, &contact_id)
                {
                    contact_pii.push((field, value.to_string()));
                }
            }
            Target::New(new_contact(&lead, contact_id.clone(), &account_id, owner.clone(), create_opportunity, at))
        }
    };

    let relation = (account.is_new() || contact.is_new() || !related).then(|| account_contact_relation::Model {
        relation_id: ids.relation,
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

    let opportunity = create_opportunity.then(|| opportunity::Model {
        opportunity_id: ids.opportunity,
        opportunity_name: self::opportunity_name(opportunity_name, &lead),
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
    });
    Ok(Plan { account, contact, contact_pii, relation, opportunity })
}

/// The empty fields of an existing account the lead fills. The credit code only when no other
/// account holds it (it is unique).
fn account_fills(a: &account::Model, lead: &lead::Model, credit_code: Option<&String>, holders: &Holders) -> Vec<Fill> {
    let mut fills = Vec::new();
    fill_text(&mut fills, "industryId", "industry_id", &a.industry_id, &lead.industry_id);
    fill_text(&mut fills, "province", "province", &a.province, &lead.province);
    fill_text(&mut fills, "city", "city", &a.city, &lead.city);
    fill_enum(&mut fills, "accountSource", "account_source", &a.account_source, &lead.lead_source);
    fill_text(&mut fills, "primaryChannelId", "primary_channel_id", &a.primary_channel_id, &lead.channel_id);
    if holders.credit_code.iter().all(|h| *h == a.account_id) {
        let code = credit_code.cloned();
        fill_text(
            &mut fills,
            "unifiedSocialCreditCode",
            "unified_social_credit_code",
            &a.unified_social_credit_code,
            &code,
        );
    }
    fills
}

fn new_account(
    lead: &lead::Model,
    account_id: String,
    credit_code: Option<String>,
    holders: &Holders,
    owner: Option<String>,
    at: DateTime<Utc>,
) -> account::Model {
    account::Model {
        account_id,
        account_name: company(lead).unwrap_or_else(|| lead.lead_name.clone()),
        unified_social_credit_code: credit_code.filter(|_| holders.credit_code.is_empty()),
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
        owner_user_id: owner,
        created_at: at,
        updated_at: at,
        custom_fields: None,
        lifecycle_stage: None,
        merged_into_id: None,
    }
}

/// The empty fields of an existing contact the lead fills, and `contactSource` replaced when
/// `overwrite_source`.
fn contact_fills(
    c: &contact::Model,
    lead: &lead::Model,
    pii: &LeadPii,
    holders: &Holders,
    account_id: &str,
    overwrite_source: bool,
) -> Vec<Fill> {
    let mut fills = Vec::new();
    fill_text(&mut fills, "jobTitle", "job_title", &c.job_title, &lead.job_title);
    let current = [&c.mobile_phone, &c.email, &c.wechat_id];
    for ((field, value), current) in pii.fields().into_iter().zip(current) {
        if let Some(value) = non_empty(value)
            && is_empty(current)
            && holders.contact_may_take(field, &c.contact_id)
        {
            let value = FillValue::Pii(field, value.to_string());
            fills.push(Fill { field: field.field(), column: field.column(), value, only_if_empty: true, old: None });
        }
    }
    let account_id = Some(account_id.to_string());
    fill_text(&mut fills, "primaryAccountId", "primary_account_id", &c.primary_account_id, &account_id);
    fill_text(&mut fills, "primaryChannelId", "primary_channel_id", &c.primary_channel_id, &lead.channel_id);
    if overwrite_source {
        if c.contact_source != Some(lead.lead_source) {
            fills.push(Fill {
                field: "contactSource",
                column: "contact_source",
                value: FillValue::Text(lead.lead_source.to_value()),
                only_if_empty: false,
                old: c.contact_source.map(|s| s.to_value()),
            });
        }
    } else {
        fill_enum(&mut fills, "contactSource", "contact_source", &c.contact_source, &lead.lead_source);
    }
    fills
}

fn new_contact(
    lead: &lead::Model,
    contact_id: String,
    account_id: &str,
    owner: Option<String>,
    create_opportunity: bool,
    at: DateTime<Utc>,
) -> contact::Model {
    contact::Model {
        contact_id,
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
        primary_account_id: Some(account_id.to_string()),
        contact_source: Some(lead.lead_source),
        primary_channel_id: lead.channel_id.clone(),
        owner_user_id: owner,
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
    }
}

/// The lead's channel identity as the contact's: seen from its capture time, or — when `existing`
/// (the stored identity with the same channel and user, whoever holds it) — its seen window
/// widened to the capture time.
pub fn identity_copy(
    lci: &lead_channel_identity::Model,
    contact_id: &str,
    existing: Option<&contact_channel_identity::Model>,
    identity_id: String,
) -> contact_channel_identity::Model {
    let seen = lci.captured_at;
    let (first, last) = match existing {
        Some(e) => (e.first_seen_at.map_or(seen, |f| f.min(seen)), e.last_seen_at.map_or(seen, |l| l.max(seen))),
        None => (seen, seen),
    };
    contact_channel_identity::Model {
        identity_id,
        contact_id: contact_id.to_string(),
        channel_id: lci.channel_id.clone(),
        channel_user_id: lci.channel_user_id.clone(),
        identity_type: None,
        is_primary: false,
        is_verified: false,
        first_seen_at: Some(first),
        last_seen_at: Some(last),
        additional_info: lci.additional_info.clone(),
    }
}

/// The refusal when the lead's identity belongs to another contact (`existing`'s, when read).
pub fn identity_taken(
    lci: &lead_channel_identity::Model,
    existing: Option<&contact_channel_identity::Model>,
) -> DomainError {
    let owner = existing.map_or("another contact", |e| e.contact_id.as_str());
    DomainError::Conflict(format!(
        "the lead's identity in channel {} belongs to contact {owner}; convert into that contact or merge the two \
         first",
        lci.channel_id
    ))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use entity::enums::{LeadStatus, SourceType};

    use super::*;

    fn at() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap()
    }

    fn lead() -> lead::Model {
        lead::Model {
            lead_id: "LEAD_1".into(),
            lead_name: "张伟".into(),
            company_name: Some("星辰科技".into()),
            mobile_phone: None,
            mobile_phone_bidx: None,
            email: None,
            email_bidx: None,
            wechat_id: None,
            wechat_id_bidx: None,
            job_title: Some("采购经理".into()),
            lead_source: SourceType::Website,
            channel_id: Some("CH_1".into()),
            campaign_id: Some("CMP_1".into()),
            lead_status: LeadStatus::Converted,
            lead_score: 80,
            lead_grade: None,
            industry_id: Some("IND_1".into()),
            province: Some("北京".into()),
            city: Some("北京".into()),
            owner_user_id: Some("USER_LEAD".into()),
            created_at: at(),
            updated_at: at(),
            last_contacted_at: None,
            converted_at: None,
            converted_contact_id: None,
            converted_account_id: None,
            converted_opportunity_id: None,
            custom_fields: None,
            is_qualified: true,
            owner_team_id: None,
            owner_lease_until: None,
            lease_extensions: 0,
        }
    }

    fn pii() -> LeadPii {
        LeadPii {
            mobile_phone: Some("13800138000".into()),
            email: Some("zhang@example.com".into()),
            wechat_id: Some("zhangwei".into()),
        }
    }

    fn ids() -> NewIds {
        NewIds {
            account: "ACC_NEW".into(),
            contact: "CNT_NEW".into(),
            relation: "ACR_NEW".into(),
            opportunity: "OPP_NEW".into(),
        }
    }

    fn facts() -> Facts {
        Facts {
            lead: lead(),
            pii: pii(),
            contact: None,
            account: None,
            related: false,
            credit_code: None,
            holders: Holders::default(),
            ids: ids(),
            at: at(),
        }
    }

    fn existing_account() -> account::Model {
        let mut a = new_account(&lead(), "ACC_1".into(), None, &Holders::default(), Some("USER_ACC".into()), at());
        a.account_name = "星辰科技".into();
        a.industry_id = None;
        a.province = Some("上海".into());
        a.city = Some(String::new());
        a.account_source = None;
        a.primary_channel_id = None;
        a
    }

    fn existing_contact(account: Option<&str>) -> contact::Model {
        let mut c = new_contact(&lead(), "CNT_1".into(), "ACC_1", Some("USER_CNT".into()), true, at());
        c.primary_account_id = account.map(str::to_string);
        c.job_title = Some("总监".into());
        c.contact_source = Some(SourceType::Form);
        c.primary_channel_id = None;
        c.email = Some("v1:k:stored".into());
        c
    }

    fn request() -> Request<'static> {
        Request::default()
    }

    fn filled(fills: &[Fill]) -> Vec<(&str, FillValue)> {
        fills.iter().map(|f| (f.field, f.value.clone())).collect()
    }

    fn text(s: &str) -> FillValue {
        FillValue::Text(s.to_string())
    }

    fn fills_of<M>(target: &Target<M>) -> &[Fill] {
        match target {
            Target::Existing(_, fills) => fills,
            Target::New(_) => panic!("a new record has no fills"),
        }
    }

    #[test]
    fn an_opportunity_name_with_do_not_create_opportunity_is_refused() {
        let r = Request { do_not_create_opportunity: true, opportunity_name: Some("Deal"), ..request() };
        let e = check_request(&r).unwrap_err();
        assert_eq!(e.to_string(), "opportunityName: must not be given together with doNotCreateOpportunity");
    }

    #[test]
    fn an_opportunity_name_is_trimmed_bounded_and_not_blank() {
        let named = |name: &str| check_request(&Request { opportunity_name: Some(name), ..request() });
        assert_eq!(named(" Deal ").unwrap().as_deref(), Some("Deal"));
        let long = "商".repeat(OPPORTUNITY_NAME_MAX_CHARS + 1);
        assert!(named(&long).unwrap_err().to_string().starts_with("opportunityName"));
        assert!(matches!(named("  ").unwrap_err(), DomainError::Required { .. }));
        assert_eq!(check_request(&request()).unwrap(), None);
    }

    #[test]
    fn overwrite_lead_source_needs_a_contact_and_a_contact_needs_its_account() {
        let e = check_request(&Request { overwrite_lead_source: true, ..request() }).unwrap_err();
        assert!(e.to_string().starts_with("overwriteLeadSource:"), "{e}");
        let e = check_request(&Request { contact_id: Some("CNT_1"), ..request() }).unwrap_err();
        assert!(e.to_string().starts_with("contactId:"), "{e}");
        let ok =
            Request { contact_id: Some("CNT_1"), account_id: Some("ACC_1"), overwrite_lead_source: true, ..request() };
        assert!(check_request(&ok).is_ok());
    }

    #[test]
    fn a_credit_code_is_read_from_the_lead_custom_fields() {
        let mut lead = lead();
        assert_eq!(lead_credit_code(&lead), None);
        lead.custom_fields = Some(serde_json::json!({ "unifiedSocialCreditCode": "91110000MA01ABCD1X" }));
        assert_eq!(lead_credit_code(&lead).as_deref(), Some("91110000MA01ABCD1X"));
        lead.custom_fields = Some(serde_json::json!({ "unified_social_credit_code": "91110000MA01ABCD1X" }));
        assert_eq!(lead_credit_code(&lead).as_deref(), Some("91110000MA01ABCD1X"));
    }

    #[test]
    fn the_account_is_the_given_one_then_the_resolved_one_then_the_contacts_own_when_no_company_is_named() {
        let contact = existing_contact(Some("ACC_9"));
        let lead = lead();
        assert_eq!(account_to_link(Some("ACC_1"), true, Some(&contact), &lead), AccountToLink::Read("ACC_1"));
        assert_eq!(account_to_link(None, true, Some(&contact), &lead), AccountToLink::Resolved);
        assert_eq!(account_to_link(None, false, Some(&contact), &lead), AccountToLink::New);
        let nameless = lead::Model { company_name: Some("  ".into()), ..lead };
        assert_eq!(account_to_link(None, false, Some(&contact), &nameless), AccountToLink::Read("ACC_9"));
        let homeless = existing_contact(None);
        assert_eq!(account_to_link(None, false, Some(&homeless), &nameless), AccountToLink::New);
        assert_eq!(account_to_link(None, false, None, &nameless), AccountToLink::New);
    }

    #[test]
    fn a_lead_without_matches_becomes_a_new_account_contact_relation_and_opportunity() {
        let plan = plan(facts(), &request(), None).unwrap();
        let Target::New(account) = &plan.account else { panic!("a new account") };
        assert_eq!(account.account_id, "ACC_NEW");
        assert_eq!(account.account_name, "星辰科技");
        assert_eq!(account.account_type, AccountType::Prospect);
        assert_eq!((account.province.as_deref(), account.industry_id.as_deref()), (Some("北京"), Some("IND_1")));
        assert_eq!(account.account_source, Some(SourceType::Website));
        let Target::New(contact) = &plan.contact else { panic!("a new contact") };
        assert_eq!(contact.contact_id, "CNT_NEW");
        assert_eq!(contact.primary_account_id.as_deref(), Some("ACC_NEW"));
        assert_eq!(contact.lifecycle_stage, Some(ContactLifecycleStage::Opportunity));
        assert_eq!(contact.mobile_phone, None, "PII is sealed by the service");
        let fields: Vec<PiiField> = plan.contact_pii.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, [PiiField::MobilePhone, PiiField::Email, PiiField::WechatId]);
        let relation = plan.relation.as_ref().expect("a relation");
        assert!(relation.is_primary_contact);
        assert_eq!(relation.role_in_account.as_deref(), Some("采购经理"));
        let opp = plan.opportunity.as_ref().expect("an opportunity");
        assert_eq!(opp.stage, OpportunityStage::Qualification);
        assert_eq!(opp.probability, opportunity_stage::default_probability(OpportunityStage::Qualification));
        assert_eq!(opp.opportunity_type, Some(OpportunityType::NewBusiness));
        assert_eq!(opp.opportunity_source, Some(OpportunitySource::LeadConversion));
        assert_eq!(opp.campaign_id.as_deref(), Some("CMP_1"));
        assert_eq!((opp.account_id.as_str(), opp.primary_contact_id.as_deref()), ("ACC_NEW", Some("CNT_NEW")));
    }

    #[test]
    fn without_an_opportunity_the_new_contact_is_a_sales_qualified_lead() {
        let r = Request { do_not_create_opportunity: true, ..request() };
        let plan = plan(facts(), &r, None).unwrap();
        assert_eq!(plan.opportunity, None);
        assert_eq!(plan.contact.model().lifecycle_stage, Some(ContactLifecycleStage::Sql));
    }

    #[test]
    fn an_existing_account_is_linked_and_a_new_contact_is_related_to_it_as_a_plain_contact() {
        let plan = plan(Facts { account: Some(existing_account()), ..facts() }, &request(), None).unwrap();
        assert!(!plan.account.is_new());
        assert_eq!(plan.contact.model().primary_account_id.as_deref(), Some("ACC_1"));
        let relation = plan.relation.as_ref().expect("a relation");
        assert!(!relation.is_primary_contact);
        assert_eq!(plan.opportunity.as_ref().unwrap().opportunity_type, None, "not new business: the account exists");
    }

    #[test]
    fn an_existing_contact_of_that_account_links_both_without_a_new_relation() {
        let f = Facts {
            account: Some(existing_account()),
            contact: Some(existing_contact(Some("ACC_1"))),
            related: true,
            ..facts()
        };
        let r = Request { account_id: Some("ACC_1"), contact_id: Some("CNT_1"), ..request() };
        let plan = plan(f, &r, None).unwrap();
        assert!(!plan.account.is_new() && !plan.contact.is_new());
        assert_eq!(plan.relation, None);
        assert!(plan.contact_pii.is_empty());
    }

    #[test]
    fn a_resolved_contact_of_another_account_is_related_to_this_one_too() {
        let f = Facts { account: Some(existing_account()), contact: Some(existing_contact(Some("ACC_9"))), ..facts() };
        let plan = plan(f, &request(), None).unwrap();
        let relation = plan.relation.expect("a relation to this account");
        assert_eq!((relation.account_id.as_str(), relation.contact_id.as_str()), ("ACC_1", "CNT_1"));
    }

    #[test]
    fn a_given_contact_of_another_account_is_refused_naming_both() {
        let f = Facts { account: Some(existing_account()), contact: Some(existing_contact(Some("ACC_9"))), ..facts() };
        let r = Request { account_id: Some("ACC_1"), contact_id: Some("CNT_1"), ..request() };
        let e = plan(f.clone(), &r, None).unwrap_err();
        assert_eq!(e.to_string(), "contactId: contact CNT_1 does not belong to account ACC_1");
        assert!(plan(Facts { related: true, ..f }, &r, None).is_ok(), "a relation is belonging too");
    }

    #[test]
    fn an_existing_account_takes_the_lead_values_only_where_its_fields_are_empty() {
        let plan = plan(Facts { account: Some(existing_account()), ..facts() }, &request(), None).unwrap();
        let fills = fills_of(&plan.account);
        assert_eq!(
            filled(fills),
            [
                ("industryId", text("IND_1")),
                ("city", text("北京")),
                ("accountSource", text("WEBSITE")),
                ("primaryChannelId", text("CH_1")),
            ],
            "the province (上海) is kept"
        );
        assert_eq!(fills[1].old.as_deref(), Some(""), "'' is empty and reported as the old value");
        assert!(fills.iter().all(|f| f.only_if_empty));
    }

    #[test]
    fn a_credit_code_fills_an_account_only_when_no_other_account_holds_it() {
        let code = Some("91110000MA01ABCD1X".to_string());
        let with = |holders: Vec<&str>| {
            let holders =
                Holders { credit_code: holders.into_iter().map(str::to_string).collect(), ..Holders::default() };
            let f = Facts { account: Some(existing_account()), credit_code: code.clone(), holders, ..facts() };
            let plan = plan(f, &request(), None).unwrap();
            fills_of(&plan.account).iter().any(|f| f.field == "unifiedSocialCreditCode")
        };
        assert!(with(vec![]));
        assert!(with(vec!["ACC_1"]));
        assert!(!with(vec!["ACC_2"]));
        let taken = Holders { credit_code: vec!["ACC_2".into()], ..Holders::default() };
        let plan = plan(Facts { credit_code: code.clone(), holders: taken, ..facts() }, &request(), None).unwrap();
        assert_eq!(plan.account.model().unified_social_credit_code, None, "a new account does not take it either");
        let plan = super::plan(Facts { credit_code: code.clone(), ..facts() }, &request(), None).unwrap();
        assert_eq!(plan.account.model().unified_social_credit_code, code);
    }

    #[test]
    fn an_existing_contact_takes_pii_job_title_and_source_only_where_empty() {
        let f = Facts { account: Some(existing_account()), contact: Some(existing_contact(None)), ..facts() };
        let plan = plan(f, &request(), None).unwrap();
        assert_eq!(
            filled(fills_of(&plan.contact)),
            [
                ("mobilePhone", FillValue::Pii(PiiField::MobilePhone, "13800138000".into())),
                ("wechatId", FillValue::Pii(PiiField::WechatId, "zhangwei".into())),
                ("primaryAccountId", text("ACC_1")),
                ("primaryChannelId", text("CH_1")),
            ],
            "job title (总监), e-mail and source (FORM) are kept"
        );
    }

    #[test]
    fn a_phone_or_email_another_contact_holds_is_not_copied() {
        let holders = Holders { mobile_phone: vec!["CNT_2".into()], email: vec!["CNT_2".into()], ..Holders::default() };
        let plan = plan(Facts { holders: holders.clone(), ..facts() }, &request(), None).unwrap();
        let fields: Vec<PiiField> = plan.contact_pii.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, [PiiField::WechatId], "a WeChat id is not unique");
        let mut own = existing_contact(None);
        own.email = None;
        let plan = plan_for(Facts { contact: Some(own), holders, ..facts() });
        assert!(
            fills_of(&plan.contact)
                .iter()
                .all(|f| !matches!(f.value, FillValue::Pii(PiiField::MobilePhone | PiiField::Email, _)))
        );
    }

    fn plan_for(f: Facts) -> Plan {
        plan(f, &request(), None).unwrap()
    }

    #[test]
    fn overwrite_lead_source_replaces_the_contact_source_unguarded() {
        let f = Facts {
            account: Some(existing_account()),
            contact: Some(existing_contact(Some("ACC_1"))),
            related: true,
            ..facts()
        };
        let r =
            Request { account_id: Some("ACC_1"), contact_id: Some("CNT_1"), overwrite_lead_source: true, ..request() };
        let plan = plan(f.clone(), &r, None).unwrap();
        let source = fills_of(&plan.contact).iter().find(|f| f.field == "contactSource").expect("replaced");
        assert_eq!(
            (source.old.as_deref(), &source.value, source.only_if_empty),
            (Some("FORM"), &text("WEBSITE"), false)
        );
        let mut same = f;
        same.contact.as_mut().unwrap().contact_source = Some(SourceType::Website);
        let plan = super::plan(same, &r, None).unwrap();
        assert!(fills_of(&plan.contact).iter().all(|f| f.field != "contactSource"), "nothing to replace");
    }

    #[test]
    fn new_records_belong_to_the_given_owner_else_the_lead_owner_and_existing_owners_stay() {
        let plan = plan(facts(), &request(), None).unwrap();
        assert_eq!(plan.account.model().owner_user_id.as_deref(), Some("USER_LEAD"));
        assert_eq!(plan.contact.model().owner_user_id.as_deref(), Some("USER_LEAD"));
        assert_eq!(plan.opportunity.unwrap().owner_user_id.as_deref(), Some("USER_LEAD"));
        let r = Request { owner_user_id: Some("USER_2"), ..request() };
        let plan = super::plan(Facts { account: Some(existing_account()), ..facts() }, &r, None).unwrap();
        assert_eq!(plan.contact.model().owner_user_id.as_deref(), Some("USER_2"));
        assert_eq!(plan.account.model().owner_user_id.as_deref(), Some("USER_ACC"), "an existing owner stays");
        assert!(fills_of(&plan.account).iter().all(|f| f.column != "owner_user_id"));
    }

    #[test]
    fn the_opportunity_is_named_as_given_else_after_the_company_else_the_lead_cut_to_200_characters() {
        assert_eq!(opportunity_name(Some("大单".into()), &lead()), "大单");
        assert_eq!(opportunity_name(None, &lead()), "星辰科技");
        let nameless = lead::Model { company_name: None, ..lead() };
        assert_eq!(opportunity_name(None, &nameless), "张伟");
        let long = lead::Model { company_name: Some("公".repeat(250)), ..lead() };
        assert_eq!(opportunity_name(None, &long).chars().count(), OPPORTUNITY_NAME_MAX_CHARS);
        let plan = plan(facts(), &Request { opportunity_name: Some("x"), ..request() }, Some("大单".into())).unwrap();
        assert_eq!(plan.opportunity.unwrap().opportunity_name, "大单");
    }

    #[test]
    fn the_same_facts_always_give_the_same_plan_so_a_dry_run_reports_what_a_real_run_does() {
        let f = Facts { account: Some(existing_account()), contact: Some(existing_contact(None)), ..facts() };
        assert_eq!(plan(f.clone(), &request(), None).unwrap(), plan(f, &request(), None).unwrap());
    }

    #[test]
    fn a_copied_identity_is_seen_from_its_capture_and_widens_a_window_the_contact_has() {
        let lci = lead_channel_identity::Model {
            identity_id: "LCI_1".into(),
            lead_id: "LEAD_1".into(),
            channel_id: "CH_1".into(),
            channel_user_id: "openid-1".into(),
            captured_at: at(),
            utm_params: None,
            additional_info: Some(serde_json::json!({ "nick": "zw" })),
        };
        let fresh = identity_copy(&lci, "CNT_1", None, "CCI_1".into());
        assert_eq!((fresh.first_seen_at, fresh.last_seen_at), (Some(at()), Some(at())));
        assert_eq!((fresh.contact_id.as_str(), fresh.identity_id.as_str()), ("CNT_1", "CCI_1"));
        assert_eq!(fresh.additional_info, lci.additional_info);
        let later = at() + chrono::Duration::days(3);
        let stored =
            contact_channel_identity::Model { first_seen_at: Some(later), last_seen_at: Some(later), ..fresh.clone() };
        let widened = identity_copy(&lci, "CNT_1", Some(&stored), "CCI_2".into());
        assert_eq!((widened.first_seen_at, widened.last_seen_at), (Some(at()), Some(later)));
        let e = identity_taken(&lci, Some(&contact_channel_identity::Model { contact_id: "CNT_9".into(), ..stored }));
        assert_eq!(
            e.to_string(),
            "the lead's identity in channel CH_1 belongs to contact CNT_9; convert into that contact or merge the two first"
        );
        assert!(identity_taken(&lci, None).to_string().contains("belongs to contact another contact"));
    }

    #[test]
    fn only_empty_fields_are_filled() {
        let mut fills = Vec::new();
        fill_text(&mut fills, "city", "city", &Some("上海".into()), &Some("北京".into()));
        fill_text(&mut fills, "province", "province", &Some(String::new()), &Some("北京".into()));
        fill_text(&mut fills, "jobTitle", "job_title", &None, &Some("  ".into()));
        fill_enum(&mut fills, "contactSource", "contact_source", &Some(SourceType::Form), &SourceType::Website);
        fill_enum(&mut fills, "accountSource", "account_source", &None, &SourceType::Website);
        assert_eq!(filled(&fills), [("province", text("北京")), ("accountSource", text("WEBSITE"))]);
        assert!(fills.iter().all(|f| f.only_if_empty));
    }
}
