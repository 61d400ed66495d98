//! The catalogue (`src/catalog/`) is the database as migrated, on both backends: every table and
//! column, every foreign key and every unique index is in it, and nothing it states is missing
//! from the database. Merge re-points every reference to a contact or an account, and a partner
//! token's reads and writes follow the same channel scope.

use std::collections::{BTreeMap, BTreeSet};

use cdp360::catalog::{self, ChannelScope, RefKind};
use cdp360::repo::merge::RefColumn;
use sea_orm::{ConnectionTrait, DbBackend, Statement};

use crate::harness::TestApp;

/// Tables of the repo alone (queues, the webhook secrets no API reads, verification codes), and the
/// migration ledger.
const NOT_CATALOGUED: &[&str] = &[
    "summary_stale",
    "outbox_event",
    "lead_ingestion",
    "webhook_secret",
    "webhook_signature",
    "verification_code",
    "assignment_cursor",
    "global_rule_set",
    "seaql_migrations",
];

async fn rows(app: &TestApp, sql: &str) -> Vec<sea_orm::QueryResult> {
    let backend = app.db.get_database_backend();
    app.db.query_all_raw(Statement::from_string(backend, sql.to_string())).await.unwrap()
}

fn text(row: &sea_orm::QueryResult, col: &str) -> String {
    row.try_get::<String>("", col).unwrap()
}

/// Every table with its columns.
async fn columns(app: &TestApp) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    if app.db.get_database_backend() == DbBackend::Postgres {
        let sql = "SELECT CAST(c.table_name AS TEXT) AS t, CAST(c.column_name AS TEXT) AS c \
                   FROM information_schema.columns c JOIN information_schema.tables t \
                   ON t.table_name = c.table_name AND t.table_schema = c.table_schema \
                   WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'";
        for row in rows(app, sql).await {
            out.entry(text(&row, "t")).or_default().insert(text(&row, "c"));
        }
    } else {
        let tables =
            rows(app, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").await;
        for t in tables {
            let t = text(&t, "name");
            for row in rows(app, &format!("SELECT name FROM pragma_table_info('{t}')")).await {
                out.entry(t.clone()).or_default().insert(text(&row, "name"));
            }
        }
    }
    out
}

/// `(table, column, referenced table, referenced column)` of every foreign key.
async fn foreign_keys(app: &TestApp) -> BTreeSet<(String, String, String, String)> {
    let mut out = BTreeSet::new();
    if app.db.get_database_backend() == DbBackend::Postgres {
        let sql = "SELECT CAST(src.relname AS TEXT) AS t, CAST(a.attname AS TEXT) AS c, \
                          CAST(dst.relname AS TEXT) AS ft, CAST(b.attname AS TEXT) AS fc \
                   FROM pg_constraint k \
                   JOIN pg_class src ON src.oid = k.conrelid JOIN pg_class dst ON dst.oid = k.confrelid \
                   JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] \
                   JOIN pg_attribute b ON b.attrelid = k.confrelid AND b.attnum = k.confkey[1] \
                   JOIN pg_namespace n ON n.oid = k.connamespace \
                   WHERE k.contype = 'f' AND n.nspname = 'public'";
        for row in rows(app, sql).await {
            out.insert((text(&row, "t"), text(&row, "c"), text(&row, "ft"), text(&row, "fc")));
        }
    } else {
        for t in columns(app).await.into_keys() {
            let sql =
                format!("SELECT \"from\" AS c, \"table\" AS ft, \"to\" AS fc FROM pragma_foreign_key_list('{t}')");
            for row in rows(app, &sql).await {
                out.insert((t.clone(), text(&row, "c"), text(&row, "ft"), text(&row, "fc")));
            }
        }
    }
    // The repo's own tables keep their keys to themselves (`webhook_secret` → its scene, cascading).
    out.retain(|fk| !NOT_CATALOGUED.contains(&fk.0.as_str()));
    out
}

/// `(table, index name, columns)` of every unique index that is not a primary key.
async fn unique_indexes(app: &TestApp) -> BTreeSet<(String, String, Vec<String>)> {
    let sql = if app.db.get_database_backend() == DbBackend::Postgres {
        "SELECT CAST(t.relname AS TEXT) AS t, CAST(i.relname AS TEXT) AS i, pg_get_indexdef(i.oid) AS d \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid \
         JOIN pg_namespace n ON n.oid = t.relnamespace \
         WHERE n.nspname = 'public' AND x.indisunique AND NOT x.indisprimary"
    } else {
        "SELECT tbl_name AS t, name AS i, sql AS d FROM sqlite_master \
         WHERE type = 'index' AND sql LIKE 'CREATE UNIQUE INDEX%'"
    };
    let mut out = BTreeSet::new();
    for row in rows(app, sql).await {
        // `… ON [public.]table [USING btree] (a, b) [WHERE …]`
        let def = text(&row, "d");
        let open = def.find('(').unwrap();
        let close = open + def[open..].find(')').unwrap();
        let cols = def[open + 1..close].split(',').map(|c| c.trim().trim_matches('"').to_string()).collect();
        // The repo's own queues keep their keys to themselves.
        if !NOT_CATALOGUED.contains(&text(&row, "t").as_str()) {
            out.insert((text(&row, "t"), text(&row, "i"), cols));
        }
    }
    out
}

#[tokio::test]
async fn the_catalogue_lists_every_table_and_column_of_the_migrated_database() {
    let app = TestApp::spawn().await;
    let db = columns(&app).await;
    let tables: BTreeSet<&str> = db.keys().map(String::as_str).filter(|t| !NOT_CATALOGUED.contains(t)).collect();
    let listed: BTreeSet<&str> = catalog::ALL.iter().map(|f| f.table.name).collect();
    assert_eq!(listed, tables);
    for f in catalog::ALL {
        let listed: BTreeSet<String> = f.columns.iter().map(|c| c.0.to_string()).collect();
        assert_eq!(listed, db[f.table.name], "{}", f.table.name);
    }
}

#[tokio::test]
async fn every_foreign_key_of_the_database_is_a_catalogue_reference_and_back() {
    let app = TestApp::spawn().await;
    let db = foreign_keys(&app).await;
    let listed: BTreeSet<(String, String, String, String)> = catalog::ALL
        .iter()
        .flat_map(|f| f.references.iter().filter(|r| r.kind == RefKind::Fk).map(move |r| (f, r)))
        .map(|(f, r)| (f.table.name.into(), r.col.into(), r.to.name.into(), r.key.into()))
        .collect();
    assert!(db.len() > 60, "{db:?}");
    assert_eq!(listed, db);
}

#[tokio::test]
async fn every_unique_index_of_the_database_is_a_catalogue_unique_key_and_back() {
    let app = TestApp::spawn().await;
    let db = unique_indexes(&app).await;
    let listed: BTreeSet<(String, String, Vec<String>)> = catalog::ALL
        .iter()
        .flat_map(|f| {
            f.unique.iter().map(move |u| (f.table.name.into(), u.0.into(), u.1.iter().map(|c| c.to_string()).collect()))
        })
        .collect();
    assert_eq!(listed, db);
}

/// `(table, column, discriminator)` of a reference a merge re-points.
type Repointed = (&'static str, &'static str, Option<(&'static str, &'static str)>);

#[tokio::test]
async fn merge_re_points_every_reference_to_a_contact_or_an_account() {
    let app = TestApp::spawn().await;
    // Summaries are derived: refreshed for the survivor, never moved.
    let fks: BTreeSet<_> =
        foreign_keys(&app).await.into_iter().filter(|fk| catalog::of(&fk.0).summary_of.is_none()).collect();
    for target in ["contact", "account"] {
        let merged: BTreeSet<Repointed> =
            RefColumn::all_to(target).iter().map(|r| (r.table, r.col, r.discriminator)).collect();
        // Every foreign key to the table, from the database itself.
        for (table, col, to, _) in fks.iter().filter(|fk| fk.2 == target) {
            assert!(merged.contains(&(table.as_str(), col.as_str(), None)), "{table}.{col} → {to} is not re-pointed");
        }
        // Every polymorphic column that can name the table (a discriminator whose enum has its value).
        for f in catalog::ALL {
            for r in f.references.iter().filter(|r| r.discriminator().is_some()) {
                let value = target.to_uppercase();
                let names_target =
                    f.references.iter().any(|o| o.col == r.col && o.discriminator().map(|d| d.1) == Some(&*value));
                assert!(names_target, "{}.{} cannot name a {target}", f.table.name, r.col);
                let d = r.discriminator().map(|d| (d.0, &*value));
                assert!(
                    merged.iter().any(|m| m.0 == f.table.name && m.1 == r.col && m.2.map(|x| (x.0, x.1)) == d),
                    "{}.{} ({value}) is not re-pointed",
                    f.table.name,
                    r.col
                );
            }
        }
        // …and nothing else.
        let expected = fks.iter().filter(|fk| fk.2 == target).count()
            + catalog::ALL
                .iter()
                .flat_map(|f| f.references)
                .filter(|r| r.to.name == target && r.discriminator().is_some())
                .count();
        assert_eq!(merged.len(), expected, "{target}: {merged:?}");
    }
}

#[tokio::test]
async fn every_table_holding_a_channel_id_is_scoped_to_channels_for_reads_and_writes() {
    let app = TestApp::spawn().await;
    let db = columns(&app).await;
    for f in catalog::ALL {
        let has_channel = db[f.table.name].contains("channel_id");
        match f.channel {
            ChannelScope::Own => assert!(has_channel, "{}", f.table.name),
            ChannelScope::Via { .. } => {}
            // The channel itself and its day rollups are the catalogue of channels, not a partner's data.
            ChannelScope::Unbound => assert!(
                !has_channel || ["channel", "channel_performance"].contains(&f.table.name),
                "{} holds a channel_id but is not channel scoped",
                f.table.name
            ),
        }
    }
}
