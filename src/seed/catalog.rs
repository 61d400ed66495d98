//! Reference data that does not grow with the scale: teams and staff (staff do scale), the industry
//! tree, the channel hierarchy, products, tags, journey stages and score models.

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use entity::enums::*;
use entity::*;
use rand::Rng;
use rand::seq::IndexedRandom;
use rust_decimal::Decimal;
use serde_json::json;

use super::clock::{DAY, between, days, prefix_id};
use super::names::{self, HEX, INDUSTRIES, random_string};
use super::world::World;

/// Sales regions: team name, region label, provinces covered.
#[rustfmt::skip]
pub const REGIONS: &[(&str, &str, &[&str])] = &[
    ("华北大区", "华北", &["北京市", "天津市", "山东省"]),
    ("华东大区", "华东", &["上海市", "浙江省", "江苏省", "安徽省"]),
    ("华南大区", "华南", &["广东省", "福建省"]),
    ("华中大区", "华中", &["湖北省", "湖南省", "河南省"]),
    ("西部大区", "西部", &["四川省", "重庆市", "陕西省"]),
];

pub fn region_of(province: &str) -> usize {
    REGIONS.iter().position(|(_, _, provinces)| provinces.contains(&province)).unwrap_or(0)
}

/// Staff and reference rows exist from a little before the generated history.
fn catalog_time(w: &World, rng: &mut impl Rng) -> DateTime<Utc> {
    between(rng, w.clock.start() - days(400), w.clock.start() - days(200))
}

pub fn generate(w: &mut World, rng: &mut impl Rng, users: usize, phones: &mut HashSet<String>) {
    teams_and_users(w, rng, users, phones);
    industries(w, rng);
    channels(w, rng);
    products(w, rng);
    tags(w, rng);
    journey_stages(w, rng);
    score_models(w, rng);
}

fn team(
    w: &mut World,
    rng: &mut impl Rng,
    t0: DateTime<Utc>,
    name: &str,
    parent: Option<String>,
    region: &str,
) -> usize {
    let at = t0 + Duration::seconds(w.teams.len() as i64);
    w.teams.push(team::Model {
        team_id: prefix_id("TEAM", at, rng),
        team_name: name.into(),
        parent_team_id: parent,
        region: Some(region.into()),
        created_at: at,
        updated_at: at,
    });
    w.teams.len() - 1
}

fn teams_and_users(w: &mut World, rng: &mut impl Rng, users: usize, phones: &mut HashSet<String>) {
    let t0 = catalog_time(w, rng);
    let sales_center = team(w, rng, t0, "销售中心", None, "全国");
    let root_id = w.teams[sales_center].team_id.clone();
    let region_teams: Vec<usize> =
        REGIONS.iter().map(|(name, region, _)| team(w, rng, t0, name, Some(root_id.clone()), region)).collect();
    let marketing = team(w, rng, t0, "市场部", None, "全国");

    // User 0 is the administrator, then marketers (≈15 %), one manager per region while staff
    // lasts, and salespeople spread over the regions.
    let marketers = (users * 15 / 100).max(1);
    let mut emails = HashSet::new();
    w.region_sales = vec![Vec::new(); REGIONS.len()];
    for i in 0..users {
        let (role, team_index) = if i == 0 {
            (UserRole::Admin, None)
        } else if i <= marketers {
            (UserRole::Marketing, Some(marketing))
        } else {
            let k = i - marketers - 1;
            let region = k % REGIONS.len();
            let role = if k < REGIONS.len() { UserRole::SalesManager } else { UserRole::Sales };
            (role, Some(region_teams[region]))
        };
        let person = names::person(rng);
        let at = catalog_time(w, rng);
        let email = names::unique_email(rng, &person, "cdp360.example.com", &mut emails);
        w.users.push(app_user::Model {
            user_id: prefix_id("USER", at, rng),
            user_name: person.name.clone(),
            email: Some(email),
            mobile_phone: Some(names::unique_mobile(rng, phones)),
            team_id: team_index.map(|t| w.teams[t].team_id.clone()),
            user_role: role,
            // One long-gone salesperson keeps owning old records, as in every real CRM.
            user_status: if i == users - 1 && users >= 10 { UserStatus::Inactive } else { UserStatus::Active },
            claim_quota: match role {
                UserRole::SalesManager => 500,
                UserRole::Sales => 200,
                _ => 0,
            },
            created_at: at,
            updated_at: at,
        });
        match role {
            UserRole::Marketing => w.marketers.push(i),
            UserRole::Sales | UserRole::SalesManager => {
                let region = (i - marketers - 1) % REGIONS.len();
                w.region_sales[region].push(i);
                w.all_sales.push(i);
            }
            UserRole::Admin => {}
        }
    }
    // Tiny staff lists: the administrator also sells / markets rather than leaving gaps.
    if w.all_sales.is_empty() {
        w.all_sales.push(0);
    }
    if w.marketers.is_empty() {
        w.marketers.push(0);
    }
}

fn industries(w: &mut World, rng: &mut impl Rng) {
    let t0 = catalog_time(w, rng);
    for (i, (code, name, children)) in INDUSTRIES.iter().enumerate() {
        let at = t0 + Duration::seconds(w.industries.len() as i64);
        let parent = prefix_id("IND", at, rng);
        w.industries.push(industry::Model {
            industry_id: parent.clone(),
            industry_name: (*name).into(),
            industry_code: (*code).into(),
            parent_industry_id: None,
            level: 1,
            sort_order: Some(i as i32 + 1),
            created_at: at,
        });
        for (j, (code, name)) in children.iter().enumerate() {
            let at = t0 + Duration::seconds(w.industries.len() as i64);
            let id = prefix_id("IND", at, rng);
            w.industry_ids.insert(code, id.clone());
            w.industries.push(industry::Model {
                industry_id: id,
                industry_name: (*name).into(),
                industry_code: (*code).into(),
                parent_industry_id: Some(parent.clone()),
                level: 2,
                sort_order: Some(j as i32 + 1),
                created_at: at,
            });
        }
    }
}

/// One channel of the catalogue: key (for lookups), name, monthly cost in yuan, status.
type ChannelDef = (&'static str, &'static str, i64, ChannelStatus);

/// The channel hierarchy: one root per channel type, concrete channels below it.
#[rustfmt::skip]
pub const CHANNELS: &[(ChannelType, ChannelCategory, ChannelDef, &[ChannelDef])] = &[
    (ChannelType::Website, ChannelCategory::Online, ("website", "官方网站", 0, ChannelStatus::Active), &[
        ("web_product", "官网-产品页", 8_000, ChannelStatus::Active),
        ("web_solution", "官网-解决方案页", 5_000, ChannelStatus::Active),
        ("web_blog", "官网-博客", 3_000, ChannelStatus::Active),
        ("web_chat", "官网-在线客服", 6_000, ChannelStatus::Active)]),
    (ChannelType::Seo, ChannelCategory::Online, ("seo", "搜索引擎优化", 0, ChannelStatus::Active), &[
        ("seo_baidu", "百度自然搜索", 15_000, ChannelStatus::Active),
        ("seo_bing", "必应自然搜索", 4_000, ChannelStatus::Active)]),
    (ChannelType::Sem, ChannelCategory::Online, ("sem", "搜索引擎营销", 0, ChannelStatus::Active), &[
        ("sem_baidu", "百度推广", 80_000, ChannelStatus::Active),
        ("sem_360", "360搜索推广", 20_000, ChannelStatus::Active),
        ("sem_sogou", "搜狗推广", 10_000, ChannelStatus::Inactive)]),
    (ChannelType::Wechat, ChannelCategory::Social, ("wechat", "微信生态", 0, ChannelStatus::Active), &[
        ("wx_mp", "微信公众号", 12_000, ChannelStatus::Active),
        ("wx_mini", "微信小程序", 15_000, ChannelStatus::Active),
        ("wx_channels", "微信视频号", 8_000, ChannelStatus::Testing)]),
    (ChannelType::EnterpriseWechat, ChannelCategory::Direct, ("wecom", "企业微信", 0, ChannelStatus::Active), &[
        ("wecom_sales", "企业微信-销售顾问", 6_000, ChannelStatus::Active),
        ("wecom_group", "企业微信-客户群", 3_000, ChannelStatus::Active)]),
    (ChannelType::Douyin, ChannelCategory::Social, ("douyin", "抖音", 0, ChannelStatus::Active), &[
        ("dy_account", "抖音企业号", 20_000, ChannelStatus::Active),
        ("dy_ads", "巨量引擎广告", 60_000, ChannelStatus::Active)]),
    (ChannelType::Email, ChannelCategory::Direct, ("email", "邮件营销", 0, ChannelStatus::Active), &[
        ("edm_monthly", "EDM月刊", 4_000, ChannelStatus::Active),
        ("edm_product", "产品更新邮件", 2_000, ChannelStatus::Active)]),
    (ChannelType::Phone, ChannelCategory::Direct, ("phone", "电话", 0, ChannelStatus::Active), &[
        ("phone_400", "400热线", 5_000, ChannelStatus::Active),
        ("phone_out", "电话外呼", 25_000, ChannelStatus::Active)]),
    (ChannelType::OfflineEvent, ChannelCategory::Offline, ("offline_event", "线下活动", 0, ChannelStatus::Active), &[
        ("salon", "城市沙龙", 30_000, ChannelStatus::Active),
        ("thanks", "客户答谢会", 50_000, ChannelStatus::Active)]),
    (ChannelType::Offline, ChannelCategory::Offline, ("offline", "线下拜访", 0, ChannelStatus::Active), &[
        ("visit", "销售上门拜访", 40_000, ChannelStatus::Active)]),
    (ChannelType::Exhibition, ChannelCategory::Offline, ("exhibition", "展会", 0, ChannelStatus::Active), &[
        ("ciie", "中国国际进口博览会", 120_000, ChannelStatus::Active),
        ("waic", "世界人工智能大会", 90_000, ChannelStatus::Active),
        ("digital_expo", "数字中国建设峰会", 60_000, ChannelStatus::Active)]),
    (ChannelType::Partner, ChannelCategory::Direct, ("partner", "合作伙伴", 0, ChannelStatus::Active), &[
        ("reseller", "渠道代理商", 30_000, ChannelStatus::Active),
        ("si", "系统集成商", 20_000, ChannelStatus::Active),
        ("marketplace", "云市场", 10_000, ChannelStatus::Active)]),
];

/// Channel keys that carry web traffic (page views, forms, downloads, sessions).
pub const WEB_CHANNELS: &[&str] =
    &["web_product", "web_solution", "web_blog", "seo_baidu", "seo_bing", "sem_baidu", "sem_360"];

fn channel_config(rng: &mut impl Rng, ty: ChannelType) -> serde_json::Value {
    match ty {
        ChannelType::Website | ChannelType::Seo => {
            json!({ "site": "www.example.com", "tracking_id": format!("CDP-{}", random_string(rng, HEX, 8)) })
        }
        ChannelType::Sem | ChannelType::Douyin => {
            json!({ "account_id": rng.random_range(10_000_000..99_999_999), "budget_cycle": "monthly" })
        }
        ChannelType::Wechat => json!({ "app_id": format!("wx{}", random_string(rng, HEX, 16)) }),
        ChannelType::EnterpriseWechat => json!({ "corp_id": format!("ww{}", random_string(rng, HEX, 16)) }),
        ChannelType::Email => json!({ "sender": "newsletter@cdp360.example.com", "provider": "SendCloud" }),
        ChannelType::Phone => {
            json!({ "line": format!("400-{}-{}", rng.random_range(100..999), rng.random_range(1000..9999)) })
        }
        _ => json!({}),
    }
}

fn channel(
    w: &mut World,
    rng: &mut impl Rng,
    t0: DateTime<Utc>,
    ty: ChannelType,
    category: ChannelCategory,
    def: ChannelDef,
    parent: Option<String>,
) -> String {
    let (key, name, cost, status) = def;
    let at = t0 + Duration::seconds(w.channels.len() as i64 * 60);
    let id = prefix_id("CH", at, rng);
    w.channel_ids.insert(key, id.clone());
    let partner = (ty == ChannelType::Partner && parent.is_some())
        .then(|| json!({ "partner_tier": "GOLD", "contract_end": "2027-12-31" }));
    w.channels.push(channel::Model {
        channel_id: id.clone(),
        channel_name: name.into(),
        channel_type: ty,
        channel_category: Some(category),
        parent_channel_id: parent,
        channel_status: status,
        channel_config: Some(channel_config(rng, ty)),
        cost: (cost > 0).then(|| Decimal::new(cost * 100, 2)),
        created_at: at,
        updated_at: at + days(rng.random_range(0..300)),
        custom_fields: partner,
    });
    id
}

fn channels(w: &mut World, rng: &mut impl Rng) {
    let t0 = catalog_time(w, rng);
    for &(ty, category, root, children) in CHANNELS {
        let parent = channel(w, rng, t0, ty, category, root, None);
        for &child in children {
            channel(w, rng, t0, ty, category, child, Some(parent.clone()));
        }
    }
}

/// Product categories: root name, children.
const CATEGORIES: &[(&str, &[&str])] = &[
    ("软件产品", &["客户数据平台", "营销自动化", "数据分析"]),
    ("云服务", &["SaaS订阅", "私有化部署"]),
    ("专业服务", &["实施服务", "培训服务", "运维支持"]),
    ("硬件设备", &["边缘计算设备"]),
];

/// Products: name, code, category (a child of [`CATEGORIES`]), type, pricing, list price, status.
#[rustfmt::skip]
pub const PRODUCTS: &[(&str, &str, &str, ProductType, PricingModel, i64, ProductStatus)] = &[
    ("CDP客户数据平台 标准版", "CDP-STD", "SaaS订阅", ProductType::Subscription, PricingModel::Subscription, 120_000, ProductStatus::Active),
    ("CDP客户数据平台 企业版", "CDP-ENT", "SaaS订阅", ProductType::Subscription, PricingModel::Subscription, 480_000, ProductStatus::Active),
    ("CDP私有化部署许可", "CDP-ONPREM", "私有化部署", ProductType::Software, PricingModel::OneTime, 1_500_000, ProductStatus::Active),
    ("营销自动化 MA 专业版", "MA-PRO", "营销自动化", ProductType::Subscription, PricingModel::Subscription, 180_000, ProductStatus::Active),
    ("营销短信通道包（万条）", "MA-SMS", "营销自动化", ProductType::Service, PricingModel::UsageBased, 450, ProductStatus::Active),
    ("企业微信SCRM", "SCRM-WW", "营销自动化", ProductType::Subscription, PricingModel::Tiered, 96_000, ProductStatus::Active),
    ("BI分析平台", "BI-STD", "数据分析", ProductType::Software, PricingModel::Subscription, 150_000, ProductStatus::Active),
    ("AI线索评分模块", "AI-SCORE", "客户数据平台", ProductType::Software, PricingModel::Subscription, 80_000, ProductStatus::Active),
    ("数据治理服务", "DG-SVC", "实施服务", ProductType::Service, PricingModel::OneTime, 200_000, ProductStatus::Active),
    ("标准实施服务", "IMPL-STD", "实施服务", ProductType::Service, PricingModel::OneTime, 100_000, ProductStatus::Active),
    ("定制开发（人天）", "DEV-MD", "实施服务", ProductType::Service, PricingModel::UsageBased, 3_000, ProductStatus::Active),
    ("管理员培训", "TRAIN-ADM", "培训服务", ProductType::Service, PricingModel::OneTime, 15_000, ProductStatus::Active),
    ("年度运维支持", "SUP-Y", "运维支持", ProductType::Service, PricingModel::Subscription, 60_000, ProductStatus::Active),
    ("7×24 白金支持", "SUP-PLAT", "运维支持", ProductType::Service, PricingModel::Subscription, 150_000, ProductStatus::Active),
    ("边缘数据采集网关", "HW-EDGE", "边缘计算设备", ProductType::Hardware, PricingModel::OneTime, 38_000, ProductStatus::Active),
    ("大屏可视化套件", "BI-SCREEN", "数据分析", ProductType::Software, PricingModel::OneTime, 50_000, ProductStatus::Inactive),
    ("CDP 2.x 私有化许可（旧版）", "CDP-LEGACY", "私有化部署", ProductType::Software, PricingModel::OneTime, 800_000, ProductStatus::Discontinued),
];

fn products(w: &mut World, rng: &mut impl Rng) {
    let t0 = catalog_time(w, rng);
    let mut category_ids = Vec::new();
    for (i, (root, children)) in CATEGORIES.iter().enumerate() {
        let at = t0 + Duration::seconds(w.categories.len() as i64);
        let root_id = prefix_id("PCAT", at, rng);
        w.categories.push(product_category::Model {
            category_id: root_id.clone(),
            category_name: (*root).into(),
            parent_category_id: None,
            level: Some(1),
            sort_order: Some(i as i32 + 1),
            created_at: at,
        });
        for (j, child) in children.iter().enumerate() {
            let at = t0 + Duration::seconds(w.categories.len() as i64);
            let id = prefix_id("PCAT", at, rng);
            category_ids.push((*child, id.clone()));
            w.categories.push(product_category::Model {
                category_id: id,
                category_name: (*child).into(),
                parent_category_id: Some(root_id.clone()),
                level: Some(2),
                sort_order: Some(j as i32 + 1),
                created_at: at,
            });
        }
    }
    for &(name, code, category, ty, pricing, price, status) in PRODUCTS {
        let at = between(rng, t0, w.clock.start());
        let category_id = category_ids.iter().find(|(c, _)| *c == category).map(|(_, id)| id.clone());
        w.products.push(product::Model {
            product_id: prefix_id("PRD", at, rng),
            product_name: name.into(),
            product_code: code.into(),
            product_category_id: category_id,
            product_type: Some(ty),
            product_status: status,
            description: Some(format!("{name}：{category}类产品，含标准功能与升级服务。")),
            list_price: Some(Decimal::new(price * 100, 2)),
            currency: Some(Currency::Cny),
            pricing_model: Some(pricing),
            feature_list: Some(json!(["多渠道数据接入", "统一客户身份", "标签与分群", "权限管理"])),
            created_at: at,
            updated_at: at + days(rng.random_range(0..400)),
            custom_fields: Some(json!({ "sku": code.to_lowercase() })),
        });
    }
}

/// Tags: name, category, type, which entity kinds it suits ("A"ccount, "C"ontact, "L"ead), colour.
#[rustfmt::skip]
pub const TAGS: &[(&str, &str, TagType, &str, &str)] = &[
    ("高频访问", "活跃度", TagType::Behavior, "ACL", "#1677FF"),
    ("近期活跃", "活跃度", TagType::Behavior, "ACL", "#52C41A"),
    ("沉睡用户", "活跃度", TagType::Behavior, "CL", "#8C8C8C"),
    ("下载白皮书", "互动行为", TagType::Behavior, "CL", "#13C2C2"),
    ("参加过直播", "互动行为", TagType::Behavior, "CL", "#2F54EB"),
    ("邮件高打开率", "互动行为", TagType::Behavior, "C", "#722ED1"),
    ("试用中", "互动行为", TagType::Behavior, "ACL", "#FA8C16"),
    ("价格敏感", "互动行为", TagType::Behavior, "ACL", "#FAAD14"),
    ("决策者", "人员属性", TagType::Profile, "CL", "#F5222D"),
    ("技术背景", "人员属性", TagType::Profile, "CL", "#1890FF"),
    ("大型企业", "企业属性", TagType::Profile, "AL", "#0050B3"),
    ("中小企业", "企业属性", TagType::Profile, "AL", "#69C0FF"),
    ("上市公司", "企业属性", TagType::Profile, "A", "#D4380D"),
    ("外资企业", "企业属性", TagType::Profile, "A", "#AD4E00"),
    ("华东区域", "地域", TagType::Profile, "AL", "#389E0D"),
    ("华南区域", "地域", TagType::Profile, "AL", "#7CB305"),
    ("重点客户", "客户价值", TagType::Business, "A", "#CF1322"),
    ("续约风险", "客户价值", TagType::Business, "A", "#FA541C"),
    ("高潜商机", "销售跟进", TagType::Business, "AL", "#EB2F96"),
    ("已签约", "客户价值", TagType::Business, "A", "#237804"),
    ("渠道客户", "客户价值", TagType::Business, "A", "#08979C"),
    ("竞品用户", "销售跟进", TagType::Business, "AL", "#5B8C00"),
    ("待回访", "销售跟进", TagType::Business, "CL", "#D46B08"),
    ("需要报价", "销售跟进", TagType::Business, "ACL", "#C41D7F"),
    ("关注CDP", "产品兴趣", TagType::Interest, "ACL", "#1D39C4"),
    ("关注营销自动化", "产品兴趣", TagType::Interest, "ACL", "#531DAB"),
    ("关注数据安全", "产品兴趣", TagType::Interest, "ACL", "#820014"),
    ("关注AI", "产品兴趣", TagType::Interest, "ACL", "#006D75"),
    ("关注私有化部署", "产品兴趣", TagType::Interest, "ACL", "#3F6600"),
    ("关注SCRM", "产品兴趣", TagType::Interest, "CL", "#876800"),
    ("关注BI", "产品兴趣", TagType::Interest, "CL", "#10239E"),
    ("关注出海", "产品兴趣", TagType::Interest, "ACL", "#614700"),
];

pub fn tag_index(name: &str) -> usize {
    TAGS.iter().position(|t| t.0 == name).expect("rule tags are in the catalogue")
}

fn tags(w: &mut World, rng: &mut impl Rng) {
    for &(name, category, ty, _, color) in TAGS {
        let at = between(rng, w.clock.start() - days(100), w.clock.start() + days(30));
        let by = w.marketer(rng);
        w.tags.push(tag::Model {
            tag_id: prefix_id("TAG", at, rng),
            tag_name: name.into(),
            tag_category: Some(category.into()),
            tag_type: ty,
            description: Some(format!("{category}：{name}")),
            color: Some(color.into()),
            created_at: at,
            created_by_user_id: Some(by),
        });
    }
}

/// Journey stages: name (the value of `customer_journey.journey_stage`), label, category.
pub const JOURNEY_STAGES: &[(&str, &str, &str)] = &[
    ("AWARENESS", "认知", "MARKETING"),
    ("INTEREST", "兴趣", "MARKETING"),
    ("CONSIDERATION", "考虑", "SALES"),
    ("DECISION", "决策", "SALES"),
    ("PURCHASE", "购买", "SALES"),
    ("RETENTION", "留存", "CUSTOMER_SUCCESS"),
];

fn journey_stages(w: &mut World, rng: &mut impl Rng) {
    let t0 = catalog_time(w, rng);
    for (i, (name, label, category)) in JOURNEY_STAGES.iter().enumerate() {
        let at = t0 + Duration::seconds(i as i64);
        w.journey_stages.push(journey_stage::Model {
            stage_id: prefix_id("JST", at, rng),
            stage_name: (*name).into(),
            stage_order: i as i32 + 1,
            stage_category: Some((*category).into()),
            milestone_criteria: Some(json!({ "label": label, "order": i + 1 })),
            created_at: at,
        });
    }
}

fn score_models(w: &mut World, rng: &mut impl Rng) {
    let t0 = catalog_time(w, rng);
    let models = [
        (
            "线索评分模型 v2",
            ScoreModelType::LeadScoring,
            EntityType::Lead,
            json!([
                { "rule": "job_title 含 总监/总经理/CxO", "points": 20 },
                { "rule": "提交过试用表单", "points": 25 },
                { "rule": "近30天访问官网 ≥ 5 次", "points": 15 },
                { "rule": "公司规模 ≥ 500 人", "points": 20 },
                { "rule": "邮箱为个人邮箱", "points": -10 },
            ]),
        ),
        (
            "企业健康度模型",
            ScoreModelType::AccountHealth,
            EntityType::Account,
            json!([
                { "factor": "活跃度", "weight": 0.4 },
                { "factor": "互动量", "weight": 0.25 },
                { "factor": "商机管道", "weight": 0.2 },
                { "factor": "赢单率", "weight": 0.15 },
            ]),
        ),
        (
            "联系人参与度模型",
            ScoreModelType::ContactEngagement,
            EntityType::Contact,
            json!([
                { "factor": "邮件打开/点击", "weight": 0.3 },
                { "factor": "网站行为", "weight": 0.3 },
                { "factor": "表单与下载", "weight": 0.25 },
                { "factor": "活动响应", "weight": 0.15 },
            ]),
        ),
    ];
    for (i, (name, ty, target, rules)) in models.into_iter().enumerate() {
        let at = t0 + Duration::seconds(i as i64);
        w.score_models.push(score_model::Model {
            model_id: prefix_id("SM", at, rng),
            model_name: name.into(),
            model_type: ty,
            target_entity_type: target,
            scoring_rules: Some(rules),
            max_score: 100,
            status: ScoreModelStatus::Active,
            created_at: at,
            updated_at: at + Duration::seconds(DAY * 30),
        });
    }
}

/// Content assets referenced by touchpoints (`content_id`): id, type, title.
pub const CONTENTS: &[(&str, ContentType, &str)] = &[
    ("CONTENT_001", ContentType::Whitepaper, "《2026 B2B 客户数据平台白皮书》"),
    ("CONTENT_002", ContentType::Whitepaper, "《制造业数字化营销实践指南》"),
    ("CONTENT_003", ContentType::CaseStudy, "某头部车企 CDP 落地案例"),
    ("CONTENT_004", ContentType::CaseStudy, "连锁零售会员运营增长案例"),
    ("CONTENT_005", ContentType::Webinar, "CDP 实战直播：从线索到商机"),
    ("CONTENT_006", ContentType::Demo, "CDP 产品演示"),
    ("CONTENT_007", ContentType::Proposal, "客户数据平台解决方案建议书"),
];

pub fn content(rng: &mut impl Rng, kinds: &[ContentType]) -> (&'static str, ContentType, &'static str) {
    let matching: Vec<_> = CONTENTS.iter().filter(|c| kinds.contains(&c.1)).collect();
    **matching.choose(rng).unwrap_or(&&CONTENTS[0])
}
