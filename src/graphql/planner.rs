//! The compiled read path (ARCHITECTURE.md, "The compiled read path"). After async-graphql has
//! parsed and validated an operation, each root query field (`x(id:)`, `xs(…)`, `node(id:)`) is
//! planned from its selection — fragments expanded under their type conditions, variables
//! substituted, fields merged by response key — into one `repo::json` tree, read as one
//! statement whose JSON the database builds, and handed to the executor as the field's finished
//! value ([`Planned`]). The server only does what SQL cannot: reveal or mask PII, sign cursors,
//! sort JSON columns' keys (and, on SQLite, turn REAL decimals into the model's decimals); over
//! HTTP, a tree that needs none of it goes out as the database wrote it (`graphql::raw`).
//!
//! What the planner cannot plan goes to the resolvers, for that root field only, and is counted
//! (`cdp360_read_root_fields_total{path="resolvers",reason}`): the planner off
//! (`CDP_READ_PLANNER=off`), arguments the resolvers would refuse (their error is the answer), an
//! object of more than `json::MAX_MEMBERS` fields, two `node` selections under one edge, a
//! statement or a decryption that fails. The two paths answer byte for byte alike
//! (`tests/api/differential.rs`).
//!
//! The metadata comes from the registrations: `resource!` gives every type a [`TypePlan`] (its
//! table and, per GraphQL field, a [`FieldPlan`]) built from the same lists that build its
//! resolvers, and arguments are parsed by the same input types and `connection::parse`.

use std::borrow::Cow;
use std::sync::{Arc, Mutex};

use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::registry::Registry;
use async_graphql::{Context, ContextSelectionSet, InputType, Name, OutputType, Positioned, ServerResult, Value};
use sea_orm::DbBackend;

use super::GqlState;
use super::connection::{self, PageArgs};
use super::interned;
use super::order::CompiledRoots;
use super::raw::RawRoots;
use super::resource::Resource;
use crate::auth::{Principal, Scope};
use crate::catalog::PiiColumn;
use crate::error::AppResult;
use crate::repo::filter::Filter;
use crate::repo::json::{self, Arm, EdgePart, Many, Member, Object, One, PageInfoPart, Part, Poly, Root, Rows, Scalar};
use crate::repo::page::{Link, Order, Slice, Table};
use crate::services::read::{self, Access};

/// What the planner knows of one object type.
pub struct TypePlan {
    pub name: &'static str,
    pub table: Table,
    pub prefix: &'static str,
    /// Each GraphQL field by its snake-case name (the registration's), with how it is read.
    pub fields: &'static [(&'static str, FieldPlan)],
}

pub type Plans = fn() -> &'static [fn() -> &'static TypePlan];
pub type ArgsFn = fn(&GqlState, &[(Name, Value)]) -> AppResult<(Option<Filter>, Order, Slice)>;

pub enum FieldPlan {
    /// The primary key as `ID`.
    Id,
    /// The column of the field's name.
    Column(Scalar),
    Pii(PiiColumn),
    /// The target row whose primary key is this row's `fk`.
    ToOne {
        fk: &'static str,
        target: fn() -> &'static TypePlan,
    },
    /// The target row whose `col` equals this row's `own` (`Account.summary`).
    OneBy {
        col: &'static str,
        own: &'static str,
        target: fn() -> &'static TypePlan,
    },
    /// A global id: the row of whichever type its prefix names (`types`: every `Node` type).
    Poly {
        col: &'static str,
        types: Plans,
    },
    /// A nested connection: `target` rows through `link` from this row's `own` column.
    Many {
        link: Link,
        own: &'static str,
        target: fn() -> &'static TypePlan,
        args: ArgsFn,
    },
}

impl TypePlan {
    fn field(&self, graphql: &str) -> Option<(&'static str, &FieldPlan)> {
        self.fields.iter().find(|(snake, _)| crate::catalog::is_field_name(snake, graphql)).map(|(s, f)| (*s, f))
    }

    /// Whether the GraphQL field `graphql` has a plan.
    pub fn has_field(&self, graphql: &str) -> bool {
        self.field(graphql).is_some()
    }

    /// How the column `col` renders (the primary key and every column field).
    fn scalar(&self, col: &str) -> Option<Scalar> {
        self.fields.iter().find_map(|(snake, f)| match f {
            FieldPlan::Column(kind) if *snake == col => Some(*kind),
            _ => None,
        })
    }
}

/// The arguments of a nested list of `R`, parsed by the same input types and rules as its
/// resolver's.
pub fn page_args<R: Resource>(state: &GqlState, args: &[(Name, Value)]) -> AppResult<(Option<Filter>, Order, Slice)> {
    fn arg<T: InputType>(args: &[(Name, Value)], name: &str) -> AppResult<T> {
        let value = args.iter().find(|(n, _)| n.as_str() == name).map(|(_, v)| v.clone());
        T::parse(value).map_err(|_| crate::error::AppError::bad_input(format!("invalid argument {name}")))
    }
    let page = PageArgs {
        first: arg(args, "first")?,
        after: arg(args, "after")?,
        last: arg(args, "last")?,
        before: arg(args, "before")?,
    };
    connection::parse::<R>(state, arg(args, "filter")?, arg(args, "orderBy")?, &page)
}

/// A root field's value: compiled by the planner, or resolved field by field.
pub enum Planned<T> {
    Compiled(Mutex<Option<Value>>),
    Resolved(T),
}

impl<T> Planned<T> {
    pub fn resolved(t: T) -> Self {
        Planned::Resolved(t)
    }
}

impl<T: OutputType> OutputType for Planned<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        match self {
            Planned::Compiled(_) => T::type_name(),
            Planned::Resolved(t) => t.introspection_type_name(),
        }
    }

    fn create_type_info(registry: &mut Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        match self {
            Planned::Compiled(value) => Ok(value.lock().unwrap_or_else(|e| e.into_inner()).take().unwrap_or_default()),
            Planned::Resolved(t) => t.resolve(ctx, field).await,
        }
    }
}

/// Why a root field went to the resolvers (the metric's `reason`).
type Miss = &'static str;

/// `x(id:)` of `R`, compiled; `None`: leave it to the resolvers.
pub async fn one<R: Resource, T>(ctx: &Context<'_>, id: &str) -> Option<Planned<T>> {
    run(ctx, R::plan(), Target::One(id)).await
}

/// `xs(…)` of `R`, compiled.
pub async fn list<R: Resource, T>(ctx: &Context<'_>) -> Option<Planned<T>> {
    run(ctx, R::plan(), Target::List(page_args::<R>)).await
}

/// `node(id:)`, compiled: the type is the one the id's prefix names, as in `node_by_id`.
pub async fn node<T>(ctx: &Context<'_>, id: &str, types: Plans) -> Option<Planned<T>> {
    let prefix = id.split_once('_').map(|(p, _)| p).unwrap_or_default();
    // An unknown prefix is null without a statement; the resolver answers it as cheaply.
    let plan = types().iter().map(|t| t()).find(|t| t.prefix == prefix)?;
    run(ctx, plan, Target::One(id)).await
}

enum Target<'i> {
    One(&'i str),
    List(ArgsFn),
}

async fn run<T>(ctx: &Context<'_>, plan: &'static TypePlan, target: Target<'_>) -> Option<Planned<T>> {
    let state = ctx.data::<Arc<GqlState>>().ok()?;
    let metrics = &state.metrics;
    if !state.planner {
        metrics.read_root_field("resolvers", "off");
        return None;
    }
    let backend = state.db.get_database_backend();
    let built = {
        let walk = Walk { ctx, state };
        let fields = [&ctx.item.node];
        match target {
            Target::One(id) => walk.by_id(plan, id, &fields),
            Target::List(args) => walk.many(plan, args, None, &fields).map(Root::Many),
        }
    };
    let mut root = match built {
        Ok(root) => root,
        Err(reason) => {
            metrics.read_root_field("resolvers", reason);
            return None;
        }
    };
    let access = ctx.data::<Access>().ok()?;
    let text = match read::compiled(&state.db, &state.kept, metrics, access, &mut root).await {
        Ok(text) => text,
        Err(e) => {
            tracing::warn!(table = plan.table.name, error = %e.message(), "compiled read failed; resolving it field by field");
            metrics.read_root_field("resolvers", "statement");
            return None;
        }
    };
    let unmasked = ctx.data_opt::<Principal>().is_some_and(|p| p.has(Scope::Pii));
    let fix = Fix { state, unmasked, backend };
    let key = &ctx.item.node.response_key().node;
    // Nothing for the server to do: the text goes into the response as it is (`graphql::raw`).
    if !fix.root_needs(&root)
        && let Some(raw) = ctx.data_opt::<Arc<RawRoots>>()
    {
        let Some(placeholder) = raw.put(key, &text) else {
            metrics.read_root_field("resolvers", "statement");
            return None;
        };
        return Some(done(ctx, metrics, key, placeholder));
    }
    let Ok(mut value) = interned::parse(&text) else {
        metrics.read_root_field("resolvers", "statement");
        return None;
    };
    if fix.root(&root, &mut value).is_err() {
        metrics.read_root_field("resolvers", "reveal");
        return None;
    }
    Some(done(ctx, metrics, key, value))
}

/// A compiled root field's value, counted and recorded as in selection order already.
fn done<T>(ctx: &Context<'_>, metrics: &crate::metrics::Metrics, key: &Name, value: Value) -> Planned<T> {
    metrics.read_root_field("compiled", "");
    if let Ok(compiled) = ctx.data::<CompiledRoots>() {
        compiled.record(key);
    }
    Planned::Compiled(Mutex::new(Some(value)))
}

/// Builds the tree of one root field from its selection.
struct Walk<'w, 'c> {
    ctx: &'w Context<'c>,
    state: &'w GqlState,
}

/// Response keys in selection order, each with the fields selected under it (merged, as the
/// executor merges them).
type Grouped<'d> = Vec<(&'d str, Vec<&'d Field>)>;

impl<'c> Walk<'_, 'c> {
    /// Whether a fragment with this type condition applies to an object of type `ty`.
    fn applies(&self, condition: Option<&str>, ty: &str) -> bool {
        match condition {
            None => true,
            Some(c) => {
                c == ty
                    || self.ctx.schema_env.registry.implements.get(ty).is_some_and(|interfaces| interfaces.contains(c))
            }
        }
    }

    /// The fields of `sets` that apply to `ty`, grouped by response key. The executor has already
    /// removed `@skip`/`@include`d selections, in fragments too; the validator has refused cycles.
    fn group(&self, sets: &[&'c SelectionSet], ty: &str) -> Grouped<'c> {
        let mut out: Grouped<'c> = Vec::new();
        for set in sets {
            self.collect(set, ty, &mut out, 0);
        }
        out
    }

    fn collect(&self, set: &'c SelectionSet, ty: &str, out: &mut Grouped<'c>, depth: usize) {
        if depth > 64 {
            return;
        }
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let key = f.node.response_key().node.as_str();
                    match out.iter_mut().find(|(k, _)| *k == key) {
                        Some((_, fields)) => fields.push(&f.node),
                        None => out.push((key, vec![&f.node])),
                    }
                }
                Selection::InlineFragment(frag) => {
                    let cond = frag.node.type_condition.as_ref().map(|c| c.node.on.node.as_str());
                    if self.applies(cond, ty) {
                        self.collect(&frag.node.selection_set.node, ty, out, depth + 1);
                    }
                }
                Selection::FragmentSpread(spread) => {
                    let env: &'c async_graphql::context::QueryEnv = self.ctx.query_env;
                    if let Some(frag) = env.fragments.get(&spread.node.fragment_name.node)
                        && self.applies(Some(frag.node.type_condition.node.on.node.as_str()), ty)
                    {
                        self.collect(&frag.node.selection_set.node, ty, out, depth + 1);
                    }
                }
            }
        }
    }

    /// A field's arguments with variables substituted (a declared variable without a value or
    /// default is the resolvers' error to report).
    fn arguments(&self, field: &Field) -> Result<Vec<(Name, Value)>, Miss> {
        let env = &self.ctx.query_env;
        let var = |name: Name| -> Result<Value, ()> {
            env.variables
                .get(&name)
                .or_else(|| {
                    env.operation
                        .node
                        .variable_definitions
                        .iter()
                        .find(|d| d.node.name.node == name)
                        .and_then(|d| d.node.default_value())
                })
                .cloned()
                .ok_or(())
        };
        field
            .arguments
            .iter()
            .map(|(n, v)| Ok((n.node.clone(), v.node.clone().into_const_with(var).map_err(|_| "arguments")?)))
            .collect()
    }

    fn by_id(&self, plan: &'static TypePlan, id: &str, fields: &[&'c Field]) -> Result<Root, Miss> {
        let object = self.object(plan, fields)?;
        Ok(Root::One { rows: Rows::all(plan.table), id: id.to_string(), object })
    }

    fn sets(fields: &[&'c Field]) -> Vec<&'c SelectionSet> {
        fields.iter().map(|f| &f.selection_set.node).collect()
    }

    /// The object of `plan`'s type selected by `fields`.
    fn object(&self, plan: &'static TypePlan, fields: &[&'c Field]) -> Result<Object, Miss> {
        let grouped = self.group(&Self::sets(fields), plan.name);
        if grouped.len() > json::MAX_MEMBERS {
            return Err("width");
        }
        let mut members = Vec::with_capacity(grouped.len());
        for (key, group) in grouped {
            let name = group[0].name.node.as_str();
            let member = if name == "__typename" {
                Member::Literal(plan.name.to_string())
            } else {
                let (snake, field) = plan.field(name).ok_or("field")?;
                match field {
                    FieldPlan::Id => Member::Column(plan.table.pk, Scalar::Text),
                    FieldPlan::Column(kind) => Member::Column(snake, *kind),
                    FieldPlan::Pii(pc) => Member::Sealed(snake, *pc),
                    FieldPlan::ToOne { fk, target } => {
                        let t = target();
                        let object = self.object(t, &group)?;
                        Member::One(Box::new(One { rows: Rows::all(t.table), key: t.table.pk, from: fk, object }))
                    }
                    FieldPlan::OneBy { col, own, target } => {
                        let t = target();
                        let object = self.object(t, &group)?;
                        Member::One(Box::new(One { rows: Rows::all(t.table), key: col, from: own, object }))
                    }
                    FieldPlan::Poly { col, types } => {
                        let mut arms = Vec::new();
                        for t in types().iter().map(|t| t()) {
                            let object = self.object(t, &group)?;
                            // A type none of whose fields is selected resolves to null anyway.
                            if !object.members.is_empty() {
                                arms.push(Arm { prefix: t.prefix, rows: Rows::all(t.table), object });
                            }
                        }
                        Member::Poly(Box::new(Poly { col, arms }))
                    }
                    FieldPlan::Many { link, own, target, args } => {
                        Member::Many(Box::new(self.many(target(), *args, Some((*link, *own)), &group)?))
                    }
                }
            };
            members.push((key.to_string(), member));
        }
        Ok(Object { table: plan.table, members })
    }

    /// A connection of `plan`'s type selected by `fields` (one field, or several merged).
    fn many(
        &self,
        plan: &'static TypePlan,
        args: ArgsFn,
        link: Option<(Link, &'static str)>,
        fields: &[&'c Field],
    ) -> Result<Many, Miss> {
        let values = self.arguments(fields[0])?;
        let (filter, order, slice) = args(self.state, &values).map_err(|_| "arguments")?;
        let sort = if order.col == plan.table.pk { Scalar::Text } else { plan.scalar(order.col).ok_or("order")? };
        let connection = format!("{}Connection", plan.name);
        let edge = format!("{}Edge", plan.name);
        let mut members = Vec::new();
        for (key, group) in self.group(&Self::sets(fields), &connection) {
            let part = match group[0].name.node.as_str() {
                "__typename" => Part::Literal(connection.clone()),
                "totalCount" => Part::TotalCount,
                "nodes" => Part::Nodes(self.object(plan, &group)?),
                "edges" => {
                    let mut parts = Vec::new();
                    for (k, g) in self.group(&Self::sets(&group), &edge) {
                        parts.push((
                            k.to_string(),
                            match g[0].name.node.as_str() {
                                "__typename" => EdgePart::Literal(edge.clone()),
                                "cursor" => EdgePart::Cursor,
                                "node" => EdgePart::Node(self.object(plan, &g)?),
                                _ => return Err("field"),
                            },
                        ));
                    }
                    if parts.iter().filter(|(_, p)| matches!(p, EdgePart::Node(_))).count() > 1 {
                        return Err("edge nodes");
                    }
                    Part::Edges(parts)
                }
                "pageInfo" => {
                    let mut parts = Vec::new();
                    for (k, g) in self.group(&Self::sets(&group), "PageInfo") {
                        parts.push((
                            k.to_string(),
                            match g[0].name.node.as_str() {
                                "__typename" => PageInfoPart::Literal("PageInfo".to_string()),
                                "hasNextPage" => PageInfoPart::HasNextPage,
                                "hasPreviousPage" => PageInfoPart::HasPreviousPage,
                                "startCursor" => PageInfoPart::StartCursor,
                                "endCursor" => PageInfoPart::EndCursor,
                                _ => return Err("field"),
                            },
                        ));
                    }
                    Part::PageInfo(parts)
                }
                _ => return Err("field"),
            };
            members.push((key.to_string(), part));
        }
        if members.len() > json::MAX_MEMBERS {
            return Err("width");
        }
        let rows = Rows { table: plan.table, filter };
        Ok(Many { rows, link, order, sort, slice, members })
    }
}

/// The server's part of a compiled answer, applied member by member across all rows at once.
struct Fix<'a> {
    state: &'a GqlState,
    unmasked: bool,
    backend: DbBackend,
}

/// The member `key` of each object among `values` (absent in a null).
fn members<'v>(values: &'v mut [&mut Value], key: &str) -> Vec<&'v mut Value> {
    values
        .iter_mut()
        .filter_map(|v| match &mut **v {
            Value::Object(map) => map.get_mut(key),
            _ => None,
        })
        .collect()
}

/// The items of each list among `values`.
fn items<'v>(values: &'v mut [&mut Value]) -> Vec<&'v mut Value> {
    values
        .iter_mut()
        .flat_map(|v| match &mut **v {
            Value::List(items) => items.iter_mut().collect::<Vec<_>>(),
            _ => Vec::new(),
        })
        .collect()
}

type Fixed = Result<(), ()>;

impl Fix<'_> {
    fn root(&self, root: &Root, value: &mut Value) -> Fixed {
        match root {
            Root::One { object, .. } => self.objects(object, &mut [value]),
            Root::Many(m) => self.many(m, &mut [value]),
        }
    }

    fn root_needs(&self, root: &Root) -> bool {
        match root {
            Root::One { object, .. } => object.members.iter().any(|(_, m)| self.needs(m)),
            Root::Many(m) => self.many_needs(m),
        }
    }

    fn needs(&self, m: &Member) -> bool {
        match m {
            Member::Column(_, Scalar::Json) | Member::Sealed(..) | Member::Poly(_) => true,
            Member::Column(_, Scalar::Decimal) => self.backend != DbBackend::Postgres,
            Member::Column(..) | Member::Literal(_) => false,
            Member::One(one) => one.object.members.iter().any(|(_, m)| self.needs(m)),
            Member::Many(many) => self.many_needs(many),
        }
    }

    fn many_needs(&self, m: &Many) -> bool {
        m.members.iter().any(|(_, p)| match p {
            Part::Edges(_) | Part::PageInfo(_) => true,
            Part::Nodes(o) => o.members.iter().any(|(_, m)| self.needs(m)),
            Part::TotalCount | Part::Literal(_) => false,
        })
    }

    fn objects(&self, o: &Object, values: &mut [&mut Value]) -> Fixed {
        for (key, m) in &o.members {
            if !self.needs(m) {
                continue;
            }
            let mut kids = members(values, key);
            match m {
                Member::Column(_, Scalar::Json) => {
                    for v in kids {
                        // As the resolvers' `serde_json` maps hold it: keys sorted.
                        let json = std::mem::take(v).into_json().map_err(|_| ())?;
                        *v = Value::from_json(json).map_err(|_| ())?;
                    }
                }
                Member::Column(_, Scalar::Decimal) => {
                    for v in kids {
                        if let Value::String(text) = v {
                            let d = json::sqlite_decimal(text).ok_or(())?;
                            *v = Value::String(super::scalars::at_least_cents(d).to_string());
                        }
                    }
                }
                Member::Sealed(_, pc) => {
                    for v in kids {
                        *v = self.reveal(o.table.name, *pc, v)?;
                    }
                }
                Member::One(one) => self.objects(&one.object, &mut kids)?,
                Member::Many(many) => self.many(many, &mut kids)?,
                Member::Poly(p) => {
                    let mut by_arm: Vec<Vec<&mut Value>> = p.arms.iter().map(|_| Vec::new()).collect();
                    for v in kids {
                        // `[arm, object]` → the object.
                        let Value::List(pair) = v else { continue };
                        let (Some(Value::Number(arm)), Some(object)) = (pair.first(), pair.get(1)) else {
                            return Err(());
                        };
                        let arm = arm.as_u64().ok_or(())? as usize;
                        let object = object.clone();
                        *v = object;
                        by_arm.get_mut(arm).ok_or(())?.push(v);
                    }
                    for (arm, mut values) in p.arms.iter().zip(by_arm) {
                        self.objects(&arm.object, &mut values)?;
                    }
                }
                Member::Column(..) | Member::Literal(_) => {}
            }
        }
        Ok(())
    }

    fn reveal(&self, table: &str, pc: PiiColumn, v: &Value) -> Result<Value, ()> {
        let Value::List(pair) = v else { return Ok(Value::Null) };
        let (Some(Value::String(row)), Some(stored)) = (pair.first(), pair.get(1)) else { return Err(()) };
        let Value::String(ciphertext) = stored else { return Ok(Value::Null) };
        let plain = self.state.pii.reveal(table, pc, row, ciphertext, self.unmasked).map_err(|_| ())?;
        Ok(Value::String(plain))
    }

    fn cursor(&self, m: &Many, v: &mut Value) -> Fixed {
        if matches!(v, Value::Null) {
            return Ok(());
        }
        let raw = std::mem::take(v).into_json().map_err(|_| ())?;
        let serde_json::Value::Array(pair) = raw else { return Err(()) };
        let (Some(value), Some(serde_json::Value::String(id))) = (pair.first(), pair.get(1)) else {
            return Err(());
        };
        let value = json::cursor_value(m.sort, self.backend, value).ok_or(())?;
        *v = Value::String(self.state.cursors.encode(&m.order, &value, id));
        Ok(())
    }

    fn many(&self, m: &Many, values: &mut [&mut Value]) -> Fixed {
        for (key, part) in &m.members {
            match part {
                Part::Edges(parts) => {
                    let mut lists = members(values, key);
                    let mut edges = items(&mut lists);
                    for (k, p) in parts {
                        match p {
                            EdgePart::Cursor => {
                                for v in members(&mut edges, k) {
                                    self.cursor(m, v)?;
                                }
                            }
                            EdgePart::Node(o) => self.objects(o, &mut members(&mut edges, k))?,
                            EdgePart::Literal(_) => {}
                        }
                    }
                }
                Part::Nodes(o) => {
                    let mut lists = members(values, key);
                    self.objects(o, &mut items(&mut lists))?;
                }
                Part::PageInfo(parts) => {
                    let mut infos = members(values, key);
                    for (k, p) in parts {
                        if matches!(p, PageInfoPart::StartCursor | PageInfoPart::EndCursor) {
                            for v in members(&mut infos, k) {
                                self.cursor(m, v)?;
                            }
                        }
                    }
                }
                Part::TotalCount | Part::Literal(_) => {}
            }
        }
        Ok(())
    }
}
