//! Campaigns and their members. Their daily performance is not generated: `seed` recomputes it
//! from the generated rows (`services::performance`), as a server does.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use entity::enums::*;
use entity::*;
use rand::Rng;
use rand::seq::{IndexedRandom, index};
use rust_decimal::Decimal;
use serde_json::json;

use super::clock::{HOUR, between, date, days, prefix_id};
use super::names::CITIES;
use super::world::{World, one, weighted};

const TYPES: [CampaignType; 7] = [
    CampaignType::Webinar,
    CampaignType::Conference,
    CampaignType::Exhibition,
    CampaignType::EmailMarketing,
    CampaignType::ContentMarketing,
    CampaignType::ProductTrial,
    CampaignType::Summit,
];

/// Length in days, cost per lead in yuan and promoting channels (catalogue keys) per campaign
/// type. The cost per lead is a B2B software vendor's: a few hundred yuan for e-mail and content,
/// thousands for a booth or a summit.
fn profile(ty: CampaignType) -> (std::ops::RangeInclusive<i64>, std::ops::Range<i64>, &'static [&'static str]) {
    match ty {
        CampaignType::Webinar => (1..=1, 200..800, &["wx_mp", "edm_monthly", "web_product"]),
        CampaignType::Conference => (1..=3, 800..2_500, &["salon", "wx_mp"]),
        CampaignType::Exhibition => (3..=5, 1_500..4_000, &["ciie", "waic", "digital_expo"]),
        CampaignType::EmailMarketing => (7..=30, 80..300, &["edm_monthly", "edm_product"]),
        CampaignType::ContentMarketing => (30..=90, 150..600, &["web_blog", "wx_mp", "dy_account"]),
        CampaignType::ProductTrial => (30..=60, 400..1_500, &["web_product", "sem_baidu"]),
        CampaignType::Summit => (1..=2, 2_000..5_000, &["thanks", "wx_mp"]),
    }
}

const TOPICS: &[&str] =
    &["从线索到商机", "私域运营增长", "数据驱动的ABM", "AI 线索评分实践", "企业微信 SCRM 实战", "客户旅程编排"];
const EXPOS: &[&str] = &["中国国际进口博览会", "世界人工智能大会", "数字中国建设峰会"];
const AUDIENCES: &[&str] = &[
    "华东地区制造业 IT 负责人",
    "市场总监及数字化负责人",
    "零售与消费品行业会员运营团队",
    "年营收 10 亿以上企业的 CIO",
    "已试用未付费的中小企业客户",
    "存量客户的管理员与业务骨干",
];

fn campaign_name(rng: &mut impl Rng, ty: CampaignType, n: usize, start: NaiveDate) -> String {
    let (year, month) = (start.format("%Y"), start.format("%-m"));
    match ty {
        CampaignType::Webinar => format!("CDP 实战直播第{n}期：{}", TOPICS.choose(rng).expect("topics")),
        CampaignType::Conference => {
            format!("{}客户数据沙龙（{year}年{month}月）", CITIES.choose(rng).expect("cities").short)
        }
        CampaignType::Exhibition => format!("{year} {}", EXPOS.choose(rng).expect("expos")),
        CampaignType::EmailMarketing => format!("{year}年{month}月 EDM：产品更新与案例精选"),
        CampaignType::ContentMarketing => format!("白皮书推广：{}", super::catalog::CONTENTS[n % 4].2),
        CampaignType::ProductTrial => format!("CDP 30天免费试用计划（{year}年{month}月批次）"),
        CampaignType::Summit => format!("{year} 数字化营销增长峰会（{}站）", CITIES.choose(rng).expect("cities").short),
    }
}

/// The campaigns, without budget and cost: those follow from the leads ([`costs`]).
pub fn campaigns(w: &mut World, rng: &mut impl Rng, n: usize) {
    let mut names = HashSet::new();
    for i in 0..n {
        // The first seven cover every type; of those, the e-mail and content campaigns (3, 4) run
        // now and the product trial (5) is still planned.
        let ty = match TYPES.get(i) {
            Some(&ty) => ty,
            None => *TYPES.choose(rng).expect("types"),
        };
        let (length, _, channels) = profile(ty);
        let length = rng.random_range(length);
        let begin = match i {
            3 | 4 => w.clock.anchor() - days(rng.random_range(0..length.max(2) / 2 + 1)),
            5 => w.clock.anchor() + days(rng.random_range(10..60)),
            _ => between(rng, w.clock.start(), w.clock.anchor() - days(length)),
        };
        let (start_date, end_date) = (date(begin), date(begin + days(length - 1)));
        let today = date(w.clock.anchor());
        let status = if end_date < today {
            if rng.random_bool(0.06) { CampaignStatus::Cancelled } else { CampaignStatus::Completed }
        } else if start_date > today {
            CampaignStatus::Planned
        } else if rng.random_bool(0.1) && !matches!(i, 3 | 4) {
            CampaignStatus::Paused
        } else {
            CampaignStatus::Active
        };
        let created = begin - days(rng.random_range(20..60));
        let channel_ids: Vec<String> = channels
            .choose_multiple(rng, if ty == CampaignType::Exhibition { 1 } else { channels.len() })
            .map(|k| w.channel(k))
            .collect();
        let owner = w.marketer(rng);
        w.campaigns.push(campaign::Model {
            campaign_id: prefix_id("CMP", created, rng),
            campaign_name: unique_name(campaign_name(rng, ty, i + 1, start_date), &mut names),
            campaign_type: ty,
            campaign_status: status,
            channel_ids: Some(json!(channel_ids)),
            start_date: Some(start_date),
            end_date: Some(end_date),
            budget: None,
            actual_cost: None,
            target_audience: Some((*AUDIENCES.choose(rng).expect("audiences")).into()),
            owner_user_id: Some(owner),
            created_at: created,
            updated_at: between(rng, created, w.clock.anchor().max(created)),
            custom_fields: Some(json!({ "approval_no": format!("MKT-{:04}", i + 1) })),
        });
    }
}

/// Budget, actual cost and lead target (`custom_fields.kpi_leads`) of every campaign, from the
/// leads it produced: actual cost = leads × a cost per lead drawn from the type's range, so a
/// campaign's cost is always in proportion to its result. Judgement calls: a campaign that has not
/// started (planned) or was cancelled spent nothing (it produced nothing); a planned or cancelled
/// campaign's budget is its lead target × the cost per lead, the target being what campaigns of
/// that type produced on average; a completed campaign used 80–105 % of its budget; a running one
/// is budgeted for its target.
pub fn costs(w: &mut World, rng: &mut impl Rng) {
    let mut leads = vec![0_i64; w.campaigns.len()];
    let index: HashMap<&str, usize> =
        w.campaigns.iter().enumerate().map(|(i, c)| (c.campaign_id.as_str(), i)).collect();
    for l in &w.leads {
        if let Some(&c) = l.campaign_id.as_deref().and_then(|id| index.get(id)) {
            leads[c] += 1;
        }
    }
    // Average leads of a campaign of each type that ran, for the targets of those that did not.
    let mut typical: HashMap<CampaignType, (i64, i64)> = HashMap::new();
    for (c, &n) in w.campaigns.iter().zip(&leads) {
        if c.campaign_status == CampaignStatus::Completed {
            let e = typical.entry(c.campaign_type).or_default();
            e.0 += n;
            e.1 += 1;
        }
    }
    let overall = leads.iter().sum::<i64>() / leads.len().max(1) as i64;
    let round_up = |yuan: i64, to: i64| (yuan + to - 1) / to * to;
    for (c, &n) in w.campaigns.iter_mut().zip(&leads) {
        let (_, cpl, _) = profile(c.campaign_type);
        let cpl = rng.random_range(cpl);
        let usual = typical.get(&c.campaign_type).map_or(overall, |&(sum, count)| sum / count.max(1)).max(1);
        let spent = match c.campaign_status {
            CampaignStatus::Planned | CampaignStatus::Cancelled => 0,
            _ => n * cpl,
        };
        let target = match c.campaign_status {
            CampaignStatus::Completed => n * rng.random_range(90..=130) / 100,
            CampaignStatus::Active | CampaignStatus::Paused => n.max(usual) * rng.random_range(100..=130) / 100,
            _ => usual * rng.random_range(80..=150) / 100,
        };
        let target = round_up(target.max(1), 10);
        let budget = match c.campaign_status {
            CampaignStatus::Completed => spent * 100 / rng.random_range(80..=105),
            _ => target * cpl,
        };
        let budget = round_up(budget.max(1), 1_000);
        c.budget = Some(Decimal::new(budget * 100, 2));
        c.actual_cost = Some(Decimal::new(spent * 100, 2));
        if let Some(fields) = c.custom_fields.as_mut().and_then(|f| f.as_object_mut()) {
            fields.insert("kpi_leads".into(), json!(target));
        }
    }
}

/// The name itself, or with ·第N场 appended when an earlier campaign already has it.
fn unique_name(name: String, taken: &mut HashSet<String>) -> String {
    let mut candidate = name.clone();
    let mut n = 2;
    while !taken.insert(candidate.clone()) {
        candidate = format!("{name}·第{n}场");
        n += 1;
    }
    candidate
}

fn window(c: &campaign::Model, anchor: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let at = |d: Option<NaiveDate>| d.and_then(|d| d.and_hms_opt(9, 0, 0)).map_or(anchor, |t| t.and_utc());
    (at(c.start_date), at(c.end_date) + days(1) - chrono::Duration::seconds(HOUR * 10))
}

/// Status and response of a member, by campaign type.
fn response(rng: &mut impl Rng, ty: CampaignType, planned: bool) -> (CampaignMemberStatus, ResponseStatus) {
    use CampaignMemberStatus as M;
    use ResponseStatus as R;
    if planned {
        return (M::Invited, R::NoResponse);
    }
    let status = match ty {
        CampaignType::EmailMarketing => weighted(rng, &[(M::Invited, 95), (M::Unsubscribed, 5)]),
        CampaignType::ContentMarketing => weighted(rng, &[(M::Invited, 40), (M::Registered, 60)]),
        CampaignType::ProductTrial => weighted(rng, &[(M::Registered, 60), (M::Attended, 40)]),
        _ => weighted(rng, &[(M::Invited, 30), (M::Registered, 25), (M::Attended, 35), (M::NoShow, 10)]),
    };
    let response = match status {
        M::Attended if rng.random_bool(0.15) => R::Converted,
        M::Attended | M::Registered | M::NoShow => R::Responded,
        M::Invited if ty == CampaignType::EmailMarketing && rng.random_bool(0.2) => R::Responded,
        _ => R::NoResponse,
    };
    (status, response)
}

struct Member {
    campaign: usize,
    kind: EntityType,
    id: String,
    joined: DateTime<Utc>,
    status: CampaignMemberStatus,
    response: ResponseStatus,
    responded: Option<DateTime<Utc>>,
}

fn push_member(w: &mut World, rng: &mut impl Rng, m: Member) {
    let data = m.responded.map(|_| {
        json!({
            "channel": one(rng, &["form", "wechat", "email", "onsite"]),
            "answers": { "company_size": one(rng, &["<100", "100-500", "500-2000", ">2000"]) },
        })
    });
    w.campaign_members.push(campaign_member::Model {
        member_id: prefix_id("CMM", m.joined, rng),
        campaign_id: w.campaigns[m.campaign].campaign_id.clone(),
        member_type: m.kind,
        member_ref_id: m.id,
        member_status: Some(m.status),
        joined_at: Some(m.joined),
        responded_at: m.responded,
        response_status: Some(m.response),
        response_data: data,
    });
}

pub fn members(w: &mut World, rng: &mut impl Rng) {
    let campaign_index: HashMap<String, usize> =
        w.campaigns.iter().enumerate().map(|(i, c)| (c.campaign_id.clone(), i)).collect();
    // Every lead a campaign generated is one of its members.
    for l in 0..w.leads.len() {
        let lead = &w.leads[l];
        let Some(&c) = lead.campaign_id.as_ref().and_then(|id| campaign_index.get(id)) else { continue };
        let (status, response) = match w.campaigns[c].campaign_type {
            CampaignType::Exhibition | CampaignType::Conference | CampaignType::Summit => {
                (CampaignMemberStatus::Attended, ResponseStatus::Responded)
            }
            _ => (CampaignMemberStatus::Registered, ResponseStatus::Responded),
        };
        let converted = lead.lead_status == LeadStatus::Converted;
        let m = Member {
            campaign: c,
            kind: EntityType::Lead,
            id: lead.lead_id.clone(),
            joined: lead.created_at,
            status,
            response: if converted { ResponseStatus::Converted } else { response },
            responded: Some(lead.created_at),
        };
        push_member(w, rng, m);
    }
    let contacts = w.contacts.len();
    for c in 0..w.campaigns.len() {
        let ty = w.campaigns[c].campaign_type;
        let reach = match ty {
            CampaignType::EmailMarketing => 3.0,
            CampaignType::Webinar | CampaignType::ContentMarketing => 1.5,
            CampaignType::ProductTrial => 0.4,
            _ => 0.8,
        };
        let k = ((contacts as f64 * reach * 2.5 / w.campaigns.len() as f64).round() as usize).clamp(1, contacts);
        for i in index::sample(rng, contacts, k).into_vec() {
            contact_member(w, rng, c, i);
        }
        if matches!(ty, CampaignType::Conference | CampaignType::Exhibition | CampaignType::Summit) {
            let count = rng.random_range(1..=5).min(w.accounts.len());
            for a in index::sample(rng, w.accounts.len(), count).into_vec() {
                account_member(w, rng, c, a);
            }
        }
    }
}

fn contact_member(w: &mut World, rng: &mut impl Rng, c: usize, i: usize) {
    let (from, to) = window(&w.campaigns[c], w.clock.anchor());
    let planned = w.campaigns[c].campaign_status == CampaignStatus::Planned;
    let created = w.contacts[i].created_at;
    // Invitations go out up to three weeks before an event; long campaigns enrol while running.
    let (lo, hi) = if (to - from).num_days() <= 5 { (from - days(21), from) } else { (from, to) };
    let (lo, hi) = (lo.max(created), hi.min(w.clock.anchor()));
    if lo >= hi {
        return;
    }
    let joined = between(rng, lo, hi);
    let (status, response) = response(rng, w.campaigns[c].campaign_type, planned);
    let responded = (response != ResponseStatus::NoResponse).then(|| {
        let latest = (to + days(3)).min(w.clock.anchor()).max(joined);
        between(rng, joined, latest)
    });
    let m = Member {
        campaign: c,
        kind: EntityType::Contact,
        id: w.contacts[i].contact_id.clone(),
        joined,
        status,
        response,
        responded,
    };
    push_member(w, rng, m);
}

fn account_member(w: &mut World, rng: &mut impl Rng, c: usize, a: usize) {
    let (from, _) = window(&w.campaigns[c], w.clock.anchor());
    let lo = (from - days(30)).max(w.facts[a].created_at);
    let hi = from.min(w.clock.anchor());
    if lo >= hi {
        return;
    }
    let joined = between(rng, lo, hi);
    let planned = w.campaigns[c].campaign_status == CampaignStatus::Planned;
    let (status, response) = response(rng, w.campaigns[c].campaign_type, planned);
    let responded = (response != ResponseStatus::NoResponse).then(|| between(rng, joined, hi.max(joined)));
    let m = Member {
        campaign: c,
        kind: EntityType::Account,
        id: w.facts[a].id.clone(),
        joined,
        status,
        response,
        responded,
    };
    push_member(w, rng, m);
}
