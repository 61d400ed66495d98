//! The GraphQL schema. Thin: inputs are parsed into the repo's filter language, reads go through
//! `services::read`, relations through the generic loaders. No SQL or transactions here.

pub mod aggregate;
pub mod bounds;
pub mod connection;
pub mod cursor;
pub mod documents;
pub mod errors;
pub mod fanout;
pub mod filters;
pub mod guard;
mod interned;
pub mod limits;
pub mod loaders;
pub mod model;
pub mod mutation;
pub mod order;
pub mod planner;
pub mod raw;
pub mod resource;
pub mod resource_macros;
pub mod scalars;
pub mod subscription;

use std::sync::Arc;

use async_graphql::{Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

use crate::config::QueryLimits;
use crate::services::pii::Pii;
use cursor::CursorCodec;

pub type AppSchema = Schema<model::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot>;

/// What resolvers need from the application, shared by all requests.
pub struct GqlState {
    pub db: DatabaseConnection,
    /// Writes go through the store (transaction + outbox + post-commit summary refresh).
    pub store: crate::services::tx::Store,
    /// Committed events of this replica, for subscriptions.
    pub broker: crate::pubsub::Broker,
    /// The subscriptions gauge.
    pub metrics: Arc<crate::metrics::Metrics>,
    pub cursors: CursorCodec,
    /// Decrypts and masks PII fields, and turns PII filters into blind-index matches.
    pub pii: Arc<Pii>,
    /// Subscription reads shared by subscribers of one access rule and filter.
    pub fanout: Arc<fanout::Fanout>,
    /// Identity resolution's switchboard cap (`CDP_IDENTITY_MAX_SHARED_KEY`).
    pub identity_cap: u64,
    /// Compile root query fields into one statement each (`CDP_READ_PLANNER`).
    pub planner: bool,
    /// The connections compiled reads keep between statements.
    pub kept: Arc<crate::db::KeptConnections>,
}

fn builder() -> SchemaBuilder<model::QueryRoot, mutation::MutationRoot, subscription::SubscriptionRoot> {
    Schema::build(model::QueryRoot, mutation::MutationRoot::default(), subscription::SubscriptionRoot)
}

/// The live schema with its limits and shared state.
pub fn schema(state: Arc<GqlState>, limits: &QueryLimits, documents: Arc<documents::Documents>) -> AppSchema {
    builder()
        .data(state)
        .limit_complexity(limits.max_complexity)
        // Fragment nesting (inline and spread chains) is bounded like the text's nesting; the
        // depth of fields is `limits::RequestLimits`' to decide.
        .limit_recursive_depth(limits.max_input_depth)
        // First: nothing below may recurse on an unbounded input. Three extensions in all, as
        // each wraps every resolved field in a future of its own.
        .extension(limits::RequestLimits {
            input: limits.into(),
            max_aliases: limits.max_aliases,
            max_depth: limits.max_depth,
            documents: documents.clone(),
        })
        .extension(guard::Authorization)
        .extension(order::ResponseOrder(documents))
        .finish()
}

/// The SDL that `cdp360 export-schema` writes to `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
