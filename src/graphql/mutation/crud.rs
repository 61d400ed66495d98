//! `createX`, `updateX`, `deleteX`, `createXs`, `updateXs`, `deleteXs` for every written entity:
//! generic resolvers over [`Writable`], listed by one macro (a flat object, like the query root).

use std::borrow::Cow;

use async_graphql::{Context, ID, Object, OutputType, SimpleObject, TypeName};
use sea_orm::EntityTrait;

use super::write_context;
use crate::error::AppError;
use crate::graphql::errors::{GqlResult, OrGql};
use crate::graphql::resource::{Resource, Writable};
use crate::services::crud::{self, NaturalKey, Op};

type Model<R> = <<R as Writable>::Entity as EntityTrait>::Model;
type Active<R> = <<R as Writable>::Entity as EntityTrait>::ActiveModel;

/// The outcome of one item of a bulk mutation with `allOrNone: false`.
pub struct ItemResult<R> {
    record: Option<R>,
    id: Option<String>,
    error: Option<AppError>,
}

impl<R: Resource> TypeName for ItemResult<R> {
    fn type_name() -> Cow<'static, str> {
        Cow::Owned(format!("{}ItemResult", R::NAME))
    }
}

/// Why one item failed.
#[derive(SimpleObject)]
pub struct ItemError {
    /// `BAD_USER_INPUT`, `CONFLICT`, `NOT_FOUND`, …
    pub code: String,
    pub message: String,
}

#[Object(name_type)]
impl<R: Resource + OutputType> ItemResult<R> {
    /// Whether this item was written.
    async fn ok(&self) -> bool {
        self.error.is_none()
    }
    /// The id of the record written (or deleted).
    async fn id(&self) -> Option<ID> {
        self.id.clone().map(ID)
    }
    /// The created or updated record.
    async fn record(&self) -> Option<&R> {
        self.record.as_ref()
    }
    async fn error(&self) -> Option<ItemError> {
        self.error.as_ref().map(|e| {
            let message = if e.is_internal() { crate::graphql::errors::to_gql(e).message } else { e.message() };
            ItemError { code: e.code().to_string(), message }
        })
    }
}

/// Runs ops through the service and keeps each outcome.
pub async fn run<R>(ctx: &Context<'_>, ops: Vec<Op>, all_or_none: bool) -> GqlResult<Vec<ItemResult<R>>>
where
    R: Writable,
    Model<R>: sea_orm::IntoActiveModel<Active<R>> + sea_orm::FromQueryResult,
    Active<R>: sea_orm::ActiveModelTrait<Entity = R::Entity> + Send,
{
    let (state, actor) = write_context(ctx)?;
    let ids: Vec<Option<String>> = ops
        .iter()
        .map(|op| match op {
            Op::Create(_) => None,
            Op::Update(id, _) | Op::Delete(id) => Some(id.clone()),
        })
        .collect();
    let results = crud::write_many::<R::Entity>(&state.store, &state.pii, &actor, ops, all_or_none).await.gql()?;
    Ok(results
        .into_iter()
        .zip(ids)
        .map(|(r, id)| match r {
            Ok(Some(m)) => ItemResult { id: Some(R::id_of(&m).to_string()), record: Some(R::wrap(m)), error: None },
            Ok(None) => ItemResult { id, record: None, error: None },
            Err(e) => ItemResult { id, record: None, error: Some(e) },
        })
        .collect())
}

/// A single write: its record, or its error as the field's error.
pub async fn single<R>(ctx: &Context<'_>, op: Op) -> GqlResult<Option<R>>
where
    R: Writable,
    Model<R>: sea_orm::IntoActiveModel<Active<R>> + sea_orm::FromQueryResult,
    Active<R>: sea_orm::ActiveModelTrait<Entity = R::Entity> + Send,
{
    // One op in its own transaction: its error is its own, without a bulk call's `[i]` index.
    let mut results = run::<R>(ctx, vec![op], false).await?;
    let item = results.pop().ok_or_else(|| async_graphql::Error::new("no result"))?;
    match item.error {
        Some(e) => Err(crate::graphql::errors::to_gql(&e)),
        None => Ok(item.record),
    }
}

macro_rules! crud_root {
    ($($ty:ident [$create:ident, $update:ident, $delete:ident, $creates:ident, $updates:ident, $deletes:ident, $item:ident]),* $(,)?) => {
        $(
            #[doc = concat!("One update of `", stringify!($updates), "`.")]
            #[derive(async_graphql::InputObject)]
            pub struct $item {
                pub id: ID,
                pub patch: <$ty as Writable>::Update,
            }
        )*

        /// Generic create, update and delete mutations of every written entity.
        #[derive(Default)]
        pub struct CrudMutations;

        #[Object]
        impl CrudMutations {
            $(
                #[doc = concat!("Creates one ", stringify!($ty), ".")]
                async fn $create(&self, ctx: &Context<'_>, input: <$ty as Writable>::Create) -> GqlResult<Option<$ty>> {
                    single::<$ty>(ctx, Op::Create(<$ty as Writable>::create_values(input))).await
                }

                #[doc = concat!("Changes one ", stringify!($ty), ": absent fields stay, `null` clears a nullable one.")]
                async fn $update(&self, ctx: &Context<'_>, id: ID, input: <$ty as Writable>::Update) -> GqlResult<Option<$ty>> {
                    single::<$ty>(ctx, Op::Update(id.0, <$ty as Writable>::update_values(input))).await
                }

                #[doc = concat!("Deletes one ", stringify!($ty), "; returns its id.")]
                async fn $delete(&self, ctx: &Context<'_>, id: ID) -> GqlResult<ID> {
                    single::<$ty>(ctx, Op::Delete(id.0.clone())).await?;
                    Ok(id)
                }

                #[doc = concat!("Creates up to 500 ", stringify!($ty), " records: all or none (`allOrNone`, default true), or each on its own with per-item results.")]
                async fn $creates(
                    &self,
                    ctx: &Context<'_>,
                    inputs: Vec<<$ty as Writable>::Create>,
                    all_or_none: Option<bool>,
                ) -> GqlResult<Vec<ItemResult<$ty>>> {
                    let ops = inputs.into_iter().map(|i| Op::Create(<$ty as Writable>::create_values(i))).collect();
                    run::<$ty>(ctx, ops, all_or_none.unwrap_or(true)).await
                }

                #[doc = concat!("Changes up to 500 ", stringify!($ty), " records: all or none (default), or each on its own.")]
                async fn $updates(
                    &self,
                    ctx: &Context<'_>,
                    items: Vec<$item>,
                    all_or_none: Option<bool>,
                ) -> GqlResult<Vec<ItemResult<$ty>>> {
                    let ops = items.into_iter().map(|i| Op::Update(i.id.0, <$ty as Writable>::update_values(i.patch))).collect();
                    run::<$ty>(ctx, ops, all_or_none.unwrap_or(true)).await
                }

                #[doc = concat!("Deletes up to 500 ", stringify!($ty), " records: all or none (default), or each on its own.")]
                async fn $deletes(
                    &self,
                    ctx: &Context<'_>,
                    ids: Vec<ID>,
                    all_or_none: Option<bool>,
                ) -> GqlResult<Vec<ItemResult<$ty>>> {
                    let ops = ids.into_iter().map(|id| Op::Delete(id.0)).collect();
                    run::<$ty>(ctx, ops, all_or_none.unwrap_or(true)).await
                }
            )*
        }
    };
}

use crate::graphql::model::*;

crud_root! {
    Account [create_account, update_account, delete_account, create_accounts, update_accounts, delete_accounts, UpdateAccountItem],
    AccountChannelIdentity [create_account_channel_identity, update_account_channel_identity, delete_account_channel_identity, create_account_channel_identities, update_account_channel_identities, delete_account_channel_identities, UpdateAccountChannelIdentityItem],
    AccountRelation [create_account_relation, update_account_relation, delete_account_relation, create_account_relations, update_account_relations, delete_account_relations, UpdateAccountRelationItem],
    Contact [create_contact, update_contact, delete_contact, create_contacts, update_contacts, delete_contacts, UpdateContactItem],
    ContactChannelIdentity [create_contact_channel_identity, update_contact_channel_identity, delete_contact_channel_identity, create_contact_channel_identities, update_contact_channel_identities, delete_contact_channel_identities, UpdateContactChannelIdentityItem],
    AccountContactRelation [create_account_contact_relation, update_account_contact_relation, delete_account_contact_relation, create_account_contact_relations, update_account_contact_relations, delete_account_contact_relations, UpdateAccountContactRelationItem],
    Lead [create_lead, update_lead, delete_lead, create_leads, update_leads, delete_leads, UpdateLeadItem],
    LeadChannelIdentity [create_lead_channel_identity, update_lead_channel_identity, delete_lead_channel_identity, create_lead_channel_identities, update_lead_channel_identities, delete_lead_channel_identities, UpdateLeadChannelIdentityItem],
    Opportunity [create_opportunity, update_opportunity, delete_opportunity, create_opportunities, update_opportunities, delete_opportunities, UpdateOpportunityItem],
    OpportunityStageHistory [create_opportunity_stage_history, update_opportunity_stage_history, delete_opportunity_stage_history, create_opportunity_stage_histories, update_opportunity_stage_histories, delete_opportunity_stage_histories, UpdateOpportunityStageHistoryItem],
    OpportunityProduct [create_opportunity_product, update_opportunity_product, delete_opportunity_product, create_opportunity_products, update_opportunity_products, delete_opportunity_products, UpdateOpportunityProductItem],
    Channel [create_channel, update_channel, delete_channel, create_channels, update_channels, delete_channels, UpdateChannelItem],
    AcquisitionScene [create_acquisition_scene, update_acquisition_scene, delete_acquisition_scene, create_acquisition_scenes, update_acquisition_scenes, delete_acquisition_scenes, UpdateAcquisitionSceneItem],
    ChannelPerformance [create_channel_performance, update_channel_performance, delete_channel_performance, create_channel_performances, update_channel_performances, delete_channel_performances, UpdateChannelPerformanceItem],
    Campaign [create_campaign, update_campaign, delete_campaign, create_campaigns, update_campaigns, delete_campaigns, UpdateCampaignItem],
    CampaignPerformance [create_campaign_performance, update_campaign_performance, delete_campaign_performance, create_campaign_performances, update_campaign_performances, delete_campaign_performances, UpdateCampaignPerformanceItem],
    CampaignMember [create_campaign_member, update_campaign_member, delete_campaign_member, create_campaign_members, update_campaign_members, delete_campaign_members, UpdateCampaignMemberItem],
    Touchpoint [create_touchpoint, update_touchpoint, delete_touchpoint, create_touchpoints, update_touchpoints, delete_touchpoints, UpdateTouchpointItem],
    TouchpointAttachment [create_touchpoint_attachment, update_touchpoint_attachment, delete_touchpoint_attachment, create_touchpoint_attachments, update_touchpoint_attachments, delete_touchpoint_attachments, UpdateTouchpointAttachmentItem],
    Event [create_event, update_event, delete_event, create_events, update_events, delete_events, UpdateEventItem],
    Product [create_product, update_product, delete_product, create_products, update_products, delete_products, UpdateProductItem],
    ProductCategory [create_product_category, update_product_category, delete_product_category, create_product_categories, update_product_categories, delete_product_categories, UpdateProductCategoryItem],
    Tag [create_tag, update_tag, delete_tag, create_tags, update_tags, delete_tags, UpdateTagItem],
    TagRelation [create_tag_relation, update_tag_relation, delete_tag_relation, create_tag_relations, update_tag_relations, delete_tag_relations, UpdateTagRelationItem],
    Segment [create_segment, update_segment, delete_segment, create_segments, update_segments, delete_segments, UpdateSegmentItem],
    SegmentMember [create_segment_member, update_segment_member, delete_segment_member, create_segment_members, update_segment_members, delete_segment_members, UpdateSegmentMemberItem],
    ScoreModel [create_score_model, update_score_model, delete_score_model, create_score_models, update_score_models, delete_score_models, UpdateScoreModelItem],
    ScoreRecord [create_score_record, update_score_record, delete_score_record, create_score_records, update_score_records, delete_score_records, UpdateScoreRecordItem],
    ScoreHistory [create_score_history, update_score_history, delete_score_history, create_score_histories, update_score_histories, delete_score_histories, UpdateScoreHistoryItem],
    Industry [create_industry, update_industry, delete_industry, create_industries, update_industries, delete_industries, UpdateIndustryItem],
    Attribution [create_attribution, update_attribution, delete_attribution, create_attributions, update_attributions, delete_attributions, UpdateAttributionItem],
    TouchpointAttribution [create_touchpoint_attribution, update_touchpoint_attribution, delete_touchpoint_attribution, create_touchpoint_attributions, update_touchpoint_attributions, delete_touchpoint_attributions, UpdateTouchpointAttributionItem],
    CustomerJourney [create_customer_journey, update_customer_journey, delete_customer_journey, create_customer_journeys, update_customer_journeys, delete_customer_journeys, UpdateCustomerJourneyItem],
    JourneyStage [create_journey_stage, update_journey_stage, delete_journey_stage, create_journey_stages, update_journey_stages, delete_journey_stages, UpdateJourneyStageItem],
    AppUser [create_app_user, update_app_user, delete_app_user, create_app_users, update_app_users, delete_app_users, UpdateAppUserItem],
    Team [create_team, update_team, delete_team, create_teams, update_teams, delete_teams, UpdateTeamItem],
}

/// The result of an `upsertX`.
pub struct Upserted<R> {
    record: R,
    created: bool,
}

impl<R: Resource> TypeName for Upserted<R> {
    fn type_name() -> Cow<'static, str> {
        Cow::Owned(format!("{}Upserted", R::NAME))
    }
}

#[Object(name_type)]
impl<R: Resource + OutputType> Upserted<R> {
    async fn record(&self) -> &R {
        &self.record
    }
    /// True when no record had the natural key, so one was created.
    async fn created(&self) -> bool {
        self.created
    }
}

async fn upsert<R>(ctx: &Context<'_>, key: NaturalKey, input: <R as Writable>::Create) -> GqlResult<Upserted<R>>
where
    R: Writable,
    Model<R>: sea_orm::IntoActiveModel<Active<R>> + sea_orm::FromQueryResult,
    Active<R>: sea_orm::ActiveModelTrait<Entity = R::Entity> + Send,
{
    let (state, actor) = write_context(ctx)?;
    let draft = R::create_values(input);
    let (model, created) = crud::upsert::<R::Entity>(&state.store, &state.pii, &actor, key, draft).await.gql()?;
    Ok(Upserted { record: R::wrap(model), created })
}

/// Create-or-update on the natural keys of the data model (docs/data-model.md, indexes).
#[derive(Default)]
pub struct UpsertMutations;

#[Object]
impl UpsertMutations {
    /// By unified social credit code.
    async fn upsert_account(&self, ctx: &Context<'_>, input: CreateAccountInput) -> GqlResult<Upserted<Account>> {
        upsert::<Account>(ctx, NaturalKey::Columns(&["unified_social_credit_code"]), input).await
    }
    /// By mobile phone, else e-mail (through their blind indexes, in any spelling).
    async fn upsert_contact(&self, ctx: &Context<'_>, input: CreateContactInput) -> GqlResult<Upserted<Contact>> {
        upsert::<Contact>(ctx, NaturalKey::ContactPhoneOrEmail, input).await
    }
    /// By product code.
    async fn upsert_product(&self, ctx: &Context<'_>, input: CreateProductInput) -> GqlResult<Upserted<Product>> {
        upsert::<Product>(ctx, NaturalKey::Columns(&["product_code"]), input).await
    }
    /// By tag name.
    async fn upsert_tag(&self, ctx: &Context<'_>, input: CreateTagInput) -> GqlResult<Upserted<Tag>> {
        upsert::<Tag>(ctx, NaturalKey::Columns(&["tag_name"]), input).await
    }
    /// By industry code.
    async fn upsert_industry(&self, ctx: &Context<'_>, input: CreateIndustryInput) -> GqlResult<Upserted<Industry>> {
        upsert::<Industry>(ctx, NaturalKey::Columns(&["industry_code"]), input).await
    }
    /// By channel and the channel's user id.
    async fn upsert_contact_channel_identity(
        &self,
        ctx: &Context<'_>,
        input: CreateContactChannelIdentityInput,
    ) -> GqlResult<Upserted<ContactChannelIdentity>> {
        upsert::<ContactChannelIdentity>(ctx, NaturalKey::Columns(&["channel_id", "channel_user_id"]), input).await
    }
}
