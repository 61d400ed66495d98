//! Per-column filter inputs (`eq ne in notIn lt lte gt gte contains startsWith isNull`, as each type
//! allows) and the ordering direction. Each input turns itself into the repo's filter language for
//! one column; the per-entity `XFilter` types combine them (see `resource.rs`).

use async_graphql::{Enum, EnumType, InputObject};

use rust_decimal::Decimal;
use sea_orm::Value;

use super::scalars::{Date, Instant};
use crate::error::{AppError, AppResult};
use crate::repo::filter::{CmpOp, Filter};
use crate::services::pii::{Pii, PiiColumn, graphql_name};

/// Largest `in`/`notIn` list accepted (keeps statements below bind-parameter limits).
pub const MAX_IN_LIST: usize = 1000;

pub trait FieldFilter {
    fn to_filters(&self, col: &'static str) -> AppResult<Vec<Filter>>;
}

#[derive(Enum, Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum OrderDirection {
    #[default]
    Asc,
    Desc,
}

fn cmp(out: &mut Vec<Filter>, col: &'static str, op: CmpOp, v: Option<Value>) {
    if let Some(value) = v {
        out.push(Filter::Cmp { col, op, value });
    }
}

fn list(out: &mut Vec<Filter>, col: &'static str, vals: Option<Vec<Value>>, negated: bool) -> AppResult<()> {
    if let Some(values) = vals {
        if values.len() > MAX_IN_LIST {
            return Err(AppError::bad_input(format!("{col}: at most {MAX_IN_LIST} values in in/notIn")));
        }
        out.push(Filter::In { col, values, negated });
    }
    Ok(())
}

fn null(out: &mut Vec<Filter>, col: &'static str, is_null: Option<bool>) {
    if let Some(is_null) = is_null {
        out.push(Filter::IsNull { col, is_null });
    }
}

/// The comparison and list operators every ordered column filter shares.
struct Ordered<'a, T> {
    eq: &'a Option<T>,
    ne: &'a Option<T>,
    in_: &'a Option<Vec<T>>,
    not_in: &'a Option<Vec<T>>,
    lt: &'a Option<T>,
    lte: &'a Option<T>,
    gt: &'a Option<T>,
    gte: &'a Option<T>,
    is_null: Option<bool>,
}

impl<T> Ordered<'_, T> {
    fn to_filters(&self, col: &'static str, to: impl Fn(&T) -> Value) -> AppResult<Vec<Filter>> {
        let mut out = Vec::new();
        for (op, v) in [
            (CmpOp::Eq, self.eq),
            (CmpOp::Ne, self.ne),
            (CmpOp::Lt, self.lt),
            (CmpOp::Lte, self.lte),
            (CmpOp::Gt, self.gt),
            (CmpOp::Gte, self.gte),
        ] {
            cmp(&mut out, col, op, v.as_ref().map(&to));
        }
        list(&mut out, col, self.in_.as_ref().map(|v| v.iter().map(&to).collect()), false)?;
        list(&mut out, col, self.not_in.as_ref().map(|v| v.iter().map(&to).collect()), true)?;
        null(&mut out, col, self.is_null);
        Ok(out)
    }
}

/// Filter inputs for ordered scalar columns; extra fields (text operators) are appended by the caller.
macro_rules! ordered_filter {
    ($(#[$doc:meta])* $name:ident, $t:ty, $to:expr $(, $extra:ident)*) => {
        $(#[$doc])*
        #[derive(InputObject, Clone, Debug, Default)]
        pub struct $name {
            pub eq: Option<$t>,
            pub ne: Option<$t>,
            #[graphql(name = "in")]
            pub in_: Option<Vec<$t>>,
            pub not_in: Option<Vec<$t>>,
            pub lt: Option<$t>,
            pub lte: Option<$t>,
            pub gt: Option<$t>,
            pub gte: Option<$t>,
            $(pub $extra: Option<String>,)*
            pub is_null: Option<bool>,
        }

        impl $name {
            fn ordered(&self, col: &'static str) -> AppResult<Vec<Filter>> {
                let to: fn(&$t) -> Value = $to;
                Ordered {
                    eq: &self.eq,
                    ne: &self.ne,
                    in_: &self.in_,
                    not_in: &self.not_in,
                    lt: &self.lt,
                    lte: &self.lte,
                    gt: &self.gt,
                    gte: &self.gte,
                    is_null: self.is_null,
                }
                .to_filters(col, to)
            }
        }
    };
}

macro_rules! plain_ordered_filter {
    ($($(#[$doc:meta])* $name:ident, $t:ty, $to:expr;)*) => {$(
        ordered_filter!($(#[$doc])* $name, $t, $to);
        impl FieldFilter for $name {
            fn to_filters(&self, col: &'static str) -> AppResult<Vec<Filter>> {
                self.ordered(col)
            }
        }
    )*};
}

plain_ordered_filter! {
    /// Integer column filter.
    IntFilter, i32, |v| Value::from(*v);
    /// Decimal (money, rate) column filter; values are strings like `"1000.00"`.
    DecimalFilter, Decimal, |v| Value::from(*v);
    /// Timestamp column filter (RFC 3339).
    DateTimeFilter, Instant, |v| Value::from(v.0);
    /// Date column filter (`YYYY-MM-DD`).
    DateFilter, Date, |v| Value::from(v.0);
}

ordered_filter!(
    /// Text column filter. `contains` and `startsWith` are case-insensitive.
    StringFilter, String, |v| Value::from(v.clone()), contains, starts_with
);

impl FieldFilter for StringFilter {
    fn to_filters(&self, col: &'static str) -> AppResult<Vec<Filter>> {
        let mut out = self.ordered(col)?;
        for (needle, prefix_only) in [(&self.contains, false), (&self.starts_with, true)] {
            if let Some(n) = needle {
                out.push(Filter::Like { col, needle: n.clone(), prefix_only });
            }
        }
        Ok(out)
    }
}

/// Boolean column filter.
#[derive(InputObject, Clone, Debug, Default)]
pub struct BoolFilter {
    pub eq: Option<bool>,
    pub ne: Option<bool>,
    pub is_null: Option<bool>,
}

impl FieldFilter for BoolFilter {
    fn to_filters(&self, col: &'static str) -> AppResult<Vec<Filter>> {
        let mut out = Vec::new();
        cmp(&mut out, col, CmpOp::Eq, self.eq.map(Value::from));
        cmp(&mut out, col, CmpOp::Ne, self.ne.map(Value::from));
        null(&mut out, col, self.is_null);
        Ok(out)
    }
}

/// JSON columns can only be tested for presence.
#[derive(InputObject, Clone, Debug, Default)]
pub struct JsonFilter {
    pub is_null: Option<bool>,
}

impl FieldFilter for JsonFilter {
    fn to_filters(&self, col: &'static str) -> AppResult<Vec<Filter>> {
        let mut out = Vec::new();
        null(&mut out, col, self.is_null);
        Ok(out)
    }
}

/// Filter on an encrypted column (phone, e-mail, WeChat id): exact matches only, through the
/// column's blind index, so any format that normalises alike matches (`138 0013 8000` finds
/// `+86 13800138000`). The stored values are ciphertexts: they cannot be compared by substring or
/// order, and such filters are refused with an explanation rather than silently matching nothing.
#[derive(InputObject, Clone, Debug, Default)]
pub struct PiiFilter {
    pub eq: Option<String>,
    pub ne: Option<String>,
    #[graphql(name = "in")]
    pub in_: Option<Vec<String>>,
    pub not_in: Option<Vec<String>>,
    pub is_null: Option<bool>,
    /// Not supported on encrypted columns (always refused); use `eq` or `in` with full values.
    pub contains: Option<String>,
    /// Not supported on encrypted columns (always refused); use `eq` or `in` with full values.
    pub starts_with: Option<String>,
}

impl PiiFilter {
    pub fn to_filters(&self, pii: &Pii, table: &'static str, col: PiiColumn) -> AppResult<Vec<Filter>> {
        let field = graphql_name(col);
        if self.contains.is_some() || self.starts_with.is_some() {
            return Err(AppError::bad_input(format!(
                "{field} is encrypted: substring filters (contains, startsWith) are not supported; \
                 use eq or in with the full value"
            )));
        }
        let blind = |v: &String| pii.blind(table, col, v).map(Value::from);
        let mut out = Vec::new();
        for (op, v) in [(CmpOp::Eq, &self.eq), (CmpOp::Ne, &self.ne)] {
            cmp(&mut out, col.bidx, op, v.as_ref().map(blind).transpose()?);
        }
        for (negated, vals) in [(false, &self.in_), (true, &self.not_in)] {
            let values = vals.as_ref().map(|vs| vs.iter().map(blind).collect::<AppResult<Vec<_>>>()).transpose()?;
            list(&mut out, col.bidx, values, negated)?;
        }
        null(&mut out, col.column, self.is_null);
        Ok(out)
    }
}

/// A GraphQL enum mirrored from a stored enum: knows its stored string.
pub trait StoredEnum: EnumType + Copy + Send + Sync {
    fn stored(&self) -> &'static str;
}

/// Defines the filter input of one stored enum (`<Enum>Filter`).
macro_rules! enum_filter {
    ($filter:ident, $enum:ty) => {
        #[doc = concat!("Filter on a ", stringify!($enum), " column.")]
        #[derive(async_graphql::InputObject, Clone, Debug, Default)]
        pub struct $filter {
            pub eq: Option<$enum>,
            pub ne: Option<$enum>,
            #[graphql(name = "in")]
            pub in_: Option<Vec<$enum>>,
            pub not_in: Option<Vec<$enum>>,
            pub is_null: Option<bool>,
        }

        impl $crate::graphql::filters::FieldFilter for $filter {
            fn to_filters(&self, col: &'static str) -> $crate::error::AppResult<Vec<$crate::repo::filter::Filter>> {
                $crate::graphql::filters::enum_filters(
                    col,
                    self.eq,
                    self.ne,
                    self.in_.as_deref(),
                    self.not_in.as_deref(),
                    self.is_null,
                )
            }
        }
    };
}
pub(crate) use enum_filter;

/// The body shared by every `<Enum>Filter`.
pub fn enum_filters<E: StoredEnum>(
    col: &'static str,
    eq: Option<E>,
    ne: Option<E>,
    in_: Option<&[E]>,
    not_in: Option<&[E]>,
    is_null: Option<bool>,
) -> AppResult<Vec<Filter>> {
    let to = |v: &E| Value::from(v.stored());
    let mut out = Vec::new();
    cmp(&mut out, col, CmpOp::Eq, eq.as_ref().map(to));
    cmp(&mut out, col, CmpOp::Ne, ne.as_ref().map(to));
    list(&mut out, col, in_.map(|v| v.iter().map(to).collect()), false)?;
    list(&mut out, col, not_in.map(|v| v.iter().map(to).collect()), true)?;
    null(&mut out, col, is_null);
    Ok(out)
}
