//! Auto-tagging (issue 16, part 2; README "Routing rules", ARCHITECTURE.md "Routing rules"): the
//! global rules (`setGlobalAutoTaggingRules`) and the rules of the scenes a lead arrived through
//! apply tags as `tag_relation` rows with `is_auto_tagged`, `tag_source` RULE, the rule's name and
//! its decision trace.
//!
//! A lead's auto-tags are a function of the lead, its related records, its events and its manual
//! tags — never of its own earlier auto-tags (`LeadFacts::auto_tags` are left out), so
//! re-evaluating is idempotent and the order of rules does not matter. On every evaluation the
//! lead gets the tags of the rules that hold (a tag kept keeps its first rule and trace) and loses
//! the auto-tags no rule gives any more. Manual and imported tags are never touched: a tag the
//! lead already carries by hand is not added again.
//!
//! When: an ingestion round tags its new leads before assignment (`services::routing`), so the
//! assignment rules see the tags; every other transaction that creates or changes a lead
//! (`LeadCreated` / `LeadUpdated`) re-evaluates it when it commits (`Write::commit`). A change of
//! the rules alone re-tags nothing until the lead next changes.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use entity::enums::{EntityType, TagSource};
use entity::{tag, tag_relation};
use serde_json::{Value, json};

use crate::catalog::Catalogued;
use crate::domain::routing::{TaggingRule, TaggingRules};
use crate::domain::rules::{LeadFacts, Source};
use crate::error::{AppError, AppResult};
use crate::repo;
use crate::services::read::{self, Access};
use crate::services::tx::Write;
use crate::services::write::{Actor, Refs, new_id};

/// `global_rule_set` key of the global auto-tagging rules.
const GLOBAL: &str = "AUTO_TAGGING";
const RELATION_PREFIX: &str = <tag_relation::Entity as Catalogued>::FACTS.prefix;
/// `tag_relation.rule_name` holds 100 characters (a rule's name is at most 100).
const RULE_NAME_CHARS: usize = 100;

/// The rules in force: the global list, and each scene's.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    pub global: TaggingRules,
    pub by_scene: HashMap<String, TaggingRules>,
}

impl Rules {
    pub fn is_empty(&self) -> bool {
        self.global.0.is_empty() && self.by_scene.values().all(|r| r.0.is_empty())
    }

    /// Whether a rule reads a column of `source`.
    pub fn reads(&self, source: Source) -> bool {
        self.global.reads(source) || self.by_scene.values().any(|r| r.reads(source))
    }

    /// The rules for a lead that arrived through `scenes`: the global ones, then each scene's.
    fn for_lead<'a>(&'a self, scenes: &'a [String]) -> impl Iterator<Item = &'a TaggingRule> {
        self.global.0.iter().chain(scenes.iter().filter_map(|s| self.by_scene.get(s)).flat_map(|r| r.0.iter()))
    }
}

/// A scene's auto-tagging rules as stored (none when the column is NULL).
pub fn of_scene(scene: &entity::acquisition_scene::Model) -> AppResult<TaggingRules> {
    stored(&format!("scene {}", scene.scene_id), scene.auto_tagging_rules.as_ref().unwrap_or(&Value::Null))
}

fn stored(what: &str, json: &Value) -> AppResult<TaggingRules> {
    TaggingRules::parse("autoTaggingRules", json)
        .map_err(|e| AppError::internal(format!("{what}: stored auto-tagging rules do not parse: {e}")))
}

/// The global auto-tagging rules (none until set).
pub async fn global_rules(db: &impl sea_orm::ConnectionTrait) -> AppResult<TaggingRules> {
    match repo::rule_sets::global(db, GLOBAL).await? {
        Some(json) => stored("the global rule set", &json),
        None => Ok(TaggingRules::default()),
    }
}

/// The global rules as stored (`[]` until set), for `globalAutoTaggingRules`.
pub async fn global_rules_json(db: &impl sea_orm::ConnectionTrait) -> AppResult<Value> {
    Ok(repo::rule_sets::global(db, GLOBAL).await?.unwrap_or_else(|| json!([])))
}

/// Replaces the global auto-tagging rules: they must parse and their tags exist
/// (`BAD_USER_INPUT` naming the path), or nothing is written. Leads already stored are re-tagged
/// when they next change.
pub async fn set_global_rules(db: &sea_orm::DatabaseConnection, actor: &Actor, rules: Value) -> AppResult<Value> {
    let field = "rules";
    let parsed = TaggingRules::parse(field, &rules)?;
    let mut refs = Refs::default();
    for (path, _, id) in parsed.references(field) {
        refs.to::<tag::Entity>(path, Some(&id));
    }
    refs.check(db, &actor.access).await?;
    let rules = if rules.is_null() { json!([]) } else { rules };
    repo::rule_sets::set_global(db, GLOBAL, rules.clone(), Utc::now()).await?;
    Ok(rules)
}

/// Every rule in force: the global list and the scenes' (two statements; scenes are few).
pub async fn rules(db: &impl sea_orm::ConnectionTrait) -> AppResult<Rules> {
    let global = global_rules(db).await?;
    let mut by_scene = HashMap::new();
    for (scene, json) in repo::rule_sets::scene_tagging_rules(db).await? {
        let parsed = stored(&format!("scene {scene}"), &json)?;
        if !parsed.0.is_empty() {
            by_scene.insert(scene, parsed);
        }
    }
    Ok(Rules { global, by_scene })
}

/// The scenes a lead arrived through: those its FORM_SUBMIT events record (the rule language's
/// `scene` operand).
pub fn scenes_of(facts: &LeadFacts) -> Vec<String> {
    let mut out: BTreeSet<String> = BTreeSet::new();
    for e in &facts.events {
        if let Some(s) = e.properties.as_ref().and_then(|p| p.get("sceneId")).and_then(Value::as_str) {
            out.insert(s.to_string());
        }
    }
    out.into_iter().collect()
}

/// What the rules decide for one lead.
#[derive(Debug, Default)]
pub struct Tagging {
    /// The tags given: (tag id, rule name, trace), the first rule per tag.
    pub tags: Vec<(String, String, Value)>,
    /// Whether each rule held, in the rules' order.
    pub fired: Vec<bool>,
}

/// The tags `rules` give a lead.
pub fn decide<'a>(rules: impl Iterator<Item = &'a TaggingRule>, facts: &LeadFacts, now: DateTime<Utc>) -> Tagging {
    // Decide on the lead and its manual tags only (a copy only when it carries auto-tags: a new
    // lead, the common case, carries none).
    let manual;
    let base = if facts.auto_tags.is_empty() {
        facts
    } else {
        manual = LeadFacts {
            tags: facts.tags.iter().filter(|t| !facts.auto_tags.contains(t)).cloned().collect(),
            auto_tags: Vec::new(),
            ..facts.clone()
        };
        &manual
    };
    let mut out = Tagging::default();
    for rule in rules {
        let holds = rule.when.eval(base, now);
        out.fired.push(holds);
        if !holds {
            continue;
        }
        let trace = rule.when.trace(base, now);
        for t in &rule.tags {
            if !out.tags.iter().any(|(id, _, _)| id == t) {
                out.tags.push((t.clone(), rule.name.clone(), trace.clone()));
            }
        }
    }
    out
}

/// Re-evaluates the auto-tags of `leads` (lead id, the scenes it arrived through) under `rules`,
/// inside the caller's transaction, and updates `facts` to the tags the leads carry afterwards.
/// `relations` are the leads' tag relations as `services::rules::facts_and_relations` read them
/// with the facts. Two statements at most (the tags' names, the insert) plus one delete when
/// auto-tags are withdrawn.
pub async fn apply(
    w: &Write<'_>,
    rules: &Rules,
    facts: &mut HashMap<String, LeadFacts>,
    relations: &[tag_relation::Model],
    leads: &[(String, Vec<String>)],
    now: DateTime<Utc>,
) -> AppResult<()> {
    settle(&**w, rules, facts, relations, leads, now).await?.write(w).await
}

/// What [`settle`] decided: the relations to insert and those to withdraw.
#[derive(Default)]
pub struct Settled {
    rows: Vec<tag_relation::Model>,
    withdrawn: Vec<String>,
}

impl Settled {
    /// Writes the decision: one insert, and one delete when auto-tags are withdrawn. An ingestion
    /// round calls it after its leads' `INSERT`.
    pub async fn write(self, w: &Write<'_>) -> AppResult<()> {
        repo::bulk::insert_all(&**w, self.rows).await?;
        repo::tag::remove(&**w, &self.withdrawn).await?;
        Ok(())
    }
}

/// [`apply`]'s decision, without its writes: updates `facts` to the tags the leads will carry
/// and returns the relations to write (one read, the tags' names, when a tag changes).
pub async fn settle(
    db: &impl sea_orm::ConnectionTrait,
    rules: &Rules,
    facts: &mut HashMap<String, LeadFacts>,
    relations: &[tag_relation::Model],
    leads: &[(String, Vec<String>)],
    now: DateTime<Utc>,
) -> AppResult<Settled> {
    if rules.is_empty() && facts.values().all(|f| f.auto_tags.is_empty()) {
        return Ok(Settled::default());
    }
    let empty = LeadFacts::default();
    let mut wanted: Vec<(&str, String, String, Value)> = Vec::new();
    for (id, scenes) in leads {
        let f = facts.get(id).unwrap_or(&empty);
        for (tag, rule, trace) in decide(rules.for_lead(scenes), f, now).tags {
            wanted.push((id.as_str(), tag, rule, trace));
        }
    }
    let is_auto = |r: &tag_relation::Model| r.is_auto_tagged && r.tag_source == TagSource::Rule;
    let carried: BTreeSet<(&str, &str)> = relations.iter().map(|r| (r.entity_id.as_str(), r.tag_id.as_str())).collect();
    let wanted_keys: BTreeSet<(&str, &str)> = wanted.iter().map(|(l, t, _, _)| (*l, t.as_str())).collect();
    let withdrawn: Vec<&tag_relation::Model> = relations
        .iter()
        .filter(|r| is_auto(r) && !wanted_keys.contains(&(r.entity_id.as_str(), r.tag_id.as_str())))
        .collect();
    let added: Vec<&(&str, String, String, Value)> =
        wanted.iter().filter(|(l, t, _, _)| !carried.contains(&(*l, t.as_str()))).collect();
    if added.is_empty() && withdrawn.is_empty() {
        return Ok(Settled::default());
    }

    // The tags' names (for the facts); a tag deleted since the rule was saved is skipped.
    let mut tag_ids: Vec<String> =
        added.iter().map(|(_, t, _, _)| t.clone()).chain(withdrawn.iter().map(|r| r.tag_id.clone())).collect();
    tag_ids.sort_unstable();
    tag_ids.dedup();
    let tag_table = <tag::Entity as Catalogued>::TABLE;
    let names: HashMap<String, String> =
        read::find_by::<tag::Model>(db, &Access::unrestricted(), tag_table, tag_table.pk, &tag_ids)
            .await?
            .into_iter()
            .map(|(id, t)| (id, t.tag_name))
            .collect();

    let rows: Vec<tag_relation::Model> = added
        .iter()
        .filter(|(_, t, _, _)| names.contains_key(t))
        .map(|(lead, t, rule, trace)| tag_relation::Model {
            relation_id: new_id(RELATION_PREFIX),
            tag_id: t.clone(),
            entity_type: EntityType::Lead,
            entity_id: lead.to_string(),
            tagged_at: now,
            tagged_by_user_id: None,
            is_auto_tagged: true,
            tag_source: TagSource::Rule,
            rule_name: Some(rule.chars().take(RULE_NAME_CHARS).collect()),
            trace: Some(trace.clone()),
        })
        .collect();
    for r in &rows {
        if let (Some(f), Some(name)) = (facts.get_mut(&r.entity_id), names.get(&r.tag_id)) {
            f.tags.push(name.clone());
            f.auto_tags.push(name.clone());
        }
    }
    for r in &withdrawn {
        if let (Some(f), Some(name)) = (facts.get_mut(&r.entity_id), names.get(&r.tag_id)) {
            if let Some(i) = f.tags.iter().position(|t| t == name) {
                f.tags.remove(i);
            }
            f.auto_tags.retain(|t| t != name);
        }
    }
    Ok(Settled { rows, withdrawn: withdrawn.iter().map(|r| r.relation_id.clone()).collect() })
}

/// Re-evaluates the auto-tags of leads a transaction created or changed (`Write::commit`). Costs
/// the two rule reads when no rule exists and no lead carries an auto-tag.
pub async fn reevaluate(w: &Write<'_>, lead_ids: &[String], now: DateTime<Utc>) -> AppResult<()> {
    let rules = rules(&**w).await?;
    if rules.is_empty() && !repo::tag::any_auto(&**w, lead_ids).await? {
        return Ok(());
    }
    let (mut facts, relations) = crate::services::rules::facts_and_relations(&**w, lead_ids).await?;
    let leads: Vec<(String, Vec<String>)> =
        lead_ids.iter().filter_map(|id| facts.get(id).map(|f| (id.clone(), scenes_of(f)))).collect();
    apply(w, &rules, &mut facts, &relations, &leads, now).await
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn rules(v: Value) -> TaggingRules {
        TaggingRules::parse("r", &v).unwrap()
    }

    fn lead(tags: &[&str], auto: &[&str]) -> LeadFacts {
        LeadFacts {
            lead: json!({ "province": "广东省" }).as_object().unwrap().clone(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            auto_tags: auto.iter().map(|t| t.to_string()).collect(),
            ..LeadFacts::default()
        }
    }

    #[test]
    fn a_decision_ignores_the_leads_own_auto_tags_and_keeps_the_first_rule_per_tag() {
        let r = rules(json!([
            { "name": "区域", "when": { "field": "lead.province", "eq": "广东省" }, "tags": ["T_SOUTH", "T_HOT"] },
            { "name": "热", "when": { "field": "tags", "contains": "华南" }, "tags": ["T_HOT"] },
            { "name": "手工", "when": { "field": "tags", "contains": "重点" }, "tags": ["T_VIP"] }
        ]));
        let now = Utc::now();
        // 华南 is the lead's auto-tag: rule 2 does not see it; 重点 is manual: rule 3 does.
        let d = decide(r.0.iter(), &lead(&["华南", "重点"], &["华南"]), now);
        assert_eq!(d.fired, [true, false, true]);
        let given: Vec<(&str, &str)> = d.tags.iter().map(|(t, rule, _)| (t.as_str(), rule.as_str())).collect();
        assert_eq!(given, [("T_SOUTH", "区域"), ("T_HOT", "区域"), ("T_VIP", "手工")]);
        assert_eq!(d.tags[0].2["matched"], true);
        // The same lead decided again, with what was applied, decides the same: idempotent.
        let again = decide(r.0.iter(), &lead(&["华南", "重点", "热"], &["华南", "热"]), now);
        assert_eq!(again.tags.len(), 3);
        assert_eq!(again.fired, d.fired);
    }

    #[test]
    fn the_rules_of_a_lead_are_the_global_ones_then_its_scenes() {
        let mut all = Rules {
            global: rules(
                json!([{ "name": "g", "when": { "field": "lead.province", "exists": true }, "tags": ["A"] }]),
            ),
            ..Rules::default()
        };
        assert!(!all.is_empty());
        all.by_scene.insert(
            "S1".into(),
            rules(json!([{ "name": "s1", "when": { "field": "lead.province", "exists": true }, "tags": ["B"] }])),
        );
        all.by_scene.insert(
            "S2".into(),
            rules(json!([{ "name": "s2", "when": { "field": "lead.province", "exists": true }, "tags": ["C"] }])),
        );
        let scenes = ["S2".to_string(), "S9".to_string()];
        let names: Vec<&str> = all.for_lead(&scenes).map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["g", "s2"]);
        assert!(Rules::default().is_empty());
    }
}
