//! One catalogue entry per table (see `catalog/mod.rs` for what each fact means and who reads it).
use entity::*;

use super::Domain::*;
use super::pii::{EMAIL, MOBILE_PHONE, WECHAT_ID};
use super::{Catalogued, ChannelScope, Col, Facts, Lifecycle, Owned, Reference, Stale, Summary, Table, Unique};

impl Catalogued for account::Entity {
    const TABLE: Table = Table { name: "account", pk: "account_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "ACC",
        columns: &[
            Col("account_id", Id),
            Col("account_name", Text),
            Col("unified_social_credit_code", CreditCode),
            Col("account_type", Enum),
            Col("industry_id", Ref),
            Col("account_status", Enum),
            Col("account_level", Enum),
            Col("annual_revenue", Money),
            Col("employee_count", Count),
            Col("company_website", Url),
            Col("company_address", Text),
            Col("province", Text),
            Col("city", Text),
            Col("district", Text),
            Col("account_source", Enum),
            Col("primary_channel_id", Ref),
            Col("owner_user_id", Ref),
            Col("created_at", Created),
            Col("updated_at", Updated),
            Col("custom_fields", Json),
            Col("lifecycle_stage", Enum),
            Col("merged_into_id", Ref),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[Owned("merged_into_id", "mergeAccounts")],
        stale: &[Stale::Of("account_id", Summary::Account)],
        references: &[
            Reference::fk::<industry::Entity>("industry_id"),
            Reference::fk::<channel::Entity>("primary_channel_id"),
            Reference::fk::<app_user::Entity>("owner_user_id"),
            Reference::plain::<account::Entity>("merged_into_id"),
        ],
        unique: &[Unique("uk_account_credit_code", &["unified_social_credit_code"])],
    };
}

impl Catalogued for account_channel_identity::Entity {
    const TABLE: Table = Table { name: "account_channel_identity", pk: "identity_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "ACI",
        columns: &[
            Col("identity_id", Id),
            Col("account_id", Ref),
            Col("channel_id", Ref),
            Col("channel_account_id", Text),
            Col("identity_type", Enum),
            Col("is_verified", Flag),
            Col("first_seen_at", Instant),
            Col("last_seen_at", Instant),
            Col("additional_info", Json),
        ],
        pii: &[],
        channel: ChannelScope::Own,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<account::Entity>("account_id"), Reference::fk::<channel::Entity>("channel_id")],
        unique: &[Unique("uk_account_identity", &["channel_id", "channel_account_id"])],
    };
}

impl Catalogued for account_contact_relation::Entity {
    const TABLE: Table = Table { name: "account_contact_relation", pk: "relation_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "ACR",
        columns: &[
            Col("relation_id", Id),
            Col("account_id", Ref),
            Col("contact_id", Ref),
            Col("role_in_account", Text),
            Col("decision_level", Enum),
            Col("is_primary_contact", Flag),
            Col("relationship_status", Enum),
            Col("relation_start_date", Date),
            Col("relation_end_date", Date),
            Col("created_at", Created),
            Col("updated_at", Updated),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[Stale::Of("account_id", Summary::Account)],
        references: &[Reference::fk::<account::Entity>("account_id"), Reference::fk::<contact::Entity>("contact_id")],
        unique: &[Unique("uk_account_contact", &["account_id", "contact_id"])],
    };
}

impl Catalogued for account_relation::Entity {
    const TABLE: Table = Table { name: "account_relation", pk: "relation_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "ARL",
        columns: &[
            Col("relation_id", Id),
            Col("parent_account_id", Ref),
            Col("child_account_id", Ref),
            Col("relation_type", Enum),
            Col("created_at", Created),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[
            Reference::fk::<account::Entity>("parent_account_id"),
            Reference::fk::<account::Entity>("child_account_id"),
        ],
        unique: &[Unique("uk_account_relation", &["parent_account_id", "child_account_id"])],
    };
}

impl Catalogued for account_summary::Entity {
    const TABLE: Table = Table { name: "account_summary", pk: "summary_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: Some(Summary::Account),
        prefix: "ACCS",
        columns: &[
            Col("summary_id", Id),
            Col("account_id", Ref),
            Col("total_contacts", Count),
            Col("total_opportunities", Count),
            Col("total_leads", Count),
            Col("total_revenue", Money),
            Col("lifetime_value", Money),
            Col("won_opportunities", Count),
            Col("lost_opportunities", Count),
            Col("win_rate", Percent),
            Col("total_touchpoints", Count),
            Col("active_campaigns", Count),
            Col("health_score", Score),
            Col("last_activity_at", Instant),
            Col("last_purchase_at", Instant),
            Col("first_purchase_date", Date),
            Col("latest_opportunity_date", Date),
            Col("days_since_last_contact", Count),
            Col("calculated_at", Instant),
            Col("updated_at", Updated),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<account::Entity>("account_id")],
        unique: &[Unique("uk_summary_account", &["account_id"])],
    };
}

impl Catalogued for acquisition_scene::Entity {
    const TABLE: Table = Table { name: "acquisition_scene", pk: "scene_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "SCN",
        columns: &[
            Col("scene_id", Id),
            Col("scene_name", Text),
            Col("scene_type", Enum),
            Col("is_enabled", Flag),
            Col("default_channel_id", Ref),
            Col("scene_specific_params", SceneParams),
            Col("data_mapping_rules", MappingRules),
            Col("auto_tagging_rules", AutoTaggingRules),
            Col("assignment_rules", AssignmentRules),
            Col("auto_response_config", Json),
            Col("deduplication_strategy", Enum),
            Col("protection_period_hours", Count),
            Col("created_at", Created),
            Col("updated_at", Updated),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<channel::Entity>("default_channel_id")],
        unique: &[],
    };
}

impl Catalogued for app_user::Entity {
    const TABLE: Table = Table { name: "app_user", pk: "user_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "USER",
        columns: &[
            Col("user_id", Id),
            Col("user_name", Text),
            Col("email", Email),
            Col("mobile_phone", Phone),
            Col("team_id", Ref),
            Col("user_role", Enum),
            Col("user_status", Enum),
            Col("claim_quota", Count),
            Col("created_at", Created),
            Col("updated_at", Updated),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<team::Entity>("team_id")],
        unique: &[],
    };
}

impl Catalogued for attribution::Entity {
    const TABLE: Table = Table { name: "attribution", pk: "attribution_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "ATT",
        columns: &[
            Col("attribution_id", Id),
            Col("entity_type", Enum),
            Col("entity_id", Ref),
            Col("attribution_model", Enum),
            Col("touchpoint_sequence", Json),
            Col("attribution_weights", Json),
            Col("created_at", Created),
            Col("updated_at", Updated),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[
            Reference::poly::<account::Entity>("entity_id", "entity_type", "ACCOUNT"),
            Reference::poly::<contact::Entity>("entity_id", "entity_type", "CONTACT"),
            Reference::poly::<lead::Entity>("entity_id", "entity_type", "LEAD"),
            Reference::poly::<opportunity::Entity>("entity_id", "entity_type", "OPPORTUNITY"),
        ],
        unique: &[],
    };
}

impl Catalogued for campaign::Entity {
    const TABLE: Table = Table { name: "campaign", pk: "campaign_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "CMP",
        columns: &[
            Col("campaign_id", Id),
            Col("campaign_name", Text),
            Col("campaign_type", Enum),
            Col("campaign_status", Enum),
            Col("channel_ids", Json),
            Col("start_date", Date),
            Col("end_date", Date),
            Col("budget", Money),
            Col("actual_cost", Money),
            Col("target_audience", Text),
            Col("owner_user_id", Ref),
            Col("created_at", Created),
            Col("updated_at", Updated),
            Col("custom_fields", Json),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[Stale::Campaign("campaign_id"), Stale::Days { from: "start_date", to: "end_date" }],
        references: &[Reference::fk::<app_user::Entity>("owner_user_id")],
        unique: &[],
    };
}

impl Catalogued for campaign_member::Entity {
    const TABLE: Table = Table { name: "campaign_member", pk: "member_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "CMM",
        columns: &[
            Col("member_id", Id),
            Col("campaign_id", Ref),
            Col("member_type", Enum),
            Col("member_ref_id", Ref),
            Col("member_status", Enum),
            Col("joined_at", Instant),
            Col("responded_at", Instant),
            Col("response_status", Enum),
            Col("response_data", Json),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[Stale::Campaign("campaign_id"), Stale::Member { col: "member_ref_id", discriminator: "member_type" }],
        references: &[
            Reference::fk::<campaign::Entity>("campaign_id"),
            Reference::poly::<account::Entity>("member_ref_id", "member_type", "ACCOUNT"),
            Reference::poly::<contact::Entity>("member_ref_id", "member_type", "CONTACT"),
            Reference::poly::<lead::Entity>("member_ref_id", "member_type", "LEAD"),
            Reference::poly::<opportunity::Entity>("member_ref_id", "member_type", "OPPORTUNITY"),
        ],
        unique: &[Unique("uk_campaign_member", &["campaign_id", "member_type", "member_ref_id"])],
    };
}

impl Catalogued for campaign_performance::Entity {
    const TABLE: Table = Table { name: "campaign_performance", pk: "performance_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "CMPP",
        columns: &[
            Col("performance_id", Id),
            Col("campaign_id", Ref),
            Col("stat_date", Date),
            Col("impressions", Count),
            Col("clicks", Count),
            Col("leads_generated", Count),
            Col("opportunities_generated", Count),
            Col("revenue", Money),
            Col("cost", Money),
            Col("roi", Ratio),
            Col("cpl", Money),
            Col("cpa", Money),
            Col("conversion_count", Count),
            Col("conversion_rate", Percent),
            Col("created_at", Created),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<campaign::Entity>("campaign_id")],
        unique: &[Unique("uk_campaign_performance_day", &["campaign_id", "stat_date"])],
    };
}

impl Catalogued for channel::Entity {
    const TABLE: Table = Table { name: "channel", pk: "channel_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "CH",
        columns: &[
            Col("channel_id", Id),
            Col("channel_name", Text),
            Col("channel_type", Enum),
            Col("channel_category", Enum),
            Col("parent_channel_id", Ref),
            Col("channel_status", Enum),
            Col("channel_config", Json),
            Col("cost", Money),
            Col("created_at", Created),
            Col("updated_at", Updated),
            Col("custom_fields", Json),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[Stale::ChannelDays("channel_id")],
        references: &[Reference::fk::<channel::Entity>("parent_channel_id")],
        unique: &[],
    };
}

impl Catalogued for channel_performance::Entity {
    const TABLE: Table = Table { name: "channel_performance", pk: "performance_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "CHP",
        columns: &[
            Col("performance_id", Id),
            Col("channel_id", Ref),
            Col("stat_date", Date),
            Col("lead_count", Count),
            Col("contact_count", Count),
            Col("opportunity_count", Count),
            Col("revenue", Money),
            Col("cost", Money),
            Col("roi", Ratio),
            Col("conversion_count", Count),
            Col("conversion_rate", Percent),
            Col("cpl", Money),
            Col("cpa", Money),
            Col("impressions", Count),
            Col("clicks", Count),
            Col("created_at", Created),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<channel::Entity>("channel_id")],
        unique: &[Unique("uk_channel_performance_day", &["channel_id", "stat_date"])],
    };
}

impl Catalogued for contact::Entity {
    const TABLE: Table = Table { name: "contact", pk: "contact_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "CNT",
        columns: &[
            Col("contact_id", Id),
            Col("contact_name", Text),
            Col("mobile_phone", Phone),
            Col("mobile_phone_bidx", BlindIndex),
            Col("email", Email),
            Col("email_bidx", BlindIndex),
            Col("wechat_id", WechatId),
            Col("wechat_id_bidx", BlindIndex),
            Col("job_title", Text),
            Col("department", Text),
            Col("contact_status", Enum),
            Col("primary_account_id", Ref),
            Col("contact_source", Enum),
            Col("primary_channel_id", Ref),
            Col("owner_user_id", Ref),
            Col("created_at", Created),
            Col("updated_at", Updated),
            Col("custom_fields", Json),
            Col("lifecycle_stage", Enum),
            Col("is_decision_maker", Flag),
            Col("is_verified", Flag),
            Col("merged_into_id", Ref),
        ],
        pii: &[MOBILE_PHONE, EMAIL, WECHAT_ID],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[Owned("merged_into_id", "mergeContacts")],
        stale: &[Stale::Of("contact_id", Summary::Contact), Stale::Day("created_at")],
        references: &[
            Reference::fk::<account::Entity>("primary_account_id"),
            Reference::fk::<channel::Entity>("primary_channel_id"),
            Reference::fk::<app_user::Entity>("owner_user_id"),
            Reference::plain::<contact::Entity>("merged_into_id"),
        ],
        unique: &[Unique("uk_contact_phone", &["mobile_phone_bidx"]), Unique("uk_contact_email", &["email_bidx"])],
    };
}

impl Catalogued for contact_channel_identity::Entity {
    const TABLE: Table = Table { name: "contact_channel_identity", pk: "identity_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "CCI",
        columns: &[
            Col("identity_id", Id),
            Col("contact_id", Ref),
            Col("channel_id", Ref),
            Col("channel_user_id", Text),
            Col("identity_type", Enum),
            Col("is_primary", Flag),
            Col("is_verified", Flag),
            Col("first_seen_at", Instant),
            Col("last_seen_at", Instant),
            Col("additional_info", Json),
        ],
        pii: &[],
        channel: ChannelScope::Own,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<contact::Entity>("contact_id"), Reference::fk::<channel::Entity>("channel_id")],
        unique: &[Unique("uk_contact_identity", &["channel_id", "channel_user_id"])],
    };
}

impl Catalogued for contact_summary::Entity {
    const TABLE: Table = Table { name: "contact_summary", pk: "summary_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: Some(Summary::Contact),
        prefix: "CNTS",
        columns: &[
            Col("summary_id", Id),
            Col("contact_id", Ref),
            Col("total_touchpoints", Count),
            Col("total_events", Count),
            Col("email_opens", Count),
            Col("email_clicks", Count),
            Col("form_submissions", Count),
            Col("content_downloads", Count),
            Col("engagement_score", Score),
            Col("last_activity_at", Instant),
            Col("last_email_sent_at", Instant),
            Col("last_email_opened_at", Instant),
            Col("days_since_last_activity", Count),
            Col("campaign_responses", Count),
            Col("calculated_at", Instant),
            Col("updated_at", Updated),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<contact::Entity>("contact_id")],
        unique: &[Unique("uk_contact_summary_contact", &["contact_id"])],
    };
}

impl Catalogued for customer_journey::Entity {
    const TABLE: Table = Table { name: "customer_journey", pk: "journey_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "JRN",
        columns: &[
            Col("journey_id", Id),
            Col("journey_name", Text),
            Col("entity_type", Enum),
            Col("entity_id", Ref),
            Col("journey_stage", Ref),
            Col("journey_start_at", Instant),
            Col("journey_end_at", Instant),
            Col("total_touchpoints", Count),
            Col("journey_duration_days", Count),
            Col("stage_history", Json),
            Col("created_at", Created),
            Col("updated_at", Updated),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[
            Reference::poly::<account::Entity>("entity_id", "entity_type", "ACCOUNT"),
            Reference::poly::<contact::Entity>("entity_id", "entity_type", "CONTACT"),
            Reference::poly::<lead::Entity>("entity_id", "entity_type", "LEAD"),
            Reference::poly::<opportunity::Entity>("entity_id", "entity_type", "OPPORTUNITY"),
            Reference::by_key::<journey_stage::Entity>("journey_stage", "stage_name"),
        ],
        unique: &[],
    };
}

impl Catalogued for event::Entity {
    const TABLE: Table = Table { name: "event", pk: "event_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "EVT",
        columns: &[
            Col("event_id", Id),
            Col("event_name", Text),
            Col("event_type", Enum),
            Col("channel_id", Ref),
            Col("contact_id", Ref),
            Col("lead_id", Ref),
            Col("account_id", Ref),
            Col("event_time", Instant),
            Col("session_id", Text),
            Col("device_type", Enum),
            Col("browser", Text),
            Col("os", Text),
            Col("ip_address", Text),
            Col("page_url", Url),
            Col("referrer_url", Url),
            Col("event_properties", Json),
            Col("utm_params", Json),
            Col("created_at", Created),
        ],
        pii: &[],
        channel: ChannelScope::Own,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[
            Stale::Of("account_id", Summary::Account),
            Stale::Of("contact_id", Summary::Contact),
            Stale::Of("lead_id", Summary::Lead),
            Stale::Day("event_time"),
        ],
        references: &[
            Reference::fk::<channel::Entity>("channel_id"),
            Reference::fk::<contact::Entity>("contact_id"),
            Reference::fk::<lead::Entity>("lead_id"),
            Reference::fk::<account::Entity>("account_id"),
        ],
        unique: &[],
    };
}

impl Catalogued for industry::Entity {
    const TABLE: Table = Table { name: "industry", pk: "industry_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "IND",
        columns: &[
            Col("industry_id", Id),
            Col("industry_name", Text),
            Col("industry_code", Text),
            Col("parent_industry_id", Ref),
            Col("level", Count),
            Col("sort_order", Count),
            Col("created_at", Created),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<industry::Entity>("parent_industry_id")],
        unique: &[Unique("uk_industry_code", &["industry_code"])],
    };
}

impl Catalogued for journey_stage::Entity {
    const TABLE: Table = Table { name: "journey_stage", pk: "stage_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "JST",
        columns: &[
            Col("stage_id", Id),
            Col("stage_name", Text),
            Col("stage_order", Count),
            Col("stage_category", Text),
            Col("milestone_criteria", Json),
            Col("created_at", Created),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[],
        unique: &[Unique("uk_journey_stage_name", &["stage_name"])],
    };
}

impl Catalogued for lead::Entity {
    const TABLE: Table = Table { name: "lead", pk: "lead_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "LEAD",
        columns: &[
            Col("lead_id", Id),
            Col("lead_name", Text),
            Col("company_name", Text),
            Col("mobile_phone", Phone),
            Col("mobile_phone_bidx", BlindIndex),
            Col("email", Email),
            Col("email_bidx", BlindIndex),
            Col("wechat_id", WechatId),
            Col("wechat_id_bidx", BlindIndex),
            Col("job_title", Text),
            Col("lead_source", Enum),
            Col("channel_id", Ref),
            Col("campaign_id", Ref),
            Col("lead_status", Enum),
            Col("lead_score", Score),
            Col("lead_grade", Enum),
            Col("industry_id", Ref),
            Col("province", Text),
            Col("city", Text),
            Col("owner_user_id", Ref),
            Col("created_at", Created),
            Col("updated_at", Updated),
            Col("last_contacted_at", Instant),
            Col("converted_at", Instant),
            Col("converted_contact_id", Ref),
            Col("converted_account_id", Ref),
            Col("converted_opportunity_id", Ref),
            Col("custom_fields", Json),
            Col("is_qualified", Flag),
            Col("owner_team_id", Ref),
            Col("owner_lease_until", Instant),
            Col("lease_extensions", Count),
        ],
        pii: &[MOBILE_PHONE, EMAIL, WECHAT_ID],
        channel: ChannelScope::Own,
        lifecycle: Lifecycle::Lead,
        owned: &[
            Owned("lead_status", "changeLeadStatus"),
            Owned("is_qualified", "changeLeadStatus"),
            Owned("owner_team_id", "assignLead"),
            Owned("owner_lease_until", "claimLead, extendLease and assignLead"),
            Owned("lease_extensions", "extendLease"),
            Owned("converted_at", "convertLead"),
            Owned("converted_contact_id", "convertLead"),
            Owned("converted_account_id", "convertLead"),
            Owned("converted_opportunity_id", "convertLead"),
        ],
        stale: &[
            Stale::Of("lead_id", Summary::Lead),
            Stale::Of("converted_account_id", Summary::Account),
            Stale::Day("created_at"),
            Stale::LeadDays("lead_id"),
        ],
        references: &[
            Reference::fk::<channel::Entity>("channel_id"),
            Reference::fk::<campaign::Entity>("campaign_id"),
            Reference::fk::<industry::Entity>("industry_id"),
            Reference::fk::<app_user::Entity>("owner_user_id"),
            // No foreign key: SQLite could not drop the column again (migration 11).
            Reference::plain::<team::Entity>("owner_team_id"),
            Reference::fk::<contact::Entity>("converted_contact_id"),
            Reference::fk::<account::Entity>("converted_account_id"),
            Reference::fk::<opportunity::Entity>("converted_opportunity_id"),
        ],
        unique: &[],
    };
}

impl Catalogued for lead_channel_identity::Entity {
    const TABLE: Table = Table { name: "lead_channel_identity", pk: "identity_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "LCI",
        columns: &[
            Col("identity_id", Id),
            Col("lead_id", Ref),
            Col("channel_id", Ref),
            Col("channel_user_id", Text),
            Col("captured_at", Instant),
            Col("utm_params", Json),
            Col("additional_info", Json),
        ],
        pii: &[],
        channel: ChannelScope::Own,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<lead::Entity>("lead_id"), Reference::fk::<channel::Entity>("channel_id")],
        unique: &[],
    };
}

impl Catalogued for lead_summary::Entity {
    const TABLE: Table = Table { name: "lead_summary", pk: "summary_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: Some(Summary::Lead),
        prefix: "LEADS",
        columns: &[
            Col("summary_id", Id),
            Col("lead_id", Ref),
            Col("total_touchpoints", Count),
            Col("total_events", Count),
            Col("form_submissions", Count),
            Col("content_downloads", Count),
            Col("page_views", Count),
            Col("days_in_pipeline", Count),
            Col("contact_attempts", Count),
            Col("last_activity_at", Instant),
            Col("last_contact_attempt_at", Instant),
            Col("calculated_at", Instant),
            Col("updated_at", Updated),
        ],
        pii: &[],
        channel: ChannelScope::Via { col: "lead_id", parent: lead::Entity::TABLE },
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<lead::Entity>("lead_id")],
        unique: &[Unique("uk_lead_summary_lead", &["lead_id"])],
    };
}

impl Catalogued for merge_ledger::Entity {
    const TABLE: Table = Table { name: "merge_ledger", pk: "ledger_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "MRG",
        columns: &[
            Col("ledger_id", Id),
            Col("entity_type", Enum),
            Col("survivor_id", Text),
            Col("merged_ids", Json),
            Col("undo", Json),
            Col("merged_at", Instant),
            Col("merged_by_user_id", Ref),
            Col("unmerged_at", Instant),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<app_user::Entity>("merged_by_user_id")],
        unique: &[],
    };
}

impl Catalogued for opportunity::Entity {
    const TABLE: Table = Table { name: "opportunity", pk: "opportunity_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "OPP",
        columns: &[
            Col("opportunity_id", Id),
            Col("opportunity_name", Text),
            Col("account_id", Ref),
            Col("primary_contact_id", Ref),
            Col("lead_id", Ref),
            Col("opportunity_type", Enum),
            Col("opportunity_source", Enum),
            Col("amount", Money),
            Col("currency", Enum),
            Col("stage", Enum),
            Col("probability", Score),
            Col("expected_close_date", Date),
            Col("actual_close_date", Date),
            Col("close_reason", Text),
            Col("owner_user_id", Ref),
            Col("product_ids", Json),
            Col("campaign_id", Ref),
            Col("created_at", Created),
            Col("updated_at", Updated),
            Col("custom_fields", Json),
            Col("days_in_stage", Count),
            Col("is_won", Flag),
            Col("is_lost", Flag),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Opportunity,
        owned: &[
            Owned("is_won", "moveOpportunityStage"),
            Owned("is_lost", "moveOpportunityStage"),
            Owned("actual_close_date", "moveOpportunityStage"),
            Owned("days_in_stage", "moveOpportunityStage"),
        ],
        stale: &[Stale::Of("account_id", Summary::Account), Stale::Day("created_at"), Stale::Day("actual_close_date")],
        references: &[
            Reference::fk::<account::Entity>("account_id"),
            Reference::fk::<contact::Entity>("primary_contact_id"),
            Reference::fk::<lead::Entity>("lead_id"),
            Reference::fk::<app_user::Entity>("owner_user_id"),
            Reference::fk::<campaign::Entity>("campaign_id"),
        ],
        unique: &[],
    };
}

impl Catalogued for opportunity_product::Entity {
    const TABLE: Table = Table { name: "opportunity_product", pk: "opp_product_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "OPRD",
        columns: &[
            Col("opp_product_id", Id),
            Col("opportunity_id", Ref),
            Col("product_id", Ref),
            Col("quantity", Count),
            Col("unit_price", Money),
            Col("total_price", Money),
            Col("discount", Money),
            Col("product_description", Text),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[
            Reference::fk::<opportunity::Entity>("opportunity_id"),
            Reference::fk::<product::Entity>("product_id"),
        ],
        unique: &[],
    };
}

impl Catalogued for lead_assignment_log::Entity {
    const TABLE: Table = Table { name: "lead_assignment_log", pk: "log_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "LAL",
        columns: &[
            Col("log_id", Id),
            Col("lead_id", Ref),
            Col("kind", Enum),
            Col("from_user_id", Ref),
            Col("to_user_id", Ref),
            Col("to_team_id", Ref),
            Col("assigned_at", Instant),
            Col("lease_until", Instant),
            Col("actor_user_id", Ref),
            Col("rule_id", Text),
            Col("strategy", Text),
            Col("reason", Text),
            Col("trace", Json),
        ],
        pii: &[],
        // A partner sees the moves of the leads of its channels only.
        channel: ChannelScope::Via { col: "lead_id", parent: lead::Entity::TABLE },
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[
            Reference::fk::<lead::Entity>("lead_id"),
            Reference::fk::<app_user::Entity>("from_user_id"),
            Reference::fk::<app_user::Entity>("to_user_id"),
            Reference::fk::<team::Entity>("to_team_id"),
            Reference::fk::<app_user::Entity>("actor_user_id"),
        ],
        unique: &[],
    };
}

impl Catalogued for opportunity_stage_history::Entity {
    const TABLE: Table = Table { name: "opportunity_stage_history", pk: "history_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "OSH",
        columns: &[
            Col("history_id", Id),
            Col("opportunity_id", Ref),
            Col("from_stage", Enum),
            Col("to_stage", Enum),
            Col("changed_at", Instant),
            Col("changed_by_user_id", Ref),
            Col("change_reason", Text),
            Col("duration_days", Count),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[
            Reference::fk::<opportunity::Entity>("opportunity_id"),
            Reference::fk::<app_user::Entity>("changed_by_user_id"),
        ],
        unique: &[],
    };
}

impl Catalogued for product::Entity {
    const TABLE: Table = Table { name: "product", pk: "product_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "PRD",
        columns: &[
            Col("product_id", Id),
            Col("product_name", Text),
            Col("product_code", Text),
            Col("product_category_id", Ref),
            Col("product_type", Enum),
            Col("product_status", Enum),
            Col("description", Text),
            Col("list_price", Money),
            Col("currency", Enum),
            Col("pricing_model", Enum),
            Col("feature_list", Json),
            Col("created_at", Created),
            Col("updated_at", Updated),
            Col("custom_fields", Json),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<product_category::Entity>("product_category_id")],
        unique: &[Unique("uk_product_code", &["product_code"])],
    };
}

impl Catalogued for product_category::Entity {
    const TABLE: Table = Table { name: "product_category", pk: "category_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "PCAT",
        columns: &[
            Col("category_id", Id),
            Col("category_name", Text),
            Col("parent_category_id", Ref),
            Col("level", Count),
            Col("sort_order", Count),
            Col("created_at", Created),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<product_category::Entity>("parent_category_id")],
        unique: &[],
    };
}

impl Catalogued for score_history::Entity {
    const TABLE: Table = Table { name: "score_history", pk: "history_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "SH",
        columns: &[
            Col("history_id", Id),
            Col("entity_type", Enum),
            Col("entity_id", Ref),
            Col("model_id", Ref),
            Col("score", Score),
            Col("recorded_at", Instant),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[
            Reference::fk::<score_model::Entity>("model_id"),
            Reference::poly::<account::Entity>("entity_id", "entity_type", "ACCOUNT"),
            Reference::poly::<contact::Entity>("entity_id", "entity_type", "CONTACT"),
            Reference::poly::<lead::Entity>("entity_id", "entity_type", "LEAD"),
            Reference::poly::<opportunity::Entity>("entity_id", "entity_type", "OPPORTUNITY"),
        ],
        unique: &[],
    };
}

impl Catalogued for score_model::Entity {
    const TABLE: Table = Table { name: "score_model", pk: "model_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "SM",
        columns: &[
            Col("model_id", Id),
            Col("model_name", Text),
            Col("model_type", Enum),
            Col("target_entity_type", Enum),
            Col("scoring_rules", Json),
            Col("max_score", Count),
            Col("status", Enum),
            Col("created_at", Created),
            Col("updated_at", Updated),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[],
        unique: &[],
    };
}

impl Catalogued for score_record::Entity {
    const TABLE: Table = Table { name: "score_record", pk: "record_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "SR",
        columns: &[
            Col("record_id", Id),
            Col("model_id", Ref),
            Col("entity_type", Enum),
            Col("entity_id", Ref),
            Col("score", Score),
            Col("grade", Enum),
            Col("score_details", Json),
            Col("calculated_at", Instant),
            Col("updated_at", Updated),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[
            Reference::fk::<score_model::Entity>("model_id"),
            Reference::poly::<account::Entity>("entity_id", "entity_type", "ACCOUNT"),
            Reference::poly::<contact::Entity>("entity_id", "entity_type", "CONTACT"),
            Reference::poly::<lead::Entity>("entity_id", "entity_type", "LEAD"),
            Reference::poly::<opportunity::Entity>("entity_id", "entity_type", "OPPORTUNITY"),
        ],
        unique: &[Unique("uk_score_record", &["model_id", "entity_type", "entity_id"])],
    };
}

impl Catalogued for segment::Entity {
    const TABLE: Table = Table { name: "segment", pk: "segment_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "SEG",
        columns: &[
            Col("segment_id", Id),
            Col("segment_name", Text),
            Col("segment_type", Enum),
            Col("description", Text),
            Col("segment_rules", Json),
            Col("target_entity_type", Enum),
            Col("member_count", Count),
            Col("is_dynamic", Flag),
            Col("last_calculated_at", Instant),
            Col("created_by_user_id", Ref),
            Col("created_at", Created),
            Col("updated_at", Updated),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<app_user::Entity>("created_by_user_id")],
        unique: &[],
    };
}

impl Catalogued for segment_member::Entity {
    const TABLE: Table = Table { name: "segment_member", pk: "member_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "SGM",
        columns: &[
            Col("member_id", Id),
            Col("segment_id", Ref),
            Col("entity_type", Enum),
            Col("entity_id", Ref),
            Col("joined_at", Instant),
            Col("left_at", Instant),
            Col("is_active", Flag),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[
            Reference::fk::<segment::Entity>("segment_id"),
            Reference::poly::<account::Entity>("entity_id", "entity_type", "ACCOUNT"),
            Reference::poly::<contact::Entity>("entity_id", "entity_type", "CONTACT"),
            Reference::poly::<lead::Entity>("entity_id", "entity_type", "LEAD"),
            Reference::poly::<opportunity::Entity>("entity_id", "entity_type", "OPPORTUNITY"),
        ],
        unique: &[Unique("uk_segment_member", &["segment_id", "entity_type", "entity_id"])],
    };
}

impl Catalogued for tag::Entity {
    const TABLE: Table = Table { name: "tag", pk: "tag_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "TAG",
        columns: &[
            Col("tag_id", Id),
            Col("tag_name", Text),
            Col("tag_category", Text),
            Col("tag_type", Enum),
            Col("description", Text),
            Col("color", Text),
            Col("created_at", Created),
            Col("created_by_user_id", Ref),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<app_user::Entity>("created_by_user_id")],
        unique: &[Unique("uk_tag_name", &["tag_name"])],
    };
}

impl Catalogued for tag_relation::Entity {
    const TABLE: Table = Table { name: "tag_relation", pk: "relation_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "TGR",
        columns: &[
            Col("relation_id", Id),
            Col("tag_id", Ref),
            Col("entity_type", Enum),
            Col("entity_id", Ref),
            Col("tagged_at", Instant),
            Col("tagged_by_user_id", Ref),
            Col("is_auto_tagged", Flag),
            Col("tag_source", Enum),
            Col("rule_name", Text),
            Col("trace", Json),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[Owned("rule_name", "the auto-tagging rules"), Owned("trace", "the auto-tagging rules")],
        stale: &[],
        references: &[
            Reference::fk::<tag::Entity>("tag_id"),
            Reference::fk::<app_user::Entity>("tagged_by_user_id"),
            Reference::poly::<account::Entity>("entity_id", "entity_type", "ACCOUNT"),
            Reference::poly::<contact::Entity>("entity_id", "entity_type", "CONTACT"),
            Reference::poly::<lead::Entity>("entity_id", "entity_type", "LEAD"),
            Reference::poly::<opportunity::Entity>("entity_id", "entity_type", "OPPORTUNITY"),
        ],
        unique: &[Unique("uk_tag_relation", &["tag_id", "entity_type", "entity_id"])],
    };
}

impl Catalogued for team::Entity {
    const TABLE: Table = Table { name: "team", pk: "team_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "TEAM",
        columns: &[
            Col("team_id", Id),
            Col("team_name", Text),
            Col("parent_team_id", Ref),
            Col("region", Text),
            Col("created_at", Created),
            Col("updated_at", Updated),
        ],
        pii: &[],
        channel: ChannelScope::Unbound,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<team::Entity>("parent_team_id")],
        unique: &[],
    };
}

impl Catalogued for touchpoint::Entity {
    const TABLE: Table = Table { name: "touchpoint", pk: "touchpoint_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "TP",
        columns: &[
            Col("touchpoint_id", Id),
            Col("touchpoint_type", Enum),
            Col("channel_id", Ref),
            Col("campaign_id", Ref),
            Col("contact_id", Ref),
            Col("lead_id", Ref),
            Col("account_id", Ref),
            Col("touchpoint_time", Instant),
            Col("touchpoint_direction", Enum),
            Col("touchpoint_status", Enum),
            Col("content_type", Enum),
            Col("content_id", Text),
            Col("subject", Text),
            Col("description", Text),
            Col("duration_seconds", Count),
            Col("owner_user_id", Ref),
            Col("metadata", Json),
            Col("utm_params", Json),
            Col("created_at", Created),
        ],
        pii: &[],
        channel: ChannelScope::Own,
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[
            Stale::Of("account_id", Summary::Account),
            Stale::Of("contact_id", Summary::Contact),
            Stale::Of("lead_id", Summary::Lead),
            Stale::Campaign("campaign_id"),
            Stale::Day("touchpoint_time"),
        ],
        references: &[
            Reference::fk::<channel::Entity>("channel_id"),
            Reference::fk::<campaign::Entity>("campaign_id"),
            Reference::fk::<contact::Entity>("contact_id"),
            Reference::fk::<lead::Entity>("lead_id"),
            Reference::fk::<account::Entity>("account_id"),
            Reference::fk::<app_user::Entity>("owner_user_id"),
        ],
        unique: &[],
    };
}

impl Catalogued for touchpoint_attachment::Entity {
    const TABLE: Table = Table { name: "touchpoint_attachment", pk: "attachment_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "TPA",
        columns: &[
            Col("attachment_id", Id),
            Col("touchpoint_id", Ref),
            Col("file_name", Text),
            Col("file_url", Url),
            Col("file_type", Text),
            Col("file_size", Count),
            Col("uploaded_at", Instant),
        ],
        pii: &[],
        channel: ChannelScope::Via { col: "touchpoint_id", parent: touchpoint::Entity::TABLE },
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[Reference::fk::<touchpoint::Entity>("touchpoint_id")],
        unique: &[],
    };
}

impl Catalogued for touchpoint_attribution::Entity {
    const TABLE: Table = Table { name: "touchpoint_attribution", pk: "ta_id" };
    const FACTS: Facts = Facts {
        table: Self::TABLE,
        summary_of: None,
        prefix: "TPAT",
        columns: &[
            Col("ta_id", Id),
            Col("attribution_id", Ref),
            Col("touchpoint_id", Ref),
            Col("campaign_id", Ref),
            Col("channel_id", Ref),
            Col("attribution_weight", Rate),
            Col("position_in_journey", Count),
            Col("touchpoint_time", Instant),
        ],
        pii: &[],
        channel: ChannelScope::Via { col: "touchpoint_id", parent: touchpoint::Entity::TABLE },
        lifecycle: Lifecycle::Plain,
        owned: &[],
        stale: &[],
        references: &[
            Reference::fk::<attribution::Entity>("attribution_id"),
            Reference::fk::<touchpoint::Entity>("touchpoint_id"),
            Reference::fk::<campaign::Entity>("campaign_id"),
            Reference::fk::<channel::Entity>("channel_id"),
        ],
        unique: &[],
    };
}
