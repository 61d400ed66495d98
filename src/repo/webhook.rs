//! SQL of signed webhooks (migration 9): a scene's secrets (`webhook_secret`) and the signatures
//! it accepted (`webhook_signature`). Tables of `repo/` alone, like the ingestion queue: not
//! catalogued, not GraphQL entities.
//!
//! Concurrency: issuing a secret locks the scene row first (`FOR UPDATE` on PostgreSQL; SQLite
//! serialises writers), so two concurrent rotations cannot both see one active secret and leave
//! three. A signature is remembered with `INSERT … ON CONFLICT DO NOTHING` in the ingestion's
//! transaction: of two concurrent deliveries of one signature, the second waits for the first's
//! commit and inserts nothing (a replay), or inserts after the first rolled back.

use chrono::{DateTime, Utc};
use entity::{acquisition_scene, webhook_secret, webhook_signature};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Value,
};

use crate::error::AppResult;

/// The secrets' table, which also binds their ciphertexts (associated data).
pub const SECRET_TABLE: &str = "webhook_secret";
/// The sealed column.
pub const SECRET_COLUMN: &str = "secret";

/// Whether scene `scene_id` exists, locking its row until the caller's transaction ends.
pub async fn lock_scene(db: &impl ConnectionTrait, scene_id: &str) -> AppResult<bool> {
    let found = acquisition_scene::Entity::find_by_id(scene_id.to_string())
        .select_only()
        .column(acquisition_scene::Column::SceneId)
        .lock_exclusive()
        .into_tuple::<String>()
        .one(db)
        .await?;
    Ok(found.is_some())
}

/// The unretired secrets of a scene, oldest first.
pub async fn active_secrets(db: &impl ConnectionTrait, scene_id: &str) -> AppResult<Vec<webhook_secret::Model>> {
    Ok(webhook_secret::Entity::find()
        .filter(webhook_secret::Column::SceneId.eq(scene_id))
        .filter(webhook_secret::Column::RetiredAt.is_null())
        .order_by_asc(webhook_secret::Column::CreatedAt)
        .order_by_asc(webhook_secret::Column::SecretId)
        .all(db)
        .await?)
}

/// Stores a new secret (already sealed).
pub async fn add_secret(db: &impl ConnectionTrait, row: webhook_secret::Model) -> AppResult<()> {
    webhook_secret::Entity::insert(row.into_active_model()).exec_without_returning(db).await?;
    Ok(())
}

/// Retires an active secret: its scene when it was active, `None` when unknown or retired already.
pub async fn retire(db: &impl ConnectionTrait, secret_id: &str, at: DateTime<Utc>) -> AppResult<Option<String>> {
    let Some(row) = webhook_secret::Entity::find_by_id(secret_id.to_string())
        .filter(webhook_secret::Column::RetiredAt.is_null())
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let done = webhook_secret::Entity::update_many()
        .col_expr(webhook_secret::Column::RetiredAt, Expr::value(Value::from(at)))
        .filter(webhook_secret::Column::SecretId.eq(secret_id))
        .filter(webhook_secret::Column::RetiredAt.is_null())
        .exec(db)
        .await?;
    Ok((done.rows_affected > 0).then_some(row.scene_id))
}

/// Remembers that scene `scene_id` accepted the signature whose SHA-256 is `sha` until `until`:
/// false when it had been accepted already (a replay).
pub async fn remember_signature(
    db: &impl ConnectionTrait,
    scene_id: &str,
    sha: &str,
    until: DateTime<Utc>,
) -> AppResult<bool> {
    let row = webhook_signature::Model {
        scene_id: scene_id.to_string(),
        signature_sha256: sha.to_string(),
        expires_at: until,
    };
    let on_conflict =
        OnConflict::columns([webhook_signature::Column::SceneId, webhook_signature::Column::SignatureSha256])
            .do_nothing()
            .to_owned();
    let written = webhook_signature::Entity::insert(row.into_active_model())
        .on_conflict(on_conflict)
        .exec_without_returning(db)
        .await?;
    Ok(written > 0)
}

/// Forgets the signatures whose timestamps have left the window (the expiry index): how many.
pub async fn forget_expired_signatures(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<u64> {
    let done =
        webhook_signature::Entity::delete_many().filter(webhook_signature::Column::ExpiresAt.lt(now)).exec(db).await?;
    Ok(done.rows_affected)
}
