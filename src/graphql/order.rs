//! Response keys in selection order (GraphQL spec, "Serialized Map Ordering"). async-graphql
//! resolves the fields of a query's objects concurrently and inserts each into the result map as
//! it completes, so two identical requests could answer `{totalCount, nodes}` and then
//! `{nodes, totalCount}`; clients that diff or snapshot responses need the same bytes for the same
//! data. This extension keeps the parsed document and, after execution, puts every object's keys
//! back in the order of the (fragment-expanded) selection that produced it. A list's items share
//! one plan, built once; an object already in order is left as it is.
//!
//! A root field the planner compiled (`graphql/planner.rs`) arrives in selection order already —
//! the database built it so — and is not walked ([`CompiledRoots`]); only the root keys are put in
//! order. `tests/api/differential.rs` holds the planner to it: its bytes must equal the resolvers'
//! reordered ones.
//!
//! Errors get a stable order too, by path, then location, then message: the errors of a list's
//! items arrive in the order their resolvers finish, and validation reports in hash order.

use std::cell::{OnceCell, RefCell};
use std::rc::Rc;
use std::sync::{Arc, Mutex};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest, NextRequest,
    NextSubscribe, NextValidation,
};
use async_graphql::futures_util::stream::{BoxStream, StreamExt};
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Directive, ExecutableDocument, OperationDefinition, Selection, SelectionSet};
use async_graphql::registry::{MetaType, Registry};
use async_graphql::{
    Name, PathSegment, Positioned, Request, Response, ServerError, ServerResult, ValidationResult, Value, Variables,
};

use super::documents::{Documents, Entry, KeptDocument, ValidationKey, lock};

/// Holds the parsed-document cache: a request's document is usually kept there already, and
/// sharing it costs less than copying it. The same extension reuses the validations a kept
/// document passed (`graphql::documents`): one extension rather than two, because each costs a
/// boxed future per resolved field.
pub struct ResponseOrder(pub Arc<Documents>);

impl ExtensionFactory for ResponseOrder {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ResponseOrderExtension {
            doc: Arc::default(),
            documents: self.0.clone(),
            operation: Mutex::default(),
            validation: Mutex::default(),
        })
    }
}

/// The response keys of the root fields the planner compiled in this request (request data, put
/// there by the extension): their values are in selection order already.
#[derive(Default)]
pub struct CompiledRoots(Mutex<Vec<Name>>);

impl CompiledRoots {
    pub fn record(&self, key: &Name) {
        lock(&self.0).push(key.clone());
    }

    fn keys(&self) -> Vec<Name> {
        std::mem::take(&mut *lock(&self.0))
    }
}

/// The request's document and variables, kept from parsing to the response.
struct Kept {
    doc: Arc<ExecutableDocument>,
    variables: Variables,
}

/// What a plan is read from: the document, the variables its `@skip`/`@include` look at, and the
/// schema (which object types a fragment's type condition applies to).
#[derive(Clone, Copy)]
struct Src<'d> {
    doc: &'d ExecutableDocument,
    variables: &'d Variables,
    registry: Option<&'d Registry>,
}

/// The request's document, kept from parsing to the response (a subscription's events arrive
/// after parsing too, hence the shared slot).
struct ResponseOrderExtension {
    doc: Arc<Mutex<Option<Arc<Kept>>>>,
    documents: Arc<Documents>,
    /// The operation the request names (from `prepare_request`, for the validation key).
    operation: Mutex<Option<String>>,
    /// Where this request's validation is kept (from `parse_query`), when its document is kept.
    validation: Mutex<Option<(Arc<Entry>, ValidationKey)>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for ResponseOrderExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        *lock(&self.operation) = request.operation_name.clone();
        next.run(ctx, request.data(CompiledRoots::default())).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let doc = next.run(ctx, query, variables).await?;
        let kept = match self.documents.entry_for(ctx.data_opt::<KeptDocument>(), query) {
            Some(entry) => {
                let operation = lock(&self.operation).take();
                if let Some(key) = ValidationKey::of(&entry.doc, operation.as_deref(), variables) {
                    *lock(&self.validation) = Some((entry.clone(), key));
                }
                entry.doc.clone()
            }
            None => Arc::new(doc.clone()),
        };
        *lock(&self.doc) = Some(Arc::new(Kept { doc: kept, variables: variables.clone() }));
        Ok(doc)
    }

    /// A kept document validated before under the same key is not validated again; a success is
    /// kept, a refusal is not (the next request is validated and gets its errors).
    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let slot = lock(&self.validation).take();
        if let Some(known) = slot.as_ref().and_then(|(entry, key)| entry.validated(key)) {
            return Ok(known);
        }
        let result = next.run(ctx).await?;
        if let Some((entry, key)) = slot {
            entry.remember(key, result);
        }
        Ok(result)
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut res = next.run(ctx).await;
        sort_errors(&mut res.errors);
        res
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        let mut res = next.run(ctx, operation_name).await;
        let compiled = ctx.data_opt::<CompiledRoots>().map(CompiledRoots::keys).unwrap_or_default();
        reorder(&self.doc, operation_name, &mut res, &compiled, &ctx.schema_env.registry);
        res
    }

    fn subscribe<'s>(
        &self,
        ctx: &ExtensionContext<'_>,
        stream: BoxStream<'s, Response>,
        next: NextSubscribe<'_>,
    ) -> BoxStream<'s, Response> {
        let (slot, env) = (self.doc.clone(), ctx.schema_env.clone());
        next.run(ctx, stream)
            .map(move |mut res| {
                // The operation of a subscription is the only one the document may select by
                // default; a named one is found by its root field set all the same.
                reorder(&slot, None, &mut res, &[], &env.registry);
                res
            })
            .boxed()
    }
}

fn sort_errors(errors: &mut [ServerError]) {
    fn path(e: &ServerError) -> Vec<(usize, &str)> {
        e.path
            .iter()
            .map(|p| match p {
                PathSegment::Index(i) => (*i, ""),
                PathSegment::Field(f) => (usize::MAX, f.as_str()),
            })
            .collect()
    }
    errors.sort_by(|a, b| {
        let at = |e: &ServerError| e.locations.iter().map(|l| (l.line, l.column)).collect::<Vec<_>>();
        path(a).cmp(&path(b)).then_with(|| at(a).cmp(&at(b))).then_with(|| a.message.cmp(&b.message))
    });
}

/// Puts `res` in selection order; the values of `compiled` root keys are in order already.
fn reorder(
    slot: &Mutex<Option<Arc<Kept>>>,
    operation_name: Option<&str>,
    res: &mut Response,
    compiled: &[Name],
    registry: &Registry,
) {
    let Some(kept) = lock(slot).clone() else { return };
    let src = Src { doc: &kept.doc, variables: &kept.variables, registry: Some(registry) };
    let Some(op) = operation(src, operation_name, &res.data) else { return };
    apply(&mut res.data, &Plan::of(&[&op.selection_set.node], src), src, compiled);
}

/// The operation that produced `data`: the named one, the only one, or (a subscription event,
/// whose name the hook does not see) the one whose root keys match.
fn operation<'d>(src: Src<'d>, name: Option<&str>, data: &Value) -> Option<&'d OperationDefinition> {
    let doc = src.doc;
    if let Some(name) = name {
        return doc.operations.iter().find(|(n, _)| n.map(|n| n.as_str()) == Some(name)).map(|(_, op)| &op.node);
    }
    let mut ops = doc.operations.iter().map(|(_, op)| &op.node);
    let (first, second) = (ops.next()?, ops.next());
    let Some(second) = second else { return Some(first) };
    let Value::Object(map) = data else { return None };
    [first, second].into_iter().chain(ops).find(|op| {
        let plan = Plan::of(&[&op.selection_set.node], src);
        map.keys().all(|k| plan.keys.contains_key(k.as_str()))
    })
}

/// The response keys one object can have, in selection order, each with the selection sets that
/// build its value (one field may be selected several times; the executor merges them).
///
/// A fragment with a type condition takes part only for the object types it applies to (GraphQL
/// spec, CollectFields: DoesFragmentTypeApply), so where the selection has such fragments each
/// object is ordered by the plan of its own type ([`Plan::typed_for`]): in `{ a: __typename ... on
/// P { id __typename } ... on C { b: id __typename } }` a `C` answers `a, b, __typename`, while
/// one plan for every type would put `__typename` in `P`'s place. Found by the differential test.
struct Plan<'d> {
    keys: IndexMap<&'d str, (Vec<&'d SelectionSet>, OnceCell<Plan<'d>>)>,
    /// The selection sets collected (to collect them again for one type).
    sets: Vec<&'d SelectionSet>,
    /// The type conditions of the fragments collected, when no type was given.
    conditions: Vec<&'d str>,
    /// Response keys of `__typename` fields: their value is the object's type.
    typename_keys: Vec<&'d str>,
    /// This plan for one object type, per type met ("" for a type no condition applies to).
    typed: RefCell<Vec<(String, Rc<Plan<'d>>)>>,
    /// The object types the conditions can mean (and ""), found once for a list's objects.
    candidates: OnceCell<Vec<&'d str>>,
}

impl<'d> Plan<'d> {
    /// The plan of an object of any type: every fragment takes part.
    fn of(sets: &[&'d SelectionSet], src: Src<'d>) -> Plan<'d> {
        Plan::collect_for(sets, src, None)
    }

    fn collect_for(sets: &[&'d SelectionSet], src: Src<'d>, ty: Option<&str>) -> Plan<'d> {
        let mut plan = Plan {
            keys: IndexMap::new(),
            sets: sets.to_vec(),
            conditions: Vec::new(),
            typename_keys: Vec::new(),
            typed: RefCell::default(),
            candidates: OnceCell::new(),
        };
        for set in sets {
            plan.collect(set, src, ty, &mut Vec::new());
        }
        plan
    }

    /// Fragments are expanded in place, those whose type condition does not apply to `ty` left
    /// out (all taken when `ty` is `None`); the validator has refused cycles before execution,
    /// and `visiting` keeps a cycle from looping even so. A selection that `@skip`/`@include`
    /// leave out is not there (GraphQL spec, CollectFields): the kept document still holds it,
    /// the executed one does not.
    fn collect(&mut self, set: &'d SelectionSet, src: Src<'d>, ty: Option<&str>, visiting: &mut Vec<&'d Name>) {
        for item in &set.items {
            if excluded(item.node.directives(), src.variables) {
                continue;
            }
            match &item.node {
                Selection::Field(f) => {
                    let key = f.node.response_key().node.as_str();
                    if f.node.name.node == "__typename" {
                        self.typename_keys.push(key);
                    }
                    let entry = self.keys.entry(key).or_default();
                    if !f.node.selection_set.node.items.is_empty() {
                        entry.0.push(&f.node.selection_set.node);
                    }
                }
                Selection::InlineFragment(f) => {
                    let condition = f.node.type_condition.as_ref().map(|c| c.node.on.node.as_str());
                    if self.takes(condition, src, ty) {
                        self.collect(&f.node.selection_set.node, src, ty, visiting);
                    }
                }
                Selection::FragmentSpread(s) => {
                    let name = &s.node.fragment_name.node;
                    if visiting.contains(&name) {
                        continue;
                    }
                    if let Some(frag) = src.doc.fragments.get(name)
                        && self.takes(Some(frag.node.type_condition.node.on.node.as_str()), src, ty)
                    {
                        visiting.push(name);
                        self.collect(&frag.node.selection_set.node, src, ty, visiting);
                        visiting.pop();
                    }
                }
            }
        }
    }

    /// Whether a fragment with `condition` takes part in the plan for `ty` (recording the
    /// condition when no type is given).
    fn takes(&mut self, condition: Option<&'d str>, src: Src<'d>, ty: Option<&str>) -> bool {
        match (condition, ty) {
            (None, _) => true,
            (Some(c), None) => {
                self.conditions.push(c);
                true
            }
            (Some(c), Some(t)) => applies(c, t, src.registry),
        }
    }

    /// The plan of `map`'s own type when the selection has type conditions: the type its
    /// `__typename` names (when that plan has exactly `map`'s keys), else the one order among the
    /// types the conditions could mean whose keys are exactly `map`'s. `None` (this plan) when
    /// there are no conditions or the type stays ambiguous.
    fn typed_for(&self, map: &IndexMap<Name, Value>, src: Src<'d>) -> Option<Rc<Plan<'d>>> {
        if self.conditions.is_empty() {
            return None;
        }
        let named = self.typename_keys.iter().find_map(|k| match map.get(*k) {
            Some(Value::String(t)) => Some(t.as_str()),
            _ => None,
        });
        let fits =
            |plan: &Plan<'d>| plan.keys.len() == map.len() && map.keys().all(|k| plan.keys.contains_key(k.as_str()));
        if let Some(t) = named {
            // A key may be `__typename` under one type and another field under another.
            let plan = self.typed(t, src);
            if fits(&plan) {
                return Some(plan);
            }
        }
        let registry = src.registry?;
        let candidates = self.candidates.get_or_init(|| {
            let mut candidates: Vec<&'d str> = vec![""];
            for c in &self.conditions {
                match registry.types.get(*c).and_then(MetaType::possible_types) {
                    Some(possible) => candidates.extend(possible.iter().map(String::as_str)),
                    None => candidates.push(c),
                }
            }
            candidates.sort_unstable();
            candidates.dedup();
            candidates
        });
        let mut found: Option<Rc<Plan<'d>>> = None;
        for &t in candidates {
            let plan = self.typed(t, src);
            if !fits(&plan) {
                continue;
            }
            match &found {
                Some(f) if !f.keys.keys().eq(plan.keys.keys()) => return None,
                Some(_) => {}
                None => found = Some(plan),
            }
        }
        found
    }

    fn typed(&self, ty: &str, src: Src<'d>) -> Rc<Plan<'d>> {
        if let Some((_, plan)) = self.typed.borrow().iter().find(|(t, _)| t == ty) {
            return plan.clone();
        }
        let plan = Rc::new(Plan::collect_for(&self.sets, src, Some(ty)));
        self.typed.borrow_mut().push((ty.to_string(), plan.clone()));
        plan
    }
}

/// Whether a fragment on `condition` applies to an object of type `ty` (async-graphql's rule: the
/// type itself, an interface it implements, or a union it belongs to).
fn applies(condition: &str, ty: &str, registry: Option<&Registry>) -> bool {
    condition == ty
        || registry.is_some_and(|r| {
            r.implements.get(ty).is_some_and(|interfaces| interfaces.contains(condition))
                || r.types.get(condition).is_some_and(|c| c.is_possible_type(ty))
        })
}

/// Whether `@skip(if:)` or `@include(if:)` leave a selection out, decided as the executor decides
/// it (async-graphql's `remove_skipped_selection`, which runs before execution): a condition that
/// is not a boolean counts as `false`.
fn excluded(directives: &[Positioned<Directive>], variables: &Variables) -> bool {
    directives.iter().any(|d| {
        let include = match d.node.name.node.as_str() {
            "skip" => false,
            "include" => true,
            _ => return false,
        };
        d.node.get_argument("if").is_some_and(|cond| {
            let value =
                cond.node.clone().into_const_with(|name| variables.get(&name).cloned().ok_or(())).unwrap_or_default();
            include != matches!(value, Value::Boolean(true))
        })
    })
}

#[cfg(test)]
fn order(value: &mut Value, sets: &[&SelectionSet], doc: &ExecutableDocument) {
    let variables = Variables::default();
    let src = Src { doc, variables: &variables, registry: None };
    apply(value, &Plan::of(sets, src), src, &[]);
}

/// `skip`: keys of this object whose values are left as they are (a compiled root field, selected
/// once: a key selected several times is merged by the executor, and walked).
fn apply<'d>(value: &mut Value, plan: &Plan<'d>, src: Src<'d>, skip: &[Name]) {
    match value {
        Value::List(items) => items.iter_mut().for_each(|item| apply(item, plan, src, &[])),
        Value::Object(map) => {
            let typed = plan.typed_for(map, src);
            let plan = typed.as_deref().unwrap_or(plan);
            let rank = |k: &Name| plan.keys.get_index_of(k.as_str()).unwrap_or(usize::MAX);
            if !map.keys().map(rank).is_sorted() {
                map.sort_by(|a, _, b, _| rank(a).cmp(&rank(b)));
            }
            for (key, child) in map.iter_mut() {
                if let Some((sets, sub)) = plan.keys.get(key.as_str())
                    && !sets.is_empty()
                    && !(sets.len() == 1 && skip.contains(key))
                {
                    apply(child, sub.get_or_init(|| Plan::of(sets, src)), src, &[]);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_selection_through_fragments_and_lists() {
        let doc =
            async_graphql::parser::parse_query("{ a { ...F x: y } b } fragment F on T { z ... on T { w } }").unwrap();
        let mut data = Value::from_json(serde_json::json!({
            "b": 1,
            "a": [{ "x": 1, "w": 2, "z": 3 }, { "w": 2, "z": 3, "x": 1 }],
        }))
        .unwrap();
        let variables = Variables::default();
        let op = operation(Src { doc: &doc, variables: &variables, registry: None }, None, &data).unwrap();
        order(&mut data, &[&op.selection_set.node], &doc);
        assert_eq!(serde_json::to_string(&data).unwrap(), r#"{"a":[{"z":3,"w":2,"x":1},{"z":3,"w":2,"x":1}],"b":1}"#);
    }

    #[test]
    fn a_compiled_root_selected_once_is_left_as_it_is_and_everything_else_is_ordered() {
        let doc = async_graphql::parser::parse_query("{ a { x y } b { x y } c { x } c { y } }").unwrap();
        // Parsed as text: `json!` would sort the keys.
        let mut data: Value =
            serde_json::from_str(r#"{"c": {"y": 1, "x": 2}, "b": {"y": 1, "x": 2}, "a": {"y": 1, "x": 2}}"#).unwrap();
        let variables = Variables::default();
        let src = Src { doc: &doc, variables: &variables, registry: None };
        let op = operation(src, None, &data).unwrap();
        let compiled = [Name::new("a"), Name::new("c")];
        apply(&mut data, &Plan::of(&[&op.selection_set.node], src), src, &compiled);
        assert_eq!(
            serde_json::to_string(&data).unwrap(),
            r#"{"a":{"y":1,"x":2},"b":{"x":2,"y":1},"c":{"x":2,"y":1}}"#,
            "the root keys in order; a left alone; c, selected twice, walked"
        );
    }

    /// Found by the differential test: `{ x @include(if: false) y x }` answers `y` before `x`,
    /// as the executor collects it; the kept document still holds the left-out `x`.
    #[test]
    fn a_selection_left_out_by_skip_or_include_takes_no_place_in_the_order() {
        let doc = async_graphql::parser::parse_query(
            "query($no: Boolean!, $yes: Boolean!) { a { x @include(if: $no) y x } b { x @skip(if: $yes) ... @include(if: $no) { z } y x z } }",
        )
        .unwrap();
        let mut data: Value =
            serde_json::from_str(r#"{"a": {"x": 1, "y": 2}, "b": {"x": 1, "y": 2, "z": 3}}"#).unwrap();
        let variables = Variables::from_json(serde_json::json!({ "no": false, "yes": true }));
        let src = Src { doc: &doc, variables: &variables, registry: None };
        let op = operation(src, None, &data).unwrap();
        apply(&mut data, &Plan::of(&[&op.selection_set.node], src), src, &[]);
        assert_eq!(serde_json::to_string(&data).unwrap(), r#"{"a":{"y":2,"x":1},"b":{"y":2,"x":1,"z":3}}"#);
    }

    /// Found by the differential test: a fragment whose type condition does not apply to the
    /// object takes no place in its order (here `P`'s `__typename` before `C`'s `b`).
    #[test]
    fn a_fragment_on_another_type_takes_no_place_in_the_order() {
        let doc = async_graphql::parser::parse_query(
            "{ e { a: __typename ... on P { id __typename x } ... on C { b: id __typename y } } }",
        )
        .unwrap();
        let mut data: Value =
            serde_json::from_str(r#"{"e": [{"y": 1, "__typename": "C", "b": "c", "a": "C"}, {"x": 2, "__typename": "P", "id": "p", "a": "P"}]}"#)
                .unwrap();
        let variables = Variables::default();
        let op = operation(Src { doc: &doc, variables: &variables, registry: None }, None, &data).unwrap();
        order(&mut data, &[&op.selection_set.node], &doc);
        assert_eq!(
            serde_json::to_string(&data).unwrap(),
            r#"{"e":[{"a":"C","b":"c","__typename":"C","y":1},{"a":"P","id":"p","__typename":"P","x":2}]}"#
        );
    }

    /// Without `__typename` the object's type is the one whose keys the object has: the schema's
    /// registry names the types a condition can mean.
    #[tokio::test]
    async fn without_typename_an_object_is_ordered_by_the_type_its_keys_belong_to() {
        use async_graphql::{EmptyMutation, EmptySubscription, Object, Schema, SimpleObject, Union};
        #[derive(SimpleObject)]
        struct P {
            y: i32,
        }
        #[derive(SimpleObject)]
        struct C {
            x: i32,
            y: i32,
        }
        #[derive(Union)]
        enum E {
            P(P),
            C(C),
        }
        struct Query;
        #[Object]
        impl Query {
            async fn e(&self) -> Vec<E> {
                vec![E::C(C { x: 1, y: 2 }), E::P(P { y: 3 })]
            }
        }
        let schema = Schema::build(Query, EmptyMutation, EmptySubscription)
            .extension(ResponseOrder(Arc::new(Documents::default())))
            .finish();
        // A GraphQL request, not SQL: the test schema has no database.
        let res = Schema::execute(&schema, "{ e { ... on P { y } ... on C { x y } } }").await;
        assert!(res.errors.is_empty(), "{:?}", res.errors);
        assert_eq!(serde_json::to_string(&res.data).unwrap(), r#"{"e":[{"x":1,"y":2},{"y":3}]}"#);
    }

    #[test]
    fn errors_are_ordered_by_path_then_location_then_message() {
        let err = |msg: &str, path: Vec<PathSegment>| {
            let mut e = ServerError::new(msg, None);
            e.path = path;
            e
        };
        let field = |f: &str| PathSegment::Field(f.into());
        let mut errors = vec![
            err("b", vec![field("x"), PathSegment::Index(10)]),
            err("z", vec![field("x"), PathSegment::Index(2)]),
            err("a", vec![field("x"), PathSegment::Index(10)]),
            err("v", vec![]),
        ];
        sort_errors(&mut errors);
        let order: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(order, ["v", "z", "a", "b"]);
    }
}
