//! SQL of the state-machine workflows (`services::pipeline`) beyond the generic record statements.

use entity::opportunity_stage_history::{Column, Entity, Model};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::error::AppResult;

/// The newest stage history row of an opportunity (when it entered its current stage).
pub async fn last_stage_change(db: &impl ConnectionTrait, opportunity_id: &str) -> AppResult<Option<Model>> {
    let row = Entity::find()
        .filter(Column::OpportunityId.eq(opportunity_id))
        .order_by_desc(Column::ChangedAt)
        .one(db)
        .await?;
    Ok(row)
}
