//! String-backed enums of the data model (docs/data-model.md, value lists). Stored as their upper-case
//! string; an unknown string fails to decode. Where the data model leaves a set open (campaign status,
//! member type/status, segment type, …) the chosen set is documented in ARCHITECTURE.md.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum AccountType {
    #[sea_orm(string_value = "CUSTOMER")]
    #[serde(rename = "CUSTOMER")]
    Customer,
    #[sea_orm(string_value = "PARTNER")]
    #[serde(rename = "PARTNER")]
    Partner,
    #[sea_orm(string_value = "COMPETITOR")]
    #[serde(rename = "COMPETITOR")]
    Competitor,
    #[sea_orm(string_value = "PROSPECT")]
    #[serde(rename = "PROSPECT")]
    Prospect,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum AccountStatus {
    #[sea_orm(string_value = "ACTIVE")]
    #[serde(rename = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "DORMANT")]
    #[serde(rename = "DORMANT")]
    Dormant,
    #[sea_orm(string_value = "CHURNED")]
    #[serde(rename = "CHURNED")]
    Churned,
    #[sea_orm(string_value = "BLACKLIST")]
    #[serde(rename = "BLACKLIST")]
    Blacklist,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum AccountLevel {
    #[sea_orm(string_value = "STRATEGIC")]
    #[serde(rename = "STRATEGIC")]
    Strategic,
    #[sea_orm(string_value = "IMPORTANT")]
    #[serde(rename = "IMPORTANT")]
    Important,
    #[sea_orm(string_value = "NORMAL")]
    #[serde(rename = "NORMAL")]
    Normal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum AccountLifecycleStage {
    #[sea_orm(string_value = "AWARENESS")]
    #[serde(rename = "AWARENESS")]
    Awareness,
    #[sea_orm(string_value = "CONSIDERATION")]
    #[serde(rename = "CONSIDERATION")]
    Consideration,
    #[sea_orm(string_value = "DECISION")]
    #[serde(rename = "DECISION")]
    Decision,
    #[sea_orm(string_value = "RETENTION")]
    #[serde(rename = "RETENTION")]
    Retention,
    #[sea_orm(string_value = "EXPANSION")]
    #[serde(rename = "EXPANSION")]
    Expansion,
    #[sea_orm(string_value = "CHURN")]
    #[serde(rename = "CHURN")]
    Churn,
    #[sea_orm(string_value = "WINBACK")]
    #[serde(rename = "WINBACK")]
    Winback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(100))")]
pub enum SourceType {
    #[sea_orm(string_value = "WEBSITE")]
    #[serde(rename = "WEBSITE")]
    Website,
    #[sea_orm(string_value = "FORM")]
    #[serde(rename = "FORM")]
    Form,
    #[sea_orm(string_value = "CAMPAIGN")]
    #[serde(rename = "CAMPAIGN")]
    Campaign,
    #[sea_orm(string_value = "COLD_CALL")]
    #[serde(rename = "COLD_CALL")]
    ColdCall,
    #[sea_orm(string_value = "REFERRAL")]
    #[serde(rename = "REFERRAL")]
    Referral,
    #[sea_orm(string_value = "EXHIBITION")]
    #[serde(rename = "EXHIBITION")]
    Exhibition,
    #[sea_orm(string_value = "PARTNER")]
    #[serde(rename = "PARTNER")]
    Partner,
    #[sea_orm(string_value = "IMPORT")]
    #[serde(rename = "IMPORT")]
    Import,
    #[sea_orm(string_value = "API")]
    #[serde(rename = "API")]
    Api,
    #[sea_orm(string_value = "OTHER")]
    #[serde(rename = "OTHER")]
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum ContactStatus {
    #[sea_orm(string_value = "ACTIVE")]
    #[serde(rename = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "INACTIVE")]
    #[serde(rename = "INACTIVE")]
    Inactive,
    #[sea_orm(string_value = "BOUNCED")]
    #[serde(rename = "BOUNCED")]
    Bounced,
    #[sea_orm(string_value = "UNSUBSCRIBED")]
    #[serde(rename = "UNSUBSCRIBED")]
    Unsubscribed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum ContactLifecycleStage {
    #[sea_orm(string_value = "SUBSCRIBER")]
    #[serde(rename = "SUBSCRIBER")]
    Subscriber,
    #[sea_orm(string_value = "LEAD")]
    #[serde(rename = "LEAD")]
    Lead,
    #[sea_orm(string_value = "MQL")]
    #[serde(rename = "MQL")]
    Mql,
    #[sea_orm(string_value = "SQL")]
    #[serde(rename = "SQL")]
    Sql,
    #[sea_orm(string_value = "OPPORTUNITY")]
    #[serde(rename = "OPPORTUNITY")]
    Opportunity,
    #[sea_orm(string_value = "CUSTOMER")]
    #[serde(rename = "CUSTOMER")]
    Customer,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum DecisionLevel {
    #[sea_orm(string_value = "DECISION_MAKER")]
    #[serde(rename = "DECISION_MAKER")]
    DecisionMaker,
    #[sea_orm(string_value = "INFLUENCER")]
    #[serde(rename = "INFLUENCER")]
    Influencer,
    #[sea_orm(string_value = "USER")]
    #[serde(rename = "USER")]
    User,
    #[sea_orm(string_value = "GATEKEEPER")]
    #[serde(rename = "GATEKEEPER")]
    Gatekeeper,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum RelationshipStatus {
    #[sea_orm(string_value = "ACTIVE")]
    #[serde(rename = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "INACTIVE")]
    #[serde(rename = "INACTIVE")]
    Inactive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum AccountRelationType {
    #[sea_orm(string_value = "SUBSIDIARY")]
    #[serde(rename = "SUBSIDIARY")]
    Subsidiary,
    #[sea_orm(string_value = "BRANCH")]
    #[serde(rename = "BRANCH")]
    Branch,
    #[sea_orm(string_value = "HOLDING")]
    #[serde(rename = "HOLDING")]
    Holding,
    #[sea_orm(string_value = "AFFILIATE")]
    #[serde(rename = "AFFILIATE")]
    Affiliate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum IdentityType {
    #[sea_orm(string_value = "OPENID")]
    #[serde(rename = "OPENID")]
    Openid,
    #[sea_orm(string_value = "UNIONID")]
    #[serde(rename = "UNIONID")]
    Unionid,
    #[sea_orm(string_value = "CORP_ID")]
    #[serde(rename = "CORP_ID")]
    CorpId,
    #[sea_orm(string_value = "USER_ID")]
    #[serde(rename = "USER_ID")]
    UserId,
    #[sea_orm(string_value = "COOKIE_ID")]
    #[serde(rename = "COOKIE_ID")]
    CookieId,
    #[sea_orm(string_value = "DEVICE_ID")]
    #[serde(rename = "DEVICE_ID")]
    DeviceId,
    #[sea_orm(string_value = "PHONE")]
    #[serde(rename = "PHONE")]
    Phone,
    #[sea_orm(string_value = "EMAIL")]
    #[serde(rename = "EMAIL")]
    Email,
    #[sea_orm(string_value = "CUSTOM")]
    #[serde(rename = "CUSTOM")]
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum LeadStatus {
    #[sea_orm(string_value = "NEW")]
    #[serde(rename = "NEW")]
    New,
    #[sea_orm(string_value = "CONTACTED")]
    #[serde(rename = "CONTACTED")]
    Contacted,
    #[sea_orm(string_value = "QUALIFIED")]
    #[serde(rename = "QUALIFIED")]
    Qualified,
    #[sea_orm(string_value = "CONVERTED")]
    #[serde(rename = "CONVERTED")]
    Converted,
    #[sea_orm(string_value = "DISQUALIFIED")]
    #[serde(rename = "DISQUALIFIED")]
    Disqualified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum Grade {
    #[sea_orm(string_value = "A")]
    #[serde(rename = "A")]
    A,
    #[sea_orm(string_value = "B")]
    #[serde(rename = "B")]
    B,
    #[sea_orm(string_value = "C")]
    #[serde(rename = "C")]
    C,
    #[sea_orm(string_value = "D")]
    #[serde(rename = "D")]
    D,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum OpportunityStage {
    #[sea_orm(string_value = "LEAD")]
    #[serde(rename = "LEAD")]
    Lead,
    #[sea_orm(string_value = "QUALIFICATION")]
    #[serde(rename = "QUALIFICATION")]
    Qualification,
    #[sea_orm(string_value = "NEEDS_ANALYSIS")]
    #[serde(rename = "NEEDS_ANALYSIS")]
    NeedsAnalysis,
    #[sea_orm(string_value = "PROPOSAL")]
    #[serde(rename = "PROPOSAL")]
    Proposal,
    #[sea_orm(string_value = "NEGOTIATION")]
    #[serde(rename = "NEGOTIATION")]
    Negotiation,
    #[sea_orm(string_value = "CONTRACT")]
    #[serde(rename = "CONTRACT")]
    Contract,
    #[sea_orm(string_value = "CLOSED_WON")]
    #[serde(rename = "CLOSED_WON")]
    ClosedWon,
    #[sea_orm(string_value = "CLOSED_LOST")]
    #[serde(rename = "CLOSED_LOST")]
    ClosedLost,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum OpportunityType {
    #[sea_orm(string_value = "NEW_BUSINESS")]
    #[serde(rename = "NEW_BUSINESS")]
    NewBusiness,
    #[sea_orm(string_value = "UPSELL")]
    #[serde(rename = "UPSELL")]
    Upsell,
    #[sea_orm(string_value = "RENEWAL")]
    #[serde(rename = "RENEWAL")]
    Renewal,
    #[sea_orm(string_value = "CROSS_SELL")]
    #[serde(rename = "CROSS_SELL")]
    CrossSell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(100))")]
pub enum OpportunitySource {
    #[sea_orm(string_value = "LEAD_CONVERSION")]
    #[serde(rename = "LEAD_CONVERSION")]
    LeadConversion,
    #[sea_orm(string_value = "DIRECT_SALES")]
    #[serde(rename = "DIRECT_SALES")]
    DirectSales,
    #[sea_orm(string_value = "PARTNER")]
    #[serde(rename = "PARTNER")]
    Partner,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(10))")]
pub enum Currency {
    #[sea_orm(string_value = "CNY")]
    #[serde(rename = "CNY")]
    Cny,
    #[sea_orm(string_value = "USD")]
    #[serde(rename = "USD")]
    Usd,
    #[sea_orm(string_value = "EUR")]
    #[serde(rename = "EUR")]
    Eur,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum ChannelType {
    #[sea_orm(string_value = "WEBSITE")]
    #[serde(rename = "WEBSITE")]
    Website,
    #[sea_orm(string_value = "SEO")]
    #[serde(rename = "SEO")]
    Seo,
    #[sea_orm(string_value = "SEM")]
    #[serde(rename = "SEM")]
    Sem,
    #[sea_orm(string_value = "WECHAT")]
    #[serde(rename = "WECHAT")]
    Wechat,
    #[sea_orm(string_value = "ENTERPRISE_WECHAT")]
    #[serde(rename = "ENTERPRISE_WECHAT")]
    EnterpriseWechat,
    #[sea_orm(string_value = "DOUYIN")]
    #[serde(rename = "DOUYIN")]
    Douyin,
    #[sea_orm(string_value = "EMAIL")]
    #[serde(rename = "EMAIL")]
    Email,
    #[sea_orm(string_value = "PHONE")]
    #[serde(rename = "PHONE")]
    Phone,
    #[sea_orm(string_value = "OFFLINE_EVENT")]
    #[serde(rename = "OFFLINE_EVENT")]
    OfflineEvent,
    #[sea_orm(string_value = "OFFLINE")]
    #[serde(rename = "OFFLINE")]
    Offline,
    #[sea_orm(string_value = "EXHIBITION")]
    #[serde(rename = "EXHIBITION")]
    Exhibition,
    #[sea_orm(string_value = "PARTNER")]
    #[serde(rename = "PARTNER")]
    Partner,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum ChannelCategory {
    #[sea_orm(string_value = "ONLINE")]
    #[serde(rename = "ONLINE")]
    Online,
    #[sea_orm(string_value = "OFFLINE")]
    #[serde(rename = "OFFLINE")]
    Offline,
    #[sea_orm(string_value = "SOCIAL")]
    #[serde(rename = "SOCIAL")]
    Social,
    #[sea_orm(string_value = "DIRECT")]
    #[serde(rename = "DIRECT")]
    Direct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum ChannelStatus {
    #[sea_orm(string_value = "ACTIVE")]
    #[serde(rename = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "INACTIVE")]
    #[serde(rename = "INACTIVE")]
    Inactive,
    #[sea_orm(string_value = "TESTING")]
    #[serde(rename = "TESTING")]
    Testing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum CampaignType {
    #[sea_orm(string_value = "WEBINAR")]
    #[serde(rename = "WEBINAR")]
    Webinar,
    #[sea_orm(string_value = "CONFERENCE")]
    #[serde(rename = "CONFERENCE")]
    Conference,
    #[sea_orm(string_value = "EXHIBITION")]
    #[serde(rename = "EXHIBITION")]
    Exhibition,
    #[sea_orm(string_value = "EMAIL_MARKETING")]
    #[serde(rename = "EMAIL_MARKETING")]
    EmailMarketing,
    #[sea_orm(string_value = "CONTENT_MARKETING")]
    #[serde(rename = "CONTENT_MARKETING")]
    ContentMarketing,
    #[sea_orm(string_value = "PRODUCT_TRIAL")]
    #[serde(rename = "PRODUCT_TRIAL")]
    ProductTrial,
    #[sea_orm(string_value = "SUMMIT")]
    #[serde(rename = "SUMMIT")]
    Summit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum CampaignStatus {
    #[sea_orm(string_value = "PLANNED")]
    #[serde(rename = "PLANNED")]
    Planned,
    #[sea_orm(string_value = "ACTIVE")]
    #[serde(rename = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "PAUSED")]
    #[serde(rename = "PAUSED")]
    Paused,
    #[sea_orm(string_value = "COMPLETED")]
    #[serde(rename = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "CANCELLED")]
    #[serde(rename = "CANCELLED")]
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum EntityType {
    #[sea_orm(string_value = "ACCOUNT")]
    #[serde(rename = "ACCOUNT")]
    Account,
    #[sea_orm(string_value = "CONTACT")]
    #[serde(rename = "CONTACT")]
    Contact,
    #[sea_orm(string_value = "LEAD")]
    #[serde(rename = "LEAD")]
    Lead,
    #[sea_orm(string_value = "OPPORTUNITY")]
    #[serde(rename = "OPPORTUNITY")]
    Opportunity,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum CampaignMemberStatus {
    #[sea_orm(string_value = "INVITED")]
    #[serde(rename = "INVITED")]
    Invited,
    #[sea_orm(string_value = "REGISTERED")]
    #[serde(rename = "REGISTERED")]
    Registered,
    #[sea_orm(string_value = "ATTENDED")]
    #[serde(rename = "ATTENDED")]
    Attended,
    #[sea_orm(string_value = "NO_SHOW")]
    #[serde(rename = "NO_SHOW")]
    NoShow,
    #[sea_orm(string_value = "UNSUBSCRIBED")]
    #[serde(rename = "UNSUBSCRIBED")]
    Unsubscribed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum ResponseStatus {
    #[sea_orm(string_value = "NO_RESPONSE")]
    #[serde(rename = "NO_RESPONSE")]
    NoResponse,
    #[sea_orm(string_value = "RESPONDED")]
    #[serde(rename = "RESPONDED")]
    Responded,
    #[sea_orm(string_value = "CONVERTED")]
    #[serde(rename = "CONVERTED")]
    Converted,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum TouchpointType {
    #[sea_orm(string_value = "PAGE_VIEW")]
    #[serde(rename = "PAGE_VIEW")]
    PageView,
    #[sea_orm(string_value = "FORM_SUBMIT")]
    #[serde(rename = "FORM_SUBMIT")]
    FormSubmit,
    #[sea_orm(string_value = "DOWNLOAD")]
    #[serde(rename = "DOWNLOAD")]
    Download,
    #[sea_orm(string_value = "EMAIL")]
    #[serde(rename = "EMAIL")]
    Email,
    #[sea_orm(string_value = "EMAIL_OPEN")]
    #[serde(rename = "EMAIL_OPEN")]
    EmailOpen,
    #[sea_orm(string_value = "EMAIL_CLICK")]
    #[serde(rename = "EMAIL_CLICK")]
    EmailClick,
    #[sea_orm(string_value = "CALL")]
    #[serde(rename = "CALL")]
    Call,
    #[sea_orm(string_value = "MEETING")]
    #[serde(rename = "MEETING")]
    Meeting,
    #[sea_orm(string_value = "CHAT")]
    #[serde(rename = "CHAT")]
    Chat,
    #[sea_orm(string_value = "SOCIAL_INTERACTION")]
    #[serde(rename = "SOCIAL_INTERACTION")]
    SocialInteraction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(20))")]
pub enum TouchpointDirection {
    #[sea_orm(string_value = "INBOUND")]
    #[serde(rename = "INBOUND")]
    Inbound,
    #[sea_orm(string_value = "OUTBOUND")]
    #[serde(rename = "OUTBOUND")]
    Outbound,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum TouchpointStatus {
    #[sea_orm(string_value = "COMPLETED")]
    #[serde(rename = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "SCHEDULED")]
    #[serde(rename = "SCHEDULED")]
    Scheduled,
    #[sea_orm(string_value = "CANCELLED")]
    #[serde(rename = "CANCELLED")]
    Cancelled,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum ContentType {
    #[sea_orm(string_value = "WHITEPAPER")]
    #[serde(rename = "WHITEPAPER")]
    Whitepaper,
    #[sea_orm(string_value = "CASE_STUDY")]
    #[serde(rename = "CASE_STUDY")]
    CaseStudy,
    #[sea_orm(string_value = "WEBINAR")]
    #[serde(rename = "WEBINAR")]
    Webinar,
    #[sea_orm(string_value = "DEMO")]
    #[serde(rename = "DEMO")]
    Demo,
    #[sea_orm(string_value = "PROPOSAL")]
    #[serde(rename = "PROPOSAL")]
    Proposal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum EventType {
    #[sea_orm(string_value = "PAGE_VIEW")]
    #[serde(rename = "PAGE_VIEW")]
    PageView,
    #[sea_orm(string_value = "BUTTON_CLICK")]
    #[serde(rename = "BUTTON_CLICK")]
    ButtonClick,
    #[sea_orm(string_value = "CLICK")]
    #[serde(rename = "CLICK")]
    Click,
    #[sea_orm(string_value = "FORM_START")]
    #[serde(rename = "FORM_START")]
    FormStart,
    #[sea_orm(string_value = "FORM_SUBMIT")]
    #[serde(rename = "FORM_SUBMIT")]
    FormSubmit,
    #[sea_orm(string_value = "FILE_DOWNLOAD")]
    #[serde(rename = "FILE_DOWNLOAD")]
    FileDownload,
    #[sea_orm(string_value = "DOWNLOAD")]
    #[serde(rename = "DOWNLOAD")]
    Download,
    #[sea_orm(string_value = "VIDEO_PLAY")]
    #[serde(rename = "VIDEO_PLAY")]
    VideoPlay,
    #[sea_orm(string_value = "PRODUCT_TRIAL")]
    #[serde(rename = "PRODUCT_TRIAL")]
    ProductTrial,
    #[sea_orm(string_value = "SEARCH")]
    #[serde(rename = "SEARCH")]
    Search,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum DeviceType {
    #[sea_orm(string_value = "DESKTOP")]
    #[serde(rename = "DESKTOP")]
    Desktop,
    #[sea_orm(string_value = "MOBILE")]
    #[serde(rename = "MOBILE")]
    Mobile,
    #[sea_orm(string_value = "TABLET")]
    #[serde(rename = "TABLET")]
    Tablet,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum ProductType {
    #[sea_orm(string_value = "SOFTWARE")]
    #[serde(rename = "SOFTWARE")]
    Software,
    #[sea_orm(string_value = "HARDWARE")]
    #[serde(rename = "HARDWARE")]
    Hardware,
    #[sea_orm(string_value = "SERVICE")]
    #[serde(rename = "SERVICE")]
    Service,
    #[sea_orm(string_value = "SUBSCRIPTION")]
    #[serde(rename = "SUBSCRIPTION")]
    Subscription,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum ProductStatus {
    #[sea_orm(string_value = "ACTIVE")]
    #[serde(rename = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "INACTIVE")]
    #[serde(rename = "INACTIVE")]
    Inactive,
    #[sea_orm(string_value = "DISCONTINUED")]
    #[serde(rename = "DISCONTINUED")]
    Discontinued,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum PricingModel {
    #[sea_orm(string_value = "ONE_TIME")]
    #[serde(rename = "ONE_TIME")]
    OneTime,
    #[sea_orm(string_value = "SUBSCRIPTION")]
    #[serde(rename = "SUBSCRIPTION")]
    Subscription,
    #[sea_orm(string_value = "USAGE_BASED")]
    #[serde(rename = "USAGE_BASED")]
    UsageBased,
    #[sea_orm(string_value = "TIERED")]
    #[serde(rename = "TIERED")]
    Tiered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum TagType {
    #[sea_orm(string_value = "BEHAVIOR")]
    #[serde(rename = "BEHAVIOR")]
    Behavior,
    #[sea_orm(string_value = "PROFILE")]
    #[serde(rename = "PROFILE")]
    Profile,
    #[sea_orm(string_value = "BUSINESS")]
    #[serde(rename = "BUSINESS")]
    Business,
    #[sea_orm(string_value = "INTEREST")]
    #[serde(rename = "INTEREST")]
    Interest,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(100))")]
pub enum TagSource {
    #[sea_orm(string_value = "MANUAL")]
    #[serde(rename = "MANUAL")]
    Manual,
    #[sea_orm(string_value = "RULE")]
    #[serde(rename = "RULE")]
    Rule,
    #[sea_orm(string_value = "IMPORT")]
    #[serde(rename = "IMPORT")]
    Import,
    #[sea_orm(string_value = "SYSTEM")]
    #[serde(rename = "SYSTEM")]
    System,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum SegmentType {
    #[sea_orm(string_value = "FIRMOGRAPHIC")]
    #[serde(rename = "FIRMOGRAPHIC")]
    Firmographic,
    #[sea_orm(string_value = "BEHAVIORAL")]
    #[serde(rename = "BEHAVIORAL")]
    Behavioral,
    #[sea_orm(string_value = "LIFECYCLE")]
    #[serde(rename = "LIFECYCLE")]
    Lifecycle,
    #[sea_orm(string_value = "VALUE")]
    #[serde(rename = "VALUE")]
    Value,
    #[sea_orm(string_value = "CUSTOM")]
    #[serde(rename = "CUSTOM")]
    Custom,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum ScoreModelType {
    #[sea_orm(string_value = "LEAD_SCORING")]
    #[serde(rename = "LEAD_SCORING")]
    LeadScoring,
    #[sea_orm(string_value = "ACCOUNT_HEALTH")]
    #[serde(rename = "ACCOUNT_HEALTH")]
    AccountHealth,
    #[sea_orm(string_value = "CONTACT_ENGAGEMENT")]
    #[serde(rename = "CONTACT_ENGAGEMENT")]
    ContactEngagement,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum ScoreModelStatus {
    #[sea_orm(string_value = "DRAFT")]
    #[serde(rename = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "ACTIVE")]
    #[serde(rename = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "INACTIVE")]
    #[serde(rename = "INACTIVE")]
    Inactive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum AttributionModel {
    #[sea_orm(string_value = "FIRST_TOUCH")]
    #[serde(rename = "FIRST_TOUCH")]
    FirstTouch,
    #[sea_orm(string_value = "LAST_TOUCH")]
    #[serde(rename = "LAST_TOUCH")]
    LastTouch,
    #[sea_orm(string_value = "LINEAR")]
    #[serde(rename = "LINEAR")]
    Linear,
    #[sea_orm(string_value = "TIME_DECAY")]
    #[serde(rename = "TIME_DECAY")]
    TimeDecay,
    #[sea_orm(string_value = "U_SHAPED")]
    #[serde(rename = "U_SHAPED")]
    UShaped,
    #[sea_orm(string_value = "W_SHAPED")]
    #[serde(rename = "W_SHAPED")]
    WShaped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum UserRole {
    #[sea_orm(string_value = "SALES")]
    #[serde(rename = "SALES")]
    Sales,
    #[sea_orm(string_value = "SALES_MANAGER")]
    #[serde(rename = "SALES_MANAGER")]
    SalesManager,
    #[sea_orm(string_value = "MARKETING")]
    #[serde(rename = "MARKETING")]
    Marketing,
    #[sea_orm(string_value = "ADMIN")]
    #[serde(rename = "ADMIN")]
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(50))")]
pub enum UserStatus {
    #[sea_orm(string_value = "ACTIVE")]
    #[serde(rename = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "INACTIVE")]
    #[serde(rename = "INACTIVE")]
    Inactive,
}
