//! Generic DataLoaders: every relation of every entity is batched through one `DbLoader`, keyed by
//! the target type. One loader per request (no cross-request cache, no cross-principal leaks).
//! - `ByKey<R>`: rows of R whose column equals a key (to-one relations, summaries, `x(id:)`);
//! - `PageKey<R>`: one keyset page of a nested list per parent, one window statement per batch;
//! - `CountKey<R>`: `totalCount` of nested lists, one grouped statement per batch.

use std::collections::HashMap;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering as AtomicOrdering};
use std::time::{Duration, Instant};

use async_graphql::Context;
use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::DatabaseConnection;

use super::errors::{GqlResult, to_gql};
use super::resource::Resource;
use crate::error::AppError;
use crate::repo::filter::Filter;
use crate::repo::page::{Link, Order, Page, Slice};
use crate::services::read::{self, Access};

pub struct DbLoader {
    db: DatabaseConnection,
    /// The requesting principal's row restrictions, applied to every batch.
    access: Access,
    /// Keys registered so far in this request (see `settle`).
    registered: Arc<AtomicU64>,
    /// Whether the request is mid-poll or about to be polled (see [`Polled`]).
    busy: Arc<Busy>,
}

/// A batch is fetched once no key has arrived for this long and the request is not mid-poll…
const QUIET: Duration = Duration::from_millis(1);
/// …or at the latest this long after its first key.
const MAX_WAIT: Duration = Duration::from_millis(100);

/// A request's (or, for subscriptions, an access rule's: `graphql::fanout`) loader, as the
/// resolvers find it in their context.
pub type SharedLoader = Arc<DataLoader<DbLoader>>;

impl DbLoader {
    pub fn new(db: DatabaseConnection, access: Access) -> SharedLoader {
        let registered = Arc::new(AtomicU64::new(0));
        let busy = Arc::new(Busy::default());
        let (watched, in_poll) = (registered.clone(), busy.clone());
        // async-graphql fetches a batch a fixed delay after its first key. Walking a large list in
        // a debug build (or on a busy core) takes longer than that, which splits one field's keys
        // into many statements. Debouncing instead keeps a batch open while keys keep arriving and
        // while the request is busy (see `Polled`).
        let spawner = move |fetch: futures_util::future::BoxFuture<'static, ()>| {
            let (watched, in_poll) = (watched.clone(), in_poll.clone());
            tokio::spawn(async move {
                settle(&watched, &in_poll).await;
                fetch.await
            })
        };
        Arc::new(DataLoader::new(DbLoader { db, access, registered, busy }, spawner).delay(Duration::ZERO))
    }

    /// The state [`Polled`] keeps for this loader.
    pub fn busy(&self) -> Arc<Busy> {
        self.busy.clone()
    }

    fn touch(&self) {
        self.registered.fetch_add(1, AtomicOrdering::Relaxed);
    }
}

/// Yields (instead of sleeping `QUIET`) this many times while a tracked request is busy.
const SPINS: u32 = 64;

async fn settle(registered: &AtomicU64, busy: &Busy) {
    let started = Instant::now();
    let mut seen = registered.load(AtomicOrdering::Relaxed);
    let mut spins = 0;
    while started.elapsed() < MAX_WAIT {
        // A request wrapped in `Polled` says when it is idle: then every key its resolvers could
        // register without more IO is registered, and the batch goes at once instead of after a
        // timer tick (a timer costs a millisecond or more per depth level; the benchmark's
        // `account(id:)` spent most of its time here). Otherwise (WebSocket) the quiet period.
        if busy.is_tracked() && spins < SPINS {
            spins += 1;
            tokio::task::yield_now().await;
        } else {
            tokio::time::sleep(QUIET).await;
        }
        let now = registered.load(AtomicOrdering::Relaxed);
        if now == seen && !busy.is_busy() {
            return;
        }
        seen = now;
    }
}

/// A request's execution future that tells its loader when the request is busy: being polled, or
/// woken and waiting to be polled again. Both mean more keys may come: a list's children register
/// their keys over several polls (futures' `FuturesUnordered` yields after 32 children), and a
/// thread can be preempted mid-poll. Without the wrapper (WebSocket operations) batching falls back
/// to the quiet period alone.
pub struct Polled<T> {
    inner: std::pin::Pin<Box<dyn Future<Output = T> + Send>>,
    busy: Arc<Busy>,
}

/// The request's state as its loader sees it.
#[derive(Default)]
pub struct Busy {
    polling: AtomicBool,
    woken: AtomicBool,
    /// Set by the first poll of a [`Polled`]: the two flags above are meaningful.
    tracked: AtomicBool,
}

impl Busy {
    fn is_tracked(&self) -> bool {
        self.tracked.load(AtomicOrdering::Acquire)
    }

    fn is_busy(&self) -> bool {
        self.polling.load(AtomicOrdering::Acquire) || self.woken.load(AtomicOrdering::Acquire)
    }
}

/// The task's waker, noting wake-ups in `busy` first.
struct NotingWaker {
    inner: std::task::Waker,
    busy: Arc<Busy>,
}

impl std::task::Wake for NotingWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.busy.woken.store(true, AtomicOrdering::Release);
        self.inner.wake_by_ref();
    }
}

impl<T> Polled<T> {
    pub fn new(busy: Arc<Busy>, fut: impl Future<Output = T> + Send + 'static) -> Polled<T> {
        Polled { inner: Box::pin(fut), busy }
    }
}

impl<T> Future for Polled<T> {
    type Output = T;
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<T> {
        let busy = self.busy.clone();
        busy.tracked.store(true, AtomicOrdering::Release);
        busy.polling.store(true, AtomicOrdering::Release);
        busy.woken.store(false, AtomicOrdering::Release);
        let waker = std::task::Waker::from(Arc::new(NotingWaker { inner: cx.waker().clone(), busy: busy.clone() }));
        let out = self.inner.as_mut().poll(&mut std::task::Context::from_waker(&waker));
        busy.polling.store(false, AtomicOrdering::Release);
        out
    }
}

type LoadError = Arc<AppError>;

/// Everything that selects one nested page except the parent: shared by all parents of a batch.
#[derive(Debug)]
pub struct NestedSpec {
    link: Link,
    filter: Option<Filter>,
    order: Order,
    slice: Slice,
    /// Canonical text of the above: batch and cache identity.
    canon: String,
}

impl NestedSpec {
    pub fn new(link: Link, filter: Option<Filter>, order: Order, slice: Slice) -> Self {
        let canon = format!("{link:?}|{filter:?}|{order:?}|{slice:?}");
        NestedSpec { link, filter, order, slice, canon }
    }
}

macro_rules! key_type {
    ($name:ident { $($field:ident: $t:ty),* }) => {
        pub struct $name<R> { $(pub $field: $t,)* _r: PhantomData<fn() -> R> }
        impl<R> $name<R> {
            pub fn new($($field: $t),*) -> Self { $name { $($field,)* _r: PhantomData } }
        }
        impl<R> Clone for $name<R> {
            fn clone(&self) -> Self { $name { $($field: self.$field.clone(),)* _r: PhantomData } }
        }
    };
}

key_type!(ByKey { col: &'static str, key: String });
key_type!(PageKey { spec: Arc<NestedSpec>, parent: String });
key_type!(CountKey { spec: Arc<NestedSpec>, parent: String });

impl<R> PartialEq for ByKey<R> {
    fn eq(&self, o: &Self) -> bool {
        self.col == o.col && self.key == o.key
    }
}
impl<R> Eq for ByKey<R> {}
impl<R> Hash for ByKey<R> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        (self.col, &self.key).hash(h)
    }
}

macro_rules! spec_key_eq {
    ($($name:ident),*) => {$(
        impl<R> PartialEq for $name<R> {
            fn eq(&self, o: &Self) -> bool { self.spec.canon == o.spec.canon && self.parent == o.parent }
        }
        impl<R> Eq for $name<R> {}
        impl<R> Hash for $name<R> {
            fn hash<H: Hasher>(&self, h: &mut H) { (&self.spec.canon, &self.parent).hash(h) }
        }
    )*};
}
spec_key_eq!(PageKey, CountKey);

/// Group values by a key compared with `same`, keeping first-seen order (batches hold few groups:
/// normally one, the same field under many parents).
fn group<G, V>(pairs: impl Iterator<Item = (G, V)>, same: impl Fn(&G, &G) -> bool) -> Vec<(G, Vec<V>)> {
    let mut groups: Vec<(G, Vec<V>)> = Vec::new();
    for (g, v) in pairs {
        match groups.iter_mut().find(|(k, _)| same(k, &g)) {
            Some((_, vs)) => vs.push(v),
            None => groups.push((g, vec![v])),
        }
    }
    groups
}

/// Parents grouped by their shared nested-list spec.
fn by_spec<'a>(specs: impl Iterator<Item = (&'a Arc<NestedSpec>, &'a String)>) -> Vec<(Arc<NestedSpec>, Vec<String>)> {
    group(specs.map(|(s, p)| (s.clone(), p.clone())), |a, b| a.canon == b.canon)
}

impl<R: Resource> Loader<ByKey<R>> for DbLoader {
    type Value = R::Model;
    type Error = LoadError;

    async fn load(&self, keys: &[ByKey<R>]) -> Result<HashMap<ByKey<R>, R::Model>, LoadError> {
        let cols = group(keys.iter().map(|k| (k.col, k.key.clone())), |a, b| a == b);
        let mut out = HashMap::with_capacity(keys.len());
        for (col, values) in cols {
            let rows =
                read::find_by::<R::Model>(&self.db, &self.access, R::TABLE, col, &values).await.map_err(Arc::new)?;
            for (key, model) in rows {
                out.entry(ByKey::new(col, key)).or_insert(model);
            }
        }
        Ok(out)
    }
}

impl<R: Resource> Loader<PageKey<R>> for DbLoader {
    type Value = Page<R::Model>;
    type Error = LoadError;

    async fn load(&self, keys: &[PageKey<R>]) -> Result<HashMap<PageKey<R>, Page<R::Model>>, LoadError> {
        let mut out = HashMap::with_capacity(keys.len());
        for (spec, parents) in by_spec(keys.iter().map(|k| (&k.spec, &k.parent))) {
            let pages = read::page_per_parent::<R::Model>(
                &self.db,
                &self.access,
                R::TABLE,
                spec.link,
                &parents,
                spec.filter.as_ref(),
                spec.order,
                &spec.slice,
            )
            .await
            .map_err(Arc::new)?;
            for (parent, page) in pages {
                out.insert(PageKey::new(spec.clone(), parent), page);
            }
        }
        Ok(out)
    }
}

impl<R: Resource> Loader<CountKey<R>> for DbLoader {
    type Value = u64;
    type Error = LoadError;

    async fn load(&self, keys: &[CountKey<R>]) -> Result<HashMap<CountKey<R>, u64>, LoadError> {
        let mut out = HashMap::with_capacity(keys.len());
        for (spec, parents) in by_spec(keys.iter().map(|k| (&k.spec, &k.parent))) {
            let counts =
                read::count_per_parent(&self.db, &self.access, R::TABLE, spec.link, &parents, spec.filter.as_ref())
                    .await
                    .map_err(Arc::new)?;
            for (parent, n) in counts {
                out.insert(CountKey::new(spec.clone(), parent), n);
            }
        }
        Ok(out)
    }
}

fn loader<'a>(ctx: &'a Context<'_>) -> GqlResult<&'a DataLoader<DbLoader>> {
    let loader = ctx.data::<SharedLoader>()?;
    loader.loader().touch();
    Ok(loader)
}

/// The R whose `col` equals `key` (None when the key is null or nothing matches).
pub async fn one<R: Resource>(ctx: &Context<'_>, col: &'static str, key: Option<String>) -> GqlResult<Option<R>> {
    let Some(key) = key else { return Ok(None) };
    let found = loader(ctx)?.load_one(ByKey::<R>::new(col, key)).await.map_err(|e| to_gql(&e))?;
    Ok(found.map(R::wrap))
}

pub async fn page<R: Resource>(ctx: &Context<'_>, spec: Arc<NestedSpec>, parent: String) -> GqlResult<Page<R::Model>> {
    let found = loader(ctx)?.load_one(PageKey::<R>::new(spec, parent)).await.map_err(|e| to_gql(&e))?;
    Ok(found.unwrap_or(Page { rows: vec![], has_more: false }))
}

pub async fn count<R: Resource>(ctx: &Context<'_>, spec: Arc<NestedSpec>, parent: String) -> GqlResult<u64> {
    let found = loader(ctx)?.load_one(CountKey::<R>::new(spec, parent)).await.map_err(|e| to_gql(&e))?;
    Ok(found.unwrap_or(0))
}
