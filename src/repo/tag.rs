//! SQL of manual tagging (`services::tagging`): which entities carry a tag, and untagging.

use std::collections::HashSet;

use entity::enums::EntityType;
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
