//! `cdp360`: parse the command line, load configuration, start telemetry, run the subcommand.

use std::path::PathBuf;
use std::process::ExitCode;

use cdp360::config::Config;
use cdp360::error::AppError;
use cdp360::services::pii::{self, Pii};
use cdp360::startup::{Application, StartOptions, shutdown_signal};
use cdp360::{auth, db, graphql, http, metrics, repo, services, telemetry};
use clap::{Parser, Subcommand};

/// mimalloc instead of glibc's allocator: a request allocates thousands of small, short-lived
/// values (parsed documents, JSON values, rows) across tokio's worker threads, where glibc's arenas
/// spent 13 % of the server's samples. Measured with the benchmark (README, "Benchmarks"): 18 %
/// less server CPU per customer-360 read, 13 % per contact-by-phone read.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "cdp360", version, about = "GraphQL API server for a B2B customer-360 CDP")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (default): migrate, seed demo data into an empty database, listen.
    Serve {
        /// Do not apply pending migrations on start.
        #[arg(long)]
        no_migrate: bool,
        /// Do not seed the demo data set into an empty database.
        #[arg(long)]
        no_demo: bool,
    },
    /// Apply, roll back or list migrations.
    Migrate {
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Fill the database with deterministic generated data (scale 1 ≈ 1k accounts, 20k leads, 200k events).
    Seed {
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        #[arg(long, default_value_t = cdp360::seed::DEFAULT_SEED)]
        seed: u64,
        /// The data set's "now", YYYY-MM-DD: two years of history up to 00:00 UTC that day
        /// (default: today's UTC date). The same seed, scale and date give the same data.
        #[arg(long, value_name = "DATE", value_parser = cdp360::seed::parse_as_of)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Write the GraphQL SDL (or, with --check, fail when the file differs from the live schema).
    ExportSchema {
        #[arg(long, default_value = "schema.graphql")]
        output: PathBuf,
        #[arg(long)]
        check: bool,
    },
    /// Write the OpenAPI document of the REST endpoints (or, with --check, fail when the file
    /// differs from the one the server serves).
    ExportOpenapi {
        #[arg(long, default_value = "docs/openapi.json")]
        output: PathBuf,
        #[arg(long)]
        check: bool,
    },
    /// Mint an HS256 token from the configured secret (for people and scripts).
    Token {
        /// Subject: who the token is for.
        #[arg(long)]
        sub: String,
        /// Space-separated scopes: read write pii ingest admin.
        #[arg(long)]
        scope: String,
        /// Comma-separated channel ids the token is restricted to (partner tokens).
        #[arg(long)]
        channels: Option<String>,
        /// Lifetime, e.g. 30m, 1h, 7d (at most 90d).
        #[arg(long, default_value = "1h")]
        ttl: String,
    },
    /// Re-encrypt every PII value to the newest key of CDP_FIELD_KEYS (batched, resumable).
    RotateKeys {
        /// Rows per transaction.
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=10_000))]
        batch_size: u64,
    },
    /// Recompute derived data on demand.
    Recompute {
        #[command(subcommand)]
        what: RecomputeWhat,
    },
    /// List or replay lead ingestions whose processing failed for good.
    DeadLetters {
        #[command(subcommand)]
        action: DeadLetterAction,
    },
}

#[derive(Subcommand)]
enum DeadLetterAction {
    /// Print dead letters, newest first: id, scene, attempts, created, reasons.
    List {
        /// Only this scene's.
        #[arg(long)]
        scene: Option<String>,
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=1000))]
        limit: u64,
    },
    /// Put dead letters back in the ingestion queue (a running server processes them).
    Replay {
        /// Ingestion ids.
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        ids: Vec<String>,
        /// Every dead letter (of --scene, if given), in batches of 1,000.
        #[arg(long)]
        all: bool,
        #[arg(long, requires = "all")]
        scene: Option<String>,
    },
}

#[derive(Subcommand)]
enum MigrateAction {
    Up,
    Down {
        /// How many migrations to roll back (default: one).
        #[arg(long, default_value_t = 1)]
        steps: u32,
    },
    Status,
}

#[derive(Subcommand)]
enum RecomputeWhat {
    /// Refresh the account, contact and lead summary tables (set-based).
    Summaries,
    /// Recompute the channel and campaign performance rows of every business day in a range
    /// (CDP_BUSINESS_TZ), one transaction per day.
    Performance {
        /// First day (YYYY-MM-DD); default: the first day anything was recorded.
        #[arg(long, value_name = "DATE")]
        from: Option<chrono::NaiveDate>,
        /// Last day (YYYY-MM-DD); default: today.
        #[arg(long, value_name = "DATE")]
        to: Option<chrono::NaiveDate>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve { no_migrate: false, no_demo: false });
    // The exports need no configuration or database.
    match &command {
        Command::ExportSchema { output, check } => return export(&graphql::sdl(), "export-schema", output, *check),
        Command::ExportOpenapi { output, check } => {
            return export(http::openapi_document(), "export-openapi", output, *check);
        }
        _ => {}
    }
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format, &config.log_filter);
    // 8 MiB worker stacks: a GraphQL mutation's future (schema → merged roots → service → SeaORM)
    // is large, and an unoptimised build overflowed tokio's default 2 MiB on createLead.
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().thread_stack_size(8 << 20).build();
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(config, command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", e.message());
            ExitCode::FAILURE
        }
    }
}

/// Writes `content` to `output`, or with `check` compares them (`command` is how to refresh it).
fn export(content: &str, command: &str, output: &PathBuf, check: bool) -> ExitCode {
    if check {
        let current = std::fs::read_to_string(output).unwrap_or_default();
        if current == content {
            println!("{} is up to date", output.display());
            return ExitCode::SUCCESS;
        }
        eprintln!("{} differs from the live one: run `cdp360 {command}`", output.display());
        return ExitCode::FAILURE;
    }
    match std::fs::write(output, content) {
        Ok(()) => {
            println!("wrote {}", output.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("cannot write {}: {e}", output.display());
            ExitCode::FAILURE
        }
    }
}

async fn run(config: Config, command: Command) -> Result<(), AppError> {
    announce_demo_keys(&config);
    match command {
        Command::Serve { no_migrate, no_demo } => {
            serve(config, StartOptions { migrate: !no_migrate, demo_data: !no_demo }).await
        }
        Command::Migrate { action } => {
            let conn = connect(&config).await?;
            match action {
                MigrateAction::Up => db::migrate_up(&conn).await?,
                MigrateAction::Down { steps } => db::migrate_down(&conn, Some(steps)).await?,
                MigrateAction::Status => {
                    let (applied, pending) = db::migration_status(&conn).await?;
                    for m in applied {
                        println!("applied  {m}");
                    }
                    for m in pending {
                        println!("pending  {m}");
                    }
                }
            }
            Ok(())
        }
        Command::Seed { scale, seed, as_of } => {
            let metrics = std::sync::Arc::new(metrics::Metrics::new());
            db::migrate_on_own_connection(&config.database_url, config.db_acquire_timeout, metrics).await?;
            let conn = connect(&config).await?;
            let pii = Pii::new(&config.field_keys);
            let defaults = cdp360::seed::SeedOptions::default();
            let as_of = as_of.unwrap_or(defaults.as_of);
            let opts = cdp360::seed::SeedOptions { scale, seed, as_of, progress: true, zone: config.business_zone };
            let report = cdp360::seed::seed(&conn, &pii, &opts).await?;
            for (table, rows) in &report.tables {
                println!("{table:<28} {rows:>9}");
            }
            println!(
                "{} rows in {:.1}s (seed {seed}, as of {as_of})",
                report.total_rows(),
                report.elapsed.as_secs_f64()
            );
            Ok(())
        }
        Command::RotateKeys { batch_size } => rotate_keys(&config, batch_size).await,
        Command::Recompute { what: RecomputeWhat::Summaries } => {
            let conn = connect(&config).await?;
            // One step per table; the whole refresh is one transaction (all or nothing).
            let bar = indicatif::ProgressBar::new(repo::summary::Summary::ALL.len() as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template("[{bar:40}] {pos}/{len} tables {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let refreshed = services::summaries::refresh_all(&conn, &repo::summary::Summary::ALL, |kind, rows| {
                bar.set_message(format!("{}: {rows} rows", kind.table()));
                bar.inc(1);
            })
            .await?;
            bar.finish_and_clear();
            match refreshed {
                Some(n) => println!("refreshed {n} summary rows"),
                None => println!("another replica is refreshing the summaries right now; nothing done"),
            }
            Ok(())
        }
        Command::Recompute { what: RecomputeWhat::Performance { from, to } } => {
            recompute_performance(&config, from, to).await
        }
        Command::DeadLetters { action } => dead_letters(&config, action).await,
        Command::Token { sub, scope, channels, ttl } => {
            let request = auth::MintRequest {
                subject: sub,
                scopes: auth::Scope::parse_list_strict(&scope)?,
                channels: channels.as_deref().map(auth::parse_channel_list),
                ttl: auth::parse_ttl(&ttl)?,
                issuer: config.jwt.issuer.clone(),
                audience: config.jwt.audience.clone(),
            };
            println!("{}", auth::mint_hs256(&config.root_secret, &request)?);
            Ok(())
        }
        Command::ExportSchema { .. } | Command::ExportOpenapi { .. } => {
            unreachable!("handled before configuration is loaded")
        }
    }
}

/// `recompute performance`: every day of the range, with a progress bar over the days.
async fn recompute_performance(
    config: &Config,
    from: Option<chrono::NaiveDate>,
    to: Option<chrono::NaiveDate>,
) -> Result<(), AppError> {
    let conn = connect(config).await?;
    let zone = config.business_zone;
    let today = zone.day_of(chrono::Utc::now());
    let Some((first, last)) = services::performance::default_range(&conn, zone, today).await? else {
        println!("no data; nothing to recompute");
        return Ok(());
    };
    let (from, to) = (from.unwrap_or(first), to.unwrap_or(last));
    let days = (to - from).num_days().max(0) as u64 + 1;
    let bar = indicatif::ProgressBar::new(days);
    bar.set_style(
        indicatif::ProgressStyle::with_template("[{bar:40}] {pos}/{len} days {msg} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let rows = services::performance::recompute_range(&conn, zone, from, to, |day| {
        bar.set_message(day.to_string());
        bar.inc(1);
    })
    .await?;
    bar.finish_and_clear();
    println!("recomputed {rows} performance rows for {days} days ({from} to {to}, {})", zone.name());
    Ok(())
}

async fn dead_letters(config: &Config, action: DeadLetterAction) -> Result<(), AppError> {
    use services::acquisition::dead_letters::{self, DeadLetterFilter, MAX_DEAD_LETTERS};
    let metrics = std::sync::Arc::new(metrics::Metrics::new());
    let store = services::tx::Store::new(connect(config).await?, metrics);
    match action {
        DeadLetterAction::List { scene, limit } => {
            let filter = DeadLetterFilter { scene_id: scene, ..Default::default() };
            let rows = dead_letters::list(&store, &filter, limit as usize).await?;
            for r in &rows {
                let reasons: Vec<&str> = r
                    .reasons
                    .as_ref()
                    .and_then(|v| v.as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str())
                    .collect();
                println!(
                    "{}\t{}\t{} attempts\t{}\t{}",
                    r.ingestion_id,
                    r.scene_id,
                    r.attempts,
                    r.created_at.to_rfc3339(),
                    reasons.join("; ")
                );
            }
            println!("{} dead letters", rows.len());
        }
        DeadLetterAction::Replay { ids, all: false, .. } => {
            let replayed = dead_letters::replay(&store, &ids).await?;
            println!("replayed {} of {} ids: {}", replayed.len(), ids.len(), replayed.join(", "));
        }
        DeadLetterAction::Replay { all: true, scene, .. } => {
            let filter = DeadLetterFilter { scene_id: scene, ..Default::default() };
            let bar = indicatif::ProgressBar::new_spinner();
            let mut total = 0;
            loop {
                let batch = dead_letters::list(&store, &filter, MAX_DEAD_LETTERS).await?;
                if batch.is_empty() {
                    break;
                }
                let ids: Vec<String> = batch.into_iter().map(|r| r.ingestion_id).collect();
                total += dead_letters::replay(&store, &ids).await?.len();
                bar.set_message(format!("{total} replayed"));
            }
            bar.finish_and_clear();
            println!("replayed {total} dead letters");
        }
    }
    Ok(())
}

async fn rotate_keys(config: &Config, batch_size: u64) -> Result<(), AppError> {
    let conn = connect(config).await?;
    let pii = Pii::new(&config.field_keys);
    let total = pii::stale_values(&conn, &pii).await?;
    println!("{total} values to re-encrypt to key {}", config.field_keys.current_key_id());
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("[{bar:40}] {human_pos}/{human_len} values ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let opts = pii::RotateOptions { batch_size, max_batches: None };
    let report = pii::rotate_keys(&conn, &pii, opts, |n| bar.inc(n)).await?;
    bar.finish();
    println!(
        "re-encrypted {} values ({} changed concurrently and were left to the newer write)",
        report.rotated, report.raced
    );
    if report.failed.is_empty() {
        println!(
            "every value is under {}; older keys may now be removed from CDP_FIELD_KEYS",
            config.field_keys.current_key_id()
        );
        return Ok(());
    }
    Err(AppError::internal(format!(
        "{} values could not be decrypted and were left as they are (see the log): {}{}",
        report.failed.len(),
        report.failed.iter().take(10).cloned().collect::<Vec<_>>().join(", "),
        if report.failed.len() > 10 { ", …" } else { "" }
    )))
}

async fn connect(config: &Config) -> Result<sea_orm::DatabaseConnection, AppError> {
    let metrics = std::sync::Arc::new(metrics::Metrics::new());
    db::connect_pool(&config.database_url, config.db_max_connections, config.db_acquire_timeout, metrics).await
}

/// Demo mode says so on every command that loaded the key file, naming the file: data sealed now
/// (`seed`, writes) can only be read with the same file, and with PostgreSQL its default place is
/// the working directory, not beside the database.
fn announce_demo_keys(config: &Config) {
    let Some(path) = &config.key_file else { return };
    let what = if config.key_file_generated {
        "DEMO MODE: secrets were generated into a local key file; keep it (encrypted data needs it, CDP_KEY_FILE \
         points a later run at it), and set CDP_JWT_HS256_SECRET and CDP_FIELD_KEYS (and CDP_ENV=production) for \
         real deployments"
    } else {
        "DEMO MODE: secrets were read from a local key file; set CDP_JWT_HS256_SECRET and CDP_FIELD_KEYS (and \
         CDP_ENV=production) for real deployments"
    };
    tracing::warn!(key_file = %path.display(), "{what}");
}

async fn serve(config: Config, opts: StartOptions) -> Result<(), AppError> {
    let shutdown = shutdown_signal();
    // Demo mode only: with real secrets, tokens come from `cdp360 token` or the identity provider.
    let demo_token = match &config.key_file {
        Some(_) => Some(auth::mint_hs256(
            &config.root_secret,
            &auth::MintRequest {
                subject: "dev-admin".into(),
                scopes: auth::Scope::ALL.into_iter().collect(),
                channels: None,
                ttl: std::time::Duration::from_secs(7 * 24 * 3600),
                issuer: config.jwt.issuer.clone(),
                audience: config.jwt.audience.clone(),
            },
        )?),
        None => None,
    };
    let app = Application::build(config, opts).await?;
    let addr = app.local_addr();
    tracing::info!(%addr, "cdp360 listening");
    println!("cdp360 is listening on http://{addr}  (GraphiQL: http://{addr}/ , GraphQL: http://{addr}/graphql)");
    if let Some(token) = demo_token {
        println!("Development admin token (all scopes, 7 days; paste into GraphiQL's Token field):");
        println!("{{\"Authorization\": \"Bearer {token}\"}}");
    }
    app.run_until(shutdown).await.map_err(AppError::internal)
}
