//! Accounts (+ groups and channel identities), contacts (+ account links and identities), leads
//! (+ identities) and opportunities (+ stage history and product lines).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use entity::enums::*;
use entity::*;
use rand::Rng;
use rand::seq::{IndexedRandom, index};
use rust_decimal::Decimal;
use serde_json::json;

use super::catalog::{PRODUCTS, REGIONS, region_of};
use super::clock::{DAY, HOUR, OFFICE, Rhythm, WEB, after, between, date, days, prefix_id, within};
use super::names::{self, BASE64URL, CITIES, City, Company, HEX, JOBS, LOWER_ALNUM, Person, TRADES, random_string};
use super::world::{AccountFacts, Picker, World, one, weighted};

/// Account type mix.
const ACCOUNT_TYPES: &[(AccountType, u32)] = &[
    (AccountType::Customer, 45),
    (AccountType::Prospect, 40),
    (AccountType::Partner, 10),
    (AccountType::Competitor, 5),
];

/// Account status mix.
const ACCOUNT_STATUSES: &[(AccountStatus, u32)] = &[
    (AccountStatus::Active, 72),
    (AccountStatus::Dormant, 15),
    (AccountStatus::Churned, 10),
    (AccountStatus::Blacklist, 3),
];

/// Account level mix (a few accounts have none).
const ACCOUNT_LEVELS: &[(Option<AccountLevel>, u32)] = &[
    (Some(AccountLevel::Strategic), 8),
    (Some(AccountLevel::Important), 25),
    (Some(AccountLevel::Normal), 62),
    (None, 5),
];

/// Where accounts come from.
const ACCOUNT_SOURCES: &[(SourceType, u32)] = &[
    (SourceType::Website, 30),
    (SourceType::Exhibition, 15),
    (SourceType::Partner, 15),
    (SourceType::ColdCall, 12),
    (SourceType::Referral, 10),
    (SourceType::Campaign, 10),
    (SourceType::Import, 8),
];

/// How grouped companies relate.
const RELATION_TYPES: &[(AccountRelationType, u32)] = &[
    (AccountRelationType::Subsidiary, 50),
    (AccountRelationType::Branch, 30),
    (AccountRelationType::Holding, 10),
    (AccountRelationType::Affiliate, 10),
];

/// Where contacts come from.
const CONTACT_SOURCES: &[(SourceType, u32)] = &[
    (SourceType::Website, 30),
    (SourceType::Form, 20),
    (SourceType::Import, 15),
    (SourceType::Api, 10),
    (SourceType::Referral, 15),
    (SourceType::Exhibition, 10),
];

/// Contact status mix.
const CONTACT_STATUSES: &[(ContactStatus, u32)] = &[
    (ContactStatus::Active, 85),
    (ContactStatus::Inactive, 8),
    (ContactStatus::Bounced, 4),
    (ContactStatus::Unsubscribed, 3),
];

/// Sources of leads from known companies (inbound).
const INBOUND_LEAD_SOURCES: &[(SourceType, u32)] = &[
    (SourceType::Website, 30),
    (SourceType::Form, 30),
    (SourceType::Campaign, 20),
    (SourceType::Referral, 10),
    (SourceType::Api, 10),
];

/// Sources of leads from unknown companies (lists, calls, fairs, partners).
const OUTBOUND_LEAD_SOURCES: &[(SourceType, u32)] = &[
    (SourceType::Import, 30),
    (SourceType::ColdCall, 25),
    (SourceType::Exhibition, 20),
    (SourceType::Partner, 15),
    (SourceType::Other, 10),
];

/// Opportunity type mix (deals not born from a conversion).
const OPPORTUNITY_TYPES: &[(OpportunityType, u32)] = &[
    (OpportunityType::NewBusiness, 40),
    (OpportunityType::Upsell, 25),
    (OpportunityType::Renewal, 20),
    (OpportunityType::CrossSell, 15),
];

/// Decision level of contacts who do not decide.
const SUPPORTING_LEVELS: &[(DecisionLevel, u32)] =
    &[(DecisionLevel::Influencer, 45), (DecisionLevel::User, 40), (DecisionLevel::Gatekeeper, 15)];

/// Values that must be unique across the generated people and companies.
#[derive(Default)]
pub struct Taken {
    pub phones: HashSet<String>,
    pub emails: HashSet<String>,
    pub credit_codes: HashSet<String>,
    pub company_names: HashSet<String>,
    /// `channel_id|channel_user_id` of contact and account identities.
    pub identities: HashSet<String>,
}

/// Plaintext PII of a contact or lead.
pub struct Pii {
    pub mobile_phone: Option<String>,
    pub email: Option<String>,
    pub wechat_id: Option<String>,
}

/// The one place that produces contact and lead PII (phone, e-mail, WeChat id). They are written in
/// plaintext for now; encrypting them (plus blind indexes) only has to change this function and
/// [`Pii`].
pub fn pii(rng: &mut impl Rng, person: &Person, domain: &str, taken: &mut Taken, odds: [f64; 3]) -> Pii {
    let [phone, email, wechat] = odds;
    Pii {
        mobile_phone: rng.random_bool(phone).then(|| names::unique_mobile(rng, &mut taken.phones)),
        email: rng.random_bool(email).then(|| names::unique_email(rng, person, domain, &mut taken.emails)),
        wechat_id: rng.random_bool(wechat).then(|| names::wechat_id(rng, person)),
    }
}

/// Catalogue channel (key) through which something from `source` usually arrives.
fn source_channel(rng: &mut impl Rng, source: SourceType) -> Option<&'static str> {
    let keys: &[&str] = match source {
        SourceType::Website => &["web_product", "web_solution", "seo_baidu", "sem_baidu", "sem_360"],
        SourceType::Form => &["web_product", "wx_mini", "dy_ads"],
        SourceType::Campaign => &["salon", "thanks", "edm_monthly"],
        SourceType::Exhibition => &["ciie", "waic", "digital_expo"],
        SourceType::Partner => &["reseller", "si", "marketplace"],
        SourceType::ColdCall => &["phone_out"],
        SourceType::Referral => &["wecom_sales", "wx_mp"],
        SourceType::Api => &["marketplace", "wx_mini"],
        SourceType::Import | SourceType::Other => &[],
    };
    keys.choose(rng).copied()
}

fn short_name(name: &str) -> &str {
    let name = ["集团有限公司", "股份有限公司", "有限公司"].iter().find_map(|s| name.strip_suffix(s)).unwrap_or(name);
    CITIES.iter().find_map(|c| name.strip_prefix(c.short)).filter(|rest| !rest.is_empty()).unwrap_or(name)
}

pub fn accounts(w: &mut World, rng: &mut impl Rng, n: usize, taken: &mut Taken) {
    let cities = Picker::new(CITIES.iter().map(|c| f64::from(c.weight))).expect("weights");
    for i in 0..n {
        let created = within(rng, w.clock.start(), w.clock.anchor() - days(60), &OFFICE);
        let city_index = cities.pick(rng);
        let city = &CITIES[city_index];
        let place = city.districts.choose(rng).expect("districts");
        let (district, division, _) = *place;
        let company = unique_company(rng, city, taken);
        let account_type = weighted(rng, ACCOUNT_TYPES);
        let status = weighted(rng, ACCOUNT_STATUSES);
        let level = weighted(rng, ACCOUNT_LEVELS);
        let (employees, revenue_wan) = match level {
            Some(AccountLevel::Strategic) => (rng.random_range(2_000..60_000), rng.random_range(100_000..5_000_000)),
            Some(AccountLevel::Important) => (rng.random_range(300..5_000), rng.random_range(10_000..200_000)),
            _ => (rng.random_range(20..800), rng.random_range(500..20_000)),
        };
        let source = weighted(rng, ACCOUNT_SOURCES);
        let channel = source_channel(rng, source).map(|k| w.channel(k));
        let owner = rng.random_bool(0.92).then(|| w.sales_for(rng, city.province));
        let active_until = active_until(rng, w.clock.anchor(), status, created);
        let industry = w.industry_ids.get(TRADES[company.trade].2).cloned();
        let id = prefix_id("ACC", created, rng);
        w.accounts.push(account::Model {
            account_id: id.clone(),
            account_name: company.name.clone(),
            unified_social_credit_code: Some(names::unique_credit_code(rng, division, &mut taken.credit_codes)),
            account_type,
            industry_id: industry.clone(),
            account_status: status,
            account_level: level,
            annual_revenue: Some(Decimal::new(revenue_wan * 100 + rng.random_range(0..100), 2)),
            employee_count: Some(employees),
            company_website: Some(format!("https://www.{}", company.domain)),
            company_address: Some(names::address(rng, city, place)),
            province: Some(city.province.into()),
            city: Some(city.city.into()),
            district: Some(district.into()),
            account_source: Some(source),
            primary_channel_id: channel,
            owner_user_id: owner.clone(),
            created_at: created,
            updated_at: between(rng, created, active_until.max(created + days(1))),
            custom_fields: Some(json!({
                "crm_id": format!("CRM{:06}", i + 1),
                "region": REGIONS[region_of(city.province)].1,
            })),
            lifecycle_stage: lifecycle(rng, account_type, status),
            merged_into_id: None,
        });
        w.facts.push(AccountFacts {
            id,
            name: company.name,
            city: city_index,
            domain: company.domain,
            industry,
            owner,
            created_at: created,
            active_until,
            weight: 0.0,
            contacts: Vec::new(),
            leads: Vec::new(),
        });
    }
    zipf_weights(w, rng);
}

fn unique_company(rng: &mut impl Rng, city: &City, taken: &mut Taken) -> Company {
    loop {
        let company = names::company(rng, city);
        if taken.company_names.insert(company.name.clone()) {
            return company;
        }
    }
}

/// When an account's activity stops: now for active accounts, months ago for the others.
fn active_until(
    rng: &mut impl Rng,
    anchor: DateTime<Utc>,
    status: AccountStatus,
    created: DateTime<Utc>,
) -> DateTime<Utc> {
    let until = match status {
        AccountStatus::Active => anchor,
        AccountStatus::Dormant => anchor - days(rng.random_range(90..240)),
        AccountStatus::Churned => anchor - days(rng.random_range(200..500)),
        AccountStatus::Blacklist => anchor - days(rng.random_range(150..400)),
    };
    until.max(created + days(45)).min(anchor)
}

fn lifecycle(rng: &mut impl Rng, ty: AccountType, status: AccountStatus) -> Option<AccountLifecycleStage> {
    use AccountLifecycleStage as L;
    let gone = matches!(status, AccountStatus::Churned | AccountStatus::Blacklist);
    Some(match ty {
        AccountType::Customer if gone => weighted(rng, &[(L::Churn, 70), (L::Winback, 30)]),
        AccountType::Customer | AccountType::Partner => weighted(rng, &[(L::Retention, 60), (L::Expansion, 40)]),
        AccountType::Prospect if gone => L::Awareness,
        AccountType::Prospect => weighted(rng, &[(L::Awareness, 40), (L::Consideration, 35), (L::Decision, 25)]),
        AccountType::Competitor => return None,
    })
}

/// Activity share per account: Zipf (1/rank) over a ranking that favours strategic and important
/// accounts, damped for accounts that are no longer active. A few accounts get most activity.
fn zipf_weights(w: &mut World, rng: &mut impl Rng) {
    let mut keyed: Vec<(f64, usize)> = w
        .accounts
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let bonus = match a.account_level {
                Some(AccountLevel::Strategic) => 2.0,
                Some(AccountLevel::Important) => 1.0,
                _ => 0.0,
            };
            (bonus + rng.random::<f64>() * 1.5, i)
        })
        .collect();
    keyed.sort_by(|a, b| b.0.total_cmp(&a.0));
    for (rank, &(_, i)) in keyed.iter().enumerate() {
        let damping = match w.accounts[i].account_status {
            AccountStatus::Active => 1.0,
            AccountStatus::Dormant => 0.4,
            AccountStatus::Churned => 0.25,
            AccountStatus::Blacklist => 0.1,
        };
        w.facts[i].weight = damping / (rank as f64 + 1.0);
    }
}

/// Parent/child groups among the largest accounts; branch offices get the legal branch name
/// (parent name + city + 分公司).
pub fn account_relations(w: &mut World, rng: &mut impl Rng, taken: &mut Taken) -> Vec<Vec<usize>> {
    let n = w.accounts.len();
    let mut groups_of = vec![Vec::new(); n];
    if n < 4 {
        return groups_of;
    }
    let mut by_weight: Vec<usize> = (0..n).collect();
    by_weight.sort_by(|&a, &b| w.facts[b].weight.total_cmp(&w.facts[a].weight));
    let parents: Vec<usize> = by_weight.iter().copied().take((n * 3 / 100).max(1)).collect();
    let mut used: HashSet<usize> = parents.iter().copied().collect();
    for &p in &parents {
        for _ in 0..rng.random_range(2..=4) {
            let c = rng.random_range(0..n);
            if !used.insert(c) {
                continue;
            }
            let ty = weighted(rng, RELATION_TYPES);
            if ty == AccountRelationType::Branch && w.facts[c].city != w.facts[p].city {
                let branch = format!("{}{}分公司", w.facts[p].name, w.facts[c].city().short);
                if taken.company_names.insert(branch.clone()) {
                    w.accounts[c].account_name = branch.clone();
                    w.facts[c].name = branch;
                }
            }
            let at = between(rng, w.facts[p].created_at.max(w.facts[c].created_at), w.clock.anchor());
            w.account_relations.push(account_relation::Model {
                relation_id: prefix_id("ARL", at, rng),
                parent_account_id: w.facts[p].id.clone(),
                child_account_id: w.facts[c].id.clone(),
                relation_type: ty,
                created_at: at,
            });
            groups_of[p].push(c);
            groups_of[c].push(p);
        }
    }
    groups_of
}

pub fn account_identities(w: &mut World, rng: &mut impl Rng, taken: &mut Taken) {
    for i in 0..w.accounts.len() {
        let kinds = [
            (0.4, "wecom_sales", IdentityType::CorpId),
            (0.3, "web_product", IdentityType::Custom),
            (0.1, "marketplace", IdentityType::UserId),
        ];
        for (odds, key, ty) in kinds {
            if !rng.random_bool(odds) {
                continue;
            }
            let channel = w.channel(key);
            let value = loop {
                let v = match ty {
                    IdentityType::CorpId => format!("ww{}", random_string(rng, HEX, 16)),
                    IdentityType::Custom => format!("corp-{}", random_string(rng, LOWER_ALNUM, 10)),
                    _ => format!("tenant_{}", random_string(rng, LOWER_ALNUM, 12)),
                };
                if taken.identities.insert(format!("{channel}|{v}")) {
                    break v;
                }
            };
            let f = &w.facts[i];
            let first = after(rng, f.created_at, 0..30 * DAY);
            let last = between(rng, first, f.active_until.max(first));
            w.account_identities.push(account_channel_identity::Model {
                identity_id: prefix_id("ACI", first, rng),
                account_id: f.id.clone(),
                channel_id: channel,
                channel_account_id: value,
                identity_type: Some(ty),
                is_verified: rng.random_bool(0.7),
                first_seen_at: Some(first),
                last_seen_at: Some(last),
                additional_info: Some(json!({ "corp_name": f.name })),
            });
        }
    }
}

pub fn contacts(w: &mut World, rng: &mut impl Rng, n: usize, groups_of: &[Vec<usize>], taken: &mut Taken) {
    let accounts = w.accounts.len();
    let picker = Picker::new(w.facts.iter().map(|f| f.weight.sqrt())).expect("accounts");
    for k in 0..n {
        // Every account gets one contact first (its primary contact), the rest follow the skew.
        let a = if k < accounts { k } else { picker.pick(rng) };
        let f = &w.facts[a];
        let person = names::person(rng);
        let &(title, department, decides) = JOBS.choose(rng).expect("jobs");
        let is_decision_maker = rng.random_bool(decides);
        let created = within(rng, f.created_at, (f.active_until - days(1)).max(f.created_at + days(1)), &OFFICE);
        let pii = pii(rng, &person, &f.domain.clone(), taken, [0.95, 0.9, 0.6]);
        let f = &w.facts[a];
        let source = weighted(rng, CONTACT_SOURCES);
        let channel = source_channel(rng, source).map(|k| w.channel(k));
        let owner = f.owner.clone();
        let account_type = w.accounts[a].account_type;
        let id = prefix_id("CNT", created, rng);
        w.contacts.push(contact::Model {
            contact_id: id.clone(),
            contact_name: person.name.clone(),
            mobile_phone: pii.mobile_phone,
            email: pii.email,
            wechat_id: pii.wechat_id,
            mobile_phone_bidx: None,
            email_bidx: None,
            wechat_id_bidx: None,
            job_title: Some(title.into()),
            department: Some(department.into()),
            contact_status: weighted(rng, CONTACT_STATUSES),
            primary_account_id: Some(f.id.clone()),
            contact_source: Some(source),
            primary_channel_id: channel,
            owner_user_id: owner,
            created_at: created,
            updated_at: between(rng, created, w.clock.anchor()),
            custom_fields: Some(json!({
                "preferred_contact": one(rng, &["wechat", "phone", "email"]),
                "birthday_month": rng.random_range(1..=12),
            })),
            lifecycle_stage: Some(contact_lifecycle(rng, account_type)),
            is_decision_maker,
            is_verified: rng.random_bool(0.6),
            merged_into_id: None,
        });
        let role = role_in_account(is_decision_maker, department);
        let level = if is_decision_maker { DecisionLevel::DecisionMaker } else { weighted(rng, SUPPORTING_LEVELS) };
        link(w, rng, a, k, role, level, k < accounts, None);
        if rng.random_bool(0.12) {
            second_account(w, rng, a, k, groups_of);
        }
        w.facts[a].contacts.push(k);
        w.contact_account.push(a);
    }
}

fn contact_lifecycle(rng: &mut impl Rng, ty: AccountType) -> ContactLifecycleStage {
    use ContactLifecycleStage as L;
    match ty {
        AccountType::Customer => weighted(rng, &[(L::Customer, 60), (L::Opportunity, 25), (L::Sql, 15)]),
        AccountType::Prospect => {
            weighted(rng, &[(L::Subscriber, 20), (L::Lead, 30), (L::Mql, 25), (L::Sql, 15), (L::Opportunity, 10)])
        }
        AccountType::Partner => L::Customer,
        AccountType::Competitor => L::Subscriber,
    }
}

fn role_in_account(decides: bool, department: &str) -> &'static str {
    match department {
        _ if decides => "采购决策人",
        "技术部" | "信息中心" | "研发中心" | "数字化部" | "数据部" => "技术评估人",
        "采购部" => "采购对接人",
        "财务部" => "财务审批人",
        _ => "业务使用人",
    }
}

/// Links contact `k` to account `a`; `ended` = (start, end) for a past employment.
#[allow(clippy::too_many_arguments)]
fn link(
    w: &mut World,
    rng: &mut impl Rng,
    a: usize,
    k: usize,
    role: &str,
    level: DecisionLevel,
    primary: bool,
    ended: Option<(DateTime<Utc>, DateTime<Utc>)>,
) {
    let c = &w.contacts[k];
    let at = c.created_at;
    w.account_contacts.push(account_contact_relation::Model {
        relation_id: prefix_id("ACR", at, rng),
        account_id: w.facts[a].id.clone(),
        contact_id: c.contact_id.clone(),
        role_in_account: Some(role.into()),
        decision_level: Some(level),
        is_primary_contact: primary,
        relationship_status: Some(if ended.is_some() {
            RelationshipStatus::Inactive
        } else {
            RelationshipStatus::Active
        }),
        relation_start_date: Some(date(ended.map_or(at, |e| e.0))),
        relation_end_date: ended.map(|e| date(e.1)),
        created_at: at,
        updated_at: at,
    });
}

/// A second account: another company of the same group (still active), or a former employer.
fn second_account(w: &mut World, rng: &mut impl Rng, a: usize, k: usize, groups_of: &[Vec<usize>]) {
    if let Some(&g) = groups_of[a].choose(rng) {
        link(w, rng, g, k, "集团对接人", DecisionLevel::Influencer, false, None);
        return;
    }
    let other = rng.random_range(0..w.accounts.len());
    let joined = w.contacts[k].created_at;
    let since = w.facts[other].created_at;
    if other == a || since >= joined {
        return;
    }
    let left = between(rng, since, joined);
    link(w, rng, other, k, "前任联系人", DecisionLevel::User, false, Some((since, left)));
}

/// Lead status mix by age: fresh leads are new, old ones are decided.
fn lead_status(rng: &mut impl Rng, age_days: i64) -> LeadStatus {
    use LeadStatus as S;
    match age_days {
        ..14 => weighted(rng, &[(S::New, 80), (S::Contacted, 20)]),
        14..90 => weighted(rng, &[(S::New, 20), (S::Contacted, 40), (S::Qualified, 25), (S::Disqualified, 15)]),
        _ => weighted(rng, &[(S::New, 8), (S::Contacted, 30), (S::Qualified, 25), (S::Disqualified, 37)]),
    }
}

fn lead_score(rng: &mut impl Rng, status: LeadStatus) -> i32 {
    match status {
        LeadStatus::New => rng.random_range(5..=60),
        LeadStatus::Contacted => rng.random_range(20..=80),
        LeadStatus::Qualified | LeadStatus::Converted => rng.random_range(55..=100),
        LeadStatus::Disqualified => rng.random_range(0..=40),
    }
}

pub fn grade(score: i32) -> Grade {
    match score {
        80.. => Grade::A,
        60..80 => Grade::B,
        40..60 => Grade::C,
        _ => Grade::D,
    }
}

/// Campaign running (or in its two-week follow-up) at `at`, optionally of one type; cancelled
/// campaigns did not run and produce nothing.
pub fn campaign_at(w: &World, rng: &mut impl Rng, at: DateTime<Utc>, ty: Option<CampaignType>) -> Option<usize> {
    let d = date(at);
    let running: Vec<usize> = w
        .campaigns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.campaign_status != CampaignStatus::Cancelled)
        .filter(|(_, c)| ty.is_none_or(|t| c.campaign_type == t))
        .filter(|(_, c)| match (c.start_date, c.end_date) {
            (Some(s), Some(e)) => s <= d && d <= e + chrono::Days::new(14),
            _ => false,
        })
        .map(|(i, _)| i)
        .collect();
    running.choose(rng).copied()
}

/// A lead as captured, before its status-specific fields.
struct Capture {
    created: DateTime<Utc>,
    person: Person,
    company: String,
    city: &'static City,
    industry: Option<String>,
    source: SourceType,
    campaign: Option<usize>,
    pii: Pii,
    owner_hint: Option<String>,
}

pub fn leads(w: &mut World, rng: &mut impl Rng, n: usize, taken: &mut Taken) {
    let converted = (n / 10).min(w.contacts.len() * 45 / 100);
    for k in index::sample(rng, w.contacts.len(), converted).into_vec() {
        converted_lead(w, rng, k);
    }
    let affiliated = Picker::new(w.facts.iter().map(|f| f.weight.powf(0.7))).expect("accounts");
    let unknown: Vec<(Company, &'static City)> = (0..(n / 6).max(3))
        .map(|_| {
            let city = &CITIES[rng.random_range(0..CITIES.len())];
            (unique_company(rng, city, taken), city)
        })
        .collect();
    campaign_leads(w, rng, n, &affiliated, &unknown, taken);
    while w.leads.len() < n {
        if rng.random_bool(0.6) {
            let a = affiliated.pick(rng);
            let source = weighted(rng, INBOUND_LEAD_SOURCES);
            let f = &w.facts[a];
            let created = within(rng, f.created_at, f.active_until, lead_rhythm(source));
            let person = names::person(rng);
            let domain = f.domain.clone();
            let capture = Capture {
                created,
                company: f.name.clone(),
                city: f.city(),
                industry: f.industry.clone(),
                owner_hint: f.owner.clone(),
                source,
                campaign: None,
                pii: pii(rng, &person, &domain, taken, [0.9, 0.7, 0.35]),
                person,
            };
            w.facts[a].leads.push(w.leads.len());
            w.lead_account.push(Some(a));
            open_lead(w, rng, capture);
        } else {
            let (company, city) = unknown.choose(rng).expect("companies");
            let person = names::person(rng);
            let source = weighted(rng, OUTBOUND_LEAD_SOURCES);
            let capture = Capture {
                created: within(rng, w.clock.start(), w.clock.anchor(), lead_rhythm(source)),
                company: company.name.clone(),
                city,
                industry: w.industry_ids.get(TRADES[company.trade].2).cloned(),
                owner_hint: None,
                source,
                campaign: None,
                pii: pii(rng, &person, &company.domain, taken, [0.9, 0.6, 0.3]),
                person,
            };
            w.lead_account.push(None);
            open_lead(w, rng, capture);
        }
    }
}

/// When leads from `source` arrive: people fill in web and mini-program forms on their own time
/// (evenings included); leads from calls, fairs, lists and partners are entered by staff at work.
fn lead_rhythm(source: SourceType) -> &'static Rhythm {
    match source {
        SourceType::Website | SourceType::Form | SourceType::Api | SourceType::Campaign => &WEB,
        _ => &OFFICE,
    }
}

/// The leads each campaign that ran produced, captured while it ran or in the two weeks after:
/// about an eighth of all leads, more per exhibition or summit, fewer so far for a campaign still
/// running. Every campaign that ran thus has leads to show for its cost (`marketing::costs`
/// derives the cost from them); cancelled and planned campaigns have none.
fn campaign_leads(
    w: &mut World,
    rng: &mut impl Rng,
    n: usize,
    affiliated: &Picker,
    unknown: &[(Company, &'static City)],
    taken: &mut Taken,
) {
    let anchor = w.clock.anchor();
    let share = n as f64 * 0.12 / w.campaigns.len().max(1) as f64;
    let midnight = |d: chrono::NaiveDate| d.and_time(chrono::NaiveTime::MIN).and_utc();
    for c in 0..w.campaigns.len() {
        let camp = &w.campaigns[c];
        if matches!(camp.campaign_status, CampaignStatus::Cancelled | CampaignStatus::Planned) {
            continue;
        }
        let (Some(first), Some(last)) = (camp.start_date, camp.end_date) else { continue };
        let (from, end) = (midnight(first), midnight(last) + days(15));
        let to = end.min(anchor);
        if from >= to {
            continue;
        }
        let ty = camp.campaign_type;
        let pull = match ty {
            CampaignType::Exhibition | CampaignType::Summit => 2.5,
            CampaignType::Conference => 1.5,
            CampaignType::ProductTrial | CampaignType::ContentMarketing => 0.8,
            _ => 1.0,
        };
        let elapsed = (to - from).num_seconds() as f64 / (end - from).num_seconds() as f64;
        let k = ((share * pull * elapsed).round() as usize).max(1);
        let source = if ty == CampaignType::Exhibition { SourceType::Exhibition } else { SourceType::Campaign };
        for _ in 0..k {
            if w.leads.len() >= n {
                return;
            }
            let created = within(rng, from, to, lead_rhythm(source));
            // A known company active at the time, or a company not in the CRM yet.
            let a = affiliated.pick(rng);
            let known = (w.facts[a].created_at..w.facts[a].active_until).contains(&created) && rng.random_bool(0.5);
            let person = names::person(rng);
            let capture = if known {
                let f = &w.facts[a];
                let domain = f.domain.clone();
                Capture {
                    created,
                    company: f.name.clone(),
                    city: f.city(),
                    industry: f.industry.clone(),
                    owner_hint: f.owner.clone(),
                    source,
                    campaign: Some(c),
                    pii: pii(rng, &person, &domain, taken, [0.9, 0.7, 0.35]),
                    person,
                }
            } else {
                let (company, city) = unknown.choose(rng).expect("companies");
                Capture {
                    created,
                    company: company.name.clone(),
                    city,
                    industry: w.industry_ids.get(TRADES[company.trade].2).cloned(),
                    owner_hint: None,
                    source,
                    campaign: Some(c),
                    pii: pii(rng, &person, &company.domain, taken, [0.9, 0.6, 0.3]),
                    person,
                }
            };
            if known {
                w.facts[a].leads.push(w.leads.len());
            }
            w.lead_account.push(known.then_some(a));
            open_lead(w, rng, capture);
        }
    }
}

/// The lead a contact was converted from: same person and PII, captured before the contact.
fn converted_lead(w: &mut World, rng: &mut impl Rng, k: usize) {
    let c = w.contacts[k].clone();
    let a = w.contact_account[k];
    let converted_at = c.created_at;
    let source = match c.contact_source {
        Some(SourceType::Import) | None => SourceType::Website,
        Some(s) => s,
    };
    let created =
        within(rng, converted_at - days(60), converted_at - days(3), lead_rhythm(source)).max(w.clock.start());
    let campaign = rng.random_bool(0.3).then(|| campaign_at(w, rng, created, None)).flatten();
    let score = lead_score(rng, LeadStatus::Converted);
    let f = &w.facts[a];
    let city = f.city();
    let id = prefix_id("LEAD", created, rng);
    w.leads.push(lead::Model {
        lead_id: id,
        lead_name: c.contact_name.clone(),
        company_name: Some(f.name.clone()),
        mobile_phone: c.mobile_phone.clone(),
        email: c.email.clone(),
        wechat_id: c.wechat_id.clone(),
        mobile_phone_bidx: None,
        email_bidx: None,
        wechat_id_bidx: None,
        job_title: c.job_title.clone(),
        lead_source: source,
        channel_id: c.primary_channel_id.clone(),
        campaign_id: campaign.map(|i| w.campaigns[i].campaign_id.clone()),
        lead_status: LeadStatus::Converted,
        lead_score: score,
        lead_grade: Some(grade(score)),
        industry_id: f.industry.clone(),
        province: Some(city.province.into()),
        city: Some(city.city.into()),
        owner_user_id: c.owner_user_id.clone(),
        created_at: created,
        updated_at: converted_at,
        last_contacted_at: Some(within(rng, created, converted_at, &OFFICE)),
        converted_at: Some(converted_at),
        converted_contact_id: Some(c.contact_id.clone()),
        converted_account_id: Some(f.id.clone()),
        converted_opportunity_id: None,
        custom_fields: Some(interest(rng)),
        is_qualified: true,
        owner_team_id: None,
        owner_lease_until: None,
        lease_extensions: 0,
    });
    w.facts[a].leads.push(w.leads.len() - 1);
    w.lead_account.push(Some(a));
}

fn interest(rng: &mut impl Rng) -> serde_json::Value {
    json!({
        "product_interest": one(rng, &["CDP", "营销自动化", "SCRM", "BI", "AI评分"]),
        "budget": one(rng, &["10万以下", "10-50万", "50-100万", "100万以上"]),
    })
}

fn open_lead(w: &mut World, rng: &mut impl Rng, mut cap: Capture) {
    // Campaign and exhibition leads come from a campaign running when they were captured.
    let wanted = match cap.source {
        SourceType::Campaign => Some(None),
        SourceType::Exhibition => Some(Some(CampaignType::Exhibition)),
        SourceType::Form if rng.random_bool(0.2) => Some(None),
        _ => None,
    };
    if cap.campaign.is_none()
        && let Some(ty) = wanted
    {
        cap.campaign = campaign_at(w, rng, cap.created, ty);
        if cap.campaign.is_none() && cap.source == SourceType::Campaign {
            cap.source = SourceType::Website;
        }
    }
    let channel = match cap.campaign {
        Some(i) => {
            w.campaigns[i].channel_ids.as_ref().and_then(|ids| ids.get(0)).and_then(|v| v.as_str()).map(str::to_owned)
        }
        None => source_channel(rng, cap.source).map(|k| w.channel(k)),
    };
    let status = lead_status(rng, (w.clock.anchor() - cap.created).num_days());
    let score = lead_score(rng, status);
    let owner = match status {
        LeadStatus::New if rng.random_bool(0.5) => None,
        _ => Some(cap.owner_hint.clone().unwrap_or_else(|| w.sales_for(rng, cap.city.province))),
    };
    let contacted = (status != LeadStatus::New).then(|| {
        let until = (cap.created + days(30)).min(w.clock.anchor());
        within(rng, cap.created + chrono::Duration::seconds(HOUR), until, &OFFICE)
    });
    // An owned lead's lease runs 30 days (the default protection period) from its last follow-up.
    let lease = owner.as_ref().map(|_| contacted.unwrap_or(cap.created) + days(30));
    let id = prefix_id("LEAD", cap.created, rng);
    w.leads.push(lead::Model {
        lead_id: id,
        lead_name: cap.person.name.clone(),
        company_name: Some(cap.company),
        mobile_phone: cap.pii.mobile_phone,
        email: cap.pii.email,
        wechat_id: cap.pii.wechat_id,
        mobile_phone_bidx: None,
        email_bidx: None,
        wechat_id_bidx: None,
        job_title: rng.random_bool(0.85).then(|| JOBS.choose(rng).expect("jobs").0.to_owned()),
        lead_source: cap.source,
        channel_id: channel,
        campaign_id: cap.campaign.map(|i| w.campaigns[i].campaign_id.clone()),
        lead_status: status,
        lead_score: score,
        lead_grade: Some(grade(score)),
        industry_id: cap.industry,
        province: Some(cap.city.province.into()),
        city: Some(cap.city.city.into()),
        owner_user_id: owner,
        created_at: cap.created,
        updated_at: contacted.unwrap_or(cap.created),
        last_contacted_at: contacted,
        converted_at: None,
        converted_contact_id: None,
        converted_account_id: None,
        converted_opportunity_id: None,
        custom_fields: Some(interest(rng)),
        is_qualified: status == LeadStatus::Qualified,
        owner_team_id: None,
        owner_lease_until: lease,
        lease_extensions: 0,
    });
}

/// The id a channel gives a person, shaped like the channel's real ids.
fn channel_user_id(
    rng: &mut impl Rng,
    ty: ChannelType,
    pii: (&Option<String>, &Option<String>),
) -> (String, IdentityType) {
    match ty {
        ChannelType::Wechat if rng.random_bool(0.2) => {
            (format!("oU{}", random_string(rng, BASE64URL, 26)), IdentityType::Unionid)
        }
        ChannelType::Wechat => (format!("o{}", random_string(rng, BASE64URL, 27)), IdentityType::Openid),
        ChannelType::EnterpriseWechat => (format!("wm{}", random_string(rng, BASE64URL, 30)), IdentityType::UserId),
        ChannelType::Douyin => (format!("dy{}", random_string(rng, LOWER_ALNUM, 24)), IdentityType::UserId),
        // Channel user ids are stored in plaintext, so e-mail and phone channels carry the
        // platform's subscriber id, never the address or number itself (those are encrypted PII).
        ChannelType::Email => match pii.1 {
            Some(_) => (format!("edm_{}", random_string(rng, HEX, 16)), IdentityType::Email),
            None => (format!("edm_{}", random_string(rng, HEX, 16)), IdentityType::Custom),
        },
        ChannelType::Phone => match pii.0 {
            Some(_) => (format!("tel_{}", random_string(rng, HEX, 12)), IdentityType::Phone),
            None => (format!("tel_{}", random_string(rng, HEX, 12)), IdentityType::Custom),
        },
        ChannelType::Website | ChannelType::Seo | ChannelType::Sem => {
            (format!("ck_{}", random_string(rng, HEX, 32)), IdentityType::CookieId)
        }
        _ => (format!("ext_{}", random_string(rng, LOWER_ALNUM, 16)), IdentityType::Custom),
    }
}

fn channel_type(w: &World, channel_id: &str) -> ChannelType {
    w.channels.iter().find(|c| c.channel_id == channel_id).map_or(ChannelType::Website, |c| c.channel_type)
}

/// A lead identity carried over to the converted contact: channel, user id, type, first seen.
type CopiedIdentity = (String, String, IdentityType, DateTime<Utc>);

/// Channel identities of leads (as captured) and contacts (copied from their source lead on
/// conversion, plus identities of their own).
pub fn identities(w: &mut World, rng: &mut impl Rng, taken: &mut Taken) {
    let web = w.channel("web_product");
    let mut from_lead: Vec<Option<CopiedIdentity>> = vec![None; w.contacts.len()];
    let contact_index: std::collections::HashMap<String, usize> =
        w.contacts.iter().enumerate().map(|(i, c)| (c.contact_id.clone(), i)).collect();
    for i in 0..w.leads.len() {
        let l = &w.leads[i];
        let channel = l.channel_id.clone().unwrap_or_else(|| web.clone());
        let ty = channel_type(w, &channel);
        let (user_id, id_type) = unique_identity(rng, ty, &channel, (&l.mobile_phone, &l.email), taken);
        let web_like = matches!(ty, ChannelType::Website | ChannelType::Seo | ChannelType::Sem);
        let utm = web_like.then(
            || json!({ "utm_source": "baidu", "utm_medium": if ty == ChannelType::Sem { "cpc" } else { "organic" } }),
        );
        let (lead_id, created) = (l.lead_id.clone(), l.created_at);
        if let Some(k) = l.converted_contact_id.as_ref().and_then(|c| contact_index.get(c)) {
            from_lead[*k] = Some((channel.clone(), user_id.clone(), id_type, created));
        }
        w.lead_identities.push(lead_channel_identity::Model {
            identity_id: prefix_id("LCI", created, rng),
            lead_id,
            channel_id: channel,
            channel_user_id: user_id,
            captured_at: created,
            utm_params: utm,
            additional_info: Some(json!({ "capture": if web_like { "web_form" } else { "channel_sync" } })),
        });
    }
    for (k, copied) in from_lead.into_iter().enumerate() {
        contact_identities(w, rng, k, copied, taken);
    }
}

fn unique_identity(
    rng: &mut impl Rng,
    ty: ChannelType,
    channel: &str,
    pii: (&Option<String>, &Option<String>),
    taken: &mut Taken,
) -> (String, IdentityType) {
    loop {
        let (v, t) = channel_user_id(rng, ty, pii);
        if taken.identities.insert(format!("{channel}|{v}")) {
            return (v, t);
        }
        // A phone/e-mail already used on this channel: fall back to a random id.
        let (v, t) = channel_user_id(rng, ty, (&None, &None));
        if taken.identities.insert(format!("{channel}|{v}")) {
            return (v, t);
        }
    }
}

const CONTACT_CHANNELS: &[&str] = &["wx_mp", "wecom_sales", "web_product", "dy_account", "edm_monthly", "phone_400"];

fn contact_identities(w: &mut World, rng: &mut impl Rng, k: usize, copied: Option<CopiedIdentity>, taken: &mut Taken) {
    let c = w.contacts[k].clone();
    let until = w.facts[w.contact_account[k]].active_until.max(c.created_at);
    let mut rows = Vec::new();
    if let Some((channel, user_id, ty, seen)) = copied {
        rows.push((channel, user_id, ty, seen));
    }
    let extra = rng.random_range(0..=2);
    for key in CONTACT_CHANNELS.choose_multiple(rng, extra) {
        let channel = w.channel(key);
        if rows.iter().any(|r| r.0 == channel) {
            continue;
        }
        let (user_id, ty) =
            unique_identity(rng, channel_type(w, &channel), &channel, (&c.mobile_phone, &c.email), taken);
        let seen = (c.created_at - days(rng.random_range(0..30))).max(w.clock.start());
        rows.push((channel, user_id, ty, seen));
    }
    for (i, (channel, user_id, ty, first)) in rows.into_iter().enumerate() {
        w.contact_identities.push(contact_channel_identity::Model {
            identity_id: prefix_id("CCI", first, rng),
            contact_id: c.contact_id.clone(),
            channel_id: channel,
            channel_user_id: user_id,
            identity_type: Some(ty),
            is_primary: i == 0,
            is_verified: rng.random_bool(0.6),
            first_seen_at: Some(first),
            last_seen_at: Some(between(rng, first, until)),
            additional_info: None,
        });
    }
}

const FLOW: [OpportunityStage; 5] = [
    OpportunityStage::Qualification,
    OpportunityStage::NeedsAnalysis,
    OpportunityStage::Proposal,
    OpportunityStage::Negotiation,
    OpportunityStage::Contract,
];
/// Chance to lose the deal in each stage of [`FLOW`].
const LOSS: [f64; 5] = [0.22, 0.18, 0.18, 0.15, 0.10];
const LOST_REASONS: &[&str] = &["价格因素", "竞争对手", "预算不足", "需求变更", "决策延期"];

fn stage_label(stage: OpportunityStage) -> &'static str {
    match stage {
        OpportunityStage::Lead => "线索",
        OpportunityStage::Qualification => "需求确认",
        OpportunityStage::NeedsAnalysis => "需求分析",
        OpportunityStage::Proposal => "方案报价",
        OpportunityStage::Negotiation => "商务谈判",
        OpportunityStage::Contract => "合同签订",
        OpportunityStage::ClosedWon => "赢单",
        OpportunityStage::ClosedLost => "输单",
    }
}

/// The opportunity being generated: who, when and where it came from.
struct Deal {
    account: usize,
    created: DateTime<Utc>,
    contact: Option<String>,
    lead: Option<usize>,
    source: OpportunitySource,
    kind: OpportunityType,
    campaign: Option<String>,
}

pub fn opportunities(w: &mut World, rng: &mut impl Rng, n: usize) {
    let converted: Vec<usize> =
        (0..w.leads.len()).filter(|&i| w.leads[i].lead_status == LeadStatus::Converted).collect();
    let contact_index: std::collections::HashMap<String, usize> =
        w.contacts.iter().enumerate().map(|(i, c)| (c.contact_id.clone(), i)).collect();
    for i in converted {
        if w.opportunities.len() >= n / 2 || !rng.random_bool(0.5) {
            continue;
        }
        let l = &w.leads[i];
        let contact = l.converted_contact_id.clone();
        let account = contact.as_ref().and_then(|c| contact_index.get(c)).map(|&k| w.contact_account[k]);
        let Some(account) = account else { continue };
        let deal = Deal {
            account,
            created: l.converted_at.unwrap_or(l.created_at),
            contact,
            lead: Some(i),
            source: OpportunitySource::LeadConversion,
            kind: OpportunityType::NewBusiness,
            campaign: l.campaign_id.clone(),
        };
        opportunity(w, rng, deal);
    }
    let factor = |t: AccountType| match t {
        AccountType::Customer => 1.0,
        AccountType::Prospect => 0.6,
        AccountType::Partner => 0.3,
        AccountType::Competitor => 0.0,
    };
    let picker = Picker::new(w.facts.iter().zip(&w.accounts).map(|(f, a)| f.weight.sqrt() * factor(a.account_type)))
        .expect("accounts");
    while w.opportunities.len() < n {
        let account = picker.pick(rng);
        let f = &w.facts[account];
        let created = within(rng, f.created_at + days(7), f.active_until.min(w.clock.anchor() - days(1)), &OFFICE);
        let contact = f
            .contacts
            .iter()
            .map(|&k| &w.contacts[k])
            .filter(|c| c.created_at <= created)
            .max_by_key(|c| (c.is_decision_maker, rng.random_range(0..100)))
            .map(|c| c.contact_id.clone());
        let deal = Deal {
            account,
            created,
            contact,
            lead: None,
            source: weighted(rng, &[(OpportunitySource::DirectSales, 75), (OpportunitySource::Partner, 25)]),
            kind: weighted(rng, OPPORTUNITY_TYPES),
            campaign: rng
                .random_bool(0.2)
                .then(|| campaign_at(w, rng, created, None))
                .flatten()
                .map(|i| w.campaigns[i].campaign_id.clone()),
        };
        opportunity(w, rng, deal);
    }
}

/// Product lines of a deal: quantity × unit price − discount = total price; returns the amount.
fn lines(w: &mut World, rng: &mut impl Rng, opp_id: &str, created: DateTime<Utc>) -> (Decimal, Vec<String>, String) {
    let active: Vec<usize> = (0..PRODUCTS.len()).filter(|&i| PRODUCTS[i].6 == ProductStatus::Active).collect();
    let count = rng.random_range(1..=3);
    let picked: Vec<usize> = active.choose_multiple(rng, count).copied().collect();
    let mut amount = Decimal::ZERO;
    let mut ids = Vec::new();
    for &p in &picked {
        let (name, _, _, ty, pricing, price, _) = PRODUCTS[p];
        let quantity: i32 = match (ty, pricing) {
            (_, PricingModel::UsageBased) => rng.random_range(10..=200),
            (ProductType::Hardware, _) => rng.random_range(1..=20),
            (_, PricingModel::Subscription) => rng.random_range(1..=3),
            _ => rng.random_range(1..=2),
        };
        let unit = (Decimal::new(price, 0) * Decimal::new(rng.random_range(85..=100), 2)).round_dp(2);
        let gross = unit * Decimal::from(quantity);
        let discount = if rng.random_bool(0.5) {
            (gross * Decimal::new(rng.random_range(1..=15), 2)).round_dp(2)
        } else {
            Decimal::ZERO
        };
        let total = gross - discount;
        amount += total;
        let product_id = w.products[p].product_id.clone();
        ids.push(product_id.clone());
        w.opportunity_products.push(opportunity_product::Model {
            opp_product_id: prefix_id("OPRD", created, rng),
            opportunity_id: opp_id.to_owned(),
            product_id,
            quantity,
            unit_price: Some(unit),
            total_price: Some(total),
            discount: Some(discount),
            product_description: Some(format!("{name} × {quantity}")),
        });
    }
    (amount, ids, PRODUCTS[picked[0]].0.to_owned())
}

fn opportunity(w: &mut World, rng: &mut impl Rng, deal: Deal) {
    let f = w.facts[deal.account].clone();
    let id = prefix_id("OPP", deal.created, rng);
    let owner = f.owner.clone().or_else(|| Some(w.sales_for(rng, f.city().province)));
    let (amount, product_ids, first_product) = lines(w, rng, &id, deal.created);
    // Walk the stages until the deal closes or time runs out (inactive accounts lose open deals).
    let anchor = w.clock.anchor();
    let limit = if f.active_until < anchor { (f.active_until + days(30)).min(anchor) } else { anchor };
    let mut t = deal.created;
    let mut stage = FLOW[0];
    let mut reason = None;
    w.stage_history.push(history(rng, &id, None, stage, t, None, owner.clone(), "创建商机"));
    for (i, loss) in LOSS.iter().enumerate() {
        // Stages move when people work: in office hours.
        let next = within(rng, t + days(3 + 2 * i as i64), t + days(20 + 12 * i as i64), &OFFICE);
        let (to, why) = if next >= limit {
            if limit == anchor {
                break; // still open
            }
            (OpportunityStage::ClosedLost, "客户流失")
        } else if rng.random_bool(*loss) {
            (OpportunityStage::ClosedLost, *LOST_REASONS.choose(rng).expect("reasons"))
        } else if i == FLOW.len() - 1 {
            (OpportunityStage::ClosedWon, "成功签约")
        } else {
            (FLOW[i + 1], "阶段推进")
        };
        let at = next.min(limit);
        let duration = (at - t).num_days() as i32;
        let why = if why == "阶段推进" { format!("推进至{}", stage_label(to)) } else { why.to_owned() };
        w.stage_history.push(history(rng, &id, Some(stage), to, at, Some(duration), owner.clone(), &why));
        t = at;
        stage = to;
        if matches!(to, OpportunityStage::ClosedWon | OpportunityStage::ClosedLost) {
            reason = Some(why);
            break;
        }
    }
    let closed = matches!(stage, OpportunityStage::ClosedWon | OpportunityStage::ClosedLost);
    let name: String = format!("{}-{}采购项目", short_name(&f.name), first_product).chars().take(200).collect();
    if let Some(l) = deal.lead {
        w.leads[l].converted_opportunity_id = Some(id.clone());
    }
    w.opportunities.push(opportunity::Model {
        opportunity_id: id,
        opportunity_name: name,
        account_id: f.id.clone(),
        primary_contact_id: deal.contact,
        lead_id: deal.lead.map(|l| w.leads[l].lead_id.clone()),
        opportunity_type: Some(deal.kind),
        opportunity_source: Some(deal.source),
        amount: Some(amount),
        currency: Some(Currency::Cny),
        stage,
        // The write path's default per stage, so seeded deals look like real ones.
        probability: crate::domain::opportunity_stage::default_probability(stage),
        expected_close_date: Some(date(deal.created + days(rng.random_range(60..180)))),
        actual_close_date: closed.then(|| date(t)),
        close_reason: reason,
        owner_user_id: owner,
        product_ids: Some(json!(product_ids)),
        campaign_id: deal.campaign,
        created_at: deal.created,
        updated_at: t,
        custom_fields: Some(json!({
            "contract_type": one(rng, &["annual", "multi_year", "perpetual"]),
            "payment_terms": one(rng, &["quarterly", "annual", "milestone"]),
        })),
        days_in_stage: (anchor - t).num_days() as i32,
        is_won: stage == OpportunityStage::ClosedWon,
        is_lost: stage == OpportunityStage::ClosedLost,
    });
}

#[allow(clippy::too_many_arguments)]
fn history(
    rng: &mut impl Rng,
    opportunity_id: &str,
    from: Option<OpportunityStage>,
    to: OpportunityStage,
    at: DateTime<Utc>,
    duration_days: Option<i32>,
    by: Option<String>,
    reason: &str,
) -> opportunity_stage_history::Model {
    opportunity_stage_history::Model {
        history_id: prefix_id("OSH", at, rng),
        opportunity_id: opportunity_id.to_owned(),
        from_stage: from,
        to_stage: to,
        changed_at: at,
        changed_by_user_id: by,
        change_reason: Some(reason.to_owned()),
        duration_days,
    }
}
