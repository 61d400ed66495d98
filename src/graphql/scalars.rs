//! Scalars of docs/design.md §4 that async-graphql does not name as we need (`Date`, `JSON`), and the
//! `Expose` conversion from a model's column type to its GraphQL output type.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

/// A calendar date, `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                .map(Date)
                .map_err(|_| InputValueError::custom(format!("invalid Date {s:?}: expected YYYY-MM-DD"))),
            _ => Err(InputValueError::expected_type(value)),
        }
    }
    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// The API's `DateTime`: an instant, RFC 3339 (`2026-12-02T08:00:00Z`; any offset on input, UTC
/// on output). Input is refused beyond what every backend stores and every client parses back:
/// a leap second (chrono reads `23:59:60` as one, which the databases store as the next second, so
/// `9999-12-31T23:59:60Z` became year 10000 and read back as `+10000-01-01…`, not RFC 3339), and
/// any instant outside the years 0001–9999 in UTC (an offset can push a valid-looking text there).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instant(pub DateTime<Utc>);

/// An instant, RFC 3339 (`2026-12-02T08:00:00Z`): any offset on input, UTC on output; years
/// 0001-9999, no leap seconds.
#[Scalar(name = "DateTime", specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339")]
impl ScalarType for Instant {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(s) = &value else { return Err(InputValueError::expected_type(value)) };
        let t = s
            .parse::<DateTime<Utc>>()
            .map_err(|e| InputValueError::custom(format!("invalid DateTime {s:?}: {e} (expected RFC 3339)")))?;
        if t.timestamp_subsec_nanos() >= 1_000_000_000 {
            return Err(InputValueError::custom(format!("invalid DateTime {s:?}: leap seconds (:60) are not stored")));
        }
        if !(1..=9999).contains(&chrono::Datelike::year(&t)) {
            return Err(InputValueError::custom(format!("invalid DateTime {s:?}: outside the years 0001-9999 in UTC")));
        }
        Ok(Instant(t))
    }
    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}

/// Arbitrary JSON (custom fields, configuration, UTM parameters…).
#[derive(Clone, Debug, PartialEq)]
pub struct Json(pub serde_json::Value);

#[Scalar(name = "JSON")]
impl ScalarType for Json {
    fn parse(value: Value) -> InputValueResult<Self> {
        value.into_json().map(Json).map_err(|e| InputValueError::custom(e.to_string()))
    }
    fn to_value(&self) -> Value {
        Value::from_json(self.0.clone()).unwrap_or(Value::Null)
    }
}

/// How a model column appears in the API.
pub trait Expose {
    type Out: async_graphql::OutputType;
    /// How the compiled read path renders the column (`repo::json`), as `expose` would.
    const JSON: crate::repo::json::Scalar;
    fn expose(&self) -> Self::Out;
}

macro_rules! expose_as {
    ($($t:ty => $out:ty as $json:ident : |$v:ident| $e:expr;)*) => {$(
        impl Expose for $t {
            type Out = $out;
            const JSON: crate::repo::json::Scalar = crate::repo::json::Scalar::$json;
            fn expose(&self) -> $out { let $v = self; $e }
        }
        impl Expose for Option<$t> {
            type Out = Option<$out>;
            const JSON: crate::repo::json::Scalar = crate::repo::json::Scalar::$json;
            fn expose(&self) -> Option<$out> { self.as_ref().map(|$v| $e) }
        }
    )*};
}

expose_as! {
    String => String as Text : |v| v.clone();
    i32 => i32 as Int : |v| *v;
    bool => bool as Bool : |v| *v;
    Decimal => Decimal as Decimal : |v| at_least_cents(*v);
    DateTime<Utc> => Instant as Instant : |v| Instant(*v);
    NaiveDate => Date as Date : |v| Date(*v);
    serde_json::Value => Json as Json : |v| Json(v.clone());
}

/// SQLite stores DECIMAL with NUMERIC affinity, so `1998.00` reads back as `1998`; PostgreSQL keeps
/// the column's scale. Rendering at least two fraction digits gives the same text on both (money
/// and percentage columns are scale 2; finer values keep their digits).
pub(crate) fn at_least_cents(d: Decimal) -> Decimal {
    if d.scale() < 2 {
        let mut d = d;
        d.rescale(2);
        d
    } else {
        d
    }
}

/// How a model column is written from the API: the GraphQL input type of the column (`In`) and its
/// database value. The inverse of [`Expose`]; `Option<T>` columns take the same input as `T` (the
/// input field itself is optional or nullable).
pub trait Accept {
    type In: async_graphql::InputType;
    /// Whether the column is nullable (`Option<T>` in the model).
    const NULLABLE: bool;
    fn accept(v: Self::In) -> sea_orm::Value;
    /// The typed NULL of the column, for explicit nulls in updates.
    fn null() -> sea_orm::Value;
}

macro_rules! accept_as {
    ($($t:ty => $in:ty : |$v:ident| $e:expr;)*) => {$(
        impl Accept for $t {
            type In = $in;
            const NULLABLE: bool = false;
            fn accept($v: $in) -> sea_orm::Value { $e }
            fn null() -> sea_orm::Value { sea_orm::Value::from(None::<$t>) }
        }
        impl Accept for Option<$t> {
            type In = $in;
            const NULLABLE: bool = true;
            fn accept($v: $in) -> sea_orm::Value { $e }
            fn null() -> sea_orm::Value { sea_orm::Value::from(None::<$t>) }
        }
    )*};
}

accept_as! {
    String => String : |v| sea_orm::Value::from(v);
    i32 => i32 : |v| sea_orm::Value::from(v);
    bool => bool : |v| sea_orm::Value::from(v);
    Decimal => Decimal : |v| sea_orm::Value::from(v);
    DateTime<Utc> => Instant : |v| sea_orm::Value::from(v.0);
    NaiveDate => Date : |v| sea_orm::Value::from(v.0);
    serde_json::Value => Json : |v| sea_orm::Value::from(v.0);
}

/// The type of a create input's field: the column's input type itself (`T!` in the SDL) when the
/// column is required — NOT NULL and not set by the server (`Facts::server_sets`) —, else
/// optional. `Pick<{required}>` chooses between the two at compile time, so the SDL and the
/// write path's "is required" rule come from the same catalogue fact.
pub struct Pick<const REQUIRED: bool>;

pub trait CreateField<T> {
    type Ty: async_graphql::InputType;
    fn given(v: Self::Ty) -> Option<T>;
}

impl<T: async_graphql::InputType> CreateField<T> for Pick<true> {
    type Ty = T;
    fn given(v: T) -> Option<T> {
        Some(v)
    }
}

impl<T: async_graphql::InputType> CreateField<T> for Pick<false> {
    type Ty = Option<T>;
    fn given(v: Option<T>) -> Option<T> {
        v
    }
}
