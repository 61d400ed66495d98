//! The generated data set in memory: one `Vec` of models per table plus the side facts the later
//! generation steps need (which contacts belong to which account, activity windows, …).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use entity::*;
use rand::Rng;
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;

use super::names::CITIES;

/// Row counts of the main tables; everything else follows from these.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Volumes {
    pub users: usize,
    pub campaigns: usize,
    pub accounts: usize,
    pub contacts: usize,
    pub leads: usize,
    pub opportunities: usize,
    pub touchpoints: usize,
    pub events: usize,
}

impl Volumes {
    /// Linear in `scale` with a floor, so that tiny scales still fill every table.
    pub fn for_scale(scale: f64) -> Self {
        let n = |base: f64, min: usize| ((base * scale).round() as usize).max(min);
        Self {
            users: n(50.0, 5),
            campaigns: n(60.0, 7),
            accounts: n(1_000.0, 8),
            contacts: n(5_000.0, 24),
            leads: n(20_000.0, 60),
            opportunities: n(3_000.0, 12),
            touchpoints: n(50_000.0, 150),
            events: n(200_000.0, 300),
        }
    }
}

/// Someone activity can be attributed to, and when they can be active.
#[derive(Debug, Clone)]
pub struct Actor {
    pub id: String,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// For a converted lead: the contact its activity was re-pointed to.
    pub contact_id: Option<String>,
}

/// What activity generation needs to know about one account.
#[derive(Debug, Clone)]
pub struct AccountFacts {
    pub id: String,
    pub name: String,
    pub city: usize,
    pub domain: String,
    pub industry: Option<String>,
    pub owner: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Activity stops here (the anchor for active accounts, earlier for dormant/churned ones).
    pub active_until: DateTime<Utc>,
    /// Share of the activity (Zipf-like, see `crm::accounts`).
    pub weight: f64,
    /// Indexes into `World::contacts` (primary account only).
    pub contacts: Vec<usize>,
    /// Indexes into `World::leads` of leads from this company.
    pub leads: Vec<usize>,
}

impl AccountFacts {
    pub fn city(&self) -> &'static super::names::City {
        &CITIES[self.city]
    }
}

#[derive(Default)]
pub struct World {
    /// The data set's "now" (its as-of date); all generated time is relative to it.
    pub clock: super::clock::Clock,
    pub teams: Vec<team::Model>,
    pub users: Vec<app_user::Model>,
    pub industries: Vec<industry::Model>,
    pub channels: Vec<channel::Model>,
    pub categories: Vec<product_category::Model>,
    pub products: Vec<product::Model>,
    pub tags: Vec<tag::Model>,
    pub journey_stages: Vec<journey_stage::Model>,
    pub score_models: Vec<score_model::Model>,
    pub segments: Vec<segment::Model>,

    pub campaigns: Vec<campaign::Model>,
    pub campaign_members: Vec<campaign_member::Model>,

    pub accounts: Vec<account::Model>,
    pub account_relations: Vec<account_relation::Model>,
    pub account_identities: Vec<account_channel_identity::Model>,
    pub contacts: Vec<contact::Model>,
    pub account_contacts: Vec<account_contact_relation::Model>,
    pub contact_identities: Vec<contact_channel_identity::Model>,
    pub leads: Vec<lead::Model>,
    pub lead_identities: Vec<lead_channel_identity::Model>,
    pub opportunities: Vec<opportunity::Model>,
    pub stage_history: Vec<opportunity_stage_history::Model>,
    pub opportunity_products: Vec<opportunity_product::Model>,

    pub touchpoints: Vec<touchpoint::Model>,
    pub attachments: Vec<touchpoint_attachment::Model>,
    pub attributions: Vec<attribution::Model>,
    pub touchpoint_attributions: Vec<touchpoint_attribution::Model>,
    pub journeys: Vec<customer_journey::Model>,

    pub tag_relations: Vec<tag_relation::Model>,
    pub segment_members: Vec<segment_member::Model>,
    pub score_records: Vec<score_record::Model>,
    pub score_history: Vec<score_history::Model>,

    // Side facts.
    pub facts: Vec<AccountFacts>,
    /// Channel id by catalogue key (see `catalog::CHANNELS`).
    pub channel_ids: BTreeMap<&'static str, String>,
    /// Level-2 industry id by GB/T 4754 code.
    pub industry_ids: BTreeMap<&'static str, String>,
    /// Sales staff (user indexes) per region team index; see `catalog::REGIONS`.
    pub region_sales: Vec<Vec<usize>>,
    pub all_sales: Vec<usize>,
    pub marketers: Vec<usize>,
    /// Account index of each contact's primary account.
    pub contact_account: Vec<usize>,
    /// Account index of each lead's company, when it is a known account.
    pub lead_account: Vec<Option<usize>>,
}

impl World {
    /// Rows generated so far over all tables.
    #[rustfmt::skip]
    pub fn rows(&self) -> usize {
        [
            self.teams.len(), self.users.len(), self.industries.len(), self.channels.len(),
            self.categories.len(), self.products.len(), self.tags.len(), self.journey_stages.len(),
            self.score_models.len(), self.segments.len(), self.campaigns.len(), self.campaign_members.len(),
            self.accounts.len(),
            self.account_relations.len(), self.account_identities.len(), self.contacts.len(),
            self.account_contacts.len(), self.contact_identities.len(), self.leads.len(),
            self.lead_identities.len(), self.opportunities.len(), self.stage_history.len(),
            self.opportunity_products.len(), self.touchpoints.len(), self.attachments.len(),
            self.attributions.len(), self.touchpoint_attributions.len(), self.journeys.len(),
            self.tag_relations.len(), self.segment_members.len(), self.score_records.len(),
            self.score_history.len(),
        ]
        .iter()
        .sum()
    }

    pub fn channel(&self, key: &str) -> String {
        self.channel_ids.get(key).cloned().unwrap_or_default()
    }

    pub fn user_id(&self, index: usize) -> String {
        self.users[index].user_id.clone()
    }

    /// A salesperson of the region covering `province` (any salesperson if that region has none).
    pub fn sales_for(&self, rng: &mut impl Rng, province: &str) -> String {
        let region = super::catalog::region_of(province);
        let pool = match self.region_sales.get(region) {
            Some(p) if !p.is_empty() => p,
            _ => &self.all_sales,
        };
        self.user_id(pool[rng.random_range(0..pool.len())])
    }

    pub fn marketer(&self, rng: &mut impl Rng) -> String {
        self.user_id(self.marketers[rng.random_range(0..self.marketers.len())])
    }
}

/// Picks an index with probability proportional to its weight.
pub struct Picker(WeightedIndex<f64>);

impl Picker {
    /// `None` when there is nothing to pick from (empty or all-zero weights).
    pub fn new(weights: impl IntoIterator<Item = f64>) -> Option<Self> {
        WeightedIndex::new(weights).ok().map(Self)
    }

    pub fn pick(&self, rng: &mut impl Rng) -> usize {
        self.0.sample(rng)
    }
}

/// Picks one of `items` by the weights paired with them.
pub fn weighted<T: Copy>(rng: &mut impl Rng, items: &[(T, u32)]) -> T {
    let total: u32 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random_range(0..total.max(1));
    for &(item, w) in items {
        if roll < w {
            return item;
        }
        roll -= w;
    }
    items[items.len() - 1].0
}

/// One of `items`, uniformly.
pub fn one<'a>(rng: &mut impl Rng, items: &[&'a str]) -> &'a str {
    items[rng.random_range(0..items.len())]
}
