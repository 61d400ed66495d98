//! String-backed enums of the data model (docs/data-model.md, value lists). Stored as their upper-case
//! string; an unknown string fails to decode. Where the data model leaves a set open (campaign status,
//! member type/status, segment type, …) the chosen set is documented in ARCHITECTURE.md.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Defines each stored enum once: its variants and their stored (and GraphQL) strings, the column
/// type, the SeaORM and serde mappings, and `as_str`.
macro_rules! stored_enums {
    ($( $(#[doc = $doc:expr])* $name:ident ($db:literal) { $($variant:ident = $s:literal),* $(,)? } )*) => {$(
        $(#[doc = $doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize)]
        #[sea_orm(rs_type = "String", db_type = $db)]
        pub enum $name {
            $( #[sea_orm(string_value = $s)] #[serde(rename = $s)] $variant, )*
        }

        impl $name {
            /// The stored (and GraphQL) value, e.g. `"NEW"`.
            pub const fn as_str(self) -> &'static str {
                match self { $( $name::$variant => $s, )* }
            }
        }
    )*};
}

stored_enums! {
    AccountType ("String(StringLen::N(50))") { Customer = "CUSTOMER", Partner = "PARTNER", Competitor = "COMPETITOR", Prospect = "PROSPECT" }
    AccountStatus ("String(StringLen::N(50))") { Active = "ACTIVE", Dormant = "DORMANT", Churned = "CHURNED", Blacklist = "BLACKLIST" }
    AccountLevel ("String(StringLen::N(50))") { Strategic = "STRATEGIC", Important = "IMPORTANT", Normal = "NORMAL" }
    AccountLifecycleStage ("String(StringLen::N(50))") { Awareness = "AWARENESS", Consideration = "CONSIDERATION", Decision = "DECISION", Retention = "RETENTION", Expansion = "EXPANSION", Churn = "CHURN", Winback = "WINBACK" }
    SourceType ("String(StringLen::N(100))") { Website = "WEBSITE", Form = "FORM", Campaign = "CAMPAIGN", ColdCall = "COLD_CALL", Referral = "REFERRAL", Exhibition = "EXHIBITION", Partner = "PARTNER", Import = "IMPORT", Api = "API", Other = "OTHER" }
    ContactStatus ("String(StringLen::N(50))") { Active = "ACTIVE", Inactive = "INACTIVE", Bounced = "BOUNCED", Unsubscribed = "UNSUBSCRIBED" }
    ContactLifecycleStage ("String(StringLen::N(50))") { Subscriber = "SUBSCRIBER", Lead = "LEAD", Mql = "MQL", Sql = "SQL", Opportunity = "OPPORTUNITY", Customer = "CUSTOMER" }
    DecisionLevel ("String(StringLen::N(50))") { DecisionMaker = "DECISION_MAKER", Influencer = "INFLUENCER", User = "USER", Gatekeeper = "GATEKEEPER" }
    RelationshipStatus ("String(StringLen::N(50))") { Active = "ACTIVE", Inactive = "INACTIVE" }
    AccountRelationType ("String(StringLen::N(50))") { Subsidiary = "SUBSIDIARY", Branch = "BRANCH", Holding = "HOLDING", Affiliate = "AFFILIATE" }
    IdentityType ("String(StringLen::N(50))") { Openid = "OPENID", Unionid = "UNIONID", CorpId = "CORP_ID", UserId = "USER_ID", CookieId = "COOKIE_ID", DeviceId = "DEVICE_ID", Phone = "PHONE", Email = "EMAIL", Custom = "CUSTOM" }
    LeadStatus ("String(StringLen::N(50))") { New = "NEW", Contacted = "CONTACTED", Qualified = "QUALIFIED", Converted = "CONVERTED", Disqualified = "DISQUALIFIED" }
    Grade ("String(StringLen::N(10))") { A = "A", B = "B", C = "C", D = "D" }
    OpportunityStage ("String(StringLen::N(50))") { Lead = "LEAD", Qualification = "QUALIFICATION", NeedsAnalysis = "NEEDS_ANALYSIS", Proposal = "PROPOSAL", Negotiation = "NEGOTIATION", Contract = "CONTRACT", ClosedWon = "CLOSED_WON", ClosedLost = "CLOSED_LOST" }
    OpportunityType ("String(StringLen::N(50))") { NewBusiness = "NEW_BUSINESS", Upsell = "UPSELL", Renewal = "RENEWAL", CrossSell = "CROSS_SELL" }
    OpportunitySource ("String(StringLen::N(100))") { LeadConversion = "LEAD_CONVERSION", DirectSales = "DIRECT_SALES", Partner = "PARTNER" }
    Currency ("String(StringLen::N(10))") { Cny = "CNY", Usd = "USD", Eur = "EUR" }
    ChannelType ("String(StringLen::N(50))") { Website = "WEBSITE", Seo = "SEO", Sem = "SEM", Wechat = "WECHAT", EnterpriseWechat = "ENTERPRISE_WECHAT", Douyin = "DOUYIN", Email = "EMAIL", Phone = "PHONE", OfflineEvent = "OFFLINE_EVENT", Offline = "OFFLINE", Exhibition = "EXHIBITION", Partner = "PARTNER" }
    ChannelCategory ("String(StringLen::N(50))") { Online = "ONLINE", Offline = "OFFLINE", Social = "SOCIAL", Direct = "DIRECT" }
    ChannelStatus ("String(StringLen::N(50))") { Active = "ACTIVE", Inactive = "INACTIVE", Testing = "TESTING" }
    CampaignType ("String(StringLen::N(50))") { Webinar = "WEBINAR", Conference = "CONFERENCE", Exhibition = "EXHIBITION", EmailMarketing = "EMAIL_MARKETING", ContentMarketing = "CONTENT_MARKETING", ProductTrial = "PRODUCT_TRIAL", Summit = "SUMMIT" }
    CampaignStatus ("String(StringLen::N(50))") { Planned = "PLANNED", Active = "ACTIVE", Paused = "PAUSED", Completed = "COMPLETED", Cancelled = "CANCELLED" }
    EntityType ("String(StringLen::N(50))") { Account = "ACCOUNT", Contact = "CONTACT", Lead = "LEAD", Opportunity = "OPPORTUNITY" }
    CampaignMemberStatus ("String(StringLen::N(50))") { Invited = "INVITED", Registered = "REGISTERED", Attended = "ATTENDED", NoShow = "NO_SHOW", Unsubscribed = "UNSUBSCRIBED" }
    ResponseStatus ("String(StringLen::N(50))") { NoResponse = "NO_RESPONSE", Responded = "RESPONDED", Converted = "CONVERTED" }
    TouchpointType ("String(StringLen::N(50))") { PageView = "PAGE_VIEW", FormSubmit = "FORM_SUBMIT", Download = "DOWNLOAD", Email = "EMAIL", EmailOpen = "EMAIL_OPEN", EmailClick = "EMAIL_CLICK", Call = "CALL", Meeting = "MEETING", Chat = "CHAT", SocialInteraction = "SOCIAL_INTERACTION" }
    TouchpointDirection ("String(StringLen::N(20))") { Inbound = "INBOUND", Outbound = "OUTBOUND" }
    TouchpointStatus ("String(StringLen::N(50))") { Completed = "COMPLETED", Scheduled = "SCHEDULED", Cancelled = "CANCELLED" }
    ContentType ("String(StringLen::N(50))") { Whitepaper = "WHITEPAPER", CaseStudy = "CASE_STUDY", Webinar = "WEBINAR", Demo = "DEMO", Proposal = "PROPOSAL" }
    EventType ("String(StringLen::N(50))") { PageView = "PAGE_VIEW", ButtonClick = "BUTTON_CLICK", Click = "CLICK", FormStart = "FORM_START", FormSubmit = "FORM_SUBMIT", FileDownload = "FILE_DOWNLOAD", Download = "DOWNLOAD", VideoPlay = "VIDEO_PLAY", ProductTrial = "PRODUCT_TRIAL", Search = "SEARCH" }
    DeviceType ("String(StringLen::N(50))") { Desktop = "DESKTOP", Mobile = "MOBILE", Tablet = "TABLET" }
    ProductType ("String(StringLen::N(50))") { Software = "SOFTWARE", Hardware = "HARDWARE", Service = "SERVICE", Subscription = "SUBSCRIPTION" }
    ProductStatus ("String(StringLen::N(50))") { Active = "ACTIVE", Inactive = "INACTIVE", Discontinued = "DISCONTINUED" }
    PricingModel ("String(StringLen::N(50))") { OneTime = "ONE_TIME", Subscription = "SUBSCRIPTION", UsageBased = "USAGE_BASED", Tiered = "TIERED" }
    TagType ("String(StringLen::N(50))") { Behavior = "BEHAVIOR", Profile = "PROFILE", Business = "BUSINESS", Interest = "INTEREST" }
    TagSource ("String(StringLen::N(100))") { Manual = "MANUAL", Rule = "RULE", Import = "IMPORT", System = "SYSTEM" }
    SegmentType ("String(StringLen::N(50))") { Firmographic = "FIRMOGRAPHIC", Behavioral = "BEHAVIORAL", Lifecycle = "LIFECYCLE", Value = "VALUE", Custom = "CUSTOM" }
    ScoreModelType ("String(StringLen::N(50))") { LeadScoring = "LEAD_SCORING", AccountHealth = "ACCOUNT_HEALTH", ContactEngagement = "CONTACT_ENGAGEMENT" }
    ScoreModelStatus ("String(StringLen::N(50))") { Draft = "DRAFT", Active = "ACTIVE", Inactive = "INACTIVE" }
    AttributionModel ("String(StringLen::N(50))") { FirstTouch = "FIRST_TOUCH", LastTouch = "LAST_TOUCH", Linear = "LINEAR", TimeDecay = "TIME_DECAY", UShaped = "U_SHAPED", WShaped = "W_SHAPED" }
    UserRole ("String(StringLen::N(50))") { Sales = "SALES", SalesManager = "SALES_MANAGER", Marketing = "MARKETING", Admin = "ADMIN" }
    UserStatus ("String(StringLen::N(50))") { Active = "ACTIVE", Inactive = "INACTIVE" }
    SceneType ("String(StringLen::N(50))") { PhoneCall = "PHONE_CALL", WebForm = "WEB_FORM", OrderSync = "ORDER_SYNC", SocialMediaLead = "SOCIAL_MEDIA_LEAD", ApiImport = "API_IMPORT", QrCodeScan = "QR_CODE_SCAN", LandingPage = "LANDING_PAGE", MiniProgram = "MINI_PROGRAM" }
    /// What moved a lead between owners and the public pool (`lead_assignment_log.kind`).
    AssignmentKind ("String(StringLen::N(30))") { Assigned = "ASSIGNED", Claimed = "CLAIMED", Released = "RELEASED", Extended = "EXTENDED", ReturnedToPool = "RETURNED_TO_POOL", Reassigned = "REASSIGNED" }
    DeduplicationStrategy ("String(StringLen::N(50))") { NoCheck = "NO_CHECK", ByPhone = "BY_PHONE", ByEmail = "BY_EMAIL", ByPhoneOrEmail = "BY_PHONE_OR_EMAIL" }
}
