//! Touchpoints (+ attachments), events, marketing attribution and customer journeys.
//!
//! Activity is spread over accounts by their Zipf-like weight (a few accounts get most of it) and
//! tied to a contact of the account (usually) or to a lead from that company, at a time when that
//! person existed and the account was still active. A converted lead's activity before conversion
//! carries the contact id too (conversion re-points it).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use entity::enums::*;
use entity::*;
use rand::Rng;
use rand::seq::IndexedRandom;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use rust_decimal::prelude::FromPrimitive;
use serde_json::json;
use ulid::Ulid;

use super::catalog::{self, JOURNEY_STAGES, WEB_CHANNELS};
use super::clock::{DAY, HOUR, OFFICE, Rhythm, WEB, after, days, prefix_id, within};
use super::crm::campaign_at;
use super::names::{CITIES, HEX, random_string};
use super::world::{Actor, Picker, World, one, weighted};

/// Who can act for one account, and when.
pub struct Actors {
    pub account_id: String,
    pub owner: Option<String>,
    pub city: usize,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub contacts: Vec<Actor>,
    pub leads: Vec<Actor>,
}

/// The actors of every account plus the skewed account picker.
pub struct Plan {
    accounts: Vec<Actors>,
    picker: Picker,
}

/// One drawn actor: the ids to write on the activity row and its time window.
pub struct Pick<'a> {
    pub actors: &'a Actors,
    pub contact_id: Option<String>,
    pub lead_id: Option<String>,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Plan {
    pub fn new(w: &World) -> Self {
        let accounts = w
            .facts
            .iter()
            .map(|f| {
                let contacts = f
                    .contacts
                    .iter()
                    .map(|&k| Actor {
                        id: w.contacts[k].contact_id.clone(),
                        from: w.contacts[k].created_at,
                        until: f.active_until,
                        contact_id: None,
                    })
                    .collect();
                let leads = f
                    .leads
                    .iter()
                    .map(|&l| {
                        let lead = &w.leads[l];
                        Actor {
                            id: lead.lead_id.clone(),
                            from: lead.created_at,
                            until: lead.converted_at.unwrap_or(f.active_until),
                            contact_id: lead.converted_contact_id.clone(),
                        }
                    })
                    .collect();
                Actors {
                    account_id: f.id.clone(),
                    owner: f.owner.clone(),
                    city: f.city,
                    from: f.created_at,
                    until: f.active_until,
                    contacts,
                    leads,
                }
            })
            .collect();
        let picker = Picker::new(w.facts.iter().map(|f| f.weight)).expect("accounts");
        Self { accounts, picker }
    }

    /// An account by activity share, then a contact (with `contact_share`) or a lead of it.
    pub fn pick(&self, rng: &mut impl Rng, contact_share: f64) -> Pick<'_> {
        let a = &self.accounts[self.picker.pick(rng)];
        let use_lead = !a.leads.is_empty() && (a.contacts.is_empty() || !rng.random_bool(contact_share));
        let actor = if use_lead { a.leads.choose(rng) } else { a.contacts.choose(rng) };
        match actor {
            Some(x) if x.from < x.until => Pick {
                actors: a,
                contact_id: if use_lead { x.contact_id.clone() } else { Some(x.id.clone()) },
                lead_id: use_lead.then(|| x.id.clone()),
                from: x.from,
                until: x.until,
            },
            _ => Pick { actors: a, contact_id: None, lead_id: None, from: a.from, until: a.until },
        }
    }
}

fn touchpoint_kind(rng: &mut impl Rng, lead: bool) -> TouchpointType {
    use TouchpointType as T;
    if lead {
        weighted(
            rng,
            &[
                (T::PageView, 25),
                (T::FormSubmit, 10),
                (T::Download, 8),
                (T::Email, 15),
                (T::Call, 17),
                (T::Chat, 8),
                (T::SocialInteraction, 5),
                (T::Meeting, 2),
            ],
        )
    } else {
        weighted(
            rng,
            &[
                (T::PageView, 18),
                (T::FormSubmit, 5),
                (T::Download, 6),
                (T::Email, 22),
                (T::Call, 14),
                (T::Meeting, 8),
                (T::Chat, 8),
                (T::SocialInteraction, 5),
            ],
        )
    }
}

/// When a touchpoint of `kind` happens: sales work in office hours, the customer's own browsing,
/// chatting and social media on the web's rhythm (evening peak).
fn rhythm(kind: TouchpointType) -> &'static Rhythm {
    use TouchpointType as T;
    match kind {
        T::Call | T::Meeting | T::Email => &OFFICE,
        T::PageView | T::FormSubmit | T::Download | T::EmailOpen | T::EmailClick | T::Chat | T::SocialInteraction => {
            &WEB
        }
    }
}

fn touchpoint_channel(rng: &mut impl Rng, kind: TouchpointType, outbound: bool) -> &'static str {
    use TouchpointType as T;
    let keys: &[&str] = match kind {
        T::PageView | T::FormSubmit | T::Download => WEB_CHANNELS,
        T::Email | T::EmailOpen | T::EmailClick => &["edm_monthly", "edm_product"],
        T::Call if outbound => &["phone_out"],
        T::Call => &["phone_400"],
        T::Meeting => &["visit"],
        T::Chat => &["web_chat", "wecom_sales"],
        T::SocialInteraction => &["dy_account", "wx_mp", "wx_channels"],
    };
    keys.choose(rng).copied().unwrap_or("web_product")
}

fn subject(rng: &mut impl Rng, kind: TouchpointType, content: Option<&str>, campaign: Option<&str>) -> String {
    use TouchpointType as T;
    let text = match kind {
        T::PageView => format!("浏览：{}", PAGES.choose(rng).expect("pages").1),
        T::FormSubmit => {
            format!("提交表单：{}", ["申请试用", "预约演示", "获取报价", "下载资料"].choose(rng).expect("forms"))
        }
        T::Download => format!("下载：{}", content.unwrap_or("产品手册")),
        T::Email | T::EmailOpen | T::EmailClick => match campaign {
            Some(c) => format!("【活动邀请】{c}"),
            None => {
                (*["产品更新速递", "客户案例精选", "行业洞察月刊", "续约提醒"].choose(rng).expect("mails")).to_owned()
            }
        },
        T::Call => (*["电话跟进：需求确认", "电话回访：使用情况", "电话沟通：报价说明", "来电咨询：产品功能"]
            .choose(rng)
            .expect("calls"))
        .to_owned(),
        T::Meeting => {
            (*["产品演示会议", "方案汇报", "商务谈判", "季度业务回顾", "技术交流会"].choose(rng).expect("meetings"))
                .to_owned()
        }
        T::Chat => (*["在线咨询：价格方案", "在线咨询：私有化部署", "在线咨询：数据安全"].choose(rng).expect("chats"))
            .to_owned(),
        T::SocialInteraction => {
            (*["抖音视频评论", "公众号文章点赞", "视频号直播互动"].choose(rng).expect("social")).to_owned()
        }
    };
    text.chars().take(200).collect()
}

const NOTES: &[&str] = &[
    "讨论了CDP平台的技术架构和实施方案",
    "客户关注数据安全与私有化部署，约定下周提供方案",
    "确认预算范围与采购流程，需补充竞品对比",
    "客户希望先做小范围试点，再全面推广",
    "演示了线索评分与自动分配，客户反馈积极",
];

/// Generates `n` touchpoints; e-mails are followed by opens and clicks of the same person.
pub fn touchpoints(w: &mut World, rng: &mut impl Rng, plan: &Plan, n: usize) {
    while w.touchpoints.len() < n {
        let p = plan.pick(rng, 0.7);
        let kind = touchpoint_kind(rng, p.lead_id.is_some());
        let at = within(rng, p.from, p.until, rhythm(kind));
        let email = touchpoint(w, rng, &p, kind, at);
        w.touchpoints.push(email);
        if kind == TouchpointType::Email && rng.random_bool(0.45) {
            let opened = within(rng, at + Duration::seconds(600), at + days(3), &WEB);
            if opened < p.until {
                w.touchpoints.push(touchpoint(w, rng, &p, TouchpointType::EmailOpen, opened));
                if rng.random_bool(0.35) {
                    let clicked = after(rng, opened, 30..HOUR);
                    if clicked < p.until {
                        w.touchpoints.push(touchpoint(w, rng, &p, TouchpointType::EmailClick, clicked));
                    }
                }
            }
        }
    }
    w.touchpoints.truncate(n);
    attachments(w, rng);
}

fn touchpoint(w: &World, rng: &mut impl Rng, p: &Pick, kind: TouchpointType, at: DateTime<Utc>) -> touchpoint::Model {
    use TouchpointType as T;
    let outbound = match kind {
        T::Email | T::Meeting => true,
        T::Call => rng.random_bool(0.7),
        _ => false,
    };
    // Calls and meetings: a few were cancelled, a few more are booked for the coming two weeks.
    let anchor = w.clock.anchor();
    let (status, at, created) = match kind {
        T::Call | T::Meeting if p.until == anchor && rng.random_bool(0.02) => {
            let planned = within(rng, anchor + Duration::seconds(HOUR), anchor + days(14), &OFFICE);
            (
                TouchpointStatus::Scheduled,
                planned,
                within(rng, anchor - days(7), anchor - Duration::seconds(HOUR), &OFFICE),
            )
        }
        T::Call | T::Meeting if rng.random_bool(0.03) => (TouchpointStatus::Cancelled, at, at),
        _ => (TouchpointStatus::Completed, at, at),
    };
    let wanted = match kind {
        T::Email | T::EmailOpen | T::EmailClick => Some(CampaignType::EmailMarketing),
        T::Download => Some(CampaignType::ContentMarketing),
        _ => None,
    };
    let campaign = rng.random_bool(0.35).then(|| campaign_at(w, rng, at, wanted)).flatten().map(|i| &w.campaigns[i]);
    let content = match kind {
        T::Download => Some(catalog::content(rng, &[ContentType::Whitepaper, ContentType::CaseStudy])),
        T::Meeting => Some(catalog::content(rng, &[ContentType::Demo, ContentType::Proposal])),
        T::PageView if rng.random_bool(0.2) => {
            Some(catalog::content(rng, &[ContentType::CaseStudy, ContentType::Webinar]))
        }
        _ => None,
    };
    let web = matches!(kind, T::PageView | T::FormSubmit | T::Download);
    let duration = match kind {
        T::Call => Some(rng.random_range(60..1_800)),
        T::Meeting => Some(rng.random_range(1_800..7_200)),
        T::Chat => Some(rng.random_range(60..900)),
        T::PageView => Some(rng.random_range(10..600)),
        _ => None,
    };
    let city = CITIES[p.actors.city].city;
    let metadata = if web {
        json!({ "device": one(rng, &["desktop", "mobile"]), "location": city, "ip": ip(rng) })
    } else if kind == T::Call {
        json!({ "call_result": if status == TouchpointStatus::Completed { "接通" } else { "未接通" } })
    } else {
        json!({ "location": city })
    };
    touchpoint::Model {
        touchpoint_id: prefix_id("TP", created, rng),
        touchpoint_type: kind,
        channel_id: Some(w.channel(touchpoint_channel(rng, kind, outbound))),
        campaign_id: campaign.map(|c| c.campaign_id.clone()),
        contact_id: p.contact_id.clone(),
        lead_id: p.lead_id.clone(),
        account_id: Some(p.actors.account_id.clone()),
        touchpoint_time: at,
        touchpoint_direction: Some(if outbound { TouchpointDirection::Outbound } else { TouchpointDirection::Inbound }),
        touchpoint_status: Some(status),
        content_type: content.map(|c| c.1),
        content_id: content.map(|c| c.0.to_owned()),
        subject: Some(subject(rng, kind, content.map(|c| c.2), campaign.map(|c| c.campaign_name.as_str()))),
        description: matches!(kind, T::Call | T::Meeting).then(|| (*NOTES.choose(rng).expect("notes")).to_owned()),
        duration_seconds: duration,
        owner_user_id: if outbound { p.actors.owner.clone() } else { None },
        metadata: Some(metadata),
        utm_params: (web && rng.random_bool(0.4)).then(|| utm(rng)),
        created_at: created,
    }
}

fn ip(rng: &mut impl Rng) -> String {
    let first = [36, 58, 101, 112, 116, 120, 183, 223].choose(rng).copied().unwrap_or(36);
    format!("{first}.{}.{}.{}", rng.random_range(0..256), rng.random_range(0..256), rng.random_range(1..255))
}

fn utm(rng: &mut impl Rng) -> serde_json::Value {
    let (source, medium) =
        *[("baidu", "cpc"), ("baidu", "organic"), ("wechat", "social"), ("douyin", "video"), ("edm", "email")]
            .choose(rng)
            .expect("utm");
    json!({ "utm_source": source, "utm_medium": medium, "utm_campaign": format!("q{}_growth", rng.random_range(1..=4)) })
}

fn attachments(w: &mut World, rng: &mut impl Rng) {
    const FILES: &[(&str, &str)] =
        &[("产品方案", "pdf"), ("报价单", "xlsx"), ("会议纪要", "docx"), ("演示文稿", "pptx"), ("合同草案", "docx")];
    let mut rows = Vec::new();
    for tp in &w.touchpoints {
        let odds = match (tp.touchpoint_type, tp.touchpoint_status) {
            (_, Some(TouchpointStatus::Scheduled | TouchpointStatus::Cancelled)) => 0.0,
            (TouchpointType::Meeting, _) => 0.4,
            (TouchpointType::Call | TouchpointType::Email, _) => 0.08,
            _ => 0.0,
        };
        if !rng.random_bool(odds) {
            continue;
        }
        for _ in 0..rng.random_range(1..=2) {
            let &(name, ext) = FILES.choose(rng).expect("files");
            let at = after(rng, tp.touchpoint_time, 60..2 * HOUR);
            let id = prefix_id("TPA", at, rng);
            rows.push(touchpoint_attachment::Model {
                file_url: format!(
                    "https://files.cdp360.example.com/touchpoints/{}/{}.{ext}",
                    tp.touchpoint_id,
                    random_string(rng, HEX, 16)
                ),
                attachment_id: id,
                touchpoint_id: tp.touchpoint_id.clone(),
                file_name: format!("{name}_v{}.{ext}", rng.random_range(1..=5)),
                file_type: Some(ext.into()),
                file_size: Some(rng.random_range(50_000..20_000_000)),
                uploaded_at: at,
            });
        }
    }
    w.attachments = rows;
}

const PAGES: &[(&str, &str)] = &[
    ("/", "首页"),
    ("/products/cdp", "CDP 客户数据平台"),
    ("/products/ma", "营销自动化"),
    ("/products/scrm", "企业微信 SCRM"),
    ("/solutions/manufacturing", "制造业解决方案"),
    ("/solutions/retail", "零售解决方案"),
    ("/pricing", "价格方案"),
    ("/cases", "客户案例"),
    ("/resources/whitepaper", "白皮书下载"),
    ("/blog/b2b-cdp-guide", "B2B CDP 选型指南"),
    ("/demo", "预约演示"),
    ("/trial", "免费试用"),
    ("/about", "关于我们"),
];

/// Pages of the WeChat mini-program (page paths as the mini-program reports them) with titles.
const MINI_PROGRAM_PAGES: &[(&str, &str)] = &[
    ("pages/index/index", "首页"),
    ("pages/product/detail?id=cdp", "CDP 客户数据平台"),
    ("pages/product/detail?id=ma", "营销自动化"),
    ("pages/product/detail?id=scrm", "企业微信 SCRM"),
    ("pages/cases/list", "客户案例"),
    ("pages/live/replay", "直播回放"),
    ("pages/resources/whitepaper", "白皮书下载"),
    ("pages/demo/booking", "预约演示"),
    ("pages/trial/apply", "免费试用"),
    ("pages/mine/index", "我的"),
];

/// WeChat scene values a mini-program session starts from: 1001 discovery bar, 1007 a card shared
/// in a chat, 1035 an official-account menu, 1047 a scanned mini-program code, 1089 the recently
/// used list.
const MINI_PROGRAM_SCENES: &[u32] = &[1001, 1007, 1035, 1047, 1089];

/// Browser and operating system pairs seen together.
const DESKTOPS: &[(&str, &str)] = &[
    ("Chrome", "Windows 11"),
    ("Chrome", "Windows 10"),
    ("Edge", "Windows 11"),
    ("Firefox", "Windows 10"),
    ("Chrome", "macOS 14"),
    ("Safari", "macOS 14"),
];
const PHONES: &[(&str, &str)] = &[
    ("微信内置浏览器", "iOS 17"),
    ("微信内置浏览器", "Android 14"),
    ("Safari", "iOS 17"),
    ("Chrome", "Android 14"),
    ("华为浏览器", "HarmonyOS 4"),
];

const REFERRERS: &[Option<&str>] = &[
    Some("https://www.baidu.com/s?wd=客户数据平台"),
    Some("https://www.baidu.com/s?wd=B2B+CDP"),
    Some("https://mp.weixin.qq.com/s/cdp360-weekly"),
    Some("https://www.douyin.com/video/7300000000000000000"),
    Some("https://cn.bing.com/search?q=CDP+厂商"),
    None,
];

/// Streams events session by session, so the largest table never sits in memory at once.
pub struct EventGen {
    plan: Plan,
    rng: ChaCha8Rng,
    remaining: usize,
    web: Vec<String>,
    mini_program: String,
}

/// Where one session happens: on the web site (URL pages) or in the WeChat mini-program (page
/// paths, no web URL, referrer or UTM parameters).
#[derive(Clone, Copy, PartialEq)]
enum Surface {
    Web,
    MiniProgram,
}

impl EventGen {
    pub fn new(w: &World, rng: ChaCha8Rng, total: usize) -> Self {
        Self {
            plan: Plan::new(w),
            rng,
            remaining: total,
            web: ["web_product", "web_solution", "web_blog", "seo_baidu", "sem_baidu"]
                .iter()
                .map(|k| w.channel(k))
                .collect(),
            mini_program: w.channel("wx_mini"),
        }
    }

    pub fn remaining(&self) -> usize {
        self.remaining
    }

    /// Up to `max` further events; empty when all were produced.
    pub fn next_batch(&mut self, max: usize) -> Vec<event::Model> {
        let mut out = Vec::with_capacity(max.min(self.remaining));
        while self.remaining > 0 && out.len() < max {
            let room = self.remaining.min(max - out.len());
            let before = out.len();
            self.session(&mut out, room);
            self.remaining -= out.len() - before;
        }
        out
    }

    /// One visit: a landing page view followed by a few more actions minutes apart, on the web
    /// site or (a third of the phone sessions) in the WeChat mini-program.
    fn session(&mut self, out: &mut Vec<event::Model>, room: usize) {
        let rng = &mut self.rng;
        let p = self.plan.pick(rng, 0.6);
        let mut at = within(rng, p.from, p.until, &WEB);
        let device = weighted(rng, &[(DeviceType::Desktop, 55), (DeviceType::Mobile, 40), (DeviceType::Tablet, 5)]);
        let surface =
            if device == DeviceType::Mobile && rng.random_bool(0.35) { Surface::MiniProgram } else { Surface::Web };
        let (browser, os) = match device {
            DeviceType::Desktop => *DESKTOPS.choose(rng).expect("desktops"),
            DeviceType::Mobile => *PHONES.choose(rng).expect("phones"),
            DeviceType::Tablet => ("Safari", "iPadOS 17"),
        };
        let browser = if surface == Surface::MiniProgram { "微信小程序" } else { browser };
        let session = format!("SESSION_{}", Ulid::from_parts(at.timestamp_millis().max(0) as u64, rng.random()));
        let ip = ip(rng);
        let (channel, pages, mut previous, utm) = match surface {
            Surface::MiniProgram => (self.mini_program.clone(), MINI_PROGRAM_PAGES, None, None),
            Surface::Web => {
                let referrer = *REFERRERS.choose(rng).expect("referrers");
                let channel = self.web.choose(rng).cloned().unwrap_or_default();
                (channel, PAGES, referrer.map(str::to_owned), rng.random_bool(0.35).then(|| utm(rng)))
            }
        };
        let count = (1 + rng.random_range(0..4) + rng.random_range(0..4)).min(room);
        for i in 0..count {
            let kind = if i == 0 { EventType::PageView } else { event_kind(rng) };
            let &(path, title) = pages.choose(rng).expect("pages");
            let url = match surface {
                Surface::MiniProgram => path.to_owned(),
                Surface::Web => format!("https://www.example.com{path}"),
            };
            let mut properties = properties(rng, kind, title);
            if surface == Surface::MiniProgram
                && i == 0
                && let Some(o) = properties.as_object_mut()
            {
                o.insert("scene".into(), json!(MINI_PROGRAM_SCENES.choose(rng).copied().unwrap_or(1001)));
            }
            out.push(event::Model {
                event_id: prefix_id("EVT", at, rng),
                event_name: event_name(kind),
                event_type: kind,
                channel_id: Some(channel.clone()),
                contact_id: p.contact_id.clone(),
                lead_id: p.lead_id.clone(),
                account_id: Some(p.actors.account_id.clone()),
                event_time: at,
                session_id: Some(session.clone()),
                device_type: Some(device),
                browser: Some(browser.into()),
                os: Some(os.into()),
                ip_address: Some(ip.clone()),
                page_url: Some(url.clone()),
                referrer_url: previous.replace(url),
                event_properties: Some(properties),
                utm_params: if i == 0 { utm.clone() } else { None },
                created_at: at,
            });
            at += Duration::seconds(rng.random_range(5..300));
            if at >= p.until {
                break;
            }
        }
    }
}

/// The kind of a later event of a session. One vocabulary: of the enum's synonym pairs
/// (`EventType`, docs/data-model.md lists both the overview's and the detail's values), the
/// generator uses the overview's BUTTON_CLICK and FILE_DOWNLOAD, never CLICK or DOWNLOAD.
fn event_kind(rng: &mut impl Rng) -> EventType {
    use EventType as E;
    weighted(
        rng,
        &[
            (E::PageView, 50),
            (E::ButtonClick, 19),
            (E::Search, 5),
            (E::FormStart, 6),
            (E::FormSubmit, 4),
            (E::FileDownload, 8),
            (E::VideoPlay, 6),
            (E::ProductTrial, 2),
        ],
    )
}

/// An event's name is its type in lower case (`page_view`, `button_click`): one name per kind.
fn event_name(kind: EventType) -> String {
    kind.as_str().to_ascii_lowercase()
}

fn properties(rng: &mut impl Rng, kind: EventType, title: &str) -> serde_json::Value {
    use EventType as E;
    match kind {
        E::PageView => json!({ "title": title }),
        E::ButtonClick | E::Click => {
            json!({ "button_text": one(rng, &["申请试用", "预约演示", "联系销售", "查看价格"]) })
        }
        E::FormStart | E::FormSubmit => json!({ "form_id": one(rng, &["trial_form", "demo_form", "contact_form"]) }),
        E::FileDownload | E::Download => json!({ "file": catalog::CONTENTS[rng.random_range(0..4)].2 }),
        E::VideoPlay => json!({ "video": "CDP 产品演示", "seconds": rng.random_range(5..600) }),
        E::ProductTrial => json!({ "product": "CDP客户数据平台 标准版", "trial_days": 30 }),
        E::Search => json!({ "keyword": one(rng, &["价格", "私有化", "案例", "API", "数据安全"]) }),
    }
}

/// Credit split of one attributed conversion over its touchpoints, in the model's shape; 4
/// decimals summing to exactly 1.
pub fn attribution_weights(model: AttributionModel, times: &[DateTime<Utc>], end: DateTime<Utc>) -> Vec<Decimal> {
    let n = times.len();
    if n == 0 {
        return Vec::new();
    }
    let mut raw = vec![0.0_f64; n];
    match model {
        AttributionModel::FirstTouch => raw[0] = 1.0,
        AttributionModel::LastTouch => raw[n - 1] = 1.0,
        AttributionModel::Linear => raw.fill(1.0),
        // Half-life of seven days before the conversion.
        AttributionModel::TimeDecay => {
            for (r, t) in raw.iter_mut().zip(times) {
                *r = 0.5_f64.powf((end - *t).num_seconds().max(0) as f64 / (7.0 * DAY as f64));
            }
        }
        AttributionModel::UShaped if n > 2 => {
            raw.fill(0.2 / (n - 2) as f64);
            raw[0] = 0.4;
            raw[n - 1] = 0.4;
        }
        AttributionModel::WShaped if n > 3 => {
            raw.fill(0.1 / (n - 3) as f64);
            raw[0] = 0.3;
            raw[n / 2] = 0.3;
            raw[n - 1] = 0.3;
        }
        AttributionModel::UShaped | AttributionModel::WShaped => raw.fill(1.0),
    }
    let total: f64 = raw.iter().sum();
    let mut weights: Vec<Decimal> =
        raw.iter().map(|r| Decimal::from_f64(r / total).unwrap_or_default().round_dp(4)).collect();
    // Rounding leftovers go to the largest share so the weights sum to exactly 1.
    let rest = Decimal::ONE - weights.iter().sum::<Decimal>();
    if let Some(max) = weights.iter_mut().max() {
        *max += rest;
    }
    weights
}

/// A conversion to attribute: what converted, when, and the touchpoints that may have led to it.
struct Conversion {
    kind: EntityType,
    entity_id: String,
    /// Touchpoints count from here…
    from: DateTime<Utc>,
    /// …until the conversion.
    end: DateTime<Utc>,
    candidates: Vec<usize>,
}

const MODELS: [AttributionModel; 6] = [
    AttributionModel::FirstTouch,
    AttributionModel::LastTouch,
    AttributionModel::Linear,
    AttributionModel::TimeDecay,
    AttributionModel::UShaped,
    AttributionModel::WShaped,
];

/// Attribution of won deals (to the account's last touchpoints in the 180 days before closing) and
/// of some lead conversions (to the lead's touchpoints), each with a random model.
pub fn attributions(w: &mut World, rng: &mut impl Rng) {
    let mut by_account: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_lead: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, tp) in w.touchpoints.iter().enumerate() {
        if tp.touchpoint_status != Some(TouchpointStatus::Completed) {
            continue;
        }
        if let Some(a) = &tp.account_id {
            by_account.entry(a.as_str()).or_default().push(i);
        }
        if let Some(l) = &tp.lead_id {
            by_lead.entry(l.as_str()).or_default().push(i);
        }
    }
    let mut conversions = Vec::new();
    for o in w.opportunities.iter().filter(|o| o.is_won) {
        conversions.push(Conversion {
            kind: EntityType::Opportunity,
            entity_id: o.opportunity_id.clone(),
            from: o.created_at - days(180),
            end: o.updated_at,
            candidates: by_account.get(o.account_id.as_str()).cloned().unwrap_or_default(),
        });
    }
    for l in &w.leads {
        if let Some(converted) = l.converted_at
            && rng.random_bool(0.3)
        {
            conversions.push(Conversion {
                kind: EntityType::Lead,
                entity_id: l.lead_id.clone(),
                from: l.created_at,
                end: converted,
                candidates: by_lead.get(l.lead_id.as_str()).cloned().unwrap_or_default(),
            });
        }
    }
    for c in conversions {
        let model = *MODELS.choose(rng).expect("models");
        attribute(w, rng, c, model);
    }
}

/// One attribution over the last (up to six) touchpoints before the conversion.
fn attribute(w: &mut World, rng: &mut impl Rng, c: Conversion, model: AttributionModel) {
    let time = |i: usize| w.touchpoints[i].touchpoint_time;
    let mut path: Vec<usize> = c.candidates.into_iter().filter(|&i| (c.from..c.end).contains(&time(i))).collect();
    path.sort_by_key(|&i| time(i));
    let path = path.split_off(path.len().saturating_sub(6));
    if path.is_empty() {
        return;
    }
    let times: Vec<_> = path.iter().map(|&i| time(i)).collect();
    let weights = attribution_weights(model, &times, c.end);
    let ids: Vec<String> = path.iter().map(|&i| w.touchpoints[i].touchpoint_id.clone()).collect();
    let map: serde_json::Map<String, serde_json::Value> =
        ids.iter().zip(&weights).map(|(id, wt)| (id.clone(), json!(wt.to_string()))).collect();
    let attribution_id = prefix_id("ATT", c.end, rng);
    for (pos, (&i, weight)) in path.iter().zip(&weights).enumerate() {
        // First/last touch credit one touchpoint; the others keep their place in the sequence.
        if weight.is_zero() {
            continue;
        }
        let tp = &w.touchpoints[i];
        let row = touchpoint_attribution::Model {
            ta_id: prefix_id("TPAT", c.end, rng),
            attribution_id: attribution_id.clone(),
            touchpoint_id: tp.touchpoint_id.clone(),
            campaign_id: tp.campaign_id.clone(),
            channel_id: tp.channel_id.clone(),
            attribution_weight: *weight,
            position_in_journey: pos as i32 + 1,
            touchpoint_time: Some(tp.touchpoint_time),
        };
        w.touchpoint_attributions.push(row);
    }
    w.attributions.push(attribution::Model {
        attribution_id,
        entity_type: c.kind,
        entity_id: c.entity_id,
        attribution_model: model,
        touchpoint_sequence: Some(json!(ids)),
        attribution_weights: Some(serde_json::Value::Object(map)),
        created_at: c.end,
        updated_at: c.end,
    });
}

/// Journey of every account and of half the contacts; the stage is one of `JOURNEY_STAGES`.
pub fn journeys(w: &mut World, rng: &mut impl Rng) {
    let mut touches: HashMap<&str, i32> = HashMap::new();
    for tp in &w.touchpoints {
        for id in [&tp.account_id, &tp.contact_id].into_iter().flatten() {
            *touches.entry(id.as_str()).or_default() += 1;
        }
    }
    let mut rows = Vec::new();
    for (a, f) in w.accounts.iter().zip(&w.facts) {
        use AccountLifecycleStage as L;
        let stage = match a.lifecycle_stage {
            None | Some(L::Awareness) => 0,
            Some(L::Consideration) => 2,
            Some(L::Decision) => 3,
            Some(L::Winback) => 1,
            Some(L::Retention | L::Expansion | L::Churn) => 5,
        };
        let ended = (f.active_until < w.clock.anchor()).then_some(f.active_until);
        let n = touches.get(a.account_id.as_str()).copied().unwrap_or(0);
        let last = ended.unwrap_or(w.clock.anchor());
        rows.push(journey(
            rng,
            EntityType::Account,
            &a.account_id,
            &a.account_name,
            stage,
            (a.created_at, last),
            ended,
            n,
        ));
    }
    for c in &w.contacts {
        if !rng.random_bool(0.5) {
            continue;
        }
        use ContactLifecycleStage as L;
        let stage = match c.lifecycle_stage {
            None | Some(L::Subscriber) => 0,
            Some(L::Lead) => 1,
            Some(L::Mql) => 2,
            Some(L::Sql | L::Opportunity) => 3,
            Some(L::Customer) => 4 + usize::from(rng.random_bool(0.5)),
        };
        let n = touches.get(c.contact_id.as_str()).copied().unwrap_or(0);
        let span = (c.created_at, w.clock.anchor());
        rows.push(journey(rng, EntityType::Contact, &c.contact_id, &c.contact_name, stage, span, None, n));
    }
    w.journeys = rows;
}

#[allow(clippy::too_many_arguments)]
fn journey(
    rng: &mut impl Rng,
    kind: EntityType,
    id: &str,
    name: &str,
    stage: usize,
    (begin, last): (DateTime<Utc>, DateTime<Utc>),
    end: Option<DateTime<Utc>>,
    touchpoints: i32,
) -> customer_journey::Model {
    // Stages entered in order, spread over the journey so far.
    let step = (last - begin) / (stage as i32 + 1);
    let history: Vec<_> = JOURNEY_STAGES[..=stage]
        .iter()
        .enumerate()
        .map(|(i, s)| json!({ "stage": s.0, "entered_at": (begin + step * i as i32).to_rfc3339() }))
        .collect();
    let journey_name: String = format!("{name} 客户旅程").chars().take(200).collect();
    customer_journey::Model {
        journey_id: prefix_id("JRN", begin, rng),
        journey_name,
        entity_type: kind,
        entity_id: id.to_owned(),
        journey_stage: JOURNEY_STAGES[stage].0.to_owned(),
        journey_start_at: begin,
        journey_end_at: end,
        total_touchpoints: Some(touchpoints),
        journey_duration_days: Some((last - begin).num_days() as i32),
        stage_history: Some(json!(history)),
        created_at: begin,
        updated_at: last,
    }
}
