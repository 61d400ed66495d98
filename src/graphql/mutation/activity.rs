//! `trackEvents`, `recordTouchpoints` (bulk ingestion) and `tagEntities` / `untagEntities`.

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use chrono::Utc;
use entity::{event, touchpoint};

use super::write_context;
use crate::graphql::errors::{GqlResult, OrGql};
use crate::graphql::model::{
    ContentType, DeviceType, EntityType, EventType, TouchpointDirection, TouchpointStatus, TouchpointType,
};
use crate::graphql::scalars::{Instant, Json};
use crate::services::{activity, tagging};

/// One behaviour event. `eventId` is generated unless given (imports); `createdAt` is the server's.
#[derive(InputObject)]
pub struct EventInput {
    pub event_id: Option<ID>,
    pub event_name: String,
    pub event_type: EventType,
    pub channel_id: Option<ID>,
    pub contact_id: Option<ID>,
    pub lead_id: Option<ID>,
    pub account_id: Option<ID>,
    pub event_time: Instant,
    pub session_id: Option<String>,
    pub device_type: Option<DeviceType>,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub ip_address: Option<String>,
    pub page_url: Option<String>,
    pub referrer_url: Option<String>,
    pub event_properties: Option<Json>,
    pub utm_params: Option<Json>,
}

impl From<EventInput> for event::Model {
    fn from(i: EventInput) -> Self {
        event::Model {
            event_id: i.event_id.map(|id| id.0).unwrap_or_default(),
            event_name: i.event_name,
            event_type: i.event_type.into(),
            channel_id: i.channel_id.map(|id| id.0),
            contact_id: i.contact_id.map(|id| id.0),
            lead_id: i.lead_id.map(|id| id.0),
            account_id: i.account_id.map(|id| id.0),
            event_time: i.event_time.0,
            session_id: i.session_id,
            device_type: i.device_type.map(Into::into),
            browser: i.browser,
            os: i.os,
            ip_address: i.ip_address,
            page_url: i.page_url,
            referrer_url: i.referrer_url,
            event_properties: i.event_properties.map(|j| j.0),
            utm_params: i.utm_params.map(|j| j.0),
            created_at: Utc::now(),
        }
    }
}

/// One interaction with a contact, lead or account (at least one of them).
#[derive(InputObject)]
pub struct TouchpointInput {
    pub touchpoint_id: Option<ID>,
    pub touchpoint_type: TouchpointType,
    pub channel_id: Option<ID>,
    pub campaign_id: Option<ID>,
    pub contact_id: Option<ID>,
    pub lead_id: Option<ID>,
    pub account_id: Option<ID>,
    pub touchpoint_time: Instant,
    pub touchpoint_direction: Option<TouchpointDirection>,
    pub touchpoint_status: Option<TouchpointStatus>,
    pub content_type: Option<ContentType>,
    pub content_id: Option<String>,
    pub subject: Option<String>,
    pub description: Option<String>,
    pub duration_seconds: Option<i32>,
    pub owner_user_id: Option<ID>,
    pub metadata: Option<Json>,
    pub utm_params: Option<Json>,
}

impl From<TouchpointInput> for touchpoint::Model {
    fn from(i: TouchpointInput) -> Self {
        touchpoint::Model {
            touchpoint_id: i.touchpoint_id.map(|id| id.0).unwrap_or_default(),
            touchpoint_type: i.touchpoint_type.into(),
            channel_id: i.channel_id.map(|id| id.0),
            campaign_id: i.campaign_id.map(|id| id.0),
            contact_id: i.contact_id.map(|id| id.0),
            lead_id: i.lead_id.map(|id| id.0),
            account_id: i.account_id.map(|id| id.0),
            touchpoint_time: i.touchpoint_time.0,
            touchpoint_direction: i.touchpoint_direction.map(Into::into),
            touchpoint_status: i.touchpoint_status.map(Into::into),
            content_type: i.content_type.map(Into::into),
            content_id: i.content_id,
            subject: i.subject,
            description: i.description,
            duration_seconds: i.duration_seconds,
            owner_user_id: i.owner_user_id.map(|id| id.0),
            metadata: i.metadata.map(|j| j.0),
            utm_params: i.utm_params.map(|j| j.0),
            created_at: Utc::now(),
        }
    }
}

/// The rows a bulk call stored, in input order.
#[derive(SimpleObject)]
pub struct Ingested {
    pub count: i32,
    pub ids: Vec<ID>,
}

impl From<Vec<String>> for Ingested {
    fn from(ids: Vec<String>) -> Self {
        Ingested { count: ids.len() as i32, ids: ids.into_iter().map(ID).collect() }
    }
}

/// What a tagging call changed.
#[derive(SimpleObject)]
pub struct TagChange {
    /// Tag relations written (tag) or removed (untag).
    pub changed: i32,
    /// Entities already in the requested state.
    pub unchanged: i32,
}

impl From<tagging::TagChange> for TagChange {
    fn from(c: tagging::TagChange) -> Self {
        TagChange { changed: c.changed as i32, unchanged: c.unchanged as i32 }
    }
}

#[derive(Default)]
pub struct ActivityMutations;

#[Object]
impl ActivityMutations {
    /// Stores up to 1 000 events in one multi-row batch (all or none), refreshing the touched
    /// summaries once. Needs `ingest` or `write`.
    async fn track_events(&self, ctx: &Context<'_>, events: Vec<EventInput>) -> GqlResult<Ingested> {
        let (state, actor) = write_context(ctx)?;
        let drafts = events.into_iter().map(Into::into).collect();
        activity::track_events(&state.store, &actor, drafts).await.map(Into::into).gql()
    }

    /// Stores up to 1 000 touchpoints in one multi-row batch (all or none), refreshing the touched
    /// summaries once. Needs `ingest` or `write`.
    async fn record_touchpoints(&self, ctx: &Context<'_>, touchpoints: Vec<TouchpointInput>) -> GqlResult<Ingested> {
        let (state, actor) = write_context(ctx)?;
        let drafts = touchpoints.into_iter().map(Into::into).collect();
        activity::record_touchpoints(&state.store, &actor, drafts).await.map(Into::into).gql()
    }

    /// Tags up to 1 000 records by hand (`tagSource` MANUAL); already tagged ones are left as they are.
    async fn tag_entities(
        &self,
        ctx: &Context<'_>,
        tag_id: ID,
        entity_type: EntityType,
        entity_ids: Vec<ID>,
    ) -> GqlResult<TagChange> {
        let (state, actor) = write_context(ctx)?;
        let ids: Vec<String> = entity_ids.into_iter().map(|id| id.0).collect();
        tagging::tag_entities(&state.db, &actor, &tag_id, entity_type.into(), &ids).await.map(Into::into).gql()
    }

    /// Removes a tag from up to 1 000 records; untagged ones are left as they are.
    async fn untag_entities(
        &self,
        ctx: &Context<'_>,
        tag_id: ID,
        entity_type: EntityType,
        entity_ids: Vec<ID>,
    ) -> GqlResult<TagChange> {
        let (state, actor) = write_context(ctx)?;
        let ids: Vec<String> = entity_ids.into_iter().map(|id| id.0).collect();
        tagging::untag_entities(&state.db, &actor, &tag_id, entity_type.into(), &ids).await.map(Into::into).gql()
    }
}
