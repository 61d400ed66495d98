//! Manual tagging: `tagEntities` / `untagEntities` write `tag_relation` rows (`tag_source` MANUAL,
//! `is_auto_tagged` false, `tagged_by_user_id` the caller when it is staff).
//!
//! Both are idempotent: tagging an already tagged entity keeps its row (and its original source and
//! time), untagging an untagged one is a no-op. Every entity must exist and be visible to the
//! caller, or nothing is written.

use crate::catalog::Catalogued;
use std::collections::HashSet;

use entity::enums::{EntityType, TagSource};
use entity::tag_relation;
use sea_orm::DatabaseConnection;

use crate::error::{AppError, AppResult};
use crate::repo::{self, bulk};
use crate::services::write::{Actor, Refs, new_id, now};

/// Entities per call.
pub const MAX_ENTITIES: usize = 1000;

/// What a tagging call changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TagChange {
    /// Rows written (tag) or removed (untag).
    pub changed: u64,
    /// Entities that already were in the requested state.
    pub unchanged: u64,
}

fn table_of(ty: EntityType) -> (&'static str, &'static str) {
    let t = match ty {
        EntityType::Account => <entity::account::Entity as Catalogued>::TABLE,
        EntityType::Contact => <entity::contact::Entity as Catalogued>::TABLE,
        EntityType::Lead => <entity::lead::Entity as Catalogued>::TABLE,
        EntityType::Opportunity => <entity::opportunity::Entity as Catalogued>::TABLE,
    };
    (t.name, t.pk)
}

/// The distinct ids, and the tag and every entity checked (visible to the caller, or absent).
async fn validate(
    db: &DatabaseConnection,
    actor: &Actor,
    tag_id: &str,
    ty: EntityType,
    ids: &[String],
) -> AppResult<Vec<String>> {
    if ids.is_empty() || ids.len() > MAX_ENTITIES {
        return Err(AppError::bad_input(format!("entityIds: 1 to {MAX_ENTITIES} ids per call")));
    }
    let mut seen = HashSet::new();
    let distinct: Vec<String> = ids.iter().filter(|id| seen.insert(id.as_str())).cloned().collect();
    let (table, key) = table_of(ty);
    let mut refs = Refs::default();
    refs.to::<entity::tag::Entity>("tagId", Some(tag_id));
    for (i, id) in ids.iter().enumerate() {
        refs.add(format!("entityIds[{i}]"), table, key, Some(id));
    }
    refs.check(db, &actor.access).await?;
    Ok(distinct)
}

pub async fn tag_entities(
    db: &DatabaseConnection,
    actor: &Actor,
    tag_id: &str,
    ty: EntityType,
    ids: &[String],
) -> AppResult<TagChange> {
    let ids = validate(db, actor, tag_id, ty, ids).await?;
    let txn = crate::services::write::begin_write(db).await?;
    let already = repo::tag::tagged(&txn, tag_id, ty, &ids).await?;
    let by = actor.user_id(&txn).await?;
    let at = now();
    let rows: Vec<tag_relation::Model> = ids
        .iter()
        .filter(|id| !already.contains(*id))
        .map(|id| tag_relation::Model {
            relation_id: new_id("TGR"),
            tag_id: tag_id.to_string(),
            entity_type: ty,
            entity_id: id.clone(),
            tagged_at: at,
            tagged_by_user_id: by.clone(),
            is_auto_tagged: false,
            tag_source: TagSource::Manual,
            rule_name: None,
            trace: None,
        })
        .collect();
    let changed = bulk::insert_all(&txn, rows).await?;
    txn.commit().await?;
    Ok(TagChange { changed, unchanged: already.len() as u64 })
}

pub async fn untag_entities(
    db: &DatabaseConnection,
    actor: &Actor,
    tag_id: &str,
    ty: EntityType,
    ids: &[String],
) -> AppResult<TagChange> {
    let ids = validate(db, actor, tag_id, ty, ids).await?;
    let removed = repo::tag::untag(db, tag_id, ty, &ids).await?;
    Ok(TagChange { changed: removed, unchanged: ids.len() as u64 - removed })
}
