//! SQL of tagging: which entities carry a tag and untagging (`services::tagging`), a lead's
//! relations and their removal (`services::autotag`).

use std::collections::HashSet;

use entity::enums::{EntityType, TagSource};
use entity::tag_relation;
use entity::tag_relation::{Column, Entity};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::error::AppResult;

/// The ids among `ids` (entities of type `ty`) that already carry the tag.
pub async fn tagged(
    db: &impl ConnectionTrait,
    tag_id: &str,
    ty: EntityType,
    ids: &[String],
) -> AppResult<HashSet<String>> {
    let rows: Vec<String> = Entity::find()
        .select_only()
        .column(Column::EntityId)
        .filter(Column::TagId.eq(tag_id))
        .filter(Column::EntityType.eq(ty))
        .filter(Column::EntityId.is_in(ids.iter().cloned()))
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows.into_iter().collect())
}

/// Removes the tag from the entities `ids` of type `ty`; returns the rows removed.
pub async fn untag(db: &impl ConnectionTrait, tag_id: &str, ty: EntityType, ids: &[String]) -> AppResult<u64> {
    let removed = Entity::delete_many()
        .filter(Column::TagId.eq(tag_id))
        .filter(Column::EntityType.eq(ty))
        .filter(Column::EntityId.is_in(ids.iter().cloned()))
        .exec(db)
        .await?
        .rows_affected;
    Ok(removed)
}

/// Every tag relation of the leads `ids` (`idx_tag_relation_entity`).
pub async fn of_leads(db: &impl ConnectionTrait, ids: &[String]) -> AppResult<Vec<tag_relation::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(of_leads_query(ids).all(db).await?)
}

/// The query of [`of_leads`].
pub fn of_leads_query(ids: &[String]) -> sea_orm::Select<Entity> {
    Entity::find().filter(Column::EntityType.eq(EntityType::Lead)).filter(Column::EntityId.is_in(ids.iter().cloned()))
}

/// Removes the relations `ids`; returns the rows removed.
pub async fn remove(db: &impl ConnectionTrait, ids: &[String]) -> AppResult<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    Ok(Entity::delete_many().filter(Column::RelationId.is_in(ids.iter().cloned())).exec(db).await?.rows_affected)
}

/// Whether any of the leads `ids` carries a tag an auto-tagging rule applied.
pub async fn any_auto(db: &impl ConnectionTrait, ids: &[String]) -> AppResult<bool> {
    if ids.is_empty() {
        return Ok(false);
    }
    let found: Option<String> = Entity::find()
        .select_only()
        .column(Column::RelationId)
        .filter(Column::EntityType.eq(EntityType::Lead))
        .filter(Column::EntityId.is_in(ids.iter().cloned()))
        .filter(Column::IsAutoTagged.eq(true))
        .filter(Column::TagSource.eq(TagSource::Rule))
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    Ok(found.is_some())
}
