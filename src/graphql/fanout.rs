//! Subscription fan-out without a read per subscriber. Every subscriber sees an event's record
//! through its own access rule and filter, so each used to read it once: 20 `leadCreated` events
//! to 200 subscribers ran 4,164 statements. Now
//!
//! - the record of an event is read once per distinct (event, access rule, filter) and shared by
//!   every subscriber in that group (`read`), concurrent subscribers awaiting the same read;
//! - the relations below it are batched across the subscribers of one access rule: WebSocket
//!   connections with the same rule share one cache-less loader (`loader`), so their keys of one
//!   event land in one statement per relation.
//!
//! The rule itself is still `services::read::Access`, applied in SQL as for queries; this only
//! decides who shares a statement. Both maps are bounded: reads are kept for the most recent
//! events only, loaders for at most [`MAX_LOADERS`] rules (they hold no rows, so dropping one
//! loses nothing).

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Shared};
use sea_orm::DatabaseConnection;

use super::loaders::{DbLoader, SharedLoader};
use crate::services::read::Access;

/// Reads kept for events this many sequence numbers behind the newest one read.
const KEEP_EVENTS: i64 = 256;
const MAX_LOADERS: usize = 256;

/// One shared read: the record (or none), type-erased so one map serves every table.
type SharedRead = Shared<BoxFuture<'static, Arc<dyn Any + Send + Sync>>>;

#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ReadKey {
    pub seq: i64,
    pub table: &'static str,
    pub col: &'static str,
    pub key: String,
    /// `Access::fingerprint` and the filter's canonical text: who may see what.
    pub access: Arc<str>,
    pub filter: Option<Arc<str>>,
}

#[derive(Default)]
pub struct Fanout {
    reads: Mutex<HashMap<ReadKey, SharedRead>>,
    loaders: Mutex<HashMap<Arc<str>, SharedLoader>>,
}

impl Fanout {
    /// The record `read` returns for `key`, read once for every subscriber with the same key.
    pub async fn read<M>(&self, key: ReadKey, read: impl Future<Output = Option<M>> + Send + 'static) -> Option<M>
    where
        M: Clone + Send + Sync + 'static,
    {
        let shared = {
            let mut reads = self.reads.lock().unwrap_or_else(|e| e.into_inner());
            if reads.len() > 4 * KEEP_EVENTS as usize {
                let newest = reads.keys().map(|k| k.seq).max().unwrap_or(key.seq).max(key.seq);
                reads.retain(|k, _| k.seq > newest - KEEP_EVENTS);
            }
            reads
                .entry(key)
                .or_insert_with(|| async move { Arc::new(read.await) as Arc<dyn Any + Send + Sync> }.boxed().shared())
                .clone()
        };
        shared.await.downcast_ref::<Option<M>>().cloned().flatten()
    }

    /// The loader shared by the WebSocket connections of one access rule.
    pub fn loader(&self, db: &DatabaseConnection, access: &Access) -> SharedLoader {
        let mut loaders = self.loaders.lock().unwrap_or_else(|e| e.into_inner());
        if loaders.len() >= MAX_LOADERS {
            loaders.clear();
        }
        loaders.entry(access.fingerprint()).or_insert_with(|| DbLoader::new(db.clone(), access.clone())).clone()
    }
}
