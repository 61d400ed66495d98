//! The initial schema: the 36 entities of docs/data-model.md plus `app_user` and `team`.
//!
//! Frozen history: this file describes the tables as data so that the same definition builds on
//! PostgreSQL and SQLite. Later changes are new migrations, never edits here.
//!
//! ON DELETE policy (one rule per kind of reference):
//! - a summary, identity, performance row, attachment or link row belongs to its parent → CASCADE
//!   (it has no meaning alone: a summary goes with its account);
//! - a reference to staff (`owner_user_id`, `changed_by_user_id`, …), a classifier (industry, channel,
//!   campaign, category) or a tree parent → SET NULL: history and business rows outlive a removed
//!   user or catalogue entry, and keep every other field;
//! - an opportunity's account, an identity's channel and an opportunity line's product → RESTRICT:
//!   deleting them would silently destroy deals or identities, so it must be done explicitly first.
//! - polymorphic references (`entity_type` + `entity_id`) cannot carry a foreign key; the write path
//!   checks them.

use ForeignKeyAction::{Cascade, Restrict, SetNull};
use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

enum Ty {
    Str(u32),
    Text,
    Int,
    Dec(u32, u32),
    Bool,
    Ts,
    Date,
    Json,
}

struct C {
    name: &'static str,
    ty: Ty,
    pk: bool,
    null: bool,
    default: Option<&'static str>,
    fk: Option<(&'static str, &'static str, ForeignKeyAction)>,
    /// 0–100 scores and probabilities get a CHECK constraint.
    score: bool,
}

struct T {
    name: &'static str,
    cols: &'static [C],
}

#[rustfmt::skip]
const TABLES: &[T] = &[
    T {
        name: "account",
        cols: &[
            C { name: "account_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "account_name", ty: Ty::Str(200), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "unified_social_credit_code", ty: Ty::Str(18), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "account_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "industry_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("industry", "industry_id", SetNull)), score: false },
            C { name: "account_status", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "account_level", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "annual_revenue", ty: Ty::Dec(18, 2), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "employee_count", ty: Ty::Int, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "company_website", ty: Ty::Str(500), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "company_address", ty: Ty::Str(500), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "province", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "city", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "district", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "account_source", ty: Ty::Str(100), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "primary_channel_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("channel", "channel_id", SetNull)), score: false },
            C { name: "owner_user_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("app_user", "user_id", SetNull)), score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "custom_fields", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "lifecycle_stage", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "account_channel_identity",
        cols: &[
            C { name: "identity_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "account_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("account", "account_id", Cascade)), score: false },
            C { name: "channel_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("channel", "channel_id", Restrict)), score: false },
            C { name: "channel_account_id", ty: Ty::Str(200), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "identity_type", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "is_verified", ty: Ty::Bool, pk: false, null: false, default: Some("false"), fk: None, score: false },
            C { name: "first_seen_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "last_seen_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "additional_info", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "account_summary",
        cols: &[
            C { name: "summary_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "account_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("account", "account_id", Cascade)), score: false },
            C { name: "total_contacts", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "total_opportunities", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "total_leads", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "total_revenue", ty: Ty::Dec(18, 2), pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "lifetime_value", ty: Ty::Dec(18, 2), pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "won_opportunities", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "lost_opportunities", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "win_rate", ty: Ty::Dec(5, 2), pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "total_touchpoints", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "active_campaigns", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "health_score", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: true },
            C { name: "last_activity_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "last_purchase_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "first_purchase_date", ty: Ty::Date, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "latest_opportunity_date", ty: Ty::Date, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "days_since_last_contact", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "calculated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "account_relation",
        cols: &[
            C { name: "relation_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "parent_account_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("account", "account_id", Cascade)), score: false },
            C { name: "child_account_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("account", "account_id", Cascade)), score: false },
            C { name: "relation_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "contact",
        cols: &[
            C { name: "contact_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "contact_name", ty: Ty::Str(100), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "mobile_phone", ty: Ty::Str(20), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "email", ty: Ty::Str(200), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "wechat_id", ty: Ty::Str(100), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "job_title", ty: Ty::Str(100), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "department", ty: Ty::Str(100), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "contact_status", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "primary_account_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("account", "account_id", SetNull)), score: false },
            C { name: "contact_source", ty: Ty::Str(100), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "primary_channel_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("channel", "channel_id", SetNull)), score: false },
            C { name: "owner_user_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("app_user", "user_id", SetNull)), score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "custom_fields", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "lifecycle_stage", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "is_decision_maker", ty: Ty::Bool, pk: false, null: false, default: Some("false"), fk: None, score: false },
            C { name: "is_verified", ty: Ty::Bool, pk: false, null: false, default: Some("false"), fk: None, score: false },
        ],
    },
    T {
        name: "contact_channel_identity",
        cols: &[
            C { name: "identity_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "contact_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("contact", "contact_id", Cascade)), score: false },
            C { name: "channel_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("channel", "channel_id", Restrict)), score: false },
            C { name: "channel_user_id", ty: Ty::Str(200), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "identity_type", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "is_primary", ty: Ty::Bool, pk: false, null: false, default: Some("false"), fk: None, score: false },
            C { name: "is_verified", ty: Ty::Bool, pk: false, null: false, default: Some("false"), fk: None, score: false },
            C { name: "first_seen_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "last_seen_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "additional_info", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "contact_summary",
        cols: &[
            C { name: "summary_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "contact_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("contact", "contact_id", Cascade)), score: false },
            C { name: "total_touchpoints", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "total_events", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "email_opens", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "email_clicks", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "form_submissions", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "content_downloads", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "engagement_score", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: true },
            C { name: "last_activity_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "last_email_sent_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "last_email_opened_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "days_since_last_activity", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "campaign_responses", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "calculated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "account_contact_relation",
        cols: &[
            C { name: "relation_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "account_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("account", "account_id", Cascade)), score: false },
            C { name: "contact_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("contact", "contact_id", Cascade)), score: false },
            C { name: "role_in_account", ty: Ty::Str(100), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "decision_level", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "is_primary_contact", ty: Ty::Bool, pk: false, null: false, default: Some("false"), fk: None, score: false },
            C { name: "relationship_status", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "relation_start_date", ty: Ty::Date, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "relation_end_date", ty: Ty::Date, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "lead",
        cols: &[
            C { name: "lead_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "lead_name", ty: Ty::Str(100), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "company_name", ty: Ty::Str(200), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "mobile_phone", ty: Ty::Str(20), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "email", ty: Ty::Str(200), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "wechat_id", ty: Ty::Str(100), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "job_title", ty: Ty::Str(100), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "lead_source", ty: Ty::Str(100), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "channel_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("channel", "channel_id", SetNull)), score: false },
            C { name: "campaign_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("campaign", "campaign_id", SetNull)), score: false },
            C { name: "lead_status", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "lead_score", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: true },
            C { name: "lead_grade", ty: Ty::Str(10), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "industry_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("industry", "industry_id", SetNull)), score: false },
            C { name: "province", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "city", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "owner_user_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("app_user", "user_id", SetNull)), score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "last_contacted_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "converted_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "converted_contact_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("contact", "contact_id", SetNull)), score: false },
            C { name: "converted_account_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("account", "account_id", SetNull)), score: false },
            C { name: "converted_opportunity_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("opportunity", "opportunity_id", SetNull)), score: false },
            C { name: "custom_fields", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "is_qualified", ty: Ty::Bool, pk: false, null: false, default: Some("false"), fk: None, score: false },
        ],
    },
    T {
        name: "lead_channel_identity",
        cols: &[
            C { name: "identity_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "lead_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("lead", "lead_id", Cascade)), score: false },
            C { name: "channel_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("channel", "channel_id", Restrict)), score: false },
            C { name: "channel_user_id", ty: Ty::Str(200), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "captured_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "utm_params", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "additional_info", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "lead_summary",
        cols: &[
            C { name: "summary_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "lead_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("lead", "lead_id", Cascade)), score: false },
            C { name: "total_touchpoints", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "total_events", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "form_submissions", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "content_downloads", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "page_views", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "days_in_pipeline", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "contact_attempts", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "last_activity_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "last_contact_attempt_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "calculated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "opportunity",
        cols: &[
            C { name: "opportunity_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "opportunity_name", ty: Ty::Str(200), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "account_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("account", "account_id", Restrict)), score: false },
            C { name: "primary_contact_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("contact", "contact_id", SetNull)), score: false },
            C { name: "lead_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("lead", "lead_id", SetNull)), score: false },
            C { name: "opportunity_type", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "opportunity_source", ty: Ty::Str(100), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "amount", ty: Ty::Dec(18, 2), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "currency", ty: Ty::Str(10), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "stage", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "probability", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: true },
            C { name: "expected_close_date", ty: Ty::Date, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "actual_close_date", ty: Ty::Date, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "close_reason", ty: Ty::Str(200), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "owner_user_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("app_user", "user_id", SetNull)), score: false },
            C { name: "product_ids", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "campaign_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("campaign", "campaign_id", SetNull)), score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "custom_fields", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "days_in_stage", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "is_won", ty: Ty::Bool, pk: false, null: false, default: Some("false"), fk: None, score: false },
            C { name: "is_lost", ty: Ty::Bool, pk: false, null: false, default: Some("false"), fk: None, score: false },
        ],
    },
    T {
        name: "opportunity_stage_history",
        cols: &[
            C { name: "history_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "opportunity_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("opportunity", "opportunity_id", Cascade)), score: false },
            C { name: "from_stage", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "to_stage", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "changed_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "changed_by_user_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("app_user", "user_id", SetNull)), score: false },
            C { name: "change_reason", ty: Ty::Str(200), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "duration_days", ty: Ty::Int, pk: false, null: true, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "opportunity_product",
        cols: &[
            C { name: "opp_product_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "opportunity_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("opportunity", "opportunity_id", Cascade)), score: false },
            C { name: "product_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("product", "product_id", Restrict)), score: false },
            C { name: "quantity", ty: Ty::Int, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "unit_price", ty: Ty::Dec(18, 2), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "total_price", ty: Ty::Dec(18, 2), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "discount", ty: Ty::Dec(18, 2), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "product_description", ty: Ty::Text, pk: false, null: true, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "channel",
        cols: &[
            C { name: "channel_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "channel_name", ty: Ty::Str(100), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "channel_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "channel_category", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "parent_channel_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("channel", "channel_id", SetNull)), score: false },
            C { name: "channel_status", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "channel_config", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "cost", ty: Ty::Dec(18, 2), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "custom_fields", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "channel_performance",
        cols: &[
            C { name: "performance_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "channel_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("channel", "channel_id", Cascade)), score: false },
            C { name: "stat_date", ty: Ty::Date, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "lead_count", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "contact_count", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "opportunity_count", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "revenue", ty: Ty::Dec(18, 2), pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "cost", ty: Ty::Dec(18, 2), pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "roi", ty: Ty::Dec(18, 2), pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "conversion_count", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "conversion_rate", ty: Ty::Dec(5, 2), pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "campaign",
        cols: &[
            C { name: "campaign_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "campaign_name", ty: Ty::Str(200), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "campaign_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "campaign_status", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "channel_ids", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "start_date", ty: Ty::Date, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "end_date", ty: Ty::Date, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "budget", ty: Ty::Dec(18, 2), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "actual_cost", ty: Ty::Dec(18, 2), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "target_audience", ty: Ty::Text, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "owner_user_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("app_user", "user_id", SetNull)), score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "custom_fields", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "campaign_performance",
        cols: &[
            C { name: "performance_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "campaign_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("campaign", "campaign_id", Cascade)), score: false },
            C { name: "stat_date", ty: Ty::Date, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "impressions", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "clicks", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "leads_generated", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "opportunities_generated", ty: Ty::Int, pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "revenue", ty: Ty::Dec(18, 2), pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "roi", ty: Ty::Dec(18, 2), pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "cpl", ty: Ty::Dec(18, 2), pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "cpa", ty: Ty::Dec(18, 2), pk: false, null: false, default: Some("0"), fk: None, score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "campaign_member",
        cols: &[
            C { name: "member_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "campaign_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("campaign", "campaign_id", Cascade)), score: false },
            C { name: "member_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "member_ref_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "member_status", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "joined_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "responded_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "response_status", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "response_data", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "touchpoint",
        cols: &[
            C { name: "touchpoint_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "touchpoint_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "channel_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("channel", "channel_id", SetNull)), score: false },
            C { name: "campaign_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("campaign", "campaign_id", SetNull)), score: false },
            C { name: "contact_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("contact", "contact_id", SetNull)), score: false },
            C { name: "lead_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("lead", "lead_id", SetNull)), score: false },
            C { name: "account_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("account", "account_id", SetNull)), score: false },
            C { name: "touchpoint_time", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "touchpoint_direction", ty: Ty::Str(20), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "touchpoint_status", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "content_type", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "content_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "subject", ty: Ty::Str(200), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "description", ty: Ty::Text, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "duration_seconds", ty: Ty::Int, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "owner_user_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("app_user", "user_id", SetNull)), score: false },
            C { name: "metadata", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "utm_params", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "touchpoint_attachment",
        cols: &[
            C { name: "attachment_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "touchpoint_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("touchpoint", "touchpoint_id", Cascade)), score: false },
            C { name: "file_name", ty: Ty::Str(200), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "file_url", ty: Ty::Str(500), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "file_type", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "file_size", ty: Ty::Int, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "uploaded_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "event",
        cols: &[
            C { name: "event_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "event_name", ty: Ty::Str(100), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "event_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "channel_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("channel", "channel_id", SetNull)), score: false },
            C { name: "contact_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("contact", "contact_id", SetNull)), score: false },
            C { name: "lead_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("lead", "lead_id", SetNull)), score: false },
            C { name: "account_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("account", "account_id", SetNull)), score: false },
            C { name: "event_time", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "session_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "device_type", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "browser", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "os", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "ip_address", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "page_url", ty: Ty::Str(1000), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "referrer_url", ty: Ty::Str(1000), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "event_properties", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "utm_params", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "product",
        cols: &[
            C { name: "product_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "product_name", ty: Ty::Str(200), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "product_code", ty: Ty::Str(100), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "product_category_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("product_category", "category_id", SetNull)), score: false },
            C { name: "product_type", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "product_status", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "description", ty: Ty::Text, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "list_price", ty: Ty::Dec(18, 2), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "currency", ty: Ty::Str(10), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "pricing_model", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "feature_list", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "custom_fields", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "product_category",
        cols: &[
            C { name: "category_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "category_name", ty: Ty::Str(100), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "parent_category_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("product_category", "category_id", SetNull)), score: false },
            C { name: "level", ty: Ty::Int, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "sort_order", ty: Ty::Int, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "tag",
        cols: &[
            C { name: "tag_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "tag_name", ty: Ty::Str(100), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "tag_category", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "tag_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "description", ty: Ty::Text, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "color", ty: Ty::Str(20), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "created_by_user_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("app_user", "user_id", SetNull)), score: false },
        ],
    },
    T {
        name: "tag_relation",
        cols: &[
            C { name: "relation_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "tag_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("tag", "tag_id", Cascade)), score: false },
            C { name: "entity_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "entity_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "tagged_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "tagged_by_user_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("app_user", "user_id", SetNull)), score: false },
            C { name: "is_auto_tagged", ty: Ty::Bool, pk: false, null: false, default: Some("false"), fk: None, score: false },
            C { name: "tag_source", ty: Ty::Str(100), pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "segment",
        cols: &[
            C { name: "segment_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "segment_name", ty: Ty::Str(200), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "segment_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "description", ty: Ty::Text, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "segment_rules", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "target_entity_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "member_count", ty: Ty::Int, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "is_dynamic", ty: Ty::Bool, pk: false, null: false, default: Some("false"), fk: None, score: false },
            C { name: "last_calculated_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "created_by_user_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("app_user", "user_id", SetNull)), score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "segment_member",
        cols: &[
            C { name: "member_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "segment_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("segment", "segment_id", Cascade)), score: false },
            C { name: "entity_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "entity_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "joined_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "left_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "is_active", ty: Ty::Bool, pk: false, null: false, default: Some("false"), fk: None, score: false },
        ],
    },
    T {
        name: "score_model",
        cols: &[
            C { name: "model_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "model_name", ty: Ty::Str(100), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "model_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "target_entity_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "scoring_rules", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "max_score", ty: Ty::Int, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "status", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "score_record",
        cols: &[
            C { name: "record_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "model_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("score_model", "model_id", Cascade)), score: false },
            C { name: "entity_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "entity_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "score", ty: Ty::Int, pk: false, null: false, default: None, fk: None, score: true },
            C { name: "grade", ty: Ty::Str(10), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "score_details", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "calculated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "score_history",
        cols: &[
            C { name: "history_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "entity_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "entity_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "model_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("score_model", "model_id", Cascade)), score: false },
            C { name: "score", ty: Ty::Int, pk: false, null: false, default: None, fk: None, score: true },
            C { name: "recorded_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "industry",
        cols: &[
            C { name: "industry_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "industry_name", ty: Ty::Str(100), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "industry_code", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "parent_industry_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("industry", "industry_id", SetNull)), score: false },
            C { name: "level", ty: Ty::Int, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "sort_order", ty: Ty::Int, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "attribution",
        cols: &[
            C { name: "attribution_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "entity_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "entity_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "attribution_model", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "touchpoint_sequence", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "attribution_weights", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "touchpoint_attribution",
        cols: &[
            C { name: "ta_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "attribution_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("attribution", "attribution_id", Cascade)), score: false },
            C { name: "touchpoint_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: Some(("touchpoint", "touchpoint_id", Cascade)), score: false },
            C { name: "campaign_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("campaign", "campaign_id", SetNull)), score: false },
            C { name: "channel_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("channel", "channel_id", SetNull)), score: false },
            C { name: "attribution_weight", ty: Ty::Dec(5, 4), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "position_in_journey", ty: Ty::Int, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "touchpoint_time", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "customer_journey",
        cols: &[
            C { name: "journey_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "journey_name", ty: Ty::Str(200), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "entity_type", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "entity_id", ty: Ty::Str(64), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "journey_stage", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "journey_start_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "journey_end_at", ty: Ty::Ts, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "total_touchpoints", ty: Ty::Int, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "journey_duration_days", ty: Ty::Int, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "stage_history", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "journey_stage",
        cols: &[
            C { name: "stage_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "stage_name", ty: Ty::Str(100), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "stage_order", ty: Ty::Int, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "stage_category", ty: Ty::Str(50), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "milestone_criteria", ty: Ty::Json, pk: false, null: true, default: None, fk: None, score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "app_user",
        cols: &[
            C { name: "user_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "user_name", ty: Ty::Str(100), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "email", ty: Ty::Str(200), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "mobile_phone", ty: Ty::Str(20), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "team_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("team", "team_id", SetNull)), score: false },
            C { name: "user_role", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "user_status", ty: Ty::Str(50), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "claim_quota", ty: Ty::Int, pk: false, null: false, default: Some("200"), fk: None, score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
    T {
        name: "team",
        cols: &[
            C { name: "team_id", ty: Ty::Str(64), pk: true, null: false, default: None, fk: None, score: false },
            C { name: "team_name", ty: Ty::Str(100), pk: false, null: false, default: None, fk: None, score: false },
            C { name: "parent_team_id", ty: Ty::Str(64), pk: false, null: true, default: None, fk: Some(("team", "team_id", SetNull)), score: false },
            C { name: "region", ty: Ty::Str(100), pk: false, null: true, default: None, fk: None, score: false },
            C { name: "created_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
            C { name: "updated_at", ty: Ty::Ts, pk: false, null: false, default: None, fk: None, score: false },
        ],
    },
];

/// Every index of docs/data-model.md, indexes (names kept), then the natural keys and access paths the
/// API needs, then one index per foreign-key column not already led by one of those. Plain SQL
/// because partial unique indexes read the same on both backends.
const INDEXES: &[&str] = &[
    // docs/data-model.md, indexes ("索引设计建议"): Account
    "CREATE UNIQUE INDEX uk_account_credit_code ON account (unified_social_credit_code) WHERE unified_social_credit_code IS NOT NULL",
    "CREATE INDEX idx_account_name ON account (account_name)",
    "CREATE INDEX idx_account_status ON account (account_status)",
    "CREATE INDEX idx_account_owner ON account (owner_user_id)",
    "CREATE INDEX idx_account_created ON account (created_at DESC)",
    "CREATE INDEX idx_account_industry ON account (industry_id)",
    "CREATE INDEX idx_account_type_status ON account (account_type, account_status)",
    "CREATE INDEX idx_account_location ON account (province, city)",
    "CREATE INDEX idx_account_lifecycle ON account (lifecycle_stage, account_status)",
    // AccountSummary
    "CREATE UNIQUE INDEX uk_summary_account ON account_summary (account_id)",
    "CREATE INDEX idx_summary_health_score ON account_summary (health_score DESC)",
    "CREATE INDEX idx_summary_last_activity ON account_summary (last_activity_at DESC)",
    "CREATE INDEX idx_summary_total_revenue ON account_summary (total_revenue DESC)",
    "CREATE INDEX idx_summary_win_rate ON account_summary (win_rate DESC)",
    // Contact
    "CREATE UNIQUE INDEX uk_contact_phone ON contact (mobile_phone) WHERE mobile_phone IS NOT NULL",
    "CREATE UNIQUE INDEX uk_contact_email ON contact (email) WHERE email IS NOT NULL",
    "CREATE INDEX idx_contact_name ON contact (contact_name)",
    "CREATE INDEX idx_contact_account ON contact (primary_account_id)",
    "CREATE INDEX idx_contact_status ON contact (contact_status)",
    "CREATE INDEX idx_contact_wechat ON contact (wechat_id)",
    "CREATE INDEX idx_contact_phone_email ON contact (mobile_phone, email)",
    "CREATE INDEX idx_contact_lifecycle ON contact (lifecycle_stage, contact_status)",
    // Event: the data model's ClickHouse sort key (channel_id, event_time, contact_id, event_type) becomes
    // per-owner time indexes, the access paths of the API (an entity's latest events).
    "CREATE INDEX idx_event_channel_time ON event (channel_id, event_time DESC)",
    "CREATE INDEX idx_event_contact ON event (contact_id, event_time DESC)",
    "CREATE INDEX idx_event_lead ON event (lead_id, event_time DESC)",
    "CREATE INDEX idx_event_account ON event (account_id, event_time DESC)",
    "CREATE INDEX idx_event_time ON event (event_time DESC)",
    // Touchpoint
    "CREATE INDEX idx_touchpoint_contact ON touchpoint (contact_id, touchpoint_time DESC)",
    "CREATE INDEX idx_touchpoint_lead ON touchpoint (lead_id, touchpoint_time DESC)",
    "CREATE INDEX idx_touchpoint_account ON touchpoint (account_id, touchpoint_time DESC)",
    "CREATE INDEX idx_touchpoint_channel ON touchpoint (channel_id, touchpoint_time DESC)",
    "CREATE INDEX idx_touchpoint_campaign ON touchpoint (campaign_id, touchpoint_time DESC)",
    "CREATE INDEX idx_touchpoint_time ON touchpoint (touchpoint_time DESC)",
    "CREATE INDEX idx_touchpoint_type ON touchpoint (touchpoint_type, touchpoint_time DESC)",
    // Natural keys marked UK in docs/data-model.md, and the ones the write path upserts on.
    "CREATE UNIQUE INDEX uk_contact_summary_contact ON contact_summary (contact_id)",
    "CREATE UNIQUE INDEX uk_lead_summary_lead ON lead_summary (lead_id)",
    "CREATE UNIQUE INDEX uk_product_code ON product (product_code)",
    "CREATE UNIQUE INDEX uk_tag_name ON tag (tag_name)",
    "CREATE UNIQUE INDEX uk_industry_code ON industry (industry_code)",
    "CREATE UNIQUE INDEX uk_account_identity ON account_channel_identity (channel_id, channel_account_id)",
    "CREATE UNIQUE INDEX uk_contact_identity ON contact_channel_identity (channel_id, channel_user_id)",
    "CREATE UNIQUE INDEX uk_account_contact ON account_contact_relation (account_id, contact_id)",
    "CREATE UNIQUE INDEX uk_account_relation ON account_relation (parent_account_id, child_account_id)",
    "CREATE UNIQUE INDEX uk_tag_relation ON tag_relation (tag_id, entity_type, entity_id)",
    "CREATE UNIQUE INDEX uk_segment_member ON segment_member (segment_id, entity_type, entity_id)",
    "CREATE UNIQUE INDEX uk_score_record ON score_record (model_id, entity_type, entity_id)",
    "CREATE UNIQUE INDEX uk_campaign_member ON campaign_member (campaign_id, member_type, member_ref_id)",
    "CREATE UNIQUE INDEX uk_channel_performance_day ON channel_performance (channel_id, stat_date)",
    "CREATE UNIQUE INDEX uk_campaign_performance_day ON campaign_performance (campaign_id, stat_date)",
    "CREATE UNIQUE INDEX uk_journey_stage_name ON journey_stage (stage_name)",
    // Lead inbox access paths.
    "CREATE INDEX idx_lead_status_created ON lead (lead_status, created_at DESC)",
    "CREATE INDEX idx_lead_created ON lead (created_at DESC)",
    "CREATE INDEX idx_lead_mobile_phone ON lead (mobile_phone)",
    "CREATE INDEX idx_opportunity_stage ON opportunity (stage)",
    // Polymorphic references: looked up as (entity_type, entity_id).
    "CREATE INDEX idx_tag_relation_entity ON tag_relation (entity_type, entity_id)",
    "CREATE INDEX idx_segment_member_entity ON segment_member (entity_type, entity_id)",
    "CREATE INDEX idx_score_record_entity ON score_record (entity_type, entity_id)",
    "CREATE INDEX idx_score_history_entity ON score_history (entity_type, entity_id, recorded_at DESC)",
    "CREATE INDEX idx_attribution_entity ON attribution (entity_type, entity_id)",
    "CREATE INDEX idx_customer_journey_entity ON customer_journey (entity_type, entity_id)",
    "CREATE INDEX idx_campaign_member_ref ON campaign_member (member_type, member_ref_id)",
    "CREATE INDEX idx_customer_journey_stage ON customer_journey (journey_stage)",
    // Foreign keys (PostgreSQL does not index them by itself; the loaders look rows up by them).
    "CREATE INDEX idx_account_primary_channel_id ON account (primary_channel_id)",
    "CREATE INDEX idx_account_channel_identity_account_id ON account_channel_identity (account_id)",
    "CREATE INDEX idx_account_relation_child_account_id ON account_relation (child_account_id)",
    "CREATE INDEX idx_contact_primary_channel_id ON contact (primary_channel_id)",
    "CREATE INDEX idx_contact_owner_user_id ON contact (owner_user_id)",
    "CREATE INDEX idx_contact_channel_identity_contact_id ON contact_channel_identity (contact_id)",
    "CREATE INDEX idx_account_contact_relation_contact_id ON account_contact_relation (contact_id)",
    "CREATE INDEX idx_lead_channel_id ON lead (channel_id)",
    "CREATE INDEX idx_lead_campaign_id ON lead (campaign_id)",
    "CREATE INDEX idx_lead_industry_id ON lead (industry_id)",
    "CREATE INDEX idx_lead_owner_user_id ON lead (owner_user_id)",
    "CREATE INDEX idx_lead_converted_contact_id ON lead (converted_contact_id)",
    "CREATE INDEX idx_lead_converted_account_id ON lead (converted_account_id)",
    "CREATE INDEX idx_lead_converted_opportunity_id ON lead (converted_opportunity_id)",
    "CREATE INDEX idx_lead_channel_identity_lead_id ON lead_channel_identity (lead_id)",
    "CREATE INDEX idx_lead_channel_identity_channel_id ON lead_channel_identity (channel_id)",
    "CREATE INDEX idx_opportunity_account_id ON opportunity (account_id)",
    "CREATE INDEX idx_opportunity_primary_contact_id ON opportunity (primary_contact_id)",
    "CREATE INDEX idx_opportunity_lead_id ON opportunity (lead_id)",
    "CREATE INDEX idx_opportunity_owner_user_id ON opportunity (owner_user_id)",
    "CREATE INDEX idx_opportunity_campaign_id ON opportunity (campaign_id)",
    "CREATE INDEX idx_opportunity_stage_history_opportunity_id ON opportunity_stage_history (opportunity_id)",
    "CREATE INDEX idx_opportunity_stage_history_changed_by_user_id ON opportunity_stage_history (changed_by_user_id)",
    "CREATE INDEX idx_opportunity_product_opportunity_id ON opportunity_product (opportunity_id)",
    "CREATE INDEX idx_opportunity_product_product_id ON opportunity_product (product_id)",
    "CREATE INDEX idx_channel_parent_channel_id ON channel (parent_channel_id)",
    "CREATE INDEX idx_campaign_owner_user_id ON campaign (owner_user_id)",
    "CREATE INDEX idx_campaign_member_campaign_id ON campaign_member (campaign_id)",
    "CREATE INDEX idx_touchpoint_owner_user_id ON touchpoint (owner_user_id)",
    "CREATE INDEX idx_touchpoint_attachment_touchpoint_id ON touchpoint_attachment (touchpoint_id)",
    "CREATE INDEX idx_product_product_category_id ON product (product_category_id)",
    "CREATE INDEX idx_product_category_parent_category_id ON product_category (parent_category_id)",
    "CREATE INDEX idx_tag_created_by_user_id ON tag (created_by_user_id)",
    "CREATE INDEX idx_tag_relation_tagged_by_user_id ON tag_relation (tagged_by_user_id)",
    "CREATE INDEX idx_segment_created_by_user_id ON segment (created_by_user_id)",
    "CREATE INDEX idx_score_history_model_id ON score_history (model_id)",
    "CREATE INDEX idx_industry_parent_industry_id ON industry (parent_industry_id)",
    "CREATE INDEX idx_touchpoint_attribution_attribution_id ON touchpoint_attribution (attribution_id)",
    "CREATE INDEX idx_touchpoint_attribution_touchpoint_id ON touchpoint_attribution (touchpoint_id)",
    "CREATE INDEX idx_touchpoint_attribution_campaign_id ON touchpoint_attribution (campaign_id)",
    "CREATE INDEX idx_touchpoint_attribution_channel_id ON touchpoint_attribution (channel_id)",
    "CREATE INDEX idx_app_user_team_id ON app_user (team_id)",
    "CREATE INDEX idx_team_parent_team_id ON team (parent_team_id)",
];

fn column(c: &C) -> ColumnDef {
    let mut d = ColumnDef::new(Alias::new(c.name));
    match c.ty {
        Ty::Str(n) => d.string_len(n),
        Ty::Text => d.text(),
        Ty::Int => d.integer(),
        Ty::Dec(p, s) => d.decimal_len(p, s),
        Ty::Bool => d.boolean(),
        Ty::Ts => d.timestamp_with_time_zone(),
        Ty::Date => d.date(),
        Ty::Json => d.json_binary(),
    };
    if c.pk {
        d.primary_key();
    }
    if c.null {
        d.null();
    } else {
        d.not_null();
    }
    if let Some(v) = c.default {
        d.default(match v {
            "false" => Expr::val(false),
            n => Expr::val(n.parse::<i64>().expect("numeric default")),
        });
    }
    if c.score {
        d.check(Expr::col(Alias::new(c.name)).between(0, 100));
    }
    d
}

fn foreign_key(table: &str, c: &C) -> Option<ForeignKeyCreateStatement> {
    let (to_table, to_col, action) = c.fk.as_ref()?;
    Some(
        ForeignKey::create()
            .name(format!("fk_{table}_{}", c.name))
            .from(Alias::new(table), Alias::new(c.name))
            .to(Alias::new(*to_table), Alias::new(*to_col))
            .on_delete(*action)
            .on_update(Cascade)
            .to_owned(),
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite cannot add a foreign key to an existing table, but accepts forward references in
        // CREATE TABLE; PostgreSQL needs the target to exist. So: inline on SQLite, and on
        // PostgreSQL after all tables exist (lead ↔ opportunity reference each other).
        let inline_fks = manager.get_database_backend() == DatabaseBackend::Sqlite;
        for t in TABLES {
            let mut stmt = Table::create();
            stmt.table(Alias::new(t.name));
            for c in t.cols {
                stmt.col(column(c));
                if inline_fks && let Some(mut fk) = foreign_key(t.name, c) {
                    stmt.foreign_key(&mut fk);
                }
            }
            manager.create_table(stmt).await?;
        }
        if !inline_fks {
            for t in TABLES {
                for fk in t.cols.iter().filter_map(|c| foreign_key(t.name, c)) {
                    manager.create_foreign_key(fk).await?;
                }
            }
        }
        let db = manager.get_connection();
        for sql in INDEXES {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            return drop_all_sqlite(manager).await;
        }
        for t in TABLES.iter().rev() {
            manager.drop_table(Table::drop().table(Alias::new(t.name)).if_exists().cascade().to_owned()).await?;
        }
        Ok(())
    }
}

/// SQLite runs a DROP TABLE as a DELETE that needs every FK parent to still exist, and lead ↔
/// opportunity reference each other, so no drop order works with enforcement on. SQLite's own
/// advice for schema changes: switch enforcement off on the one connection that does them.
async fn drop_all_sqlite(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    use sea_orm_migration::sea_orm::{DatabaseExecutor, sqlx};
    let DatabaseExecutor::Connection(db) = manager.get_connection() else {
        return Err(DbErr::Migration("the initial migration rolls back outside a transaction on SQLite".into()));
    };
    let err = |e: sqlx::Error| DbErr::Migration(e.to_string());
    let mut conn = db.get_sqlite_connection_pool().acquire().await.map_err(err)?;
    sqlx::query("PRAGMA foreign_keys = OFF").execute(&mut *conn).await.map_err(err)?;
    let mut result = Ok(());
    for t in TABLES.iter().rev() {
        // Table names are compile-time constants of this file.
        let drop = sqlx::AssertSqlSafe(format!("DROP TABLE IF EXISTS \"{}\"", t.name));
        if let Err(e) = sqlx::query(drop).execute(&mut *conn).await {
            result = Err(err(e));
            break;
        }
    }
    // Back on before the connection returns to the pool, whatever happened.
    sqlx::query("PRAGMA foreign_keys = ON").execute(&mut *conn).await.map_err(err)?;
    result
}
