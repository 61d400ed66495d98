//! Subscriptions (issue 5) over `graphql-transport-ws` on `/graphql`. Every stream reads this
//! replica's [`Broker`](crate::pubsub::Broker), which the outbox relay feeds in commit order (also
//! with other replicas' commits). Each delivered record is read again through the subscriber's own
//! access, so partner channel restrictions and filters apply to every event exactly as to a query
//! (a lead event is also dropped early when its channel is not the partner's). A subscriber that
//! falls more than `CDP_SUBSCRIPTION_BUFFER` events behind is disconnected (`http/ws.rs`).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use async_graphql::{Context, ID, Object, Subscription};
use chrono::{DateTime, Utc};
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use super::GqlState;
use super::errors::{GqlResult, OrGql};
use super::fanout::ReadKey;
use super::model::{
    Account, AccountSummary, Contact, ContactSummary, Lead, LeadFilter, LeadStatus, Opportunity, OpportunityStage,
};
use super::resource::{FilterInput, Resource};
use super::scalars::Instant;
use crate::auth::Principal;
use crate::metrics::{Counted, Metrics};
use crate::pubsub::{DomainEvent, Envelope};
use crate::repo::filter::{CmpOp, Filter};
use crate::repo::page::Slice;
use crate::repo::summary::Summary;
use crate::services::read::{self, Access};

/// Set in a WebSocket connection's data: a subscription that lagged behind asks the connection to
/// close (a slow consumer is disconnected rather than buffered).
#[derive(Clone)]
pub struct SlowConsumer(pub Arc<tokio::sync::Notify>);

/// Set by a shared subscription (`http/ws_groups.rs`): the sequence number of the event the
/// stream's latest item came from, so a subscriber that joined after that event skips the item.
#[derive(Clone, Default)]
pub struct EventCursor(pub Arc<AtomicI64>);

#[derive(Default)]
pub struct SubscriptionRoot;

#[Subscription]
impl SubscriptionRoot {
    /// Leads created from now on that match `filter` (and that the token may see).
    async fn lead_created(
        &self,
        ctx: &Context<'_>,
        filter: Option<LeadFilter>,
    ) -> Result<impl Stream<Item = Lead> + use<>, async_graphql::Error> {
        lead_stream(ctx, filter, |e| matches!(e, DomainEvent::LeadCreated { .. }), |lead, _| lead)
    }

    /// Leads changed from now on (any update: fields, status, owner, conversion) that match
    /// `filter` after the change.
    async fn lead_updated(
        &self,
        ctx: &Context<'_>,
        filter: Option<LeadFilter>,
    ) -> Result<impl Stream<Item = Lead> + use<>, async_graphql::Error> {
        lead_stream(ctx, filter, |e| matches!(e, DomainEvent::LeadUpdated { .. }), |lead, _| lead)
    }

    /// Lead status moves (`changeLeadStatus`), with the statuses before and after.
    async fn lead_status_changed(
        &self,
        ctx: &Context<'_>,
        filter: Option<LeadFilter>,
    ) -> Result<impl Stream<Item = LeadStatusChange> + use<>, async_graphql::Error> {
        lead_stream(
            ctx,
            filter,
            |e| matches!(e, DomainEvent::LeadStatusChanged { .. }),
            |lead, env| {
                let DomainEvent::LeadStatusChanged { from, to, .. } = &env.event else {
                    unreachable!("selected above")
                };
                LeadStatusChange {
                    lead,
                    from_status: (*from).into(),
                    to_status: (*to).into(),
                    occurred_at: env.occurred_at,
                }
            },
        )
    }

    /// Converted leads, with the contact, account and opportunity the conversion produced.
    async fn lead_converted(
        &self,
        ctx: &Context<'_>,
        filter: Option<LeadFilter>,
    ) -> Result<impl Stream<Item = LeadConversion> + use<>, async_graphql::Error> {
        lead_stream(
            ctx,
            filter,
            |e| matches!(e, DomainEvent::LeadConverted { .. }),
            |lead, env| {
                let DomainEvent::LeadConverted { contact_id, account_id, opportunity_id, .. } = &env.event else {
                    unreachable!("selected above")
                };
                LeadConversion {
                    lead,
                    contact_id: contact_id.clone(),
                    account_id: account_id.clone(),
                    opportunity_id: opportunity_id.clone(),
                    occurred_at: env.occurred_at,
                }
            },
        )
    }

    /// Leads given to an owner from now on (`claimLead`, `assignLead`, `reassignLeads`, an owner
    /// set by `updateLead`), to `ownerId` only when given.
    async fn lead_assigned(
        &self,
        ctx: &Context<'_>,
        owner_id: Option<ID>,
    ) -> Result<impl Stream<Item = LeadAssignment> + use<>, async_graphql::Error> {
        let sub = Sub::new(ctx)?;
        let owner_id = owner_id.map(|o| o.0);
        let (state, access) = (sub.state.clone(), sub.access.clone());
        Ok(sub.stream(move |principal, env| {
            let wanted = match &env.event {
                DomainEvent::LeadAssigned { owner_user_id, channel_id, .. } => {
                    owner_id.as_ref().is_none_or(|o| o == owner_user_id)
                        && principal.can_see_channel(channel_id.as_deref())
                }
                _ => false,
            };
            let (state, access) = (state.clone(), access.clone());
            async move {
                let DomainEvent::LeadAssigned { lead_id, owner_user_id, .. } = &env.event else { return None };
                if !wanted {
                    return None;
                }
                let lead = fetch::<Lead>(&state, env.seq, &access, Lead::TABLE.pk, lead_id, None).await?;
                Some(LeadAssignment { lead, owner_user_id: owner_user_id.clone(), occurred_at: env.occurred_at })
            }
        }))
    }

    /// Opportunity stage moves (`moveOpportunityStage`), of one account or of all.
    async fn opportunity_stage_changed(
        &self,
        ctx: &Context<'_>,
        account_id: Option<ID>,
    ) -> Result<impl Stream<Item = OpportunityStageChange> + use<>, async_graphql::Error> {
        let sub = Sub::new(ctx)?;
        let account_id = account_id.map(|a| a.0);
        Ok(sub.stream(move |_, env| {
            let out = match &env.event {
                DomainEvent::OpportunityStageChanged { opportunity_id, account_id: acc, from, to }
                    if account_id.as_ref().is_none_or(|a| a == acc) =>
                {
                    Some(OpportunityStageChange {
                        opportunity_id: opportunity_id.clone(),
                        from_stage: (*from).into(),
                        to_stage: (*to).into(),
                        occurred_at: env.occurred_at,
                    })
                }
                _ => None,
            };
            async move { out }
        }))
    }

    /// The account's summary, each time it is refreshed.
    async fn account_summary_updated(
        &self,
        ctx: &Context<'_>,
        account_id: ID,
    ) -> Result<impl Stream<Item = AccountSummary> + use<>, async_graphql::Error> {
        summary_stream::<AccountSummary>(ctx, Summary::Account, "account_id", account_id.0)
    }

    /// The contact's summary, each time it is refreshed.
    async fn contact_summary_updated(
        &self,
        ctx: &Context<'_>,
        contact_id: ID,
    ) -> Result<impl Stream<Item = ContactSummary> + use<>, async_graphql::Error> {
        summary_stream::<ContactSummary>(ctx, Summary::Contact, "contact_id", contact_id.0)
    }

    /// Leads arriving through lead ingestion from now on (of one scene, or all): each processed
    /// submission's new lead, or the existing lead it duplicated, as the token may see it.
    async fn lead_ingested(
        &self,
        ctx: &Context<'_>,
        scene_id: Option<ID>,
    ) -> Result<impl Stream<Item = LeadIngested> + use<>, async_graphql::Error> {
        let sub = Sub::new(ctx)?;
        let wanted = scene_id.map(|s| s.0);
        let (state, access) = (sub.state.clone(), sub.access.clone());
        Ok(sub.stream(move |principal, env| {
            let hit = match &env.event {
                DomainEvent::LeadIngested { ingestion_id, scene_id, lead_id, channel_id, duplicate }
                    if principal.can_see_channel(channel_id.as_deref())
                        && wanted.as_ref().is_none_or(|w| w == scene_id) =>
                {
                    Some((ingestion_id.clone(), scene_id.clone(), lead_id.clone(), *duplicate))
                }
                _ => None,
            };
            let (state, access) = (state.clone(), access.clone());
            async move {
                let (ingestion_id, scene_id, lead_id, duplicate) = hit?;
                let lead = fetch::<Lead>(&state, env.seq, &access, Lead::TABLE.pk, &lead_id, None).await?;
                Some(LeadIngested { ingestion_id, scene_id, duplicate, lead, occurred_at: env.occurred_at })
            }
        }))
    }

    /// Behaviour events stored by ingestion calls, per call and channel (of one channel, or all
    /// channels the token may see).
    async fn events_ingested(
        &self,
        ctx: &Context<'_>,
        channel_id: Option<ID>,
    ) -> Result<impl Stream<Item = EventsIngested> + use<>, async_graphql::Error> {
        let sub = Sub::new(ctx)?;
        let wanted = channel_id.map(|c| c.0);
        Ok(sub.stream(move |principal, env| {
            let out = match &env.event {
                DomainEvent::EventsIngested { channel_id, event_ids }
                    if principal.can_see_channel(channel_id.as_deref())
                        && (wanted.is_none() || wanted.as_deref() == channel_id.as_deref()) =>
                {
                    Some(EventsIngested {
                        channel_id: channel_id.clone(),
                        event_ids: event_ids.clone(),
                        occurred_at: env.occurred_at,
                    })
                }
                _ => None,
            };
            async move { out }
        }))
    }
}

/// A lead that arrived through lead ingestion.
pub struct LeadIngested {
    ingestion_id: String,
    scene_id: String,
    duplicate: bool,
    lead: Lead,
    occurred_at: DateTime<Utc>,
}

#[Object]
impl LeadIngested {
    async fn ingestion_id(&self) -> ID {
        ID(self.ingestion_id.clone())
    }
    async fn scene_id(&self) -> ID {
        ID(self.scene_id.clone())
    }
    /// True when the submission duplicated `lead` (no new lead was created).
    async fn duplicate(&self) -> bool {
        self.duplicate
    }
    /// The new lead, or the existing one the submission duplicated.
    async fn lead(&self) -> &Lead {
        &self.lead
    }
    async fn occurred_at(&self) -> Instant {
        Instant(self.occurred_at)
    }
}

/// A lead given to an owner.
pub struct LeadAssignment {
    lead: Lead,
    owner_user_id: String,
    occurred_at: DateTime<Utc>,
}

#[Object]
impl LeadAssignment {
    async fn lead(&self) -> &Lead {
        &self.lead
    }
    /// The owner the lead was given to (the lead may have moved on since).
    async fn owner_id(&self) -> ID {
        ID(self.owner_user_id.clone())
    }
    /// When the assignment was committed.
    async fn occurred_at(&self) -> Instant {
        Instant(self.occurred_at)
    }
}

/// A lead status move.
pub struct LeadStatusChange {
    lead: Lead,
    from_status: LeadStatus,
    to_status: LeadStatus,
    occurred_at: DateTime<Utc>,
}

#[Object]
impl LeadStatusChange {
    async fn lead(&self) -> &Lead {
        &self.lead
    }
    async fn from_status(&self) -> LeadStatus {
        self.from_status
    }
    async fn to_status(&self) -> LeadStatus {
        self.to_status
    }
    /// When the change was committed.
    async fn occurred_at(&self) -> Instant {
        Instant(self.occurred_at)
    }
}

/// A lead conversion and what it produced.
pub struct LeadConversion {
    lead: Lead,
    contact_id: String,
    account_id: String,
    opportunity_id: Option<String>,
    occurred_at: DateTime<Utc>,
}

#[Object]
impl LeadConversion {
    async fn lead(&self) -> &Lead {
        &self.lead
    }
    async fn contact(&self, ctx: &Context<'_>) -> GqlResult<Option<Contact>> {
        super::loaders::one::<Contact>(ctx, Contact::TABLE.pk, Some(self.contact_id.clone())).await
    }
    async fn account(&self, ctx: &Context<'_>) -> GqlResult<Option<Account>> {
        super::loaders::one::<Account>(ctx, Account::TABLE.pk, Some(self.account_id.clone())).await
    }
    async fn opportunity(&self, ctx: &Context<'_>) -> GqlResult<Option<Opportunity>> {
        super::loaders::one::<Opportunity>(ctx, Opportunity::TABLE.pk, self.opportunity_id.clone()).await
    }
    async fn occurred_at(&self) -> Instant {
        Instant(self.occurred_at)
    }
}

/// An opportunity stage move.
pub struct OpportunityStageChange {
    opportunity_id: String,
    from_stage: OpportunityStage,
    to_stage: OpportunityStage,
    occurred_at: DateTime<Utc>,
}

#[Object]
impl OpportunityStageChange {
    /// The opportunity as it is now (null if it was deleted meanwhile).
    async fn opportunity(&self, ctx: &Context<'_>) -> GqlResult<Option<Opportunity>> {
        super::loaders::one::<Opportunity>(ctx, Opportunity::TABLE.pk, Some(self.opportunity_id.clone())).await
    }
    async fn from_stage(&self) -> OpportunityStage {
        self.from_stage
    }
    async fn to_stage(&self) -> OpportunityStage {
        self.to_stage
    }
    async fn occurred_at(&self) -> Instant {
        Instant(self.occurred_at)
    }
}

/// Events stored by one ingestion call in one channel.
pub struct EventsIngested {
    channel_id: Option<String>,
    event_ids: Vec<String>,
    occurred_at: DateTime<Utc>,
}

#[Object]
impl EventsIngested {
    async fn channel_id(&self) -> Option<ID> {
        self.channel_id.clone().map(ID)
    }
    async fn count(&self) -> usize {
        self.event_ids.len()
    }
    async fn event_ids(&self) -> Vec<ID> {
        self.event_ids.iter().cloned().map(ID).collect()
    }
    async fn occurred_at(&self) -> Instant {
        Instant(self.occurred_at)
    }
}

/// What every subscription stream needs, taken from the context when it starts.
struct Sub {
    state: Arc<GqlState>,
    access: Access,
    principal: Principal,
    slow: Option<SlowConsumer>,
    cursor: Option<EventCursor>,
}

impl Sub {
    fn new(ctx: &Context<'_>) -> GqlResult<Sub> {
        Ok(Sub {
            state: ctx.data::<Arc<GqlState>>()?.clone(),
            access: ctx.data::<Access>()?.clone(),
            principal: ctx.data::<Principal>()?.clone(),
            slow: ctx.data_opt::<SlowConsumer>().cloned(),
            cursor: ctx.data_opt::<EventCursor>().cloned(),
        })
    }

    /// The broker's events from now on, each turned into an item by `pick` (or skipped); ends
    /// when the subscriber lags. Counted in `cdp360_subscriptions_active` while alive, unless a
    /// group of subscribers shares it (`http/ws_groups.rs` counts each member instead).
    fn stream<T, F, Fut>(self, pick: F) -> impl Stream<Item = T> + use<T, F, Fut>
    where
        T: Send + 'static,
        F: Fn(&Principal, Arc<Envelope>) -> Fut + Send + 'static,
        Fut: Future<Output = Option<T>> + Send,
    {
        let rx = self.state.broker.subscribe();
        let principal = self.principal;
        let slow = self.slow;
        let cursor = self.cursor;
        let active = cursor.is_none().then(|| Counted::new(self.state.metrics.clone(), Metrics::subscriptions_delta));
        futures_util::stream::unfold((rx, pick, active), move |(mut rx, pick, active)| {
            let principal = principal.clone();
            let slow = slow.clone();
            let cursor = cursor.clone();
            async move {
                loop {
                    match rx.recv().await {
                        Ok(env) => {
                            if let Some(EventCursor(c)) = &cursor {
                                c.store(env.seq, Ordering::Release);
                            }
                            if let Some(item) = pick(&principal, env).await {
                                return Some((item, (rx, pick, active)));
                            }
                        }
                        Err(RecvError::Lagged(missed)) => {
                            tracing::warn!(missed, "subscriber fell behind; disconnecting it");
                            if let Some(SlowConsumer(n)) = &slow {
                                n.notify_one();
                            }
                            return None;
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            }
        })
    }
}

/// The first record of `R` whose `col` equals `key` and that passes `filter`, read through
/// `access`: once per event for all subscribers of the same access rule and filter
/// (`graphql::fanout`). A failed read drops the event (logged): a subscription outlives a
/// database hiccup.
async fn fetch<R: Resource>(
    state: &Arc<GqlState>,
    seq: i64,
    access: &Access,
    col: &'static str,
    key: &str,
    filter: Option<&Arc<(Filter, Arc<str>)>>,
) -> Option<R>
where
    R::Model: Clone + Send + Sync + 'static,
{
    let shared = ReadKey {
        seq,
        table: R::TABLE.name,
        col,
        key: key.to_owned(),
        access: access.fingerprint(),
        filter: filter.map(|f| f.1.clone()),
    };
    let mut parts = vec![Filter::Cmp { col, op: CmpOp::Eq, value: key.into() }];
    parts.extend(filter.map(|f| f.0.clone()));
    let (db, access) = (state.db.clone(), access.clone());
    let read = async move {
        let slice = Slice { limit: 1, backward: false, after: None, before: None };
        let all = Filter::all(parts);
        match read::page::<R::Model>(&db, &access, R::TABLE, all.as_ref(), R::default_order(), &slice).await {
            Ok(page) => page.rows.into_iter().next(),
            Err(e) => {
                tracing::warn!(error = %e.message(), table = R::TABLE.name, "subscription read failed; event dropped");
                None
            }
        }
    };
    state.fanout.read(shared, read).await.map(R::wrap)
}

/// Lead events selected by `select`, re-read through the subscriber's access and `filter`.
fn lead_stream<T: Send + 'static>(
    ctx: &Context<'_>,
    filter: Option<LeadFilter>,
    select: fn(&DomainEvent) -> bool,
    build: fn(Lead, &Envelope) -> T,
) -> GqlResult<impl Stream<Item = T> + use<T>> {
    let sub = Sub::new(ctx)?;
    // Converted once, so a malformed filter fails the subscribe instead of every event; its
    // canonical text decides which subscribers share a read.
    let filter: Option<Arc<(Filter, Arc<str>)>> = match filter {
        Some(f) => f.compile(&sub.state.pii).gql()?.map(|f| {
            let canon: Arc<str> = Arc::from(format!("{f:?}"));
            Arc::new((f, canon))
        }),
        None => None,
    };
    let (state, access) = (sub.state.clone(), sub.access.clone());
    Ok(sub.stream(move |principal, env| {
        let wanted =
            select(&env.event) && env.event.lead().is_some_and(|(_, channel)| principal.can_see_channel(channel));
        let (state, access, filter) = (state.clone(), access.clone(), filter.clone());
        async move {
            if !wanted {
                return None;
            }
            let (lead_id, _) = env.event.lead()?;
            let lead = fetch::<Lead>(&state, env.seq, &access, Lead::TABLE.pk, lead_id, filter.as_ref()).await?;
            Some(build(lead, &env))
        }
    }))
}

/// One record's summary, each time a refresh names it.
fn summary_stream<R: Resource>(
    ctx: &Context<'_>,
    kind: Summary,
    col: &'static str,
    id: String,
) -> GqlResult<impl Stream<Item = R> + use<R>> {
    let sub = Sub::new(ctx)?;
    let (state, access) = (sub.state.clone(), sub.access.clone());
    Ok(sub.stream(move |_, env| {
        let named =
            matches!(&env.event, DomainEvent::SummaryUpdated { summary, ids } if *summary == kind && ids.contains(&id));
        let (state, access, id) = (state.clone(), access.clone(), id.clone());
        async move {
            if !named {
                return None;
            }
            fetch::<R>(&state, env.seq, &access, col, &id, None).await
        }
    }))
}
