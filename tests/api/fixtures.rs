//! Small builders for rows the tests insert directly (ids are readable and sort in creation order).

use chrono::{DateTime, Duration, TimeZone, Utc};
use entity::enums::*;
use entity::*;
use rust_decimal::Decimal;
use sea_orm::DatabaseConnection;

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

pub fn at(minutes: i64) -> DateTime<Utc> {
    t0() + Duration::minutes(minutes)
}

pub async fn insert<M>(db: &DatabaseConnection, rows: Vec<M>)
where
    M: sea_orm::ModelTrait + sea_orm::IntoActiveModel<cdp360::repo::bulk::ActiveOf<M>>,
    cdp360::repo::bulk::ActiveOf<M>: sea_orm::ActiveModelTrait + Send,
{
    cdp360::repo::bulk::insert_all(db, rows).await.expect("fixture insert");
}

/// Seals the PII of the models the way the server does (ciphertext + blind index), and inserts them.
pub async fn insert_sealed<M>(db: &DatabaseConnection, pii: &cdp360::services::pii::Pii, mut rows: Vec<M>)
where
    M: cdp360::services::pii::HasPii + sea_orm::ModelTrait + sea_orm::IntoActiveModel<cdp360::repo::bulk::ActiveOf<M>>,
    cdp360::repo::bulk::ActiveOf<M>: sea_orm::ActiveModelTrait + Send,
{
    for row in &mut rows {
        pii.seal_model(row).expect("seal fixture PII");
    }
    insert(db, rows).await;
}

pub fn user(id: &str) -> app_user::Model {
    app_user::Model {
        user_id: id.into(),
        user_name: format!("销售{id}"),
        email: None,
        mobile_phone: None,
        team_id: None,
        user_role: UserRole::Sales,
        user_status: UserStatus::Active,
        claim_quota: 200,
        created_at: t0(),
        updated_at: t0(),
    }
}

pub fn channel(id: &str, ty: ChannelType) -> channel::Model {
    channel::Model {
        channel_id: id.into(),
        channel_name: format!("渠道{id}"),
        channel_type: ty,
        channel_category: Some(ChannelCategory::Online),
        parent_channel_id: None,
        channel_status: ChannelStatus::Active,
        channel_config: None,
        cost: None,
        created_at: t0(),
        updated_at: t0(),
        custom_fields: None,
    }
}

pub fn campaign(id: &str) -> campaign::Model {
    campaign::Model {
        campaign_id: id.into(),
        campaign_name: format!("活动{id}"),
        campaign_type: CampaignType::Webinar,
        campaign_status: CampaignStatus::Active,
        channel_ids: None,
        start_date: None,
        end_date: None,
        budget: None,
        actual_cost: None,
        target_audience: None,
        owner_user_id: None,
        created_at: t0(),
        updated_at: t0(),
        custom_fields: None,
    }
}

pub fn industry(id: &str, parent: Option<&str>) -> industry::Model {
    industry::Model {
        industry_id: id.into(),
        industry_name: format!("行业{id}"),
        industry_code: format!("C{id}"),
        parent_industry_id: parent.map(Into::into),
        level: if parent.is_some() { 2 } else { 1 },
        sort_order: None,
        created_at: t0(),
    }
}

pub fn account(id: &str, name: &str) -> account::Model {
    account::Model {
        account_id: id.into(),
        account_name: name.into(),
        unified_social_credit_code: None,
        account_type: AccountType::Customer,
        industry_id: None,
        account_status: AccountStatus::Active,
        account_level: None,
        annual_revenue: None,
        employee_count: None,
        company_website: None,
        company_address: None,
        province: None,
        city: None,
        district: None,
        account_source: None,
        primary_channel_id: None,
        owner_user_id: None,
        created_at: t0(),
        updated_at: t0(),
        custom_fields: None,
        lifecycle_stage: None,
        merged_into_id: None,
    }
}

pub fn contact(id: &str, name: &str, account: Option<&str>) -> contact::Model {
    contact::Model {
        contact_id: id.into(),
        contact_name: name.into(),
        mobile_phone: None,
        email: None,
        wechat_id: None,
        mobile_phone_bidx: None,
        email_bidx: None,
        wechat_id_bidx: None,
        job_title: None,
        department: None,
        contact_status: ContactStatus::Active,
        primary_account_id: account.map(Into::into),
        contact_source: None,
        primary_channel_id: None,
        owner_user_id: None,
        created_at: t0(),
        updated_at: t0(),
        custom_fields: None,
        lifecycle_stage: None,
        is_decision_maker: false,
        is_verified: false,
        merged_into_id: None,
    }
}

pub fn acr(id: &str, account: &str, contact: &str) -> account_contact_relation::Model {
    account_contact_relation::Model {
        relation_id: id.into(),
        account_id: account.into(),
        contact_id: contact.into(),
        role_in_account: None,
        decision_level: Some(DecisionLevel::DecisionMaker),
        is_primary_contact: false,
        relationship_status: Some(RelationshipStatus::Active),
        relation_start_date: None,
        relation_end_date: None,
        created_at: t0(),
        updated_at: t0(),
    }
}

/// An enabled WEB_FORM scene without rules, no deduplication, a 48-hour protection period.
pub fn scene(id: &str, name: &str) -> acquisition_scene::Model {
    acquisition_scene::Model {
        scene_id: id.into(),
        scene_name: name.into(),
        scene_type: SceneType::WebForm,
        is_enabled: true,
        default_channel_id: None,
        scene_specific_params: None,
        data_mapping_rules: None,
        auto_tagging_rules: None,
        assignment_rules: None,
        auto_response_config: None,
        deduplication_strategy: DeduplicationStrategy::NoCheck,
        protection_period_hours: 48,
        created_at: t0(),
        updated_at: t0(),
    }
}

pub fn lead(i: usize) -> lead::Model {
    lead::Model {
        lead_id: format!("LEAD_{i:06}"),
        lead_name: format!("线索{i}"),
        company_name: Some(format!("公司{i}")),
        mobile_phone: None,
        email: None,
        wechat_id: None,
        mobile_phone_bidx: None,
        email_bidx: None,
        wechat_id_bidx: None,
        job_title: None,
        lead_source: SourceType::Website,
        channel_id: None,
        campaign_id: None,
        lead_status: LeadStatus::New,
        lead_score: (i % 101) as i32,
        lead_grade: None,
        industry_id: None,
        province: None,
        city: None,
        owner_user_id: None,
        created_at: at(i as i64),
        updated_at: at(i as i64),
        last_contacted_at: None,
        converted_at: None,
        converted_contact_id: None,
        converted_account_id: None,
        converted_opportunity_id: None,
        custom_fields: None,
        is_qualified: false,
        owner_team_id: None,
        owner_lease_until: None,
        lease_extensions: 0,
    }
}

pub fn opportunity(id: &str, account: &str, stage: OpportunityStage) -> opportunity::Model {
    opportunity::Model {
        opportunity_id: id.into(),
        opportunity_name: format!("商机{id}"),
        account_id: account.into(),
        primary_contact_id: None,
        lead_id: None,
        opportunity_type: Some(OpportunityType::NewBusiness),
        opportunity_source: None,
        amount: Some(Decimal::new(10_000_000, 2)),
        currency: Some(Currency::Cny),
        stage,
        probability: 10,
        expected_close_date: None,
        actual_close_date: None,
        close_reason: None,
        owner_user_id: None,
        product_ids: None,
        campaign_id: None,
        created_at: t0(),
        updated_at: t0(),
        custom_fields: None,
        days_in_stage: 0,
        is_won: false,
        is_lost: false,
    }
}

pub fn stage_change(
    id: &str,
    opp: &str,
    from: Option<OpportunityStage>,
    to: OpportunityStage,
    minutes: i64,
) -> opportunity_stage_history::Model {
    opportunity_stage_history::Model {
        history_id: id.into(),
        opportunity_id: opp.into(),
        from_stage: from,
        to_stage: to,
        changed_at: at(minutes),
        changed_by_user_id: None,
        change_reason: None,
        duration_days: Some(0),
    }
}

pub fn product(id: &str) -> product::Model {
    product::Model {
        product_id: id.into(),
        product_name: format!("产品{id}"),
        product_code: format!("CODE-{id}"),
        product_category_id: None,
        product_type: Some(ProductType::Software),
        product_status: ProductStatus::Active,
        description: None,
        list_price: Some(Decimal::new(99_900, 2)),
        currency: Some(Currency::Cny),
        pricing_model: None,
        feature_list: None,
        created_at: t0(),
        updated_at: t0(),
        custom_fields: None,
    }
}

pub fn line(id: &str, opp: &str, product: &str) -> opportunity_product::Model {
    opportunity_product::Model {
        opp_product_id: id.into(),
        opportunity_id: opp.into(),
        product_id: product.into(),
        quantity: 2,
        unit_price: Some(Decimal::new(99_900, 2)),
        total_price: Some(Decimal::new(199_800, 2)),
        discount: Some(Decimal::ZERO),
        product_description: None,
    }
}

/// A page view at `minutes` that belongs to no one yet (tests set the owner they need).
pub fn event(id: &str, minutes: i64) -> event::Model {
    event::Model {
        event_id: id.into(),
        event_name: "page_view".into(),
        event_type: EventType::PageView,
        channel_id: None,
        contact_id: None,
        lead_id: None,
        account_id: None,
        event_time: at(minutes),
        session_id: None,
        device_type: None,
        browser: None,
        os: None,
        ip_address: None,
        page_url: None,
        referrer_url: None,
        event_properties: None,
        utm_params: None,
        created_at: at(minutes),
    }
}

pub fn touchpoint(id: &str, minutes: i64) -> touchpoint::Model {
    touchpoint::Model {
        touchpoint_id: id.into(),
        touchpoint_type: TouchpointType::PageView,
        channel_id: None,
        campaign_id: None,
        contact_id: None,
        lead_id: None,
        account_id: None,
        touchpoint_time: at(minutes),
        touchpoint_direction: Some(TouchpointDirection::Inbound),
        touchpoint_status: Some(TouchpointStatus::Completed),
        content_type: None,
        content_id: None,
        subject: None,
        description: None,
        duration_seconds: None,
        owner_user_id: None,
        metadata: None,
        utm_params: None,
        created_at: at(minutes),
    }
}

pub fn tag(id: &str, name: &str) -> tag::Model {
    tag::Model {
        tag_id: id.into(),
        tag_name: name.into(),
        tag_category: None,
        tag_type: TagType::Business,
        description: None,
        color: None,
        created_at: t0(),
        created_by_user_id: None,
    }
}

pub fn tagging(id: &str, tag: &str, ty: EntityType, entity: &str) -> tag_relation::Model {
    tag_relation::Model {
        relation_id: id.into(),
        tag_id: tag.into(),
        entity_type: ty,
        entity_id: entity.into(),
        tagged_at: t0(),
        tagged_by_user_id: None,
        is_auto_tagged: false,
        tag_source: TagSource::Manual,
        rule_name: None,
        trace: None,
    }
}

pub fn account_summary(id: &str, account: &str, health: i32) -> account_summary::Model {
    account_summary::Model {
        summary_id: id.into(),
        account_id: account.into(),
        total_contacts: 0,
        total_opportunities: 0,
        total_leads: 0,
        total_revenue: Decimal::ZERO,
        lifetime_value: Decimal::ZERO,
        won_opportunities: 0,
        lost_opportunities: 0,
        win_rate: Decimal::ZERO,
        total_touchpoints: 0,
        active_campaigns: 0,
        health_score: health,
        last_activity_at: None,
        last_purchase_at: None,
        first_purchase_date: None,
        latest_opportunity_date: None,
        days_since_last_contact: 0,
        calculated_at: t0(),
        updated_at: t0(),
    }
}

pub fn contact_summary(id: &str, contact: &str, engagement: i32) -> contact_summary::Model {
    contact_summary::Model {
        summary_id: id.into(),
        contact_id: contact.into(),
        total_touchpoints: 0,
        total_events: 0,
        email_opens: 0,
        email_clicks: 0,
        form_submissions: 0,
        content_downloads: 0,
        engagement_score: engagement,
        last_activity_at: None,
        last_email_sent_at: None,
        last_email_opened_at: None,
        days_since_last_activity: 0,
        campaign_responses: 0,
        calculated_at: t0(),
        updated_at: t0(),
    }
}

pub fn lead_summary(id: &str, lead: &str) -> lead_summary::Model {
    lead_summary::Model {
        summary_id: id.into(),
        lead_id: lead.into(),
        total_touchpoints: 0,
        total_events: 0,
        form_submissions: 0,
        content_downloads: 0,
        page_views: 3,
        days_in_pipeline: 0,
        contact_attempts: 0,
        last_activity_at: None,
        last_contact_attempt_at: None,
        calculated_at: t0(),
        updated_at: t0(),
    }
}

pub fn team(id: &str) -> team::Model {
    team::Model {
        team_id: id.into(),
        team_name: format!("团队{id}"),
        parent_team_id: None,
        region: None,
        created_at: t0(),
        updated_at: t0(),
    }
}
