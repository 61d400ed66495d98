//! The entities of the API: one `resource!` registration per table (columns, relations both ways),
//! the enums mirrored from `entity::enums`, the `Node` interface and the query root.
//! Generated once from the data model (docs/data-model.md) by a throw-away script; edit by hand from
//! now on.

#![allow(clippy::large_enum_variant)]

use async_graphql::{Context, ID, Interface};

use super::errors::GqlResult;
use super::filters::{
    BoolFilter, DateFilter, DateTimeFilter, DecimalFilter, IntFilter, JsonFilter, StringFilter, enum_filter,
};
use super::loaders;
use super::resource::Resource;
use super::resource_macros::{query_root, resource};

macro_rules! stored_enums {
    ($($name:ident / $filter:ident { $($variant:ident),* $(,)? })*) => {$(
        enum_filter!($filter, $name);
        // Each value's GraphQL name is its Rust name in SCREAMING_SNAKE_CASE, which is its stored
        // string (`enum_wire_names` is checked by a test); the strings are stated in entity/src/enums.rs.
        #[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
        pub enum $name { $( $variant ),* }
        impl From<entity::enums::$name> for $name {
            fn from(v: entity::enums::$name) -> Self { match v { $( entity::enums::$name::$variant => $name::$variant ),* } }
        }
        impl From<$name> for entity::enums::$name {
            fn from(v: $name) -> Self { match v { $( $name::$variant => entity::enums::$name::$variant ),* } }
        }
        impl super::filters::StoredEnum for $name {
            fn stored(&self) -> &'static str { entity::enums::$name::from(*self).as_str() }
        }
        impl super::scalars::Expose for entity::enums::$name {
            type Out = $name;
            const JSON: crate::repo::json::Scalar = crate::repo::json::Scalar::Text;
            fn expose(&self) -> $name { (*self).into() }
        }
        impl super::scalars::Expose for Option<entity::enums::$name> {
            type Out = Option<$name>;
            const JSON: crate::repo::json::Scalar = crate::repo::json::Scalar::Text;
            fn expose(&self) -> Option<$name> { self.map(Into::into) }
        }
        impl super::scalars::Accept for entity::enums::$name {
            type In = $name;
            const NULLABLE: bool = false;
            fn accept(v: $name) -> sea_orm::Value { sea_orm::Value::from(super::filters::StoredEnum::stored(&v)) }
            fn null() -> sea_orm::Value { sea_orm::Value::String(None) }
        }
        impl super::scalars::Accept for Option<entity::enums::$name> {
            type In = $name;
            const NULLABLE: bool = true;
            fn accept(v: $name) -> sea_orm::Value { sea_orm::Value::from(super::filters::StoredEnum::stored(&v)) }
            fn null() -> sea_orm::Value { sea_orm::Value::String(None) }
        }
    )*
        /// `(GraphQL name, stored string)` of every value of every enum (they must be equal).
        #[cfg(test)]
        pub fn enum_wire_names() -> Vec<(&'static str, &'static str)> {
            use async_graphql::resolver_utils::EnumType;
            let mut names = Vec::new();
            $( for item in <$name as EnumType>::items() {
                names.push((item.name, entity::enums::$name::from(item.value).as_str()));
            } )*
            names
        }
    };
}

stored_enums! {
    AccountType / AccountTypeFilter { Customer, Partner, Competitor, Prospect }
    AccountStatus / AccountStatusFilter { Active, Dormant, Churned, Blacklist }
    AccountLevel / AccountLevelFilter { Strategic, Important, Normal }
    AccountLifecycleStage / AccountLifecycleStageFilter { Awareness, Consideration, Decision, Retention, Expansion, Churn, Winback }
    SourceType / SourceTypeFilter { Website, Form, Campaign, ColdCall, Referral, Exhibition, Partner, Import, Api, Other }
    ContactStatus / ContactStatusFilter { Active, Inactive, Bounced, Unsubscribed }
    ContactLifecycleStage / ContactLifecycleStageFilter { Subscriber, Lead, Mql, Sql, Opportunity, Customer }
    DecisionLevel / DecisionLevelFilter { DecisionMaker, Influencer, User, Gatekeeper }
    RelationshipStatus / RelationshipStatusFilter { Active, Inactive }
    AccountRelationType / AccountRelationTypeFilter { Subsidiary, Branch, Holding, Affiliate }
    IdentityType / IdentityTypeFilter { Openid, Unionid, CorpId, UserId, CookieId, DeviceId, Phone, Email, Custom }
    LeadStatus / LeadStatusFilter { New, Contacted, Qualified, Converted, Disqualified }
    Grade / GradeFilter { A, B, C, D }
    OpportunityStage / OpportunityStageFilter { Lead, Qualification, NeedsAnalysis, Proposal, Negotiation, Contract, ClosedWon, ClosedLost }
    OpportunityType / OpportunityTypeFilter { NewBusiness, Upsell, Renewal, CrossSell }
    OpportunitySource / OpportunitySourceFilter { LeadConversion, DirectSales, Partner }
    Currency / CurrencyFilter { Cny, Usd, Eur }
    ChannelType / ChannelTypeFilter { Website, Seo, Sem, Wechat, EnterpriseWechat, Douyin, Email, Phone, OfflineEvent, Offline, Exhibition, Partner }
    ChannelCategory / ChannelCategoryFilter { Online, Offline, Social, Direct }
    ChannelStatus / ChannelStatusFilter { Active, Inactive, Testing }
    CampaignType / CampaignTypeFilter { Webinar, Conference, Exhibition, EmailMarketing, ContentMarketing, ProductTrial, Summit }
    CampaignStatus / CampaignStatusFilter { Planned, Active, Paused, Completed, Cancelled }
    EntityType / EntityTypeFilter { Account, Contact, Lead, Opportunity }
    CampaignMemberStatus / CampaignMemberStatusFilter { Invited, Registered, Attended, NoShow, Unsubscribed }
    ResponseStatus / ResponseStatusFilter { NoResponse, Responded, Converted }
    TouchpointType / TouchpointTypeFilter { PageView, FormSubmit, Download, Email, EmailOpen, EmailClick, Call, Meeting, Chat, SocialInteraction }
    TouchpointDirection / TouchpointDirectionFilter { Inbound, Outbound }
    TouchpointStatus / TouchpointStatusFilter { Completed, Scheduled, Cancelled }
    ContentType / ContentTypeFilter { Whitepaper, CaseStudy, Webinar, Demo, Proposal }
    EventType / EventTypeFilter { PageView, ButtonClick, Click, FormStart, FormSubmit, FileDownload, Download, VideoPlay, ProductTrial, Search }
    DeviceType / DeviceTypeFilter { Desktop, Mobile, Tablet }
    ProductType / ProductTypeFilter { Software, Hardware, Service, Subscription }
    ProductStatus / ProductStatusFilter { Active, Inactive, Discontinued }
    PricingModel / PricingModelFilter { OneTime, Subscription, UsageBased, Tiered }
    TagType / TagTypeFilter { Behavior, Profile, Business, Interest }
    TagSource / TagSourceFilter { Manual, Rule, Import, System }
    SegmentType / SegmentTypeFilter { Firmographic, Behavioral, Lifecycle, Value, Custom }
    ScoreModelType / ScoreModelTypeFilter { LeadScoring, AccountHealth, ContactEngagement }
    ScoreModelStatus / ScoreModelStatusFilter { Draft, Active, Inactive }
    AttributionModel / AttributionModelFilter { FirstTouch, LastTouch, Linear, TimeDecay, UShaped, WShaped }
    UserRole / UserRoleFilter { Sales, SalesManager, Marketing, Admin }
    AssignmentKind / AssignmentKindFilter { Assigned, Claimed, Released, Extended, ReturnedToPool, Reassigned }
    UserStatus / UserStatusFilter { Active, Inactive }
    SceneType / SceneTypeFilter { PhoneCall, WebForm, OrderSync, SocialMediaLead, ApiImport, QrCodeScan, LandingPage, MiniProgram }
    DeduplicationStrategy / DeduplicationStrategyFilter { NoCheck, ByPhone, ByEmail, ByPhoneOrEmail }
}

resource! {
    /// 企业账户 — a company (B2B account).
    Account {
        model: account, pk: account_id,
        filter: AccountFilter, order: AccountOrderBy [AccountOrderField],
        aggregate: AccountAggregateGroup [AccountGroupBy],
        inputs: (CreateAccountInput, UpdateAccountInput),
        fields {
            account_id: String => StringFilter,
            account_name: String => StringFilter,
            unified_social_credit_code: Option<String> => StringFilter,
            account_type: entity::enums::AccountType => AccountTypeFilter,
            industry_id: Option<String> => StringFilter,
            account_status: entity::enums::AccountStatus => AccountStatusFilter,
            account_level: Option<entity::enums::AccountLevel> => AccountLevelFilter,
            annual_revenue: Option<rust_decimal::Decimal> => DecimalFilter,
            employee_count: Option<i32> => IntFilter,
            company_website: Option<String> => StringFilter,
            company_address: Option<String> => StringFilter,
            province: Option<String> => StringFilter,
            city: Option<String> => StringFilter,
            district: Option<String> => StringFilter,
            account_source: Option<entity::enums::SourceType> => SourceTypeFilter,
            primary_channel_id: Option<String> => StringFilter,
            owner_user_id: Option<String> => StringFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            custom_fields: Option<serde_json::Value> => JsonFilter,
            lifecycle_stage: Option<entity::enums::AccountLifecycleStage> => AccountLifecycleStageFilter,
            merged_into_id: Option<String> => StringFilter,
        }
        order_fields { AccountId, AccountName, UnifiedSocialCreditCode, AccountType, IndustryId, AccountStatus, AccountLevel, AnnualRevenue, EmployeeCount, CompanyWebsite, CompanyAddress, Province, City, District, AccountSource, PrimaryChannelId, OwnerUserId, CreatedAt, UpdatedAt, LifecycleStage }
        to_one { industry: Industry = industry_id, primary_channel: Channel = primary_channel_id, owner: AppUser = owner_user_id }
        one_by { summary: AccountSummary = account_id <- account_id }
        poly {  }
        to_many {
            channel_identities: AccountChannelIdentity = by(account_id) <- account_id,
            child_relations: AccountRelation = by(parent_account_id) <- account_id,
            parent_relations: AccountRelation = by(child_account_id) <- account_id,
            primary_contacts: Contact = by(primary_account_id) <- account_id,
            contact_relations: AccountContactRelation = by(account_id) <- account_id,
            converted_leads: Lead = by(converted_account_id) <- account_id,
            opportunities: Opportunity = by(account_id) <- account_id,
            touchpoints: Touchpoint = by(account_id) <- account_id,
            events: Event = by(account_id) <- account_id,
            contacts: Contact = via(account_contact_relation: account_id -> contact_id) <- account_id,
            child_accounts: Account = via(account_relation: parent_account_id -> child_account_id) <- account_id,
            parent_accounts: Account = via(account_relation: child_account_id -> parent_account_id) <- account_id,
            tags: Tag = via(tag_relation: entity_id -> tag_id) <- account_id,
            tag_relations: TagRelation = by(entity_id) <- account_id,
            segments: Segment = via(segment_member: entity_id -> segment_id) <- account_id,
            segment_memberships: SegmentMember = by(entity_id) <- account_id,
            score_records: ScoreRecord = by(entity_id) <- account_id,
            score_histories: ScoreHistory = by(entity_id) <- account_id,
            attributions: Attribution = by(entity_id) <- account_id,
            journeys: CustomerJourney = by(entity_id) <- account_id,
            campaign_memberships: CampaignMember = by(member_ref_id) <- account_id,
            campaigns: Campaign = via(campaign_member: member_ref_id -> campaign_id) <- account_id,
        }
    }
}

resource! {
    /// An account's identity in one channel (e.g. Enterprise WeChat CorpID).
    AccountChannelIdentity {
        model: account_channel_identity, pk: identity_id,
        filter: AccountChannelIdentityFilter, order: AccountChannelIdentityOrderBy [AccountChannelIdentityOrderField],
        aggregate: AccountChannelIdentityAggregateGroup [AccountChannelIdentityGroupBy],
        inputs: (CreateAccountChannelIdentityInput, UpdateAccountChannelIdentityInput),
        fields {
            identity_id: String => StringFilter,
            account_id: String => StringFilter,
            channel_id: String => StringFilter,
            channel_account_id: String => StringFilter,
            identity_type: Option<entity::enums::IdentityType> => IdentityTypeFilter,
            is_verified: bool => BoolFilter,
            first_seen_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            last_seen_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            additional_info: Option<serde_json::Value> => JsonFilter,
        }
        order_fields { IdentityId, AccountId, ChannelId, ChannelAccountId, IdentityType, IsVerified, FirstSeenAt, LastSeenAt }
        to_one { account: Account = account_id, channel: Channel = channel_id }
        one_by {  }
        poly {  }
        to_many {
        }
    }
}

resource! {
    /// Precomputed aggregates of one account (customer-360 header).
    AccountSummary {
        model: account_summary, pk: summary_id,
        filter: AccountSummaryFilter, order: AccountSummaryOrderBy [AccountSummaryOrderField],
        aggregate: AccountSummaryAggregateGroup [AccountSummaryGroupBy],
        inputs: none,
        fields {
            summary_id: String => StringFilter,
            account_id: String => StringFilter,
            total_contacts: i32 => IntFilter,
            total_opportunities: i32 => IntFilter,
            total_leads: i32 => IntFilter,
            total_revenue: rust_decimal::Decimal => DecimalFilter,
            lifetime_value: rust_decimal::Decimal => DecimalFilter,
            won_opportunities: i32 => IntFilter,
            lost_opportunities: i32 => IntFilter,
            win_rate: rust_decimal::Decimal => DecimalFilter,
            total_touchpoints: i32 => IntFilter,
            active_campaigns: i32 => IntFilter,
            health_score: i32 => IntFilter,
            last_activity_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            last_purchase_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            first_purchase_date: Option<chrono::NaiveDate> => DateFilter,
            latest_opportunity_date: Option<chrono::NaiveDate> => DateFilter,
            days_since_last_contact: i32 => IntFilter,
            calculated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { SummaryId, AccountId, TotalContacts, TotalOpportunities, TotalLeads, TotalRevenue, LifetimeValue, WonOpportunities, LostOpportunities, WinRate, TotalTouchpoints, ActiveCampaigns, HealthScore, LastActivityAt, LastPurchaseAt, FirstPurchaseDate, LatestOpportunityDate, DaysSinceLastContact, CalculatedAt, UpdatedAt }
        to_one { account: Account = account_id }
        one_by {  }
        poly {  }
        to_many {
        }
    }
}

resource! {
    /// Parent/child link between two accounts (group structure).
    AccountRelation {
        model: account_relation, pk: relation_id,
        filter: AccountRelationFilter, order: AccountRelationOrderBy [AccountRelationOrderField],
        aggregate: AccountRelationAggregateGroup [AccountRelationGroupBy],
        inputs: (CreateAccountRelationInput, UpdateAccountRelationInput),
        fields {
            relation_id: String => StringFilter,
            parent_account_id: String => StringFilter,
            child_account_id: String => StringFilter,
            relation_type: entity::enums::AccountRelationType => AccountRelationTypeFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { RelationId, ParentAccountId, ChildAccountId, RelationType, CreatedAt }
        to_one { parent_account: Account = parent_account_id, child_account: Account = child_account_id }
        one_by {  }
        poly {  }
        to_many {
        }
    }
}

resource! {
    /// 联系人 — a person, possibly linked to several accounts.
    Contact {
        model: contact, pk: contact_id,
        filter: ContactFilter, order: ContactOrderBy [ContactOrderField],
        aggregate: ContactAggregateGroup [ContactGroupBy],
        inputs: (CreateContactInput, UpdateContactInput),
        fields {
            contact_id: String => StringFilter,
            contact_name: String => StringFilter,
            job_title: Option<String> => StringFilter,
            department: Option<String> => StringFilter,
            contact_status: entity::enums::ContactStatus => ContactStatusFilter,
            primary_account_id: Option<String> => StringFilter,
            contact_source: Option<entity::enums::SourceType> => SourceTypeFilter,
            primary_channel_id: Option<String> => StringFilter,
            owner_user_id: Option<String> => StringFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            custom_fields: Option<serde_json::Value> => JsonFilter,
            lifecycle_stage: Option<entity::enums::ContactLifecycleStage> => ContactLifecycleStageFilter,
            is_decision_maker: bool => BoolFilter,
            is_verified: bool => BoolFilter,
            merged_into_id: Option<String> => StringFilter,
        }
        pii { mobile_phone: MOBILE_PHONE, email: EMAIL, wechat_id: WECHAT_ID }
        order_fields { ContactId, ContactName, JobTitle, Department, ContactStatus, PrimaryAccountId, ContactSource, PrimaryChannelId, OwnerUserId, CreatedAt, UpdatedAt, LifecycleStage, IsDecisionMaker, IsVerified }
        to_one { primary_account: Account = primary_account_id, primary_channel: Channel = primary_channel_id, owner: AppUser = owner_user_id }
        one_by { summary: ContactSummary = contact_id <- contact_id }
        poly {  }
        to_many {
            channel_identities: ContactChannelIdentity = by(contact_id) <- contact_id,
            account_relations: AccountContactRelation = by(contact_id) <- contact_id,
            converted_leads: Lead = by(converted_contact_id) <- contact_id,
            opportunities: Opportunity = by(primary_contact_id) <- contact_id,
            touchpoints: Touchpoint = by(contact_id) <- contact_id,
            events: Event = by(contact_id) <- contact_id,
            accounts: Account = via(account_contact_relation: contact_id -> account_id) <- contact_id,
            tags: Tag = via(tag_relation: entity_id -> tag_id) <- contact_id,
            tag_relations: TagRelation = by(entity_id) <- contact_id,
            segments: Segment = via(segment_member: entity_id -> segment_id) <- contact_id,
            segment_memberships: SegmentMember = by(entity_id) <- contact_id,
            score_records: ScoreRecord = by(entity_id) <- contact_id,
            score_histories: ScoreHistory = by(entity_id) <- contact_id,
            attributions: Attribution = by(entity_id) <- contact_id,
            journeys: CustomerJourney = by(entity_id) <- contact_id,
            campaign_memberships: CampaignMember = by(member_ref_id) <- contact_id,
            campaigns: Campaign = via(campaign_member: member_ref_id -> campaign_id) <- contact_id,
        }
    }
}

resource! {
    /// A contact's identity in one channel (WeChat OpenID, cookie id…).
    ContactChannelIdentity {
        model: contact_channel_identity, pk: identity_id,
        filter: ContactChannelIdentityFilter, order: ContactChannelIdentityOrderBy [ContactChannelIdentityOrderField],
        aggregate: ContactChannelIdentityAggregateGroup [ContactChannelIdentityGroupBy],
        inputs: (CreateContactChannelIdentityInput, UpdateContactChannelIdentityInput),
        fields {
            identity_id: String => StringFilter,
            contact_id: String => StringFilter,
            channel_id: String => StringFilter,
            channel_user_id: String => StringFilter,
            identity_type: Option<entity::enums::IdentityType> => IdentityTypeFilter,
            is_primary: bool => BoolFilter,
            is_verified: bool => BoolFilter,
            first_seen_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            last_seen_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            additional_info: Option<serde_json::Value> => JsonFilter,
        }
        order_fields { IdentityId, ContactId, ChannelId, ChannelUserId, IdentityType, IsPrimary, IsVerified, FirstSeenAt, LastSeenAt }
        to_one { contact: Contact = contact_id, channel: Channel = channel_id }
        one_by {  }
        poly {  }
        to_many {
        }
    }
}

resource! {
    /// Precomputed engagement aggregates of one contact.
    ContactSummary {
        model: contact_summary, pk: summary_id,
        filter: ContactSummaryFilter, order: ContactSummaryOrderBy [ContactSummaryOrderField],
        aggregate: ContactSummaryAggregateGroup [ContactSummaryGroupBy],
        inputs: none,
        fields {
            summary_id: String => StringFilter,
            contact_id: String => StringFilter,
            total_touchpoints: i32 => IntFilter,
            total_events: i32 => IntFilter,
            email_opens: i32 => IntFilter,
            email_clicks: i32 => IntFilter,
            form_submissions: i32 => IntFilter,
            content_downloads: i32 => IntFilter,
            engagement_score: i32 => IntFilter,
            last_activity_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            last_email_sent_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            last_email_opened_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            days_since_last_activity: i32 => IntFilter,
            campaign_responses: i32 => IntFilter,
            calculated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { SummaryId, ContactId, TotalTouchpoints, TotalEvents, EmailOpens, EmailClicks, FormSubmissions, ContentDownloads, EngagementScore, LastActivityAt, LastEmailSentAt, LastEmailOpenedAt, DaysSinceLastActivity, CampaignResponses, CalculatedAt, UpdatedAt }
        to_one { contact: Contact = contact_id }
        one_by {  }
        poly {  }
        to_many {
        }
    }
}

resource! {
    /// Membership of a contact in an account, with role.
    AccountContactRelation {
        model: account_contact_relation, pk: relation_id,
        filter: AccountContactRelationFilter, order: AccountContactRelationOrderBy [AccountContactRelationOrderField],
        aggregate: AccountContactRelationAggregateGroup [AccountContactRelationGroupBy],
        inputs: (CreateAccountContactRelationInput, UpdateAccountContactRelationInput),
        fields {
            relation_id: String => StringFilter,
            account_id: String => StringFilter,
            contact_id: String => StringFilter,
            role_in_account: Option<String> => StringFilter,
            decision_level: Option<entity::enums::DecisionLevel> => DecisionLevelFilter,
            is_primary_contact: bool => BoolFilter,
            relationship_status: Option<entity::enums::RelationshipStatus> => RelationshipStatusFilter,
            relation_start_date: Option<chrono::NaiveDate> => DateFilter,
            relation_end_date: Option<chrono::NaiveDate> => DateFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { RelationId, AccountId, ContactId, RoleInAccount, DecisionLevel, IsPrimaryContact, RelationshipStatus, RelationStartDate, RelationEndDate, CreatedAt, UpdatedAt }
        to_one { account: Account = account_id, contact: Contact = contact_id }
        one_by {  }
        poly {  }
        to_many {
        }
    }
}

/// The pools of the protection period (issue 16): 私海 and 公海.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum LeadPool {
    /// Leads with an owner (`ownerUserId` set).
    Private,
    /// Leads anyone may claim: no owner and not queued for a team (`ownerTeamId` unset).
    Public,
}

/// `LeadFilter.pool`, as plain column conditions (so both read paths serve it alike).
fn lead_pool(pool: &LeadPool) -> crate::repo::filter::Filter {
    use crate::repo::filter::Filter;
    match pool {
        LeadPool::Private => Filter::IsNull { col: "owner_user_id", is_null: false },
        LeadPool::Public => Filter::And(vec![
            Filter::IsNull { col: "owner_user_id", is_null: true },
            Filter::IsNull { col: "owner_team_id", is_null: true },
        ]),
    }
}

resource! {
    /// 线索 — an unqualified prospect captured from a channel.
    Lead {
        model: lead, pk: lead_id,
        filter: LeadFilter, order: LeadOrderBy [LeadOrderField],
        aggregate: LeadAggregateGroup [LeadGroupBy],
        inputs: (CreateLeadInput, UpdateLeadInput),
        fields {
            lead_id: String => StringFilter,
            lead_name: String => StringFilter,
            company_name: Option<String> => StringFilter,
            job_title: Option<String> => StringFilter,
            lead_source: entity::enums::SourceType => SourceTypeFilter,
            channel_id: Option<String> => StringFilter,
            campaign_id: Option<String> => StringFilter,
            lead_status: entity::enums::LeadStatus => LeadStatusFilter,
            lead_score: i32 => IntFilter,
            lead_grade: Option<entity::enums::Grade> => GradeFilter,
            industry_id: Option<String> => StringFilter,
            province: Option<String> => StringFilter,
            city: Option<String> => StringFilter,
            owner_user_id: Option<String> => StringFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            last_contacted_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            converted_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            converted_contact_id: Option<String> => StringFilter,
            converted_account_id: Option<String> => StringFilter,
            converted_opportunity_id: Option<String> => StringFilter,
            custom_fields: Option<serde_json::Value> => JsonFilter,
            is_qualified: bool => BoolFilter,
            owner_team_id: Option<String> => StringFilter,
            owner_lease_until: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            lease_extensions: i32 => IntFilter,
        }
        pii { mobile_phone: MOBILE_PHONE, email: EMAIL, wechat_id: WECHAT_ID }
        extra_filters { pool: LeadPool => lead_pool }
        order_fields { LeadId, LeadName, CompanyName, JobTitle, LeadSource, ChannelId, CampaignId, LeadStatus, LeadScore, LeadGrade, IndustryId, Province, City, OwnerUserId, CreatedAt, UpdatedAt, LastContactedAt, ConvertedAt, ConvertedContactId, ConvertedAccountId, ConvertedOpportunityId, IsQualified, OwnerTeamId, OwnerLeaseUntil, LeaseExtensions }
        to_one { channel: Channel = channel_id, campaign: Campaign = campaign_id, industry: Industry = industry_id, owner: AppUser = owner_user_id, owner_team: Team = owner_team_id, converted_contact: Contact = converted_contact_id, converted_account: Account = converted_account_id, converted_opportunity: Opportunity = converted_opportunity_id }
        one_by { summary: LeadSummary = lead_id <- lead_id }
        poly {  }
        to_many {
            channel_identities: LeadChannelIdentity = by(lead_id) <- lead_id,
            opportunities: Opportunity = by(lead_id) <- lead_id,
            touchpoints: Touchpoint = by(lead_id) <- lead_id,
            events: Event = by(lead_id) <- lead_id,
            tags: Tag = via(tag_relation: entity_id -> tag_id) <- lead_id,
            tag_relations: TagRelation = by(entity_id) <- lead_id,
            segments: Segment = via(segment_member: entity_id -> segment_id) <- lead_id,
            segment_memberships: SegmentMember = by(entity_id) <- lead_id,
            score_records: ScoreRecord = by(entity_id) <- lead_id,
            score_histories: ScoreHistory = by(entity_id) <- lead_id,
            attributions: Attribution = by(entity_id) <- lead_id,
            journeys: CustomerJourney = by(entity_id) <- lead_id,
            campaign_memberships: CampaignMember = by(member_ref_id) <- lead_id,
            campaigns: Campaign = via(campaign_member: member_ref_id -> campaign_id) <- lead_id,
            assignment_log: LeadAssignmentLog = by(lead_id) <- lead_id,
        }
    }
}

resource! {
    /// One move of a lead between owners and the public pool (written by claimLead, releaseLead,
    /// extendLease, assignLead, reassignLeads and the lease sweeper; read-only).
    LeadAssignmentLog {
        model: lead_assignment_log, pk: log_id,
        filter: LeadAssignmentLogFilter, order: LeadAssignmentLogOrderBy [LeadAssignmentLogOrderField],
        aggregate: LeadAssignmentLogAggregateGroup [LeadAssignmentLogGroupBy],
        inputs: none,
        fields {
            log_id: String => StringFilter,
            lead_id: String => StringFilter,
            kind: entity::enums::AssignmentKind => AssignmentKindFilter,
            from_user_id: Option<String> => StringFilter,
            to_user_id: Option<String> => StringFilter,
            to_team_id: Option<String> => StringFilter,
            assigned_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            lease_until: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            actor_user_id: Option<String> => StringFilter,
            rule_id: Option<String> => StringFilter,
            strategy: Option<String> => StringFilter,
            reason: Option<String> => StringFilter,
            trace: Option<serde_json::Value> => JsonFilter,
        }
        order_fields { LogId, LeadId, Kind, FromUserId, ToUserId, ToTeamId, AssignedAt, LeaseUntil, ActorUserId }
        to_one { lead: Lead = lead_id, previous_owner: AppUser = from_user_id, to_user: AppUser = to_user_id, to_team: Team = to_team_id, actor: AppUser = actor_user_id }
        one_by {  }
        poly {  }
        to_many {
        }
    }
}

resource! {
    /// A lead's identity in the channel that captured it.
    LeadChannelIdentity {
        model: lead_channel_identity, pk: identity_id,
        filter: LeadChannelIdentityFilter, order: LeadChannelIdentityOrderBy [LeadChannelIdentityOrderField],
        aggregate: LeadChannelIdentityAggregateGroup [LeadChannelIdentityGroupBy],
        inputs: (CreateLeadChannelIdentityInput, UpdateLeadChannelIdentityInput),
        fields {
            identity_id: String => StringFilter,
            lead_id: String => StringFilter,
            channel_id: String => StringFilter,
            channel_user_id: String => StringFilter,
            captured_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            utm_params: Option<serde_json::Value> => JsonFilter,
            additional_info: Option<serde_json::Value> => JsonFilter,
        }
        order_fields { IdentityId, LeadId, ChannelId, ChannelUserId, CapturedAt }
        to_one { lead: Lead = lead_id, channel: Channel = channel_id }
        one_by {  }
        poly {  }
        to_many {
        }
    }
}

resource! {
    /// Precomputed activity aggregates of one lead.
    LeadSummary {
        model: lead_summary, pk: summary_id,
        filter: LeadSummaryFilter, order: LeadSummaryOrderBy [LeadSummaryOrderField],
        aggregate: LeadSummaryAggregateGroup [LeadSummaryGroupBy],
        inputs: none,
        fields {
            summary_id: String => StringFilter,
            lead_id: String => StringFilter,
            total_touchpoints: i32 => IntFilter,
            total_events: i32 => IntFilter,
            form_submissions: i32 => IntFilter,
            content_downloads: i32 => IntFilter,
            page_views: i32 => IntFilter,
            days_in_pipeline: i32 => IntFilter,
            contact_attempts: i32 => IntFilter,
            last_activity_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            last_contact_attempt_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            calculated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { SummaryId, LeadId, TotalTouchpoints, TotalEvents, FormSubmissions, ContentDownloads, PageViews, DaysInPipeline, ContactAttempts, LastActivityAt, LastContactAttemptAt, CalculatedAt, UpdatedAt }
        to_one { lead: Lead = lead_id }
        one_by {  }
        poly {  }
        to_many {
        }
    }
}

resource! {
    /// 商机 — a sales deal with an account.
    Opportunity {
        model: opportunity, pk: opportunity_id,
        filter: OpportunityFilter, order: OpportunityOrderBy [OpportunityOrderField],
        aggregate: OpportunityAggregateGroup [OpportunityGroupBy],
        inputs: (CreateOpportunityInput, UpdateOpportunityInput),
        fields {
            opportunity_id: String => StringFilter,
            opportunity_name: String => StringFilter,
            account_id: String => StringFilter,
            primary_contact_id: Option<String> => StringFilter,
            lead_id: Option<String> => StringFilter,
            opportunity_type: Option<entity::enums::OpportunityType> => OpportunityTypeFilter,
            opportunity_source: Option<entity::enums::OpportunitySource> => OpportunitySourceFilter,
            amount: Option<rust_decimal::Decimal> => DecimalFilter,
            currency: Option<entity::enums::Currency> => CurrencyFilter,
            stage: entity::enums::OpportunityStage => OpportunityStageFilter,
            probability: i32 => IntFilter,
            expected_close_date: Option<chrono::NaiveDate> => DateFilter,
            actual_close_date: Option<chrono::NaiveDate> => DateFilter,
            close_reason: Option<String> => StringFilter,
            owner_user_id: Option<String> => StringFilter,
            product_ids: Option<serde_json::Value> => JsonFilter,
            campaign_id: Option<String> => StringFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            custom_fields: Option<serde_json::Value> => JsonFilter,
            days_in_stage: i32 => IntFilter,
            is_won: bool => BoolFilter,
            is_lost: bool => BoolFilter,
        }
        order_fields { OpportunityId, OpportunityName, AccountId, PrimaryContactId, LeadId, OpportunityType, OpportunitySource, Amount, Currency, Stage, Probability, ExpectedCloseDate, ActualCloseDate, CloseReason, OwnerUserId, CampaignId, CreatedAt, UpdatedAt, DaysInStage, IsWon, IsLost }
        to_one { account: Account = account_id, primary_contact: Contact = primary_contact_id, lead: Lead = lead_id, owner: AppUser = owner_user_id, campaign: Campaign = campaign_id }
        one_by {  }
        poly {  }
        to_many {
            converted_leads: Lead = by(converted_opportunity_id) <- opportunity_id,
            stage_history: OpportunityStageHistory = by(opportunity_id) <- opportunity_id,
            line_items: OpportunityProduct = by(opportunity_id) <- opportunity_id,
            products: Product = via(opportunity_product: opportunity_id -> product_id) <- opportunity_id,
            tags: Tag = via(tag_relation: entity_id -> tag_id) <- opportunity_id,
            tag_relations: TagRelation = by(entity_id) <- opportunity_id,
            segments: Segment = via(segment_member: entity_id -> segment_id) <- opportunity_id,
            segment_memberships: SegmentMember = by(entity_id) <- opportunity_id,
            score_records: ScoreRecord = by(entity_id) <- opportunity_id,
            score_histories: ScoreHistory = by(entity_id) <- opportunity_id,
            attributions: Attribution = by(entity_id) <- opportunity_id,
            journeys: CustomerJourney = by(entity_id) <- opportunity_id,
            campaign_memberships: CampaignMember = by(member_ref_id) <- opportunity_id,
            campaigns: Campaign = via(campaign_member: member_ref_id -> campaign_id) <- opportunity_id,
        }
    }
}

resource! {
    /// One stage change of an opportunity, with time spent in the previous stage.
    OpportunityStageHistory {
        model: opportunity_stage_history, pk: history_id,
        filter: OpportunityStageHistoryFilter, order: OpportunityStageHistoryOrderBy [OpportunityStageHistoryOrderField],
        aggregate: OpportunityStageHistoryAggregateGroup [OpportunityStageHistoryGroupBy],
        inputs: (CreateOpportunityStageHistoryInput, UpdateOpportunityStageHistoryInput),
        fields {
            history_id: String => StringFilter,
            opportunity_id: String => StringFilter,
            from_stage: Option<entity::enums::OpportunityStage> => OpportunityStageFilter,
            to_stage: entity::enums::OpportunityStage => OpportunityStageFilter,
            changed_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            changed_by_user_id: Option<String> => StringFilter,
            change_reason: Option<String> => StringFilter,
            duration_days: Option<i32> => IntFilter,
        }
        order_fields { HistoryId, OpportunityId, FromStage, ToStage, ChangedAt, ChangedByUserId, ChangeReason, DurationDays }
        to_one { opportunity: Opportunity = opportunity_id, changed_by: AppUser = changed_by_user_id }
        one_by {  }
        poly {  }
        to_many {
        }
    }
}

resource! {
    /// A product line on an opportunity.
    OpportunityProduct {
        model: opportunity_product, pk: opp_product_id,
        filter: OpportunityProductFilter, order: OpportunityProductOrderBy [OpportunityProductOrderField],
        aggregate: OpportunityProductAggregateGroup [OpportunityProductGroupBy],
        inputs: (CreateOpportunityProductInput, UpdateOpportunityProductInput),
        fields {
            opp_product_id: String => StringFilter,
            opportunity_id: String => StringFilter,
            product_id: String => StringFilter,
            quantity: i32 => IntFilter,
            unit_price: Option<rust_decimal::Decimal> => DecimalFilter,
            total_price: Option<rust_decimal::Decimal> => DecimalFilter,
            discount: Option<rust_decimal::Decimal> => DecimalFilter,
            product_description: Option<String> => StringFilter,
        }
        order_fields { OppProductId, OpportunityId, ProductId, Quantity, UnitPrice, TotalPrice, Discount }
        to_one { opportunity: Opportunity = opportunity_id, product: Product = product_id }
        one_by {  }
        poly {  }
        to_many {
        }
    }
}

resource! {
    /// 渠道 — where leads and interactions come from.
    Channel {
        model: channel, pk: channel_id,
        filter: ChannelFilter, order: ChannelOrderBy [ChannelOrderField],
        aggregate: ChannelAggregateGroup [ChannelGroupBy],
        inputs: (CreateChannelInput, UpdateChannelInput),
        fields {
            channel_id: String => StringFilter,
            channel_name: String => StringFilter,
            channel_type: entity::enums::ChannelType => ChannelTypeFilter,
            channel_category: Option<entity::enums::ChannelCategory> => ChannelCategoryFilter,
            parent_channel_id: Option<String> => StringFilter,
            channel_status: entity::enums::ChannelStatus => ChannelStatusFilter,
            channel_config: Option<serde_json::Value> => JsonFilter,
            cost: Option<rust_decimal::Decimal> => DecimalFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            custom_fields: Option<serde_json::Value> => JsonFilter,
        }
        order_fields { ChannelId, ChannelName, ChannelType, ChannelCategory, ParentChannelId, ChannelStatus, Cost, CreatedAt, UpdatedAt }
        to_one { parent_channel: Channel = parent_channel_id }
        one_by {  }
        poly {  }
        to_many {
            primary_accounts: Account = by(primary_channel_id) <- channel_id,
            account_channel_identities: AccountChannelIdentity = by(channel_id) <- channel_id,
            primary_contacts: Contact = by(primary_channel_id) <- channel_id,
            contact_channel_identities: ContactChannelIdentity = by(channel_id) <- channel_id,
            leads: Lead = by(channel_id) <- channel_id,
            lead_channel_identities: LeadChannelIdentity = by(channel_id) <- channel_id,
            children: Channel = by(parent_channel_id) <- channel_id,
            performances: ChannelPerformance = by(channel_id) <- channel_id,
            touchpoints: Touchpoint = by(channel_id) <- channel_id,
            events: Event = by(channel_id) <- channel_id,
            touchpoint_attributions: TouchpointAttribution = by(channel_id) <- channel_id,
            acquisition_scenes: AcquisitionScene = by(default_channel_id) <- channel_id,
        }
    }
}

resource! {
    /// 获客场景 — one configured way leads arrive (a web form, a landing page, an API import…):
    /// how a submission maps to a lead, its default channel, deduplication and protection period.
    /// Written with the `admin` scope.
    AcquisitionScene {
        model: acquisition_scene, pk: scene_id,
        filter: AcquisitionSceneFilter, order: AcquisitionSceneOrderBy [AcquisitionSceneOrderField],
        aggregate: AcquisitionSceneAggregateGroup [AcquisitionSceneGroupBy],
        inputs: (CreateAcquisitionSceneInput, UpdateAcquisitionSceneInput),
        fields {
            scene_id: String => StringFilter,
            scene_name: String => StringFilter,
            scene_type: entity::enums::SceneType => SceneTypeFilter,
            is_enabled: bool => BoolFilter,
            default_channel_id: Option<String> => StringFilter,
            scene_specific_params: Option<serde_json::Value> => JsonFilter,
            data_mapping_rules: Option<serde_json::Value> => JsonFilter,
            auto_tagging_rules: Option<serde_json::Value> => JsonFilter,
            assignment_rules: Option<serde_json::Value> => JsonFilter,
            auto_response_config: Option<serde_json::Value> => JsonFilter,
            deduplication_strategy: entity::enums::DeduplicationStrategy => DeduplicationStrategyFilter,
            protection_period_hours: i32 => IntFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { SceneId, SceneName, SceneType, IsEnabled, DefaultChannelId, DeduplicationStrategy, ProtectionPeriodHours, CreatedAt, UpdatedAt }
        to_one { default_channel: Channel = default_channel_id }
        one_by {  }
        poly {  }
        to_many {
        }
    }
}

resource! {
    /// One day's performance of a channel.
    ChannelPerformance {
        model: channel_performance, pk: performance_id,
        filter: ChannelPerformanceFilter, order: ChannelPerformanceOrderBy [ChannelPerformanceOrderField],
        aggregate: ChannelPerformanceAggregateGroup [ChannelPerformanceGroupBy],
        inputs: (CreateChannelPerformanceInput, UpdateChannelPerformanceInput),
        fields {
            performance_id: String => StringFilter,
            channel_id: String => StringFilter,
            stat_date: chrono::NaiveDate => DateFilter,
            lead_count: i32 => IntFilter,
            contact_count: i32 => IntFilter,
            opportunity_count: i32 => IntFilter,
            revenue: rust_decimal::Decimal => DecimalFilter,
            cost: rust_decimal::Decimal => DecimalFilter,
            roi: Option<rust_decimal::Decimal> => DecimalFilter,
            conversion_count: i32 => IntFilter,
            conversion_rate: Option<rust_decimal::Decimal> => DecimalFilter,
            cpl: Option<rust_decimal::Decimal> => DecimalFilter,
            cpa: Option<rust_decimal::Decimal> => DecimalFilter,
            impressions: i32 => IntFilter,
            clicks: i32 => IntFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { PerformanceId, ChannelId, StatDate, LeadCount, ContactCount, OpportunityCount, Revenue, Cost, Roi, ConversionCount, ConversionRate, Cpl, Cpa, Impressions, Clicks, CreatedAt }
        to_one { channel: Channel = channel_id }
        one_by {  }
        poly {  }
        to_many {
        }
    }
}

resource! {
    /// 营销活动 — a marketing campaign.
    Campaign {
        model: campaign, pk: campaign_id,
        filter: CampaignFilter, order: CampaignOrderBy [CampaignOrderField],
        aggregate: CampaignAggregateGroup [CampaignGroupBy],
        inputs: (CreateCampaignInput, UpdateCampaignInput),
        fields {
            campaign_id: String => StringFilter,
            campaign_name: String => StringFilter,
            campaign_type: entity::enums::CampaignType => CampaignTypeFilter,
            campaign_status: entity::enums::CampaignStatus => CampaignStatusFilter,
            channel_ids: Option<serde_json::Value> => JsonFilter,
            start_date: Option<chrono::NaiveDate> => DateFilter,
            end_date: Option<chrono::NaiveDate> => DateFilter,
            budget: Option<rust_decimal::Decimal> => DecimalFilter,
            actual_cost: Option<rust_decimal::Decimal> => DecimalFilter,
            target_audience: Option<String> => StringFilter,
            owner_user_id: Option<String> => StringFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            custom_fields: Option<serde_json::Value> => JsonFilter,
        }
        order_fields { CampaignId, CampaignName, CampaignType, CampaignStatus, StartDate, EndDate, Budget, ActualCost, OwnerUserId, CreatedAt, UpdatedAt }
        to_one { owner: AppUser = owner_user_id }
        one_by {  }
        poly {  }
        to_many {
            leads: Lead = by(campaign_id) <- campaign_id,
            opportunities: Opportunity = by(campaign_id) <- campaign_id,
            performances: CampaignPerformance = by(campaign_id) <- campaign_id,
            members: CampaignMember = by(campaign_id) <- campaign_id,
            touchpoints: Touchpoint = by(campaign_id) <- campaign_id,
            touchpoint_attributions: TouchpointAttribution = by(campaign_id) <- campaign_id,
            member_accounts: Account = via(campaign_member: campaign_id -> member_ref_id) <- campaign_id,
            member_contacts: Contact = via(campaign_member: campaign_id -> member_ref_id) <- campaign_id,
            member_leads: Lead = via(campaign_member: campaign_id -> member_ref_id) <- campaign_id,
            member_opportunities: Opportunity = via(campaign_member: campaign_id -> member_ref_id) <- campaign_id,
        }
    }
}

resource! {
    /// One day's performance of a campaign.
    CampaignPerformance {
        model: campaign_performance, pk: performance_id,
        filter: CampaignPerformanceFilter, order: CampaignPerformanceOrderBy [CampaignPerformanceOrderField],
        aggregate: CampaignPerformanceAggregateGroup [CampaignPerformanceGroupBy],
        inputs: (CreateCampaignPerformanceInput, UpdateCampaignPerformanceInput),
        fields {
            performance_id: String => StringFilter,
            campaign_id: String => StringFilter,
            stat_date: chrono::NaiveDate => DateFilter,
            impressions: i32 => IntFilter,
            clicks: i32 => IntFilter,
            leads_generated: i32 => IntFilter,
            opportunities_generated: i32 => IntFilter,
            revenue: rust_decimal::Decimal => DecimalFilter,
            cost: rust_decimal::Decimal => DecimalFilter,
            roi: Option<rust_decimal::Decimal> => DecimalFilter,
            cpl: Option<rust_decimal::Decimal> => DecimalFilter,
            cpa: Option<rust_decimal::Decimal> => DecimalFilter,
            conversion_count: i32 => IntFilter,
            conversion_rate: Option<rust_decimal::Decimal> => DecimalFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { PerformanceId, CampaignId, StatDate, Impressions, Clicks, LeadsGenerated, OpportunitiesGenerated, Revenue, Cost, Roi, Cpl, Cpa, ConversionCount, ConversionRate, CreatedAt }
        to_one { campaign: Campaign = campaign_id }
        one_by {  }
        poly {  }
        to_many {
        }
    }
}

resource! {
    /// A contact, lead or account taking part in a campaign.
    CampaignMember {
        model: campaign_member, pk: member_id,
        filter: CampaignMemberFilter, order: CampaignMemberOrderBy [CampaignMemberOrderField],
        aggregate: CampaignMemberAggregateGroup [CampaignMemberGroupBy],
        inputs: (CreateCampaignMemberInput, UpdateCampaignMemberInput),
        fields {
            member_id: String => StringFilter,
            campaign_id: String => StringFilter,
            member_type: entity::enums::EntityType => EntityTypeFilter,
            member_ref_id: String => StringFilter,
            member_status: Option<entity::enums::CampaignMemberStatus> => CampaignMemberStatusFilter,
            joined_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            responded_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            response_status: Option<entity::enums::ResponseStatus> => ResponseStatusFilter,
            response_data: Option<serde_json::Value> => JsonFilter,
        }
        order_fields { MemberId, CampaignId, MemberType, MemberRefId, MemberStatus, JoinedAt, RespondedAt, ResponseStatus }
        to_one { campaign: Campaign = campaign_id }
        one_by {  }
        poly { member = member_ref_id }
        to_many {
        }
    }
}

resource! {
    /// 触点 — one interaction with a contact, lead or account.
    Touchpoint {
        model: touchpoint, pk: touchpoint_id,
        filter: TouchpointFilter, order: TouchpointOrderBy [TouchpointOrderField],
        aggregate: TouchpointAggregateGroup [TouchpointGroupBy],
        inputs: (CreateTouchpointInput, UpdateTouchpointInput),
        fields {
            touchpoint_id: String => StringFilter,
            touchpoint_type: entity::enums::TouchpointType => TouchpointTypeFilter,
            channel_id: Option<String> => StringFilter,
            campaign_id: Option<String> => StringFilter,
            contact_id: Option<String> => StringFilter,
            lead_id: Option<String> => StringFilter,
            account_id: Option<String> => StringFilter,
            touchpoint_time: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            touchpoint_direction: Option<entity::enums::TouchpointDirection> => TouchpointDirectionFilter,
            touchpoint_status: Option<entity::enums::TouchpointStatus> => TouchpointStatusFilter,
            content_type: Option<entity::enums::ContentType> => ContentTypeFilter,
            content_id: Option<String> => StringFilter,
            subject: Option<String> => StringFilter,
            description: Option<String> => StringFilter,
            duration_seconds: Option<i32> => IntFilter,
            owner_user_id: Option<String> => StringFilter,
            metadata: Option<serde_json::Value> => JsonFilter,
            utm_params: Option<serde_json::Value> => JsonFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { TouchpointId, TouchpointType, ChannelId, CampaignId, ContactId, LeadId, AccountId, TouchpointTime, TouchpointDirection, TouchpointStatus, ContentType, ContentId, Subject, DurationSeconds, OwnerUserId, CreatedAt }
        to_one { channel: Channel = channel_id, campaign: Campaign = campaign_id, contact: Contact = contact_id, lead: Lead = lead_id, account: Account = account_id, owner: AppUser = owner_user_id }
        one_by {  }
        poly {  }
        to_many {
            attachments: TouchpointAttachment = by(touchpoint_id) <- touchpoint_id,
            attributions: TouchpointAttribution = by(touchpoint_id) <- touchpoint_id,
        }
    }
}

resource! {
    /// A file attached to a touchpoint.
    TouchpointAttachment {
        model: touchpoint_attachment, pk: attachment_id,
        filter: TouchpointAttachmentFilter, order: TouchpointAttachmentOrderBy [TouchpointAttachmentOrderField],
        aggregate: TouchpointAttachmentAggregateGroup [TouchpointAttachmentGroupBy],
        inputs: (CreateTouchpointAttachmentInput, UpdateTouchpointAttachmentInput),
        fields {
            attachment_id: String => StringFilter,
            touchpoint_id: String => StringFilter,
            file_name: String => StringFilter,
            file_url: String => StringFilter,
            file_type: Option<String> => StringFilter,
            file_size: Option<i32> => IntFilter,
            uploaded_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { AttachmentId, TouchpointId, FileName, FileUrl, FileType, FileSize, UploadedAt }
        to_one { touchpoint: Touchpoint = touchpoint_id }
        one_by {  }
        poly {  }
        to_many {
        }
    }
}

resource! {
    /// 行为事件 — one tracked behaviour (page view, click, download…).
    Event {
        model: event, pk: event_id,
        filter: EventFilter, order: EventOrderBy [EventOrderField],
        aggregate: EventAggregateGroup [EventGroupBy],
        inputs: (CreateEventInput, UpdateEventInput),
        fields {
            event_id: String => StringFilter,
            event_name: String => StringFilter,
            event_type: entity::enums::EventType => EventTypeFilter,
            channel_id: Option<String> => StringFilter,
            contact_id: Option<String> => StringFilter,
            lead_id: Option<String> => StringFilter,
            account_id: Option<String> => StringFilter,
            event_time: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            session_id: Option<String> => StringFilter,
            device_type: Option<entity::enums::DeviceType> => DeviceTypeFilter,
            browser: Option<String> => StringFilter,
            os: Option<String> => StringFilter,
            ip_address: Option<String> => StringFilter,
            page_url: Option<String> => StringFilter,
            referrer_url: Option<String> => StringFilter,
            event_properties: Option<serde_json::Value> => JsonFilter,
            utm_params: Option<serde_json::Value> => JsonFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { EventId, EventName, EventType, ChannelId, ContactId, LeadId, AccountId, EventTime, SessionId, DeviceType, Browser, Os, IpAddress, PageUrl, ReferrerUrl, CreatedAt }
        to_one { channel: Channel = channel_id, contact: Contact = contact_id, lead: Lead = lead_id, account: Account = account_id }
        one_by {  }
        poly {  }
        to_many {
        }
    }
}

resource! {
    /// 产品 — something that can be sold.
    Product {
        model: product, pk: product_id,
        filter: ProductFilter, order: ProductOrderBy [ProductOrderField],
        aggregate: ProductAggregateGroup [ProductGroupBy],
        inputs: (CreateProductInput, UpdateProductInput),
        fields {
            product_id: String => StringFilter,
            product_name: String => StringFilter,
            product_code: String => StringFilter,
            product_category_id: Option<String> => StringFilter,
            product_type: Option<entity::enums::ProductType> => ProductTypeFilter,
            product_status: entity::enums::ProductStatus => ProductStatusFilter,
            description: Option<String> => StringFilter,
            list_price: Option<rust_decimal::Decimal> => DecimalFilter,
            currency: Option<entity::enums::Currency> => CurrencyFilter,
            pricing_model: Option<entity::enums::PricingModel> => PricingModelFilter,
            feature_list: Option<serde_json::Value> => JsonFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            custom_fields: Option<serde_json::Value> => JsonFilter,
        }
        order_fields { ProductId, ProductName, ProductCode, ProductCategoryId, ProductType, ProductStatus, ListPrice, Currency, PricingModel, CreatedAt, UpdatedAt }
        to_one { category: ProductCategory = product_category_id }
        one_by {  }
        poly {  }
        to_many {
            line_items: OpportunityProduct = by(product_id) <- product_id,
            opportunities: Opportunity = via(opportunity_product: product_id -> opportunity_id) <- product_id,
        }
    }
}

resource! {
    /// A node of the product category tree.
    ProductCategory {
        model: product_category, pk: category_id,
        filter: ProductCategoryFilter, order: ProductCategoryOrderBy [ProductCategoryOrderField],
        aggregate: ProductCategoryAggregateGroup [ProductCategoryGroupBy],
        inputs: (CreateProductCategoryInput, UpdateProductCategoryInput),
        fields {
            category_id: String => StringFilter,
            category_name: String => StringFilter,
            parent_category_id: Option<String> => StringFilter,
            level: Option<i32> => IntFilter,
            sort_order: Option<i32> => IntFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { CategoryId, CategoryName, ParentCategoryId, Level, SortOrder, CreatedAt }
        to_one { parent: ProductCategory = parent_category_id }
        one_by {  }
        poly {  }
        to_many {
            products: Product = by(product_category_id) <- category_id,
            children: ProductCategory = by(parent_category_id) <- category_id,
        }
    }
}

resource! {
    /// 标签 — a label applied to accounts, contacts or leads.
    Tag {
        model: tag, pk: tag_id,
        filter: TagFilter, order: TagOrderBy [TagOrderField],
        aggregate: TagAggregateGroup [TagGroupBy],
        inputs: (CreateTagInput, UpdateTagInput),
        fields {
            tag_id: String => StringFilter,
            tag_name: String => StringFilter,
            tag_category: Option<String> => StringFilter,
            tag_type: entity::enums::TagType => TagTypeFilter,
            description: Option<String> => StringFilter,
            color: Option<String> => StringFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            created_by_user_id: Option<String> => StringFilter,
        }
        order_fields { TagId, TagName, TagCategory, TagType, Color, CreatedAt, CreatedByUserId }
        to_one { created_by: AppUser = created_by_user_id }
        one_by {  }
        poly {  }
        to_many {
            relations: TagRelation = by(tag_id) <- tag_id,
            accounts: Account = via(tag_relation: tag_id -> entity_id) <- tag_id,
            contacts: Contact = via(tag_relation: tag_id -> entity_id) <- tag_id,
            leads: Lead = via(tag_relation: tag_id -> entity_id) <- tag_id,
            opportunities: Opportunity = via(tag_relation: tag_id -> entity_id) <- tag_id,
        }
    }
}

resource! {
    /// One application of a tag to an entity.
    TagRelation {
        model: tag_relation, pk: relation_id,
        filter: TagRelationFilter, order: TagRelationOrderBy [TagRelationOrderField],
        aggregate: TagRelationAggregateGroup [TagRelationGroupBy],
        inputs: (CreateTagRelationInput, UpdateTagRelationInput),
        fields {
            relation_id: String => StringFilter,
            tag_id: String => StringFilter,
            entity_type: entity::enums::EntityType => EntityTypeFilter,
            entity_id: String => StringFilter,
            tagged_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            tagged_by_user_id: Option<String> => StringFilter,
            is_auto_tagged: bool => BoolFilter,
            tag_source: entity::enums::TagSource => TagSourceFilter,
            rule_name: Option<String> => StringFilter,
            trace: Option<serde_json::Value> => JsonFilter,
        }
        order_fields { RelationId, TagId, EntityType, EntityId, TaggedAt, TaggedByUserId, IsAutoTagged, TagSource }
        to_one { tag: Tag = tag_id, tagged_by: AppUser = tagged_by_user_id }
        one_by {  }
        poly { entity = entity_id }
        to_many {
        }
    }
}

resource! {
    /// 客户分群 — a group of entities defined by rules or by hand.
    Segment {
        model: segment, pk: segment_id,
        filter: SegmentFilter, order: SegmentOrderBy [SegmentOrderField],
        aggregate: SegmentAggregateGroup [SegmentGroupBy],
        inputs: (CreateSegmentInput, UpdateSegmentInput),
        fields {
            segment_id: String => StringFilter,
            segment_name: String => StringFilter,
            segment_type: entity::enums::SegmentType => SegmentTypeFilter,
            description: Option<String> => StringFilter,
            segment_rules: Option<serde_json::Value> => JsonFilter,
            target_entity_type: entity::enums::EntityType => EntityTypeFilter,
            member_count: Option<i32> => IntFilter,
            is_dynamic: bool => BoolFilter,
            last_calculated_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            created_by_user_id: Option<String> => StringFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { SegmentId, SegmentName, SegmentType, TargetEntityType, MemberCount, IsDynamic, LastCalculatedAt, CreatedByUserId, CreatedAt, UpdatedAt }
        to_one { created_by: AppUser = created_by_user_id }
        one_by {  }
        poly {  }
        to_many {
            members: SegmentMember = by(segment_id) <- segment_id,
            accounts: Account = via(segment_member: segment_id -> entity_id) <- segment_id,
            contacts: Contact = via(segment_member: segment_id -> entity_id) <- segment_id,
            leads: Lead = via(segment_member: segment_id -> entity_id) <- segment_id,
            opportunities: Opportunity = via(segment_member: segment_id -> entity_id) <- segment_id,
        }
    }
}

resource! {
    /// Membership of an entity in a segment.
    SegmentMember {
        model: segment_member, pk: member_id,
        filter: SegmentMemberFilter, order: SegmentMemberOrderBy [SegmentMemberOrderField],
        aggregate: SegmentMemberAggregateGroup [SegmentMemberGroupBy],
        inputs: (CreateSegmentMemberInput, UpdateSegmentMemberInput),
        fields {
            member_id: String => StringFilter,
            segment_id: String => StringFilter,
            entity_type: entity::enums::EntityType => EntityTypeFilter,
            entity_id: String => StringFilter,
            joined_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            left_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            is_active: bool => BoolFilter,
        }
        order_fields { MemberId, SegmentId, EntityType, EntityId, JoinedAt, LeftAt, IsActive }
        to_one { segment: Segment = segment_id }
        one_by {  }
        poly { entity = entity_id }
        to_many {
        }
    }
}

resource! {
    /// 评分模型 — a scoring model.
    ScoreModel {
        model: score_model, pk: model_id,
        filter: ScoreModelFilter, order: ScoreModelOrderBy [ScoreModelOrderField],
        aggregate: ScoreModelAggregateGroup [ScoreModelGroupBy],
        inputs: (CreateScoreModelInput, UpdateScoreModelInput),
        fields {
            model_id: String => StringFilter,
            model_name: String => StringFilter,
            model_type: entity::enums::ScoreModelType => ScoreModelTypeFilter,
            target_entity_type: entity::enums::EntityType => EntityTypeFilter,
            scoring_rules: Option<serde_json::Value> => JsonFilter,
            max_score: i32 => IntFilter,
            status: entity::enums::ScoreModelStatus => ScoreModelStatusFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { ModelId, ModelName, ModelType, TargetEntityType, MaxScore, Status, CreatedAt, UpdatedAt }
        to_one {  }
        one_by {  }
        poly {  }
        to_many {
            records: ScoreRecord = by(model_id) <- model_id,
            histories: ScoreHistory = by(model_id) <- model_id,
        }
    }
}

resource! {
    /// The current score of an entity under a model.
    ScoreRecord {
        model: score_record, pk: record_id,
        filter: ScoreRecordFilter, order: ScoreRecordOrderBy [ScoreRecordOrderField],
        aggregate: ScoreRecordAggregateGroup [ScoreRecordGroupBy],
        inputs: (CreateScoreRecordInput, UpdateScoreRecordInput),
        fields {
            record_id: String => StringFilter,
            model_id: String => StringFilter,
            entity_type: entity::enums::EntityType => EntityTypeFilter,
            entity_id: String => StringFilter,
            score: i32 => IntFilter,
            grade: Option<entity::enums::Grade> => GradeFilter,
            score_details: Option<serde_json::Value> => JsonFilter,
            calculated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { RecordId, ModelId, EntityType, EntityId, Score, Grade, CalculatedAt, UpdatedAt }
        to_one { model: ScoreModel = model_id }
        one_by {  }
        poly { entity = entity_id }
        to_many {
        }
    }
}

resource! {
    /// A past score of an entity under a model.
    ScoreHistory {
        model: score_history, pk: history_id,
        filter: ScoreHistoryFilter, order: ScoreHistoryOrderBy [ScoreHistoryOrderField],
        aggregate: ScoreHistoryAggregateGroup [ScoreHistoryGroupBy],
        inputs: (CreateScoreHistoryInput, UpdateScoreHistoryInput),
        fields {
            history_id: String => StringFilter,
            entity_type: entity::enums::EntityType => EntityTypeFilter,
            entity_id: String => StringFilter,
            model_id: String => StringFilter,
            score: i32 => IntFilter,
            recorded_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { HistoryId, EntityType, EntityId, ModelId, Score, RecordedAt }
        to_one { model: ScoreModel = model_id }
        one_by {  }
        poly { entity = entity_id }
        to_many {
        }
    }
}

resource! {
    /// 行业 — a node of the industry tree.
    Industry {
        model: industry, pk: industry_id,
        filter: IndustryFilter, order: IndustryOrderBy [IndustryOrderField],
        aggregate: IndustryAggregateGroup [IndustryGroupBy],
        inputs: (CreateIndustryInput, UpdateIndustryInput),
        fields {
            industry_id: String => StringFilter,
            industry_name: String => StringFilter,
            industry_code: String => StringFilter,
            parent_industry_id: Option<String> => StringFilter,
            level: i32 => IntFilter,
            sort_order: Option<i32> => IntFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { IndustryId, IndustryName, IndustryCode, ParentIndustryId, Level, SortOrder, CreatedAt }
        to_one { parent: Industry = parent_industry_id }
        one_by {  }
        poly {  }
        to_many {
            accounts: Account = by(industry_id) <- industry_id,
            leads: Lead = by(industry_id) <- industry_id,
            children: Industry = by(parent_industry_id) <- industry_id,
        }
    }
}

resource! {
    /// 营销归因 — an attribution analysis of a converted entity.
    Attribution {
        model: attribution, pk: attribution_id,
        filter: AttributionFilter, order: AttributionOrderBy [AttributionOrderField],
        aggregate: AttributionAggregateGroup [AttributionGroupBy],
        inputs: (CreateAttributionInput, UpdateAttributionInput),
        fields {
            attribution_id: String => StringFilter,
            entity_type: entity::enums::EntityType => EntityTypeFilter,
            entity_id: String => StringFilter,
            attribution_model: entity::enums::AttributionModel => AttributionModelFilter,
            touchpoint_sequence: Option<serde_json::Value> => JsonFilter,
            attribution_weights: Option<serde_json::Value> => JsonFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { AttributionId, EntityType, EntityId, AttributionModel, CreatedAt, UpdatedAt }
        to_one {  }
        one_by {  }
        poly { entity = entity_id }
        to_many {
            touchpoint_attributions: TouchpointAttribution = by(attribution_id) <- attribution_id,
        }
    }
}

resource! {
    /// One touchpoint's weight in an attribution.
    TouchpointAttribution {
        model: touchpoint_attribution, pk: ta_id,
        filter: TouchpointAttributionFilter, order: TouchpointAttributionOrderBy [TouchpointAttributionOrderField],
        aggregate: TouchpointAttributionAggregateGroup [TouchpointAttributionGroupBy],
        inputs: (CreateTouchpointAttributionInput, UpdateTouchpointAttributionInput),
        fields {
            ta_id: String => StringFilter,
            attribution_id: String => StringFilter,
            touchpoint_id: String => StringFilter,
            campaign_id: Option<String> => StringFilter,
            channel_id: Option<String> => StringFilter,
            attribution_weight: rust_decimal::Decimal => DecimalFilter,
            position_in_journey: i32 => IntFilter,
            touchpoint_time: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
        }
        order_fields { TaId, AttributionId, TouchpointId, CampaignId, ChannelId, AttributionWeight, PositionInJourney, TouchpointTime }
        to_one { attribution: Attribution = attribution_id, touchpoint: Touchpoint = touchpoint_id, campaign: Campaign = campaign_id, channel: Channel = channel_id }
        one_by {  }
        poly {  }
        to_many {
        }
    }
}

resource! {
    /// 客户旅程 — the journey of one entity through the journey stages.
    CustomerJourney {
        model: customer_journey, pk: journey_id,
        filter: CustomerJourneyFilter, order: CustomerJourneyOrderBy [CustomerJourneyOrderField],
        aggregate: CustomerJourneyAggregateGroup [CustomerJourneyGroupBy],
        inputs: (CreateCustomerJourneyInput, UpdateCustomerJourneyInput),
        fields {
            journey_id: String => StringFilter,
            journey_name: String => StringFilter,
            entity_type: entity::enums::EntityType => EntityTypeFilter,
            entity_id: String => StringFilter,
            journey_stage: String => StringFilter,
            journey_start_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            journey_end_at: Option<chrono::DateTime<chrono::Utc>> => DateTimeFilter,
            total_touchpoints: Option<i32> => IntFilter,
            journey_duration_days: Option<i32> => IntFilter,
            stage_history: Option<serde_json::Value> => JsonFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { JourneyId, JourneyName, EntityType, EntityId, JourneyStage, JourneyStartAt, JourneyEndAt, TotalTouchpoints, JourneyDurationDays, CreatedAt, UpdatedAt }
        to_one {  }
        one_by { stage: JourneyStage = stage_name <- journey_stage }
        poly { entity = entity_id }
        to_many {
        }
    }
}

resource! {
    /// A stage of the customer journey catalogue.
    JourneyStage {
        model: journey_stage, pk: stage_id,
        filter: JourneyStageFilter, order: JourneyStageOrderBy [JourneyStageOrderField],
        aggregate: JourneyStageAggregateGroup [JourneyStageGroupBy],
        inputs: (CreateJourneyStageInput, UpdateJourneyStageInput),
        fields {
            stage_id: String => StringFilter,
            stage_name: String => StringFilter,
            stage_order: i32 => IntFilter,
            stage_category: Option<String> => StringFilter,
            milestone_criteria: Option<serde_json::Value> => JsonFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { StageId, StageName, StageOrder, StageCategory, CreatedAt }
        to_one {  }
        one_by {  }
        poly {  }
        to_many {
            journeys: CustomerJourney = by(journey_stage) <- stage_name,
        }
    }
}

resource! {
    /// A member of staff (sales rep, marketer, admin): the owner of records.
    AppUser {
        model: app_user, pk: user_id,
        filter: AppUserFilter, order: AppUserOrderBy [AppUserOrderField],
        aggregate: AppUserAggregateGroup [AppUserGroupBy],
        inputs: (CreateAppUserInput, UpdateAppUserInput),
        fields {
            user_id: String => StringFilter,
            user_name: String => StringFilter,
            email: Option<String> => StringFilter,
            mobile_phone: Option<String> => StringFilter,
            team_id: Option<String> => StringFilter,
            user_role: entity::enums::UserRole => UserRoleFilter,
            user_status: entity::enums::UserStatus => UserStatusFilter,
            claim_quota: i32 => IntFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { UserId, UserName, Email, MobilePhone, TeamId, UserRole, UserStatus, ClaimQuota, CreatedAt, UpdatedAt }
        to_one { team: Team = team_id }
        one_by {  }
        poly {  }
        to_many {
            owned_accounts: Account = by(owner_user_id) <- user_id,
            owned_contacts: Contact = by(owner_user_id) <- user_id,
            owned_leads: Lead = by(owner_user_id) <- user_id,
            owned_opportunities: Opportunity = by(owner_user_id) <- user_id,
            stage_changes: OpportunityStageHistory = by(changed_by_user_id) <- user_id,
            owned_campaigns: Campaign = by(owner_user_id) <- user_id,
            owned_touchpoints: Touchpoint = by(owner_user_id) <- user_id,
            created_tags: Tag = by(created_by_user_id) <- user_id,
            taggings: TagRelation = by(tagged_by_user_id) <- user_id,
            created_segments: Segment = by(created_by_user_id) <- user_id,
        }
    }
}

resource! {
    /// A sales or marketing team.
    Team {
        model: team, pk: team_id,
        filter: TeamFilter, order: TeamOrderBy [TeamOrderField],
        aggregate: TeamAggregateGroup [TeamGroupBy],
        inputs: (CreateTeamInput, UpdateTeamInput),
        fields {
            team_id: String => StringFilter,
            team_name: String => StringFilter,
            parent_team_id: Option<String> => StringFilter,
            region: Option<String> => StringFilter,
            created_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
            updated_at: chrono::DateTime<chrono::Utc> => DateTimeFilter,
        }
        order_fields { TeamId, TeamName, ParentTeamId, Region, CreatedAt, UpdatedAt }
        to_one { parent_team: Team = parent_team_id }
        one_by {  }
        poly {  }
        to_many {
            members: AppUser = by(team_id) <- team_id,
            child_teams: Team = by(parent_team_id) <- team_id,
        }
    }
}

/// Any record, found by its global id.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Account(Account),
    AccountChannelIdentity(AccountChannelIdentity),
    AccountSummary(AccountSummary),
    AccountRelation(AccountRelation),
    Contact(Contact),
    ContactChannelIdentity(ContactChannelIdentity),
    ContactSummary(ContactSummary),
    AccountContactRelation(AccountContactRelation),
    Lead(Lead),
    LeadAssignmentLog(LeadAssignmentLog),
    LeadChannelIdentity(LeadChannelIdentity),
    LeadSummary(LeadSummary),
    Opportunity(Opportunity),
    OpportunityStageHistory(OpportunityStageHistory),
    OpportunityProduct(OpportunityProduct),
    Channel(Channel),
    ChannelPerformance(ChannelPerformance),
    AcquisitionScene(AcquisitionScene),
    Campaign(Campaign),
    CampaignPerformance(CampaignPerformance),
    CampaignMember(CampaignMember),
    Touchpoint(Touchpoint),
    TouchpointAttachment(TouchpointAttachment),
    Event(Event),
    Product(Product),
    ProductCategory(ProductCategory),
    Tag(Tag),
    TagRelation(TagRelation),
    Segment(Segment),
    SegmentMember(SegmentMember),
    ScoreModel(ScoreModel),
    ScoreRecord(ScoreRecord),
    ScoreHistory(ScoreHistory),
    Industry(Industry),
    Attribution(Attribution),
    TouchpointAttribution(TouchpointAttribution),
    CustomerJourney(CustomerJourney),
    JourneyStage(JourneyStage),
    AppUser(AppUser),
    Team(Team),
}

/// Resolve any id by its prefix (`ACC_…` is an Account, `LEAD_…` a Lead, …).
pub async fn node_by_id(ctx: &Context<'_>, id: &str) -> GqlResult<Option<Node>> {
    let prefix = id.split_once('_').map(|(p, _)| p).unwrap_or_default();
    macro_rules! by_prefix {
        ($($t:ident),*) => {
            $( if prefix == <$t as Resource>::PREFIX {
                return Ok(loaders::one::<$t>(ctx, <$t as Resource>::TABLE.pk, Some(id.to_string())).await?.map(Node::$t));
            } )*
        };
    }
    by_prefix!(
        Account,
        AccountChannelIdentity,
        AccountSummary,
        AccountRelation,
        Contact,
        ContactChannelIdentity,
        ContactSummary,
        AccountContactRelation,
        Lead,
        LeadAssignmentLog,
        LeadChannelIdentity,
        LeadSummary,
        Opportunity,
        OpportunityStageHistory,
        OpportunityProduct,
        Channel,
        ChannelPerformance,
        AcquisitionScene,
        Campaign,
        CampaignPerformance,
        CampaignMember,
        Touchpoint,
        TouchpointAttachment,
        Event,
        Product,
        ProductCategory,
        Tag,
        TagRelation,
        Segment,
        SegmentMember,
        ScoreModel,
        ScoreRecord,
        ScoreHistory,
        Industry,
        Attribution,
        TouchpointAttribution,
        CustomerJourney,
        JourneyStage,
        AppUser,
        Team
    );
    Ok(None)
}

query_root! {
    Account [account, accounts, accounts_aggregate],
    AccountChannelIdentity [account_channel_identity, account_channel_identities, account_channel_identities_aggregate],
    AccountSummary [account_summary, account_summaries, account_summaries_aggregate],
    AccountRelation [account_relation, account_relations, account_relations_aggregate],
    Contact [contact, contacts, contacts_aggregate],
    ContactChannelIdentity [contact_channel_identity, contact_channel_identities, contact_channel_identities_aggregate],
    ContactSummary [contact_summary, contact_summaries, contact_summaries_aggregate],
    AccountContactRelation [account_contact_relation, account_contact_relations, account_contact_relations_aggregate],
    Lead [lead, leads, leads_aggregate],
    LeadAssignmentLog [lead_assignment_log, lead_assignment_logs, lead_assignment_logs_aggregate],
    LeadChannelIdentity [lead_channel_identity, lead_channel_identities, lead_channel_identities_aggregate],
    LeadSummary [lead_summary, lead_summaries, lead_summaries_aggregate],
    Opportunity [opportunity, opportunities, opportunities_aggregate],
    OpportunityStageHistory [opportunity_stage_history, opportunity_stage_histories, opportunity_stage_histories_aggregate],
    OpportunityProduct [opportunity_product, opportunity_products, opportunity_products_aggregate],
    Channel [channel, channels, channels_aggregate],
    ChannelPerformance [channel_performance, channel_performances, channel_performances_aggregate],
    AcquisitionScene [acquisition_scene, acquisition_scenes, acquisition_scenes_aggregate],
    Campaign [campaign, campaigns, campaigns_aggregate],
    CampaignPerformance [campaign_performance, campaign_performances, campaign_performances_aggregate],
    CampaignMember [campaign_member, campaign_members, campaign_members_aggregate],
    Touchpoint [touchpoint, touchpoints, touchpoints_aggregate],
    TouchpointAttachment [touchpoint_attachment, touchpoint_attachments, touchpoint_attachments_aggregate],
    Event [event, events, events_aggregate],
    Product [product, products, products_aggregate],
    ProductCategory [product_category, product_categories, product_categories_aggregate],
    Tag [tag, tags, tags_aggregate],
    TagRelation [tag_relation, tag_relations, tag_relations_aggregate],
    Segment [segment, segments, segments_aggregate],
    SegmentMember [segment_member, segment_members, segment_members_aggregate],
    ScoreModel [score_model, score_models, score_models_aggregate],
    ScoreRecord [score_record, score_records, score_records_aggregate],
    ScoreHistory [score_history, score_histories, score_histories_aggregate],
    Industry [industry, industries, industries_aggregate],
    Attribution [attribution, attributions, attributions_aggregate],
    TouchpointAttribution [touchpoint_attribution, touchpoint_attributions, touchpoint_attributions_aggregate],
    CustomerJourney [customer_journey, customer_journeys, customer_journeys_aggregate],
    JourneyStage [journey_stage, journey_stages, journey_stages_aggregate],
    AppUser [app_user, app_users, app_users_aggregate],
    Team [team, teams, teams_aggregate],
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_enum_value_is_named_in_graphql_by_its_stored_string() {
        let names = super::enum_wire_names();
        assert!(names.len() > 150);
        for (graphql, stored) in names {
            assert_eq!(graphql, stored);
        }
    }

    /// A field the planner does not know sends its whole root field to the resolvers; a type it
    /// does not know leaves polymorphic references to it null. Both would pass unnoticed.
    #[test]
    fn the_planner_knows_every_field_of_every_record_type_and_nothing_else() {
        use async_graphql::OutputType;
        use async_graphql::registry::{MetaType, Registry};
        let mut registry = Registry::default();
        <super::QueryRoot as OutputType>::create_type_info(&mut registry);
        let implementors = registry.implements.iter().filter(|(_, i)| i.contains("Node")).count();
        assert_eq!(super::QueryRoot::plans().len(), implementors, "one plan per Node type");
        for plan in super::QueryRoot::plans().iter().map(|p| p()) {
            let Some(MetaType::Object { fields, .. }) = registry.types.get(plan.name) else {
                panic!("{} is not an object type", plan.name)
            };
            let graphql: Vec<&str> = fields.keys().map(String::as_str).filter(|f| *f != "__typename").collect();
            for f in &graphql {
                assert!(plan.has_field(f), "{}.{f} has no plan", plan.name);
            }
            assert_eq!(graphql.len(), plan.fields.len(), "{}: a plan for a field the type does not have", plan.name);
        }
    }
}
