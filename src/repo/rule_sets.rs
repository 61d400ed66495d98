//! Where routing rule lists are stored: the global lists of `global_rule_set` (one row per kind,
//! migration 14) and the scenes' `auto_tagging_rules`.

use chrono::{DateTime, Utc};
use entity::acquisition_scene;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::error::AppResult;

const TABLE: &str = "global_rule_set";

/// The global rule list of `kind` (`AUTO_TAGGING`), if one was ever set.
pub async fn global(db: &impl ConnectionTrait, kind: &str) -> AppResult<Option<serde_json::Value>> {
    let mut q = Query::select();
    q.column(Alias::new("rules")).from(Alias::new(TABLE)).and_where(Expr::col(Alias::new("rule_set_key")).eq(kind));
    match db.query_one(&q).await? {
        Some(row) => Ok(Some(row.try_get::<serde_json::Value>("", "rules")?)),
        None => Ok(None),
    }
}

/// Replaces the global rule list of `kind`.
pub async fn set_global(
    db: &impl ConnectionTrait,
    kind: &str,
    rules: serde_json::Value,
    at: DateTime<Utc>,
) -> AppResult<()> {
    let (key, r, u) = (Alias::new("rule_set_key"), Alias::new("rules"), Alias::new("updated_at"));
    let mut q = Query::insert();
    q.into_table(Alias::new(TABLE))
        .columns([key.clone(), r.clone(), u.clone()])
        .values_panic([kind.into(), rules.into(), at.into()])
        .on_conflict(OnConflict::column(key).update_columns([r, u]).to_owned());
    db.execute(&q).await?;
    Ok(())
}

/// The scenes that have auto-tagging rules, with them (scenes are few: a configuration table).
pub async fn scene_tagging_rules(db: &impl ConnectionTrait) -> AppResult<Vec<(String, serde_json::Value)>> {
    Ok(acquisition_scene::Entity::find()
        .select_only()
        .column(acquisition_scene::Column::SceneId)
        .column(acquisition_scene::Column::AutoTaggingRules)
        .filter(acquisition_scene::Column::AutoTaggingRules.is_not_null())
        .into_tuple()
        .all(db)
        .await?)
}
