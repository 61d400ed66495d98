//! The macros behind every entity of the API, invoked once per entity in `model.rs`: `resource!`
//! expands one entity's column and relation list into its object type, `XFilter`, `XOrderBy` and
//! the `Resource` impl; `write_inputs!` its create/update inputs and `Writable` impl; `query_root!`
//! the flat `QueryRoot`. The bodies name the generic code they expand into by `$crate::graphql::…`
//! paths — `resource.rs` (the traits), `connection.rs`, `loaders.rs` — never `model.rs`: what only
//! the registrations define (`Node`, `node_by_id`) is taken from the invocation site, so these
//! modules depend on nothing above them.

/// Expands one entity. See `model.rs` for the invocations; a `poly` relation needs `Node` and
/// `node_by_id` in scope there.
macro_rules! resource {
    (
        $(#[doc = $doc:expr])*
        $ty:ident {
            model: $module:ident, pk: $pk:ident,
            filter: $filter:ident, order: $orderby:ident [$orderfield:ident],
            aggregate: $aggroup:ident [$groupby:ident],
            inputs: $inputs:tt,
            fields { $($f:ident: $rty:ty => $filt:ty),* $(,)? }
            $(pii { $($p:ident: $pc:ident),* $(,)? })?
            $(extra_filters { $($xf:ident: $xt:ty => $xto:path),* $(,)? })?
            order_fields { $($ov:ident),* $(,)? }
            to_one { $($rel:ident: $target:ident = $fk:ident),* $(,)? }
            one_by { $($ob:ident: $obt:ident = $obcol:ident <- $obself:ident),* $(,)? }
            poly { $($poly:ident = $pcol:ident),* $(,)? }
            to_many { $($many:ident: $mt:ident = $how:ident($($link:tt)*) <- $mself:ident),* $(,)? }
        }
    ) => {
        $crate::graphql::resource_macros::write_inputs! {
            @munch $ty $module $pk $inputs
            [to_one $( $fk = $target ),*]
            [pii $($( $p ),*)?]
            []
            $( $f: $rty, )*
        }

        $(#[doc = $doc])*
        const _: () = assert!(
            $crate::catalog::same(stringify!($pk), <entity::$module::Entity as $crate::catalog::Catalogued>::TABLE.pk),
            "pk must be the catalogue's primary key"
        );
        // Every to-one registration is a reference of the catalogue.
        $( const _: $crate::repo::page::Link = $crate::repo::page::Link::by::<
            entity::$module::Entity,
            <<$target as $crate::graphql::resource::Resource>::Model as sea_orm::ModelTrait>::Entity,
        >(stringify!($fk)); )*

        #[derive(Clone, Debug)]
        pub struct $ty(pub entity::$module::Model);

        impl $crate::graphql::resource::Resource for $ty {
            type Model = entity::$module::Model;
            type Filter = $filter;
            type OrderBy = $orderby;
            const NAME: &'static str = stringify!($ty);
            const TABLE: $crate::repo::page::Table = <entity::$module::Entity as $crate::catalog::Catalogued>::TABLE;
            const PREFIX: &'static str = <entity::$module::Entity as $crate::catalog::Catalogued>::FACTS.prefix;
            const NESTED: &'static [$crate::graphql::resource::Nested] = &[$(
                $crate::graphql::resource::Nested {
                    field: stringify!($many),
                    table: <$mt as $crate::graphql::resource::Resource>::TABLE,
                    link: $crate::graphql::resource_macros::nested_link!($how $module $mt $($link)*),
                },
            )*];
            fn plan() -> &'static $crate::graphql::planner::TypePlan {
                use $crate::graphql::planner::{FieldPlan, TypePlan};
                const PLAN: TypePlan = TypePlan {
                    name: stringify!($ty),
                    table: <entity::$module::Entity as $crate::catalog::Catalogued>::TABLE,
                    prefix: <entity::$module::Entity as $crate::catalog::Catalogued>::FACTS.prefix,
                    fields: &[
                        ("id", FieldPlan::Id),
                        $( (stringify!($f), FieldPlan::Column(<$rty as $crate::graphql::scalars::Expose>::JSON)), )*
                        $($( (stringify!($p), FieldPlan::Pii($crate::services::pii::$pc)), )*)?
                        $( (stringify!($rel), FieldPlan::ToOne {
                            fk: stringify!($fk),
                            target: <$target as $crate::graphql::resource::Resource>::plan,
                        }), )*
                        $( (stringify!($ob), FieldPlan::OneBy {
                            col: stringify!($obcol),
                            own: stringify!($obself),
                            target: <$obt as $crate::graphql::resource::Resource>::plan,
                        }), )*
                        $( (stringify!($poly), FieldPlan::Poly { col: stringify!($pcol), types: QueryRoot::plans }), )*
                        $( (stringify!($many), FieldPlan::Many {
                            link: $crate::graphql::resource_macros::nested_link!($how $module $mt $($link)*),
                            own: stringify!($mself),
                            target: <$mt as $crate::graphql::resource::Resource>::plan,
                            args: $crate::graphql::planner::page_args::<$mt>,
                        }), )*
                    ],
                };
                &PLAN
            }
            fn wrap(model: Self::Model) -> Self { $ty(model) }
            fn id_of(model: &Self::Model) -> &str { &model.$pk }
            fn column_value(model: &Self::Model, col: &'static str) -> sea_orm::Value {
                use sea_orm::{IdenStatic, ModelTrait};
                type Col = entity::$module::Column;
                $( if col == Col::$ov.as_str() { return model.get(Col::$ov); } )*
                sea_orm::Value::String(None)
            }
        }

        #[doc = concat!("Filter on ", stringify!($ty), ": per-column operators, to-one relations, and `and`/`or`/`not`.")]
        #[derive(async_graphql::InputObject, Clone, Debug, Default)]
        pub struct $filter {
            $( pub $f: Option<$filt>, )*
            $($( pub $p: Option<$crate::graphql::filters::PiiFilter>, )*)?
            $($( pub $xf: Option<$xt>, )*)?
            $( pub $rel: Option<Box<<$target as $crate::graphql::resource::Resource>::Filter>>, )*
            pub and: Option<Vec<$filter>>,
            pub or: Option<Vec<$filter>>,
            pub not: Option<Box<$filter>>,
        }

        impl $crate::graphql::resource::FilterInput for $filter {
            fn to_filter(&self, pii: &$crate::services::pii::Pii) -> $crate::error::AppResult<Option<$crate::repo::filter::Filter>> {
                #[allow(unused_imports)]
                use $crate::graphql::{filters::FieldFilter, resource::{FilterInput, Resource}};
                use $crate::repo::filter::Filter;
                let mut parts: Vec<Filter> = Vec::new();
                $( if let Some(f) = &self.$f { parts.extend(f.to_filters(stringify!($f))?); } )*
                $($( if let Some(f) = &self.$p {
                    parts.extend(f.to_filters(pii, stringify!($module), $crate::services::pii::$pc)?);
                } )*)?
                $($( if let Some(v) = &self.$xf { parts.push($xto(v)); } )*)?
                $( if let Some(f) = &self.$rel {
                    let inner = f.to_filter(pii)?.unwrap_or(Filter::And(vec![]));
                    parts.push(Filter::Related {
                        col: stringify!($fk),
                        table: <$target as Resource>::TABLE.name,
                        key: <$target as Resource>::TABLE.pk,
                        filter: Box::new(inner),
                    });
                } )*
                if let Some(list) = &self.and {
                    for f in list { parts.extend(f.to_filter(pii)?); }
                }
                if let Some(list) = &self.or {
                    let alts = list.iter().map(|f| f.to_filter(pii).map(|o| o.unwrap_or(Filter::And(vec![])))).collect::<Result<Vec<_>, _>>()?;
                    parts.push(Filter::Or(alts));
                }
                if let Some(f) = &self.not {
                    parts.push(Filter::Not(Box::new(f.to_filter(pii)?.unwrap_or(Filter::And(vec![])))));
                }
                Ok(Filter::all(parts))
            }
        }

        #[doc = concat!("Sortable columns of ", stringify!($ty), ".")]
        #[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq)]
        pub enum $orderfield { $($ov),* }

        #[doc = concat!("Ordering of ", stringify!($ty), " lists; the id breaks ties, NULLs sort last.")]
        #[derive(async_graphql::InputObject, Clone, Debug)]
        pub struct $orderby {
            pub field: $orderfield,
            #[graphql(default)]
            pub direction: $crate::graphql::filters::OrderDirection,
        }

        impl $crate::graphql::resource::OrderInput for $orderby {
            fn to_order(&self) -> $crate::repo::page::Order {
                type Col = entity::$module::Column;
                $crate::repo::page::Order::by(
                    match self.field { $( $orderfield::$ov => Col::$ov, )* },
                    self.direction == $crate::graphql::filters::OrderDirection::Desc,
                )
            }
        }

        #[doc = concat!("A grouping key of ", stringify!($ty), " aggregates: `field` (a column), or `path` (`relation.field`: a sortable field of a to-one relation's target, e.g. `channel.channelType`); `bucket` cuts a date or date-time key into days, weeks, months or quarters of the business timezone.")]
        #[derive(async_graphql::InputObject, Clone, Debug)]
        pub struct $groupby {
            pub field: Option<$orderfield>,
            pub path: Option<String>,
            pub bucket: Option<$crate::graphql::aggregate::DateBucket>,
        }

        impl $crate::graphql::aggregate::GroupByInput<$orderfield> for $groupby {
            fn parts(&self) -> (Option<$orderfield>, Option<&str>, Option<$crate::graphql::aggregate::DateBucket>) {
                (self.field, self.path.as_deref(), self.bucket)
            }
        }

        #[doc = concat!("One group of ", stringify!($ty), " records: its keys and the measures selected (only those are computed).")]
        pub struct $aggroup(pub $crate::services::aggregate::Group);

        impl From<$crate::services::aggregate::Group> for $aggroup {
            fn from(g: $crate::services::aggregate::Group) -> Self { $aggroup(g) }
        }

        #[async_graphql::Object]
        impl $aggroup {
            /// The group's keys by name: a field's name, a path, `.day`/`.week`/`.month`/`.quarter` after a bucketed key; a bucket is its first day.
            async fn keys(&self) -> $crate::graphql::scalars::Json {
                $crate::graphql::aggregate::Fields::keys(&self.0)
            }
            /// The number of records in the group.
            async fn count(&self) -> i64 {
                self.0.count
            }
            /// The number of distinct non-null values of `field` in the group.
            async fn count_distinct(&self, field: $orderfield) -> $crate::graphql::errors::GqlResult<i64> {
                $crate::graphql::aggregate::Fields::count_distinct(&self.0, <$ty as $crate::graphql::aggregate::Aggregated>::column(field))
            }
            /// The exact sum of a numeric field (null when it has no values).
            async fn sum(&self, field: $orderfield) -> $crate::graphql::errors::GqlResult<Option<rust_decimal::Decimal>> {
                $crate::graphql::aggregate::Fields::sum(&self.0, <$ty as $crate::graphql::aggregate::Aggregated>::column(field))
            }
            /// The average of a numeric field, exact to 6 fraction digits (half away from zero).
            async fn avg(&self, field: $orderfield) -> $crate::graphql::errors::GqlResult<Option<rust_decimal::Decimal>> {
                $crate::graphql::aggregate::Fields::avg(&self.0, <$ty as $crate::graphql::aggregate::Aggregated>::column(field))
            }
            /// The least value of a numeric, date or date-time field, rendered as the field is.
            async fn min(&self, field: $orderfield) -> $crate::graphql::errors::GqlResult<Option<$crate::graphql::scalars::Json>> {
                $crate::graphql::aggregate::Fields::min(&self.0, <$ty as $crate::graphql::aggregate::Aggregated>::column(field))
            }
            /// The greatest value of a numeric, date or date-time field, rendered as the field is.
            async fn max(&self, field: $orderfield) -> $crate::graphql::errors::GqlResult<Option<$crate::graphql::scalars::Json>> {
                $crate::graphql::aggregate::Fields::max(&self.0, <$ty as $crate::graphql::aggregate::Aggregated>::column(field))
            }
        }

        impl $crate::graphql::aggregate::Aggregated for $ty {
            type Field = $orderfield;
            type GroupBy = $groupby;
            type Group = $aggroup;
            fn column(field: $orderfield) -> $crate::repo::aggregate::Column {
                type Col = entity::$module::Column;
                $crate::repo::aggregate::Column::of(match field { $( $orderfield::$ov => Col::$ov, )* })
            }
            fn column_named(name: &str) -> Option<$crate::repo::aggregate::Column> {
                use sea_orm::IdenStatic;
                type Col = entity::$module::Column;
                $( if $crate::catalog::is_field_name(Col::$ov.as_str(), name) { return Some($crate::repo::aggregate::Column::of(Col::$ov)); } )*
                None
            }
            #[allow(unused_variables)]
            fn to_one(name: &str) -> Option<($crate::services::aggregate::Via, $crate::graphql::aggregate::ColumnNamed)> {
                $( if $crate::catalog::is_field_name(stringify!($rel), name) {
                    return Some((
                        $crate::services::aggregate::Via { fk: stringify!($fk), table: <$target as $crate::graphql::resource::Resource>::TABLE },
                        <$target as $crate::graphql::aggregate::Aggregated>::column_named,
                    ));
                } )*
                None
            }
        }

        $(#[doc = $doc])*
        #[async_graphql::Object]
        impl $ty {
            /// Global id (the record's primary key; its prefix names the type, see `node`).
            async fn id(&self) -> async_graphql::ID {
                async_graphql::ID(self.0.$pk.clone())
            }
            $(
                // Column names come from the data model (`from_stage` reads like a conversion to clippy).
                #[allow(clippy::wrong_self_convention)]
                async fn $f(&self) -> <$rty as $crate::graphql::scalars::Expose>::Out {
                    $crate::graphql::scalars::Expose::expose(&self.0.$f)
                }
            )*
            $($(
                /// Decrypted with the `pii` scope, masked (`138****8000`) without it.
                async fn $p(&self, ctx: &async_graphql::Context<'_>) -> $crate::graphql::errors::GqlResult<Option<String>> {
                    $crate::graphql::resource::reveal(ctx, stringify!($module), $crate::services::pii::$pc, &self.0.$pk, self.0.$p.as_deref())
                }
            )*)?
            $(
                async fn $rel(&self, ctx: &async_graphql::Context<'_>) -> $crate::graphql::errors::GqlResult<Option<$target>> {
                    use $crate::graphql::resource::{AsKey, Resource};
                    $crate::graphql::loaders::one::<$target>(ctx, <$target as Resource>::TABLE.pk, self.0.$fk.as_key()).await
                }
            )*
            $(
                async fn $ob(&self, ctx: &async_graphql::Context<'_>) -> $crate::graphql::errors::GqlResult<Option<$obt>> {
                    use $crate::graphql::resource::AsKey;
                    $crate::graphql::loaders::one::<$obt>(ctx, stringify!($obcol), self.0.$obself.as_key()).await
                }
            )*
            $(
                async fn $poly(&self, ctx: &async_graphql::Context<'_>) -> $crate::graphql::errors::GqlResult<Option<Node>> {
                    node_by_id(ctx, &self.0.$pcol).await
                }
            )*
            $(
                #[graphql(complexity = "crate::graphql::connection::list_complexity(child_complexity, first, last)")]
                #[allow(clippy::too_many_arguments)]
                async fn $many(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    filter: Option<<$mt as $crate::graphql::resource::Resource>::Filter>,
                    order_by: Option<<$mt as $crate::graphql::resource::Resource>::OrderBy>,
                    first: Option<i32>,
                    after: Option<String>,
                    last: Option<i32>,
                    before: Option<String>,
                ) -> $crate::graphql::errors::GqlResult<$crate::graphql::connection::Connection<$mt>> {
                    use $crate::graphql::resource::AsKey;
                    let args = $crate::graphql::connection::PageArgs { first, after, last, before };
                    let link = const { $crate::graphql::resource_macros::nested_link!($how $module $mt $($link)*) };
                    $crate::graphql::connection::nested::<$mt>(ctx, link, self.0.$mself.as_key(), filter, order_by, args).await
                }
            )*
        }
    };
}
pub(crate) use resource;

/// The create and update inputs of one entity and its `Writable` impl: every column but the
/// primary key (the first field, taken as `id`) and the server's `created_at`/`updated_at`, plus
/// the PII columns as plaintext. A tt-muncher, because `macro_rules` can only leave columns out by
/// matching their names.
macro_rules! write_inputs {
    // Derived tables (the summaries) are not written through the API.
    (@munch $ty:ident $module:ident $pk:ident none $($rest:tt)*) => {};
    (@munch $ty:ident $module:ident $pk:ident ($create:ident, $update:ident) $refs:tt $pii:tt [] $($rest:tt)*) => {
        $crate::graphql::resource_macros::write_inputs! { @first $ty $module $pk $create $update $refs $pii $($rest)* }
    };
    (@first $ty:ident $module:ident $pk:ident $create:ident $update:ident $refs:tt $pii:tt $first:ident: $ft:ty, $($rest:tt)*) => {
        const _: () = assert!($crate::catalog::same(stringify!($first), stringify!($pk)), "the first field must be the primary key");
        $crate::graphql::resource_macros::write_inputs! { @munch $ty $module $pk $create $update $refs $pii [keep] $($rest)* }
    };
    (@munch $ty:ident $module:ident $pk:ident $create:ident $update:ident $refs:tt $pii:tt [keep $($kept:tt)*] created_at: $t:ty, $($rest:tt)*) => {
        $crate::graphql::resource_macros::write_inputs! { @munch $ty $module $pk $create $update $refs $pii [keep $($kept)*] $($rest)* }
    };
    (@munch $ty:ident $module:ident $pk:ident $create:ident $update:ident $refs:tt $pii:tt [keep $($kept:tt)*] updated_at: $t:ty, $($rest:tt)*) => {
        $crate::graphql::resource_macros::write_inputs! { @munch $ty $module $pk $create $update $refs $pii [keep $($kept)*] $($rest)* }
    };
    (@munch $ty:ident $module:ident $pk:ident $create:ident $update:ident $refs:tt $pii:tt [keep $($kept:tt)*] $f:ident: $t:ty, $($rest:tt)*) => {
        $crate::graphql::resource_macros::write_inputs! { @munch $ty $module $pk $create $update $refs $pii [keep $($kept)* $f: $t,] $($rest)* }
    };
    (@munch $ty:ident $module:ident $pk:ident $create:ident $update:ident [to_one $($fk:ident = $target:ident),*] [pii $($p:ident),*] [keep $($f:ident: $t:ty,)*]) => {
        #[doc = concat!("A new ", stringify!($ty), ": `id` is generated unless given (imports); `createdAt`/`updatedAt` are the server's.")]
        #[derive(async_graphql::InputObject)]
        pub struct $create {
            pub id: Option<async_graphql::ID>,
            $( pub $f: $crate::graphql::resource_macros::create_field!($module, $f, $t), )*
            $( pub $p: Option<String>, )*
        }

        #[doc = concat!("Changes to a ", stringify!($ty), ": absent fields stay, `null` clears a nullable field.")]
        #[derive(async_graphql::InputObject, Default)]
        pub struct $update {
            $( pub $f: async_graphql::MaybeUndefined<<$t as $crate::graphql::scalars::Accept>::In>, )*
            $( pub $p: async_graphql::MaybeUndefined<String>, )*
        }

        impl $crate::graphql::resource::Writable for $ty {
            type Entity = entity::$module::Entity;
            type Create = $create;
            type Update = $update;
            fn create_values(input: $create) -> $crate::services::crud::Draft {
                use $crate::graphql::scalars::Accept;
                let mut w = $crate::services::crud::Draft { id: input.id.map(|id| id.0), assigns: Vec::new() };
                $( if let Some(v) = <$crate::graphql::resource_macros::create_field!(@pick $module, $f, $t) as $crate::graphql::scalars::CreateField<_>>::given(input.$f) {
                    w.set(stringify!($f), <$t as Accept>::accept(v));
                } )*
                $( if let Some(v) = input.$p { w.set(stringify!($p), sea_orm::Value::from(v)); } )*
                w
            }
            fn update_values(input: $update) -> $crate::services::crud::Draft {
                use $crate::graphql::scalars::Accept;
                use $crate::graphql::resource::patch;
                let mut w = $crate::services::crud::Draft::default();
                $( patch(&mut w, stringify!($f), input.$f.map_value(<$t as Accept>::accept), <$t as Accept>::null()); )*
                $( patch(&mut w, stringify!($p), input.$p.map_value(sea_orm::Value::from), sea_orm::Value::String(None)); )*
                w
            }
        }
    };
}
pub(crate) use write_inputs;

/// How a nested list's rows hang off the parent, from the catalogue (`Link::by`, `Link::via`):
/// `by(col)` for a reference of the listed table, `via(table: parent_col -> child_col)` through a
/// relation table.
macro_rules! nested_link {
    (by $module:ident $mt:ident $col:ident) => {
        $crate::repo::page::Link::by::<
            <<$mt as $crate::graphql::resource::Resource>::Model as sea_orm::ModelTrait>::Entity,
            entity::$module::Entity,
        >(stringify!($col))
    };
    (via $module:ident $mt:ident $table:ident: $parent:ident -> $child:ident) => {
        $crate::repo::page::Link::via::<
            entity::$table::Entity,
            entity::$module::Entity,
            <<$mt as $crate::graphql::resource::Resource>::Model as sea_orm::ModelTrait>::Entity,
        >(stringify!($parent), stringify!($child))
    };
}
pub(crate) use nested_link;

/// The type of a create input's field (see `scalars::Pick`).
macro_rules! create_field {
    (@pick $module:ident, $f:ident, $t:ty) => {
        $crate::graphql::scalars::Pick<{
            !<$t as $crate::graphql::scalars::Accept>::NULLABLE
                && !<entity::$module::Entity as $crate::catalog::Catalogued>::FACTS.server_sets(stringify!($f))
        }>
    };
    ($module:ident, $f:ident, $t:ty) => {
        <$crate::graphql::resource_macros::create_field!(@pick $module, $f, $t) as $crate::graphql::scalars::CreateField<
            <$t as $crate::graphql::scalars::Accept>::In,
        >>::Ty
    };
}
pub(crate) use create_field;

/// The query root: `x(id:)` and `xs(…)` for every listed entity, plus `node(id:)`. One flat object
/// (a MergedObject of 38 parts nests its futures 38 deep). Each field's work is a boxed future: the
/// executor moves the root's field future, as large as the largest field's, into a box for every
/// root field it runs (unboxed, that copy was 8 % of an `account(id:)` read's instructions).
macro_rules! query_root {
    ($($ty:ident [$one_field:ident, $many_field:ident, $agg_field:ident]),* $(,)?) => {
        /// The query root: one record by id, or a keyset-paged list, for every entity.
        #[derive(Default)]
        pub struct QueryRoot;

        impl QueryRoot {
            /// The planner's view of every type (the `Node` implementors: polymorphic references and
            /// `node(id:)` resolve among them).
            pub fn plans() -> &'static [fn() -> &'static $crate::graphql::planner::TypePlan] {
                use $crate::graphql::resource::Resource;
                const PLANS: &[fn() -> &'static $crate::graphql::planner::TypePlan] = &[$( <$ty as Resource>::plan ),*];
                PLANS
            }

            /// Every root list field with its table and default order (`(field, table, order)`).
            pub fn lists() -> Vec<(&'static str, $crate::repo::page::Table, $crate::repo::page::Order)> {
                use $crate::graphql::resource::Resource;
                vec![$( (stringify!($many_field), <$ty as Resource>::TABLE, <$ty as Resource>::default_order()) ),*]
            }
        }

        #[async_graphql::Object]
        impl QueryRoot {
            /// Lead ingestions whose processing failed for good, newest first (`admin`).
            async fn dead_letters(
                &self,
                ctx: &async_graphql::Context<'_>,
                filter: Option<$crate::graphql::mutation::dead_letters::DeadLetterFilterInput>,
                #[graphql(default = 100)] first: i32,
            ) -> $crate::graphql::errors::GqlResult<Vec<$crate::graphql::mutation::dead_letters::DeadLetter>> {
                Box::pin($crate::graphql::mutation::dead_letters::query(ctx, filter, Some(first))).await
            }

            /// The global auto-tagging rules, as `setGlobalAutoTaggingRules` stored them (`admin`).
            async fn global_auto_tagging_rules(
                &self,
                ctx: &async_graphql::Context<'_>,
            ) -> $crate::graphql::errors::GqlResult<$crate::graphql::scalars::Json> {
                Box::pin($crate::graphql::mutation::routing::global_rules(ctx)).await
            }

            /// Replays candidate assignment rules (`rules`, a scene's `assignmentRules` shape) and
            /// optionally auto-tagging rules over the leads created in `[from, to)` (at most 366
            /// days and 5,000 leads), writing nothing: per owner or team, how many leads the rules
            /// would have routed there next to what actually happened, and how often each rule
            /// fired (`admin`).
            async fn simulate_routing(
                &self,
                ctx: &async_graphql::Context<'_>,
                rules: $crate::graphql::scalars::Json,
                from: $crate::graphql::scalars::Instant,
                to: $crate::graphql::scalars::Instant,
                auto_tagging_rules: Option<$crate::graphql::scalars::Json>,
            ) -> $crate::graphql::errors::GqlResult<$crate::graphql::mutation::routing::RoutingSimulation> {
                Box::pin($crate::graphql::mutation::routing::simulate(ctx, rules, from, to, auto_tagging_rules)).await
            }

            /// The caller's own leads (owner = the token's subject, a staff user), with the same
            /// filters, order and paging as `leads`. Answered by the resolvers. `Lead`, `LeadFilter`
            /// and `LeadOrderBy` are the invocation site's, like `Node`.
            #[graphql(complexity = "crate::graphql::connection::list_complexity(child_complexity, first, last)")]
            #[allow(clippy::too_many_arguments)]
            async fn my_leads(
                &self,
                ctx: &async_graphql::Context<'_>,
                filter: Option<LeadFilter>,
                order_by: Option<LeadOrderBy>,
                first: Option<i32>,
                after: Option<String>,
                last: Option<i32>,
                before: Option<String>,
            ) -> $crate::graphql::errors::GqlResult<$crate::graphql::connection::Connection<Lead>> {
                let subject = ctx.data::<$crate::auth::Principal>()?.subject.clone();
                let mine = LeadFilter {
                    owner_user_id: Some($crate::graphql::filters::StringFilter { eq: Some(subject), ..Default::default() }),
                    and: filter.map(|f| vec![f]),
                    ..Default::default()
                };
                let args = $crate::graphql::connection::PageArgs { first, after, last, before };
                Box::pin($crate::graphql::connection::top::<Lead>(ctx, Some(mine), order_by, args)).await
            }

            /// Any record by its global id; null when the id is unknown.
            async fn node(&self, ctx: &async_graphql::Context<'_>, id: async_graphql::ID) -> $crate::graphql::errors::GqlResult<$crate::graphql::planner::Planned<Option<Node>>> {
                if let Some(planned) = Box::pin($crate::graphql::planner::node(ctx, &id, QueryRoot::plans)).await {
                    return Ok(planned);
                }
                Box::pin(node_by_id(ctx, &id)).await.map($crate::graphql::planner::Planned::resolved)
            }
            $(
                #[doc = concat!("One ", stringify!($ty), " by id, or null.")]
                async fn $one_field(&self, ctx: &async_graphql::Context<'_>, id: async_graphql::ID) -> $crate::graphql::errors::GqlResult<$crate::graphql::planner::Planned<Option<$ty>>> {
                    use $crate::graphql::resource::Resource;
                    if let Some(planned) = Box::pin($crate::graphql::planner::one::<$ty, _>(ctx, &id)).await {
                        return Ok(planned);
                    }
                    Box::pin($crate::graphql::loaders::one::<$ty>(ctx, <$ty as Resource>::TABLE.pk, Some(id.0))).await.map($crate::graphql::planner::Planned::resolved)
                }

                #[doc = concat!("A page of ", stringify!($ty), " records (keyset cursors).")]
                #[graphql(complexity = "crate::graphql::connection::list_complexity(child_complexity, first, last)")]
                #[allow(clippy::too_many_arguments)]
                async fn $many_field(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    filter: Option<<$ty as $crate::graphql::resource::Resource>::Filter>,
                    order_by: Option<<$ty as $crate::graphql::resource::Resource>::OrderBy>,
                    first: Option<i32>,
                    after: Option<String>,
                    last: Option<i32>,
                    before: Option<String>,
                ) -> $crate::graphql::errors::GqlResult<$crate::graphql::planner::Planned<$crate::graphql::connection::Connection<$ty>>> {
                    if let Some(planned) = Box::pin($crate::graphql::planner::list::<$ty, _>(ctx)).await {
                        return Ok(planned);
                    }
                    let args = $crate::graphql::connection::PageArgs { first, after, last, before };
                    Box::pin($crate::graphql::connection::top::<$ty>(ctx, filter, order_by, args)).await.map($crate::graphql::planner::Planned::resolved)
                }

                #[doc = concat!("Groups of ", stringify!($ty), " records (the list's filter and read rules) with their count and the measures selected, in one statement: `groupBy` at most 3 keys, `first` 1-1000 groups (default 100), date buckets in `timezone` (default: the business timezone).")]
                #[graphql(complexity = "crate::graphql::aggregate::complexity(child_complexity, first)")]
                #[allow(clippy::too_many_arguments)]
                async fn $agg_field(
                    &self,
                    ctx: &async_graphql::Context<'_>,
                    filter: Option<<$ty as $crate::graphql::resource::Resource>::Filter>,
                    group_by: Option<Vec<<$ty as $crate::graphql::aggregate::Aggregated>::GroupBy>>,
                    having: Option<$crate::graphql::aggregate::AggregateHaving>,
                    order_by: Option<Vec<$crate::graphql::aggregate::AggregateOrderBy>>,
                    first: Option<i32>,
                    timezone: Option<String>,
                ) -> $crate::graphql::errors::GqlResult<Vec<<$ty as $crate::graphql::aggregate::Aggregated>::Group>> {
                    Box::pin($crate::graphql::aggregate::groups::<$ty>(ctx, filter, group_by, having, order_by, first, timezone)).await
                }
            )*
        }
    };
}
pub(crate) use query_root;
