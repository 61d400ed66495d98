//! SeaORM models of cdp360: the 36 entities of docs/data-model.md plus the support tables. One file per
//! table; models only (no GraphQL, no business rules). Column names, types and lengths follow the data
//! model.

pub mod account;
pub mod account_channel_identity;
pub mod account_contact_relation;
pub mod account_relation;
pub mod account_summary;
pub mod acquisition_scene;
pub mod app_user;
pub mod attribution;
pub mod campaign;
pub mod campaign_member;
pub mod campaign_performance;
pub mod channel;
pub mod channel_performance;
pub mod contact;
pub mod contact_channel_identity;
pub mod contact_summary;
pub mod customer_journey;
pub mod enums;
pub mod event;
pub mod industry;
pub mod journey_stage;
pub mod lead;
pub mod lead_channel_identity;
pub mod lead_ingestion;
pub mod lead_summary;
pub mod merge_ledger;
pub mod opportunity;
pub mod opportunity_product;
pub mod opportunity_stage_history;
pub mod product;
pub mod product_category;
pub mod score_history;
pub mod score_model;
pub mod score_record;
pub mod segment;
pub mod segment_member;
pub mod summary_stale;
pub mod tag;
pub mod tag_relation;
pub mod team;
pub mod touchpoint;
pub mod touchpoint_attachment;
pub mod touchpoint_attribution;
pub mod verification_code;
