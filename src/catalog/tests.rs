//! The catalogue agrees with the SeaORM entities and with itself. (`tests/api/catalog.rs` checks it
//! against the migrated database.)

use std::collections::BTreeSet;

use sea_orm::ColumnType;

use super::*;

fn entity(f: &Facts) -> (Vec<(&'static str, sea_orm::ColumnDef)>, Vec<&'static str>) {
    entity_columns(f.table.name).unwrap_or_else(|| panic!("{} has no entity", f.table.name))
}

fn has_column(f: &Facts, col: &str) -> bool {
    f.columns.iter().any(|c| c.0 == col)
}

#[test]
fn every_table_lists_exactly_its_entity_columns_in_order_with_its_primary_key() {
    for f in ALL {
        let (cols, pk) = entity(f);
        let names: Vec<&str> = cols.iter().map(|c| c.0).collect();
        let listed: Vec<&str> = f.columns.iter().map(|c| c.0).collect();
        assert_eq!(listed, names, "{}", f.table.name);
        assert_eq!(pk, vec![f.table.pk], "{}", f.table.name);
        assert_eq!(f.domain(f.table.pk), Some(Domain::Id), "{}", f.table.name);
    }
}

#[test]
fn every_domain_fits_its_column_type() {
    for f in ALL {
        let (cols, _) = entity(f);
        for (name, def) in cols {
            let domain = f.domain(name).unwrap();
            let ty = def.get_column_type();
            let fits = match domain {
                Domain::Money => matches!(ty, ColumnType::Decimal(Some((18, 2)))),
                Domain::Percent => matches!(ty, ColumnType::Decimal(Some((5, 2)))),
                Domain::Rate => matches!(ty, ColumnType::Decimal(Some((5, 4)))),
                Domain::Ratio => matches!(ty, ColumnType::Decimal(_)),
                Domain::Count | Domain::Score => matches!(ty, ColumnType::Integer),
                Domain::Flag => matches!(ty, ColumnType::Boolean),
                Domain::Instant | Domain::Created | Domain::Updated => {
                    matches!(ty, ColumnType::TimestampWithTimeZone | ColumnType::Timestamp | ColumnType::DateTime)
                }
                Domain::Date => matches!(ty, ColumnType::Date),
                Domain::Json
                | Domain::MappingRules
                | Domain::AutoTaggingRules
                | Domain::AssignmentRules
                | Domain::SceneParams => {
                    matches!(ty, ColumnType::Json | ColumnType::JsonBinary)
                }
                Domain::Enum => matches!(ty, ColumnType::String(_) | ColumnType::Enum { .. }),
                Domain::Id
                | Domain::Ref
                | Domain::Text
                | Domain::Phone
                | Domain::Email
                | Domain::WechatId
                | Domain::CreditCode
                | Domain::Url
                | Domain::BlindIndex => matches!(ty, ColumnType::String(_) | ColumnType::Text),
            };
            assert!(fits, "{}.{name}: {domain:?} on {ty:?}", f.table.name);
            if matches!(domain, Domain::Created | Domain::Updated) {
                assert!(!def.is_null(), "{}.{name} is set by the server, so NOT NULL", f.table.name);
            }
        }
    }
}

#[test]
fn ids_prefixes_and_table_names_are_unique() {
    let names: BTreeSet<&str> = ALL.iter().map(|f| f.table.name).collect();
    let prefixes: BTreeSet<&str> = ALL.iter().map(|f| f.prefix).collect();
    assert_eq!(names.len(), ALL.len());
    assert_eq!(prefixes.len(), ALL.len());
}

#[test]
fn references_name_existing_columns_of_catalogued_tables() {
    for f in ALL {
        for r in f.references {
            assert!(has_column(f, r.col), "{}.{}", f.table.name, r.col);
            assert_eq!(f.domain(r.col), Some(Domain::Ref), "{}.{} is a reference", f.table.name, r.col);
            let target = of(r.to.name);
            assert!(has_column(target, r.key), "{}.{} → {}.{}", f.table.name, r.col, r.to.name, r.key);
            if let Some((discriminator, _)) = r.discriminator() {
                assert_eq!(f.domain(discriminator), Some(Domain::Enum), "{}.{discriminator}", f.table.name);
            }
        }
        // Every column holding an id of another record is a reference.
        for c in f.columns.iter().filter(|c| c.1 == Domain::Ref) {
            assert!(f.references.iter().any(|r| r.col == c.0), "{}.{} has no reference", f.table.name, c.0);
        }
    }
}

#[test]
fn owned_stale_unique_pii_and_channel_facts_name_existing_columns() {
    for f in ALL {
        let t = f.table.name;
        for o in f.owned {
            assert!(has_column(f, o.0), "{t}.{}", o.0);
        }
        for s in f.stale {
            let cols: Vec<&str> = match *s {
                Stale::Of(col, _)
                | Stale::Campaign(col)
                | Stale::Day(col)
                | Stale::LeadDays(col)
                | Stale::ChannelDays(col) => vec![col],
                Stale::Member { col, discriminator } => vec![col, discriminator],
                Stale::Days { from, to } => vec![from, to],
            };
            for c in cols {
                assert!(has_column(f, c), "{t}.{c}");
            }
        }
        for u in f.unique {
            for c in u.1 {
                assert!(has_column(f, c), "{t}: {} names {c}", u.0);
            }
        }
        for p in f.pii {
            assert!(has_column(f, p.column) && f.domain(p.bidx) == Some(Domain::BlindIndex), "{t}.{}", p.column);
        }
        for c in f.columns.iter().filter(|c| c.1 == Domain::BlindIndex) {
            assert!(f.pii.iter().any(|p| p.bidx == c.0), "{t}.{} indexes no PII column", c.0);
        }
        match f.channel {
            ChannelScope::Unbound => {}
            ChannelScope::Own => assert!(has_column(f, CHANNEL_COLUMN), "{t}"),
            ChannelScope::Via { col, parent } => {
                assert!(f.references.iter().any(|r| r.col == col && r.to == parent), "{t}.{col}");
                assert_eq!(of(parent.name).channel, ChannelScope::Own, "{t} follows a table scoped by its own channel");
            }
        }
    }
}

#[test]
fn the_sdl_requires_exactly_the_not_null_columns_the_server_does_not_set() {
    let lead = of("lead");
    assert!(!lead.server_sets("lead_name") && !lead.server_sets("lead_source"));
    assert!(lead.server_sets("lead_status") && lead.server_sets("lead_score") && lead.server_sets("is_qualified"));
    assert!(of("opportunity").server_sets("stage"));
    assert!(!of("account").server_sets("account_type"));
    assert!(!of("lead_channel_identity").server_sets("captured_at"));
}

#[test]
fn unique_keys_name_their_api_fields() {
    let fields: Vec<String> = of("contact").unique.iter().map(Unique::fields).collect();
    assert_eq!(fields, ["mobilePhone", "email"]);
    assert_eq!(of("account_channel_identity").unique[0].fields(), "channelId + channelAccountId");
}

#[test]
fn each_summary_has_one_table_whose_first_reference_is_its_parent() {
    for summary in [Summary::Account, Summary::Contact, Summary::Lead] {
        let f = summary_table(summary);
        assert_eq!(ALL.iter().filter(|t| t.summary_of == Some(summary)).count(), 1);
        assert_eq!(f.references[0].kind, RefKind::Fk, "{}", f.table.name);
        assert_eq!(f.references.len(), 1, "{}", f.table.name);
    }
}

#[test]
fn lead_and_contact_are_the_tables_with_pii_as_key_rotation_assumes() {
    let with_pii: Vec<&str> = ALL.iter().filter(|f| !f.pii.is_empty()).map(|f| f.table.name).collect();
    assert_eq!(with_pii, ["contact", "lead"]);
}

#[test]
fn a_column_matches_its_api_name_only_and_agrees_with_field_name() {
    assert!(is_field_name("account_name", "accountName"));
    assert!(is_field_name("id", "id"));
    assert!(is_field_name("utm_source2", "utmSource2"));
    assert!(!is_field_name("account_name", "accountNam"));
    assert!(!is_field_name("account_name", "accountNames"));
    assert!(!is_field_name("account_name", "account_name"));
    assert!(!is_field_name("lead", "Lead"));
    // The quick refusals (first byte, length) agree with the full comparison.
    let names = ["_x", "x", "a_b", "ab", "a_b_c", "abc", "b", "utm_source2", "lead_id", "id"];
    for snake in names {
        for camel in names.iter().map(|n| field_name(n)).chain(names.iter().map(|n| n.to_string())) {
            assert_eq!(is_field_name(snake, &camel), field_name(snake) == camel, "{snake} / {camel}");
        }
    }
    for facts in ALL {
        for Col(col, _) in facts.columns {
            assert!(is_field_name(col, &field_name(col)), "{}.{col}", facts.table.name);
        }
    }
}
