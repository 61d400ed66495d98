//! `rotateWebhookSecret` and `retireWebhookSecret` (`admin`): a scene's webhook secrets. The
//! secret's text is answered once, by the rotation that issues it; nothing reads it back.

use async_graphql::{Context, ID, Object, SimpleObject};

use super::write_context;
use crate::graphql::errors::{GqlResult, OrGql};
use crate::services::webhook;

/// A newly issued webhook secret. Store `secret` now: it is never shown again.
#[derive(SimpleObject)]
pub struct IssuedWebhookSecret {
    pub secret_id: ID,
    /// The HMAC-SHA256 key (64 hex characters) the platform signs `"{timestamp}.{body}"` with.
    pub secret: String,
    pub scene_id: ID,
    /// The scene's active secrets, this one included (at most two).
    pub active_secret_ids: Vec<ID>,
}

#[derive(Default)]
pub struct WebhookMutations;

#[Object]
impl WebhookMutations {
    /// Issues a new webhook secret for a scene. With two active secrets already it is refused
    /// (`CONFLICT`: retire one first); an unknown scene is `NOT_FOUND`.
    async fn rotate_webhook_secret(&self, ctx: &Context<'_>, scene_id: ID) -> GqlResult<IssuedWebhookSecret> {
        let (state, _actor) = write_context(ctx)?;
        let issued = webhook::rotate_secret(&state.store, &state.pii, &scene_id).await.gql()?;
        Ok(IssuedWebhookSecret {
            secret_id: ID(issued.secret_id),
            secret: issued.secret,
            scene_id: ID(issued.scene_id),
            active_secret_ids: issued.active_secret_ids.into_iter().map(ID).collect(),
        })
    }

    /// Retires an active webhook secret: deliveries signed with it are refused from now on.
    /// Returns the ids of the scene's secrets still active. An unknown or retired secret is
    /// `NOT_FOUND`.
    async fn retire_webhook_secret(&self, ctx: &Context<'_>, secret_id: ID) -> GqlResult<Vec<ID>> {
        let (state, _actor) = write_context(ctx)?;
        let still = webhook::retire_secret(&state.store, &secret_id).await.gql()?;
        Ok(still.into_iter().map(ID).collect())
    }
}
