//! Wiring: `AppState` and `Application::build(config)`, which connects, migrates, seeds the demo
//! set when asked, and binds (port 0 picks a free port — the tests use that).

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

use crate::auth::{DEFAULT_LEEWAY_SECS, Verifier, VerifierConfig};
use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::graphql::cursor::CursorCodec;
use crate::graphql::{self, AppSchema, GqlState};
use crate::http::rate_limit::OperationLimiter;
use crate::metrics::Metrics;
use crate::pubsub::Broker;
use crate::pubsub::relay::Relay;
use crate::services::pii::Pii;
use crate::services::tx::Store;
use crate::services::verification::Codes;
use crate::{db, http, jobs, seed};

/// What every handler shares. axum clones the state per request (for the `track` middleware and
/// again for the handler), so it is one `Arc`: cloning its dozen fields one by one, and dropping
/// them again, was about 4,000 instructions per request.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub db: DatabaseConnection,
    pub verifier: Arc<Verifier>,
    pub rate_limit: Arc<OperationLimiter>,
    pub schema: AppSchema,
    pub metrics: Arc<Metrics>,
    pub config: Arc<Config>,
    pub pii: Arc<Pii>,
    /// The verification code sender and limits (`CDP_VERIFICATION_*`).
    pub codes: Arc<Codes>,
    pub store: Store,
    pub broker: Broker,
    /// Subscription reads and loaders shared by subscribers of one access rule.
    pub fanout: Arc<graphql::fanout::Fanout>,
    /// The open WebSocket connections, closed with `1001` on shutdown.
    pub sockets: http::Drain,
    /// Parsed query documents by text, shared with the schema's response ordering.
    pub documents: Arc<graphql::documents::Documents>,
    /// Subscription executions shared by subscribers with identical output.
    pub subscription_groups: Arc<http::ws_groups::Groups>,
}

/// What `serve` does before listening.
#[derive(Clone, Copy, Debug)]
pub struct StartOptions {
    pub migrate: bool,
    /// Seed the small demo set when the database is empty.
    pub demo_data: bool,
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
    /// The outbox's newest sequence number at start: the relay delivers what comes after it.
    /// Read here, before the server is announced, so no background statement races the first
    /// requests.
    outbox_start: i64,
    /// PostgreSQL: the outbox listener, opened before `outbox_start` was read.
    outbox_listener: Option<sea_orm::sqlx::postgres::PgListener>,
}

impl Application {
    pub async fn build(config: Config, opts: StartOptions) -> AppResult<Application> {
        let verifier = Arc::new(
            Verifier::new(VerifierConfig {
                hs256_secret: Some(config.root_secret.clone()),
                public_keys: config.jwt.public_keys.clone(),
                issuer: config.jwt.issuer.clone(),
                audience: config.jwt.audience.clone(),
                leeway_secs: DEFAULT_LEEWAY_SECS,
            })
            .map_err(|e| AppError::internal(format!("JWT verification keys: {e}")))?,
        );
        if config.jwt.public_keys.is_some() {
            // Partner keys change without a restart: on file change and on SIGHUP.
            // Detached on purpose: the watcher lives as long as the process.
            drop(verifier.clone().watch(std::time::Duration::from_secs(5)));
            #[cfg(unix)]
            if let Err(e) = verifier.clone().reload_on_sighup() {
                tracing::warn!(error = %e, "no SIGHUP key reload");
            }
        }
        let metrics = Arc::new(Metrics::new());
        if opts.migrate {
            db::migrate_on_own_connection(&config.database_url, config.db_acquire_timeout, metrics.clone()).await?;
        }
        let db = db::connect_pool(
            &config.database_url,
            config.db_max_connections,
            config.db_acquire_timeout,
            metrics.clone(),
        )
        .await?;
        let pii = Arc::new(Pii::new(&config.field_keys));
        if opts.demo_data && seed::is_empty(&db).await? {
            let report = seed::seed_demo(&db, &pii).await?;
            tracing::info!(rows = report.total_rows(), "empty database: seeded the demo data set");
        }
        // Listen first, then read where the outbox starts: a commit in between is heard.
        let outbox_listener = match db.get_database_backend() {
            sea_orm::DbBackend::Postgres => match crate::pubsub::relay::connect_listener(&config.database_url).await {
                Ok(l) => Some(l),
                Err(e) => {
                    tracing::warn!(error = %e, "outbox listener cannot connect yet; the relay retries");
                    None
                }
            },
            _ => None,
        };
        let outbox_start = crate::repo::outbox::last_seq(&db).await?;
        let store =
            Store::new(db.clone(), metrics.clone()).with_leases(config.leases.clone()).with_zone(config.business_zone);
        let broker = Broker::new(config.live.subscription_buffer);
        let fanout = Arc::new(graphql::fanout::Fanout::default());
        let gql_state = Arc::new(GqlState {
            fanout: fanout.clone(),
            db: db.clone(),
            store: store.clone(),
            broker: broker.clone(),
            metrics: metrics.clone(),
            cursors: CursorCodec::new(config.root_secret.derive("cdp360 cursor v1")),
            pii: pii.clone(),
            identity_cap: config.identity_max_shared_key,
            planner: config.read_planner,
            kept: db::KeptConnections::new(&db, config.db_max_connections),
        });
        let documents = Arc::new(graphql::documents::Documents::default());
        let schema = graphql::schema(gql_state, &config.limits, documents.clone());
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|e| AppError::internal(format!("cannot listen on {}: {e}", config.bind)))?;
        let rate_limit = Arc::new(OperationLimiter::new(config.limits.rate_per_minute, config.limits.rate_burst));
        let codes = Arc::new(Codes::new(config.verification.sender, config.verification.limits));
        let state = AppState(Arc::new(Shared {
            db,
            codes,
            verifier,
            rate_limit,
            schema,
            metrics,
            config: Arc::new(config),
            pii,
            store,
            broker,
            sockets: http::Drain::default(),
            subscription_groups: Arc::default(),
            fanout,
            documents,
        }));
        Ok(Application { listener, state, outbox_start, outbox_listener })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serve until `shutdown` resolves, then finish in-flight requests and the summary refreshes
    /// they queued. The outbox relay and the background jobs run on the current runtime meanwhile.
    pub async fn run_until(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let state = self.state;
        let live = &state.config.live;
        let listen = matches!(state.db.get_database_backend(), sea_orm::DbBackend::Postgres)
            .then(|| (state.config.database_url.clone(), self.outbox_listener));
        let relay = Relay {
            db: state.db.clone(),
            broker: state.broker.clone(),
            wake: state.store.relay_wake().clone(),
            metrics: state.metrics.clone(),
            listen,
            poll: live.outbox_poll,
        };
        let relay = tokio::spawn(relay.run(self.outbox_start));
        jobs::spawn(&state.store, &state.pii, &state.config).await;
        let store = state.store.clone();
        let (sockets, read_timeout) = (state.sockets.clone(), state.config.http_read_timeout);
        let router = http::router(state);
        let served = http::server::serve(self.listener, router, sockets, read_timeout, shutdown).await;
        jobs::flush(&store).await;
        relay.abort();
        served
    }
}

/// Resolves on SIGINT or SIGTERM. The handlers are installed when this is called (not when the
/// future is first polled), so a signal that arrives right after start-up still drains gracefully.
/// Must be called inside the runtime.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let int = signal(SignalKind::interrupt());
        async move {
            let (Ok(mut term), Ok(mut int)) = (term, int) else {
                tracing::warn!("cannot install signal handlers; stop with SIGKILL");
                return std::future::pending().await;
            };
            tokio::select! {
                _ = term.recv() => {},
                _ = int.recv() => {},
            }
            tracing::info!("shutdown signal received; draining in-flight requests");
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutdown signal received; draining in-flight requests");
    }
}
