//! The generic writes behind `createX`, `updateX`, `deleteX` and their bulk forms: one mechanism for
//! every entity, driven by the entity's column definitions (types, lengths, nullability) and a few
//! rules by column name, so no entity has its own copy.
//!
//! Validation, all before any write, each error naming the field (camelCase). Every rule comes from
//! the table's catalogue entry (`catalog/tables.rs`) and its SeaORM column definition, never from
//! a column's name:
//! - text: trimmed, at most the column's length in characters (a PII column's plaintext: 20 for a
//!   phone, 200 for an e-mail, 100 otherwise), no control characters; a required text may not be
//!   blank; the domain's format where it has one (`Phone`, `Email`, `CreditCode` stored canonical,
//!   `Url`);
//! - numbers by domain: `Score` 0–100, `Count` at least 0, `Money`/`Percent`/`Rate` through their
//!   value types (`domain/value.rs`), `Ratio` within the column's precision;
//! - NOT NULL columns: required on create unless the domain or the table's lifecycle gives the
//!   starting value (flags false, counters and amounts 0, a lead NEW), and `null` is refused on
//!   update;
//! - JSON: an object or array; a scene's `dataMappingRules` must parse as mapping rules
//!   (`domain/acquisition.rs`), the error naming the rule's path (`dataMappingRules[2].target`),
//!   and its `sceneSpecificParams.webhook` must name a known adapter and response (`domain/webhook.rs`);
//!   its `autoTaggingRules` and `assignmentRules` must parse as routing rules (`domain/routing.rs`,
//!   `domain/rules.rs`), naming the path (`assignmentRules[1].when.all[0].gte`), and the tags,
//!   users and teams they name must exist;
//! - references must exist and be visible to the caller;
//! - columns a workflow owns are refused with the mutation to use instead (`Facts::owner`);
//! - PII columns are sealed (ciphertext + blind index, `services::pii`);
//! - a channel-scoped table's row must be in one of a partner token's channels.
//!
//! `id` is generated (`<PREFIX>_<ULID>`) unless a client supplies one (imports);
//! `created_at`/`updated_at` are the server's.

use std::str::FromStr;

use entity::enums::{LeadStatus, OpportunityStage};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveEnum, ActiveModelTrait, ColumnTrait, ColumnType, ConnectionTrait, EntityTrait, IdenStatic, Iterable, Value,
    sea_query::StringLen,
};

use crate::catalog::{CHANNEL_COLUMN, Catalogued, ChannelScope, Domain, Facts, Lifecycle, Stale, Summary};
use crate::domain::acquisition::MappingRules;
use crate::domain::routing::{AssignmentRules, Reference, TaggingRules, Target};
use crate::domain::timezone::BusinessZone;
use crate::domain::value::{BoundedText, CreditCode, Email, EntityId, HttpUrl, Money, Percent, Phone, Rate, Score};
use crate::domain::webhook::WebhookSettings;
use crate::domain::{lead_status, opportunity_stage};
use crate::error::{AppError, AppResult, field_name};
use crate::pubsub::DomainEvent;
use crate::services::pii::Pii;
use crate::services::tx::{Store, Write};
use crate::services::write::{Actor, Refs, channel_for, new_id, now, visible};

/// One column of a create or update.
#[derive(Clone, Debug)]
pub struct Assign {
    pub col: &'static str,
    /// The value, or the column's typed NULL when `null`.
    pub value: Value,
    /// An explicit `null` in an update (clear the column).
    pub null: bool,
}

/// The columns of one create or update input (PII still plaintext).
#[derive(Clone, Debug, Default)]
pub struct Draft {
    /// A client-supplied id (creates only).
    pub id: Option<String>,
    pub assigns: Vec<Assign>,
}

impl Draft {
    pub fn set(&mut self, col: &'static str, value: Value) {
        self.assigns.push(Assign { col, value, null: false });
    }

    pub fn clear(&mut self, col: &'static str, typed_null: Value) {
        self.assigns.push(Assign { col, value: typed_null, null: true });
    }
}

fn column<E: EntityTrait>(name: &str) -> AppResult<E::Column> {
    E::Column::from_str(name)
        .map_err(|_| AppError::internal(format!("no column {name} in {}", E::default().table_name())))
}

/// The value to store for `col`, after the checks of the module doc.
fn check(facts: &Facts, name: &'static str, ty: &ColumnType, nullable: bool, a: &Assign) -> AppResult<Value> {
    let field = field_name(name);
    if let Some(workflow) = facts.owner(name) {
        return Err(AppError::bad_input(format!("{field} is changed through {workflow}, not directly")));
    }
    if a.null {
        return if nullable {
            Ok(a.value.clone())
        } else {
            Err(AppError::bad_input(format!("{field} cannot be null")))
        };
    }
    let domain = facts
        .domain(name)
        .ok_or_else(|| AppError::internal(format!("{}.{name} is not in the catalogue", facts.table.name)))?;
    let value = match (&a.value, ty) {
        (Value::String(Some(s)), ColumnType::String(len)) => {
            let max = match len {
                StringLen::N(n) => *n as usize,
                _ => 10_000,
            };
            Value::from(text(facts, domain, name, &field, s, max, nullable)?)
        }
        (Value::String(Some(s)), ColumnType::Text) => {
            Value::from(text(facts, domain, name, &field, s, 100_000, nullable)?)
        }
        (Value::Decimal(Some(d)), ColumnType::Decimal(Some((precision, scale)))) => {
            Value::from(decimal(&field, domain, *d, *precision, *scale)?)
        }
        (Value::Int(Some(i)), _) => Value::from(integer(&field, domain, *i)?),
        // A scene's mapping rules must parse (`domain::acquisition`); the error names the rule's path.
        (Value::Json(Some(j)), _) if domain == Domain::MappingRules => {
            MappingRules::parse(&field, j)?;
            a.value.clone()
        }
        // A scene's routing rules must parse (`domain::routing`), naming the path; their tags,
        // users and teams are checked with the write's other references (`apply`).
        (Value::Json(Some(j)), _) if matches!(domain, Domain::AutoTaggingRules | Domain::AssignmentRules) => {
            routing_references(domain, &field, j)?;
            a.value.clone()
        }
        // A scene's parameters: its webhook settings must parse (`domain::webhook`), naming the path.
        (Value::Json(Some(j)), _) if domain == Domain::SceneParams => {
            WebhookSettings::parse(&field, j)?;
            a.value.clone()
        }
        (Value::Json(Some(j)), _) if !j.is_object() && !j.is_array() => {
            return Err(AppError::bad_input(format!("{field} must be a JSON object or array")));
        }
        (v, _) => v.clone(),
    };
    Ok(value)
}

/// The tags, users and teams a scene's routing rules name, with their paths; a rule that does not
/// parse is `BAD_USER_INPUT` naming its path.
fn routing_references(domain: Domain, field: &str, j: &serde_json::Value) -> AppResult<Vec<Reference>> {
    Ok(match domain {
        Domain::AutoTaggingRules => TaggingRules::parse(field, j)?.references(field),
        Domain::AssignmentRules => AssignmentRules::parse(field, j)?.references(),
        _ => Vec::new(),
    })
}

fn text(
    facts: &Facts,
    domain: Domain,
    name: &str,
    field: &str,
    raw: &str,
    max: usize,
    nullable: bool,
) -> AppResult<String> {
    // PII is checked on its plaintext (its column holds the longer ciphertext).
    let max = match (facts.pii_column(name).is_some(), domain) {
        (false, _) => max,
        (true, Domain::Phone) => 20,
        (true, Domain::Email) => 200,
        (true, _) => 100,
    };
    let t = if nullable { BoundedText::parse(field, raw, max)? } else { BoundedText::required(field, raw, max)? };
    let t = t.into_inner();
    if t.is_empty() {
        return Ok(t);
    }
    // Phones and e-mails are kept as written (the blind index holds their canonical form); a
    // credit code is stored canonical (upper-case), URLs as written.
    match domain {
        Domain::Phone => {
            Phone::parse(&t).map_err(|e| e.with_field(field))?;
        }
        Domain::Email => {
            Email::parse(&t).map_err(|e| e.with_field(field))?;
        }
        Domain::CreditCode => return Ok(CreditCode::parse(&t)?.as_str().to_string()),
        Domain::Url => {
            HttpUrl::parse_max(field, &t, max)?;
        }
        _ => {}
    }
    Ok(t)
}

fn integer(field: &str, domain: Domain, i: i32) -> AppResult<i32> {
    match domain {
        Domain::Score => Ok(Score::new(field, i)?.get()),
        _ if i < 0 => Err(AppError::bad_input(format!("{field} must be at least 0"))),
        _ => Ok(i),
    }
}

fn decimal(field: &str, domain: Domain, d: Decimal, precision: u32, scale: u32) -> AppResult<Decimal> {
    match domain {
        Domain::Money => Ok(Money::new(field, d)?.get()),
        Domain::Percent => Ok(Percent::new(field, d)?.get()),
        Domain::Rate => Ok(Rate::new(field, d)?.get()),
        // A signed ratio: only the column's shape bounds it.
        _ => {
            let d = d.normalize();
            if d.scale() > scale {
                return Err(AppError::bad_input(format!("{field} must have at most {scale} decimal places")));
            }
            if d.abs() >= Decimal::from_i128_with_scale(10i128.pow(precision - scale), 0) {
                return Err(AppError::bad_input(format!(
                    "{field} must have at most {} digits before the decimal point",
                    precision - scale
                )));
            }
            Ok(d)
        }
    }
}

/// Applies a draft's columns to an ActiveModel (checked, PII sealed), and collects its references.
fn apply<E: Catalogued>(
    pii: &Pii,
    row_id: &str,
    draft: &Draft,
    am: &mut E::ActiveModel,
    refs: &mut Refs,
) -> AppResult<Vec<&'static str>> {
    let facts = &E::FACTS;
    let table = facts.table.name;
    let mut touched = Vec::new();
    for a in &draft.assigns {
        let col = column::<E>(a.col)?;
        let def = col.def();
        let mut value = check(facts, a.col, def.get_column_type(), def.is_null(), a)?;
        if let Some(r) = facts.reference(a.col)
            && let Value::String(Some(id)) = &value
        {
            refs.add(field_name(a.col), r.to.name, r.key, Some(id));
        }
        if let (Some(domain), Value::Json(Some(j))) = (facts.domain(a.col), &value) {
            for (path, target, id) in routing_references(domain, &field_name(a.col), j)? {
                let to = match target {
                    Target::Tag => <entity::tag::Entity as Catalogued>::TABLE,
                    Target::User => <entity::app_user::Entity as Catalogued>::TABLE,
                    Target::Team => <entity::team::Entity as Catalogued>::TABLE,
                };
                refs.add(path, to.name, to.pk, Some(&id));
            }
        }
        if let Some(pc) = facts.pii_column(a.col) {
            let bidx = column::<E>(pc.bidx)?;
            match &value {
                Value::String(Some(plain)) if !plain.is_empty() => {
                    let sealed = pii.seal(table, pc, row_id, plain)?;
                    value = Value::from(sealed.ciphertext);
                    am.try_set(bidx, Value::from(sealed.bidx))?;
                }
                _ => {
                    value = Value::String(None);
                    am.try_set(bidx, Value::String(None))?;
                }
            }
        }
        am.try_set(col, value).map_err(|e| AppError::internal(format!("{table}.{}: {e}", a.col)))?;
        touched.push(a.col);
    }
    Ok(touched)
}

/// Creates one record in the caller's unit of work.
pub async fn create<E: Catalogued>(w: &Write<'_>, pii: &Pii, actor: &Actor, draft: Draft) -> AppResult<E::Model>
where
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let (am, refs) = prepare::<E>(pii, actor, draft)?;
    refs.check(&**w, &actor.access).await?;
    let created = crate::repo::write::insert::<E>(&**w, am).await?;
    effects::<E>(w, None, Some(&created));
    follow_ups::<E>(w, std::slice::from_ref(&created)).await?;
    Ok(created)
}

/// Creates many records of one entity in the caller's unit of work, each checked exactly as
/// [`create`] checks one, with one reference check and multi-row `INSERT`s for them all (a batch of
/// ingestions). Returns the records in the order of the drafts; the first refusal refuses all.
pub async fn create_many<E: Catalogued>(
    w: &Write<'_>,
    pii: &Pii,
    actor: &Actor,
    drafts: Vec<Draft>,
) -> AppResult<Vec<E::Model>>
where
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    insert_prepared(w, actor, prepare_many::<E>(pii, actor, drafts)?).await
}

/// Records of `E` checked, defaulted and sealed as [`create_many`] checks them, not written yet:
/// a caller may decide on them as models ([`Prepared::models`]) and complete their server-set
/// columns before [`insert_prepared`] writes them (ingestion routes its new leads so).
pub struct Prepared<E: EntityTrait> {
    /// The rows to insert, in the drafts' order.
    pub rows: Vec<E::ActiveModel>,
    ids: Vec<String>,
    refs: Refs,
}

impl<E: EntityTrait> Prepared<E> {
    /// The rows as their `INSERT` will store them: NULL in every column left unset.
    pub fn models(&self) -> AppResult<Vec<E::Model>>
    where
        E::ActiveModel: ActiveModelTrait<Entity = E> + sea_orm::TryIntoModel<E::Model>,
    {
        let nulls = <E::ActiveModel as ActiveModelTrait>::default_values();
        self.rows
            .iter()
            .map(|am| {
                let mut m = am.clone();
                for col in E::Column::iter() {
                    if let (true, sea_orm::ActiveValue::Set(null)) = (m.is_not_set(col), nulls.get(col)) {
                        m.set(col, null);
                    }
                }
                sea_orm::TryIntoModel::try_into_model(m)
                    .map_err(|e| AppError::internal(format!("{}: {e}", E::default().table_name())))
            })
            .collect()
    }
}

/// Checks, defaults and seals `drafts` (the first refusal refuses all), writing nothing.
pub fn prepare_many<E: Catalogued>(pii: &Pii, actor: &Actor, drafts: Vec<Draft>) -> AppResult<Prepared<E>>
where
    E::ActiveModel: ActiveModelTrait<Entity = E>,
{
    let mut refs = Refs::default();
    let mut rows = Vec::with_capacity(drafts.len());
    let mut ids = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let (am, r) = prepare::<E>(pii, actor, draft)?;
        ids.push(match am.get(primary_column::<E>()?) {
            sea_orm::ActiveValue::Set(Value::String(Some(id))) => id.to_string(),
            _ => return Err(AppError::internal(format!("{}: a prepared row has no id", E::FACTS.table.name))),
        });
        refs.extend(r);
        rows.push(am);
    }
    Ok(Prepared { rows, ids, refs })
}

/// Writes prepared records: one reference check, multi-row `INSERT`s, and each record's effects.
/// Returns the records in the order of the drafts.
pub async fn insert_prepared<E: Catalogued>(
    w: &Write<'_>,
    actor: &Actor,
    prepared: Prepared<E>,
) -> AppResult<Vec<E::Model>>
where
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let Prepared { rows, ids, refs } = prepared;
    refs.check(&**w, &actor.access).await?;
    let stored = crate::repo::bulk::insert_active_returning(&**w, rows).await?;
    // RETURNING's row order is the engine's: put the rows back in the drafts' order.
    let pk = primary_column::<E>()?;
    let mut by_id: std::collections::HashMap<String, E::Model> = stored
        .into_iter()
        .map(|m| match sea_orm::ModelTrait::get(&m, pk) {
            Value::String(Some(id)) => Ok((id.to_string(), m)),
            _ => Err(AppError::internal(format!("{}: a stored row has no id", E::FACTS.table.name))),
        })
        .collect::<AppResult<_>>()?;
    let created: Vec<E::Model> = ids
        .iter()
        .map(|id| by_id.remove(id).ok_or_else(|| AppError::internal(format!("{id} was not returned by its insert"))))
        .collect::<AppResult<_>>()?;
    for row in &created {
        effects::<E>(w, None, Some(row));
    }
    follow_ups::<E>(w, &created).await?;
    Ok(created)
}

/// New touchpoints that are their lead owner's follow-ups renew the owner's lease, in the same
/// transaction (`services::leases`); other tables and other touchpoints cost nothing.
async fn follow_ups<E: Catalogued>(w: &Write<'_>, rows: &[E::Model]) -> AppResult<()> {
    use entity::enums::{TouchpointDirection, TouchpointType};
    use sea_orm::Iterable;
    if E::TABLE.name != <entity::touchpoint::Entity as Catalogued>::TABLE.name {
        return Ok(());
    }
    let parsed: Vec<_> = rows
        .iter()
        .filter_map(|r| {
            let kind = text_of::<E>(r, "touchpoint_type")?;
            let kind = TouchpointType::iter().find(|t| t.as_str() == kind)?;
            let dir = text_of::<E>(r, "touchpoint_direction")
                .and_then(|d| TouchpointDirection::iter().find(|t| t.as_str() == d));
            Some((text_of::<E>(r, "lead_id"), text_of::<E>(r, "owner_user_id"), kind, dir))
        })
        .collect();
    crate::services::leases::renew_after_touchpoints(
        w,
        parsed.iter().map(|(l, o, k, d)| (l.as_deref(), o.as_deref(), *k, *d)),
        now(),
    )
    .await
}

/// A new record's ActiveModel (checked, defaulted, PII sealed) and the references it makes.
fn prepare<E: Catalogued>(pii: &Pii, actor: &Actor, mut draft: Draft) -> AppResult<(E::ActiveModel, Refs)>
where
    E::ActiveModel: ActiveModelTrait<Entity = E>,
{
    let facts = &E::FACTS;
    let id = match draft.id.take() {
        Some(id) => EntityId::parse("id", &id)?.into_inner(),
        None => new_id(facts.prefix),
    };
    let server_set = creation_rules(facts.lifecycle, &mut draft)?;
    let mut am = <E::ActiveModel as ActiveModelTrait>::default();
    let mut refs = Refs::default();
    let mut touched = apply::<E>(pii, &id, &draft, &mut am, &mut refs)?;
    for (name, value) in server_set {
        am.try_set(column::<E>(name)?, value)?;
        touched.push(name);
    }
    let at = now();
    for col in E::Column::iter() {
        let name = col.as_str();
        let def = col.def();
        let domain = facts.domain(name);
        match domain {
            Some(Domain::Id) => am.try_set(col, Value::from(id.clone()))?,
            Some(Domain::Created | Domain::Updated) => am.try_set(col, Value::from(at))?,
            Some(Domain::BlindIndex) => {}
            _ if touched.contains(&name) || def.is_null() => {}
            // The domain's starting value (flags false, counters and amounts 0); anything else
            // must be given.
            Some(Domain::Flag) => am.try_set(col, Value::from(false))?,
            Some(Domain::Count | Domain::Score) => am.try_set(col, Value::from(0))?,
            Some(Domain::Money | Domain::Percent | Domain::Rate | Domain::Ratio) => {
                am.try_set(col, Value::from(Decimal::ZERO))?
            }
            _ => return Err(AppError::bad_input(format!("{} is required", field_name(name)))),
        }
    }
    if facts.channel == ChannelScope::Own {
        let channel = draft.assigns.iter().find(|a| a.col == CHANNEL_COLUMN && !a.null).and_then(|a| match &a.value {
            Value::String(Some(s)) => Some(s.clone()),
            _ => None,
        });
        channel_for(actor, "channelId", channel)?;
    }
    Ok((am, refs))
}

/// The column of `E`'s primary key (the one with the `Id` domain).
fn primary_column<E: Catalogued>() -> AppResult<E::Column> {
    column::<E>(E::FACTS.table.pk)
}

/// Defaults and limits of a new record that its workflow would otherwise own: checks the draft and
/// returns the columns the server sets itself.
fn creation_rules(lifecycle: Lifecycle, draft: &mut Draft) -> AppResult<Vec<(&'static str, Value)>> {
    let given = |draft: &Draft, col: &str| {
        draft.assigns.iter().find(|a| a.col == col && !a.null).and_then(|a| match &a.value {
            Value::String(Some(s)) => Some(s.clone()),
            _ => None,
        })
    };
    match lifecycle {
        // A lead starts NEW (docs/data-model.md, lead status flow: `[*] --> NewLead`); it moves on
        // through changeLeadStatus.
        Lifecycle::Lead => {
            if given(draft, "lead_status").is_some_and(|s| s != "NEW") {
                return Err(AppError::bad_input(
                    "leadStatus: a new lead starts NEW; it moves on through changeLeadStatus",
                ));
            }
            draft.assigns.retain(|a| a.col != "lead_status");
            Ok(vec![("lead_status", Value::from("NEW")), ("is_qualified", Value::from(false))])
        }
        // An opportunity starts in an open stage, with that stage's default probability unless given.
        Lifecycle::Opportunity => {
            let stage = match given(draft, "stage") {
                None => OpportunityStage::Qualification,
                Some(s) => match stored_enum::<OpportunityStage>(&s) {
                    Some(s) if opportunity_stage::is_open(s) => s,
                    _ => {
                        return Err(AppError::bad_input(
                            "stage: a new opportunity starts in an open stage; close it with moveOpportunityStage",
                        ));
                    }
                },
            };
            draft.assigns.retain(|a| a.col != "stage");
            draft.set("stage", Value::from(opportunity_stage::stage_name(stage)));
            if !draft.assigns.iter().any(|a| a.col == "probability") {
                draft.set("probability", Value::from(opportunity_stage::default_probability(stage)));
            }
            Ok(vec![])
        }
        Lifecycle::Plain => Ok(vec![]),
    }
}

fn stored_enum<T: ActiveEnum<Value = String>>(s: &str) -> Option<T> {
    T::try_from_value(&s.to_string()).ok()
}

/// Updates one record the caller can see (`NOT_FOUND` otherwise) in the caller's unit of work.
pub async fn update<E: Catalogued>(
    w: &Write<'_>,
    pii: &Pii,
    actor: &Actor,
    id: &str,
    draft: Draft,
) -> AppResult<E::Model>
where
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel> + sea_orm::FromQueryResult,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let facts = &E::FACTS;
    let current: E::Model = visible(&**w, actor, E::TABLE, id).await?;
    match facts.lifecycle {
        Lifecycle::Lead => {
            if let Some(status) = text_of::<E>(&current, "lead_status").and_then(|s| stored_enum::<LeadStatus>(&s)) {
                lead_status::ensure_lead_editable(status)?;
            }
        }
        // The stage is given on create only; it moves on through its workflow.
        Lifecycle::Opportunity if draft.assigns.iter().any(|a| a.col == "stage") => {
            return Err(AppError::bad_input("stage is changed through moveOpportunityStage, not directly"));
        }
        _ => {}
    }
    let mut am: E::ActiveModel = sea_orm::IntoActiveModel::into_active_model(current.clone());
    let mut refs = Refs::default();
    apply::<E>(pii, id, &draft, &mut am, &mut refs)?;
    if let Ok(col) = column::<E>("updated_at") {
        am.try_set(col, Value::from(now()))?;
    }
    if facts.channel == ChannelScope::Own
        && let Some(a) = draft.assigns.iter().find(|a| a.col == CHANNEL_COLUMN)
    {
        let channel = match (&a.value, a.null) {
            (Value::String(Some(s)), false) => Some(s.clone()),
            _ => None,
        };
        channel_for(actor, "channelId", channel)?;
    }
    refs.check(&**w, &actor.access).await?;
    let updated = crate::repo::write::update::<E>(&**w, am).await?;
    effects::<E>(w, Some(&current), Some(&updated));
    Ok(updated)
}

/// Deletes one record the caller can see (`NOT_FOUND` otherwise). A record other rows still
/// depend on (RESTRICT) is refused with `BAD_USER_INPUT`; a converted lead with `CONFLICT` (it is
/// the conversion trail). The DELETE is guarded on what was read (a lead's status): a concurrent
/// change or deletion is `CONFLICT`, so a lead converted meanwhile is never deleted.
pub async fn delete<E: Catalogued>(w: &Write<'_>, actor: &Actor, id: &str) -> AppResult<()>
where
    E::Model: sea_orm::FromQueryResult,
{
    let table = E::TABLE;
    let current: E::Model = visible(&**w, actor, table, id).await?;
    let mut expect = Vec::new();
    if E::FACTS.lifecycle == Lifecycle::Lead
        && let Some(status) = text_of::<E>(&current, "lead_status")
    {
        if let Some(s) = stored_enum::<LeadStatus>(&status) {
            lead_status::ensure_lead_deletable(s)?;
        }
        expect.push(("lead_status", Value::from(status)));
    }
    if !crate::repo::write::delete_where::<E>(&**w, id, expect).await? {
        return Err(AppError::Conflict(format!(
            "{} {id} was changed by another request meanwhile; read it again and retry",
            table.name
        )));
    }
    effects::<E>(w, Some(&current), None);
    Ok(())
}

/// A text column of a model by name (`None` when absent, NULL or not text).
fn text_of<E: EntityTrait>(model: &E::Model, name: &str) -> Option<String> {
    use sea_orm::ModelTrait;
    let col = E::Column::from_str(name).ok()?;
    match model.get(col) {
        Value::String(Some(s)) => Some(s),
        _ => None,
    }
}

/// The most days one range fact marks (`Stale::Days`, a campaign's dates).
const MAX_MARKED_DAYS: usize = 3_660;

/// The business day of a timestamp column (in `zone`) or a date column (a business date).
fn day_of<E: EntityTrait>(model: &E::Model, name: &str, zone: BusinessZone) -> Option<chrono::NaiveDate> {
    use sea_orm::ModelTrait;
    let col = E::Column::from_str(name).ok()?;
    match model.get(col) {
        Value::ChronoDateTimeUtc(Some(at)) => Some(zone.day_of(at)),
        Value::ChronoDate(Some(d)) => Some(d),
        _ => None,
    }
}

/// What a generic write means beyond its row (`before`/`after`: the row before and after, `None`
/// when absent): the summaries it makes stale (the table's `stale` facts, read on both rows, so a
/// row that moves makes its old and its new parent stale) and, for leads, the events it announces.
fn effects<E: Catalogued>(w: &Write<'_>, before: Option<&E::Model>, after: Option<&E::Model>) {
    let rows: Vec<&E::Model> = before.into_iter().chain(after).collect();
    let zone = w.store().zone();
    w.stale(|s| {
        for row in &rows {
            for mark in E::FACTS.stale {
                match *mark {
                    Stale::Of(col, kind) => s.add(kind, text_of::<E>(row, col).as_deref()),
                    Stale::Campaign(col) => s.campaigns.extend(text_of::<E>(row, col)),
                    Stale::Member { col, discriminator } => {
                        let kind = match text_of::<E>(row, discriminator).as_deref() {
                            Some("ACCOUNT") => Some(Summary::Account),
                            Some("CONTACT") => Some(Summary::Contact),
                            _ => None,
                        };
                        if let Some(kind) = kind {
                            s.add(kind, text_of::<E>(row, col).as_deref());
                        }
                    }
                    Stale::Day(col) => s.days.extend(day_of::<E>(row, col, zone)),
                    Stale::Days { from, to } => {
                        if let (Some(from), Some(to)) = (day_of::<E>(row, from, zone), day_of::<E>(row, to, zone)) {
                            // At most ten years of days: a typo in a date must not mark a millennium.
                            s.days.extend(from.iter_days().take_while(|d| *d <= to).take(MAX_MARKED_DAYS));
                        }
                    }
                    Stale::LeadDays(col) => s.lead_days.extend(text_of::<E>(row, col)),
                    Stale::ChannelDays(col) => s.channel_days.extend(text_of::<E>(row, col)),
                }
            }
        }
    });
    if E::FACTS.lifecycle == Lifecycle::Lead {
        lead_events::<E>(w, before, after);
    }
}

/// `LeadCreated`; or `LeadUpdated`, with `LeadAssigned` / `LeadReturnedToPool` when the owner
/// changed. Deleting a lead announces nothing (there is nothing left to read).
fn lead_events<E: EntityTrait>(w: &Write<'_>, before: Option<&E::Model>, after: Option<&E::Model>) {
    let Some(after) = after else { return };
    let Some(lead_id) = text_of::<E>(after, "lead_id") else { return };
    let channel_id = text_of::<E>(after, "channel_id");
    let Some(before) = before else {
        w.emit(DomainEvent::LeadCreated { lead_id, channel_id });
        return;
    };
    let (old_owner, new_owner) = (text_of::<E>(before, "owner_user_id"), text_of::<E>(after, "owner_user_id"));
    if old_owner != new_owner {
        w.emit(match new_owner {
            Some(owner_user_id) => {
                DomainEvent::LeadAssigned { lead_id: lead_id.clone(), channel_id: channel_id.clone(), owner_user_id }
            }
            None => DomainEvent::LeadReturnedToPool { lead_id: lead_id.clone(), channel_id: channel_id.clone() },
        });
    }
    w.emit(DomainEvent::LeadUpdated { lead_id, channel_id });
}

/// Prefixes an error of item `i` of a bulk call with its index (`[3] email …`), keeping its code.
pub fn at_index(i: usize, e: AppError) -> AppError {
    match e {
        AppError::BadUserInput(m) => AppError::BadUserInput(format!("[{i}] {m}")),
        AppError::Conflict(m) => AppError::Conflict(format!("[{i}] {m}")),
        AppError::NotFound(m) => AppError::NotFound(format!("[{i}] {m}")),
        AppError::Forbidden(m) => AppError::Forbidden(format!("[{i}] {m}")),
        other => other,
    }
}

/// One write of a (bulk) mutation.
pub enum Op {
    Create(Draft),
    Update(String, Draft),
    Delete(String),
}

/// Bulk calls take at most this many items.
pub const MAX_ITEMS: usize = 500;

/// Runs `ops` on entity `E`. `all_or_none`: one transaction, the first failure rolls everything
/// back and is returned with its item index. Otherwise each op commits on its own and the result
/// lists each op's outcome. A created or updated record comes back; a deletion returns `None`.
pub async fn write_many<E: Catalogued>(
    store: &Store,
    pii: &Pii,
    actor: &Actor,
    ops: Vec<Op>,
    all_or_none: bool,
) -> AppResult<Vec<AppResult<Option<E::Model>>>>
where
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel> + sea_orm::FromQueryResult,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    if ops.len() > MAX_ITEMS {
        return Err(AppError::bad_input(format!("at most {MAX_ITEMS} items per call, got {}", ops.len())));
    }
    let mut out = Vec::with_capacity(ops.len());
    if all_or_none {
        let w = Write::begin(store).await?;
        for (i, op) in ops.into_iter().enumerate() {
            let done = one::<E>(&w, pii, actor, op).await.map_err(|e| at_index(i, e))?;
            out.push(Ok(done));
        }
        w.commit().await?;
    } else {
        for op in ops {
            let w = Write::begin(store).await?;
            let done = one::<E>(&w, pii, actor, op).await;
            if done.is_ok() {
                w.commit().await?;
            }
            out.push(done);
        }
    }
    Ok(out)
}

async fn one<E: Catalogued>(w: &Write<'_>, pii: &Pii, actor: &Actor, op: Op) -> AppResult<Option<E::Model>>
where
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel> + sea_orm::FromQueryResult,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    match op {
        Op::Create(draft) => create::<E>(w, pii, actor, draft).await.map(Some),
        Op::Update(id, draft) => update::<E>(w, pii, actor, &id, draft).await.map(Some),
        Op::Delete(id) => delete::<E>(w, actor, &id).await.map(|()| None),
    }
}

/// How `upsertX` finds the existing record: the natural key columns (all required in the input),
/// or for contacts the person's phone, else e-mail, through the blind indexes.
#[derive(Clone, Copy, Debug)]
pub enum NaturalKey {
    Columns(&'static [&'static str]),
    ContactPhoneOrEmail,
}

/// Creates the record, or updates the one with the same natural key. Returns the record and
/// whether it was created. Two concurrent upserts of a new key: one creates, the other's insert
/// hits the unique index and is retried once as an update.
pub async fn upsert<E: Catalogued>(
    store: &Store,
    pii: &Pii,
    actor: &Actor,
    key: NaturalKey,
    draft: Draft,
) -> AppResult<(E::Model, bool)>
where
    E::Model: sea_orm::IntoActiveModel<E::ActiveModel> + sea_orm::FromQueryResult,
    E::ActiveModel: ActiveModelTrait<Entity = E> + Send,
{
    let conditions = key_conditions(pii, &E::FACTS, key, &draft)?;
    for attempt in 0..2 {
        let w = Write::begin(store).await?;
        let existing = find_by_key::<E>(&*w, &conditions).await?;
        let result = match existing {
            Some(id) => {
                let mut update_draft = draft.clone();
                update_draft.id = None;
                update::<E>(&w, pii, actor, &id, update_draft).await.map(|m| (m, false))
            }
            None => create::<E>(&w, pii, actor, draft.clone()).await.map(|m| (m, true)),
        };
        match result {
            Ok(done) => {
                w.commit().await?;
                return Ok(done);
            }
            Err(AppError::Conflict(_)) if attempt == 0 => continue,
            Err(e) => return Err(e),
        }
    }
    Err(AppError::Conflict(format!("{} changed concurrently; retry", E::TABLE.name)))
}

/// Alternative key matches (any one identifies the record): `(column, value)` conjunctions.
fn key_conditions(
    pii: &Pii,
    facts: &Facts,
    key: NaturalKey,
    draft: &Draft,
) -> AppResult<Vec<Vec<(&'static str, Value)>>> {
    let value = |col: &str| {
        draft.assigns.iter().find(|a| a.col == col && !a.null).map(|a| a.value.clone()).filter(|v| match v {
            Value::String(Some(s)) => !s.trim().is_empty(),
            _ => true,
        })
    };
    match key {
        NaturalKey::Columns(cols) => {
            let mut conj = Vec::new();
            for col in cols {
                let v = value(col)
                    .ok_or_else(|| AppError::bad_input(format!("{} is required to upsert", field_name(col))))?;
                // Keys are compared in their stored (canonical) form.
                let v = match (col, &v) {
                    (&"unified_social_credit_code", Value::String(Some(s))) => {
                        Value::from(CreditCode::parse(s)?.as_str().to_string())
                    }
                    (_, Value::String(Some(s))) => Value::from(s.trim().to_string()),
                    _ => v,
                };
                conj.push((*col, v));
            }
            Ok(vec![conj])
        }
        NaturalKey::ContactPhoneOrEmail => {
            let mut alts = Vec::new();
            for pc in [crate::services::pii::MOBILE_PHONE, crate::services::pii::EMAIL] {
                if let Some(Value::String(Some(raw))) = value(pc.column) {
                    alts.push(vec![(pc.bidx, Value::from(pii.blind(facts.table.name, pc, &raw)?))]);
                }
            }
            if alts.is_empty() {
                return Err(AppError::bad_input("mobilePhone or email is required to upsert a contact"));
            }
            Ok(alts)
        }
    }
}

/// The id of the first record matching one of the alternatives.
async fn find_by_key<E: EntityTrait>(
    db: &impl ConnectionTrait,
    alternatives: &[Vec<(&'static str, Value)>],
) -> AppResult<Option<String>> {
    use crate::repo::filter::{CmpOp, Filter};
    for conj in alternatives {
        let filter =
            Filter::all(conj.iter().map(|(col, v)| Filter::Cmp { col, op: CmpOp::Eq, value: v.clone() }).collect());
        let ids = crate::repo::write::first_id::<E>(db, filter.as_ref()).await?;
        if ids.is_some() {
            return Ok(ids);
        }
    }
    Ok(None)
}
