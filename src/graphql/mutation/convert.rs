//! `convertLead` and `convertLeads`: lead conversion (docs/design.md §6; rules in `services::convert`).

use async_graphql::{Context, Enum, ErrorExtensions, ID, InputObject, Object, SimpleObject};

use super::write_context;
use crate::graphql::errors::{GqlResult, OrGql, to_gql};
use crate::graphql::model::{Account, Contact, EntityType, Lead, Opportunity};
use crate::services::convert::{self, BatchFailure, ConvertLead, ConvertResult};
use crate::services::identity::{self, Candidate};

/// One lead to convert.
#[derive(InputObject)]
pub struct ConvertLeadInput {
    /// The lead; only a QUALIFIED lead converts.
    pub lead_id: ID,
    /// An existing account to convert into (else resolved by credit code → exact company name, or
    /// created).
    pub account_id: Option<ID>,
    /// An existing contact of `accountId` to convert into (needs `accountId`; else resolved by
    /// phone → e-mail → WeChat id, or created).
    pub contact_id: Option<ID>,
    /// Convert without creating an opportunity.
    #[graphql(default)]
    pub do_not_create_opportunity: bool,
    /// Name of the new opportunity (≤ 200 characters; default: the lead's company name, else the
    /// lead's name). Not allowed with `doNotCreateOpportunity`.
    pub opportunity_name: Option<String>,
    /// Owner of every new record (default: the lead's owner).
    pub owner_user_id: Option<ID>,
    /// Replace the existing contact's `contactSource` with the lead's source (needs `contactId`).
    #[graphql(default)]
    pub overwrite_lead_source: bool,
    /// Compute and return the conversion without keeping anything.
    #[graphql(default)]
    pub dry_run: bool,
}

impl From<ConvertLeadInput> for ConvertLead {
    fn from(i: ConvertLeadInput) -> Self {
        ConvertLead {
            lead_id: i.lead_id.0,
            account_id: i.account_id.map(|id| id.0),
            contact_id: i.contact_id.map(|id| id.0),
            do_not_create_opportunity: i.do_not_create_opportunity,
            opportunity_name: i.opportunity_name,
            owner_user_id: i.owner_user_id.map(|id| id.0),
            overwrite_lead_source: i.overwrite_lead_source,
            dry_run: i.dry_run,
        }
    }
}

/// The key identity resolution matched a record by.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum IdentityMatchKey {
    Phone,
    Email,
    WechatId,
    CreditCode,
    CompanyName,
    /// A channel identity the contact already holds (a WeChat openid, a platform user id).
    ChannelIdentity,
}

impl From<identity::MatchKey> for IdentityMatchKey {
    fn from(k: identity::MatchKey) -> Self {
        match k {
            identity::MatchKey::Phone => IdentityMatchKey::Phone,
            identity::MatchKey::Email => IdentityMatchKey::Email,
            identity::MatchKey::WechatId => IdentityMatchKey::WechatId,
            identity::MatchKey::CreditCode => IdentityMatchKey::CreditCode,
            identity::MatchKey::CompanyName => IdentityMatchKey::CompanyName,
            identity::MatchKey::ChannelIdentity => IdentityMatchKey::ChannelIdentity,
        }
    }
}

/// What identity resolution made of a record a key matched.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum CandidateVerdict {
    /// The record converted into.
    Linked,
    /// Matched, but an earlier key (phone before e-mail before WeChat id; credit code before
    /// company name) linked another record.
    Outranked,
    /// The key matched several records, so it linked none.
    Ambiguous,
    /// The key is shared by more records than the cap (a switchboard number): it links nothing.
    SharedKey,
}

impl From<identity::Verdict> for CandidateVerdict {
    fn from(v: identity::Verdict) -> Self {
        match v {
            identity::Verdict::Linked => CandidateVerdict::Linked,
            identity::Verdict::Outranked => CandidateVerdict::Outranked,
            identity::Verdict::Ambiguous => CandidateVerdict::Ambiguous,
            identity::Verdict::SharedKey => CandidateVerdict::SharedKey,
        }
    }
}

/// An existing contact or account one of the lead's keys matched.
#[derive(SimpleObject)]
pub struct DuplicateCandidate {
    /// ACCOUNT or CONTACT.
    pub entity_type: EntityType,
    pub id: ID,
    pub matched_key: IdentityMatchKey,
    /// Records sharing the key (people for phone, e-mail and WeChat id; accounts otherwise).
    pub shared_by: i32,
    pub verdict: CandidateVerdict,
}

impl From<&Candidate> for DuplicateCandidate {
    fn from(c: &Candidate) -> Self {
        DuplicateCandidate {
            entity_type: c.entity.into(),
            id: ID(c.id.clone()),
            matched_key: c.key.into(),
            shared_by: i32::try_from(c.shared_by).unwrap_or(i32::MAX),
            verdict: c.verdict.into(),
        }
    }
}

/// A field of an existing account or contact that the conversion fills (only empty fields are
/// filled; `overwriteLeadSource` replaces `contactSource`). PII values are masked.
#[derive(SimpleObject)]
pub struct ConvertFieldChange {
    /// ACCOUNT or CONTACT.
    pub entity_type: EntityType,
    pub id: ID,
    /// The field's name (`jobTitle`).
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
}

/// What a conversion did — or, with `dryRun`, would do (then nothing was kept, and ids of records
/// it would create exist nowhere).
pub struct ConvertLeadResult(ConvertResult);

fn count(n: u64) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

#[Object]
impl ConvertLeadResult {
    async fn lead_id(&self) -> ID {
        ID(self.0.lead.lead_id.clone())
    }

    async fn account_id(&self) -> ID {
        ID(self.0.account.account_id.clone())
    }

    async fn contact_id(&self) -> ID {
        ID(self.0.contact.contact_id.clone())
    }

    /// Null when no opportunity was created.
    async fn opportunity_id(&self) -> Option<ID> {
        self.0.opportunity.as_ref().map(|o| ID(o.opportunity_id.clone()))
    }

    /// True: a new account; false: an existing one was linked.
    async fn account_created(&self) -> bool {
        self.0.account_created
    }

    /// True: a new contact; false: an existing one was linked.
    async fn contact_created(&self) -> bool {
        self.0.contact_created
    }

    async fn opportunity_created(&self) -> bool {
        self.0.opportunity_created()
    }

    async fn dry_run(&self) -> bool {
        self.0.dry_run
    }

    /// The lead after conversion.
    async fn lead(&self) -> Lead {
        Lead(self.0.lead.clone())
    }

    async fn account(&self) -> Account {
        Account(self.0.account.clone())
    }

    async fn contact(&self) -> Contact {
        Contact(self.0.contact.clone())
    }

    async fn opportunity(&self) -> Option<Opportunity> {
        self.0.opportunity.clone().map(Opportunity)
    }

    /// Fields of the existing account and contact that were filled, old → new.
    async fn field_diff(&self) -> Vec<ConvertFieldChange> {
        self.0
            .field_diff
            .iter()
            .map(|c| ConvertFieldChange {
                entity_type: c.entity.into(),
                id: ID(c.id.clone()),
                field: c.field.to_string(),
                old_value: c.old.clone(),
                new_value: c.new.clone(),
            })
            .collect()
    }

    /// Every existing contact and account one of the lead's keys matched, with the key.
    async fn candidates(&self) -> Vec<DuplicateCandidate> {
        self.0.candidates.iter().map(Into::into).collect()
    }

    /// The lead's channel identities copied to (or refreshed on) the contact.
    async fn identities_linked(&self) -> i32 {
        count(self.0.identities_linked)
    }

    /// The lead's touchpoints that now point at the contact and account.
    async fn touchpoints_repointed(&self) -> i32 {
        count(self.0.touchpoints_repointed)
    }

    /// The lead's events that now point at the contact and account.
    async fn events_repointed(&self) -> i32 {
        count(self.0.events_repointed)
    }
}

/// Why one input of `convertLeads(allOrNone: false)` failed.
#[derive(SimpleObject)]
pub struct ConvertLeadItemError {
    /// The `extensions.code` the error would carry (`CONFLICT`, `INVALID_TRANSITION`, …).
    pub code: String,
    pub message: String,
}

/// The outcome of one input of `convertLeads`: `result` or `error`.
#[derive(SimpleObject)]
pub struct ConvertLeadItemResult {
    /// Position of the input.
    pub index: i32,
    pub lead_id: ID,
    pub result: Option<ConvertLeadResult>,
    pub error: Option<ConvertLeadItemError>,
}

fn batch_error(failure: BatchFailure) -> async_graphql::Error {
    let err = to_gql(&failure.error);
    match failure.index {
        Some(index) => async_graphql::Error { message: format!("inputs[{index}]: {}", err.message), ..err }
            .extend_with(|_, ext| ext.set("index", count(index as u64))),
        None => err,
    }
}

#[derive(Default)]
pub struct ConvertMutations;

#[Object]
impl ConvertMutations {
    /// Converts a QUALIFIED lead into an account, a contact and (unless `doNotCreateOpportunity`)
    /// an opportunity, in one transaction: existing records are linked (given, or found by
    /// identity resolution) and only their empty fields filled; the lead's channel identities,
    /// touchpoints and events follow it; the lead becomes CONVERTED and read-only. Another status
    /// is `INVALID_TRANSITION`, a converted lead `CONFLICT`.
    async fn convert_lead(&self, ctx: &Context<'_>, input: ConvertLeadInput) -> GqlResult<ConvertLeadResult> {
        let (state, actor) = write_context(ctx)?;
        convert::convert_lead(&state.store, &state.pii, &actor, &input.into(), state.identity_cap)
            .await
            .map(ConvertLeadResult)
            .gql()
    }

    /// Converts up to 100 leads. `allOrNone` (default): one transaction — any failure writes
    /// nothing and the error names the input (`inputs[2]: …`, `extensions.index`). Otherwise each
    /// lead converts on its own and every input gets a result or an error. A null `allOrNone` is
    /// the default.
    async fn convert_leads(
        &self,
        ctx: &Context<'_>,
        inputs: Vec<ConvertLeadInput>,
        #[graphql(default_with = "Some(true)")] all_or_none: Option<bool>,
    ) -> GqlResult<Vec<ConvertLeadItemResult>> {
        let (state, actor) = write_context(ctx)?;
        let inputs: Vec<ConvertLead> = inputs.into_iter().map(Into::into).collect();
        let results = convert::convert_leads(
            &state.store,
            &state.pii,
            &actor,
            &inputs,
            all_or_none.unwrap_or(true),
            state.identity_cap,
        )
        .await
        .map_err(batch_error)?;
        Ok(results
            .into_iter()
            .zip(&inputs)
            .enumerate()
            .map(|(index, (outcome, input))| {
                let (result, error) = match outcome {
                    Ok(r) => (Some(ConvertLeadResult(r)), None),
                    Err(e) => {
                        let message = to_gql(&e).message;
                        (None, Some(ConvertLeadItemError { code: e.code().to_string(), message }))
                    }
                };
                ConvertLeadItemResult { index: count(index as u64), lead_id: ID(input.lead_id.clone()), result, error }
            })
            .collect())
    }
}
