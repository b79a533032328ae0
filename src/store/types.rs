//! Column types that both backends store natively in their own way: PostgreSQL
//! keeps UUIDs, timestamps, dates and decimals as such, SQLite keeps them as
//! text in a canonical form that sorts and compares correctly.
//!
//! The newtypes decode from either backend, so one `FromRow` derive serves
//! both; encoding goes through [`Value`], which each backend binds its own way.

use std::fmt;

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::{Decode, Postgres, Sqlite, Type};
use utoipa::ToSchema;
use uuid::Uuid;

type BoxDynError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The text form of a timestamp: fixed width, so text order is time order.
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.6fZ";

/// Implements `Type` and `Decode` for a newtype over a value PostgreSQL
/// stores natively and SQLite stores as text.
macro_rules! dual_column {
    ($name:ident, $inner:ty, |$s:ident| $parse:expr) => {
        impl Type<Sqlite> for $name {
            fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
                <String as Type<Sqlite>>::type_info()
            }
            fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
                <String as Type<Sqlite>>::compatible(ty)
            }
        }
        impl<'r> Decode<'r, Sqlite> for $name {
            fn decode(value: sqlx::sqlite::SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
                let $s = <&str as Decode<Sqlite>>::decode(value)?;
                Ok($name($parse))
            }
        }
        impl Type<Postgres> for $name {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <$inner as Type<Postgres>>::type_info()
            }
        }
        impl<'r> Decode<'r, Postgres> for $name {
            fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, BoxDynError> {
                Ok($name(<$inner as Decode<Postgres>>::decode(value)?))
            }
        }
    };
}

/// Implements `Type` and `Decode` for a type kept as text on both backends
/// and parsed with its `FromStr`.
#[macro_export]
#[doc(hidden)]
macro_rules! text_column {
    ($name:ty) => {
        impl sqlx::Type<sqlx::Sqlite> for $name {
            fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
                <String as sqlx::Type<sqlx::Sqlite>>::type_info()
            }
            fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
                <String as sqlx::Type<sqlx::Sqlite>>::compatible(ty)
            }
        }
        impl<'r> sqlx::Decode<'r, sqlx::Sqlite> for $name {
            fn decode(
                value: sqlx::sqlite::SqliteValueRef<'r>,
            ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok(<&str as sqlx::Decode<sqlx::Sqlite>>::decode(value)?.parse::<$name>()?)
            }
        }
        impl sqlx::Type<sqlx::Postgres> for $name {
            fn type_info() -> sqlx::postgres::PgTypeInfo {
                <String as sqlx::Type<sqlx::Postgres>>::type_info()
            }
        }
        impl<'r> sqlx::Decode<'r, sqlx::Postgres> for $name {
            fn decode(
                value: sqlx::postgres::PgValueRef<'r>,
            ) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
                Ok(<&str as sqlx::Decode<sqlx::Postgres>>::decode(value)?.parse::<$name>()?)
            }
        }
    };
}

/// Declares an enum stored as text and sent as a `snake_case` string.
#[macro_export]
#[doc(hidden)]
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!("unknown {} `{other}`", stringify!($name))),
                }
            }
        }

        $crate::text_column!($name);

        impl From<$name> for $crate::store::Value {
            fn from(v: $name) -> Self {
                $crate::store::Value::from(v.as_str())
            }
        }
    };
}

/// A record id: a UUID, version 7 when the server makes it.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(transparent)]
#[schema(value_type = String, format = Uuid)]
pub struct Id(pub Uuid);

impl Id {
    /// A new time-ordered id.
    pub fn new() -> Self {
        Id(Uuid::now_v7())
    }
}

impl Default for Id {
    fn default() -> Self {
        Id::new()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for Id {
    type Err = uuid::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(s).map(Id)
    }
}

dual_column!(Id, Uuid, |s| Uuid::parse_str(s)?);

/// A point in time, UTC, to the microsecond (PostgreSQL's precision, so a
/// value reads back exactly as written on either backend).
///
/// Written as `YYYY-MM-DDTHH:MM:SS.ffffffZ` in JSON and in SQLite text alike.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, format = DateTime)]
pub struct Timestamp(pub DateTime<Utc>);

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0.format(TIME_FORMAT))
    }
}

impl Timestamp {
    pub fn now() -> Self {
        Timestamp::from(Utc::now())
    }

    fn sqlite_text(&self) -> String {
        self.0.format(TIME_FORMAT).to_string()
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(t: DateTime<Utc>) -> Self {
        Timestamp(t.trunc_subsecs(6))
    }
}

dual_column!(Timestamp, DateTime<Utc>, |s| DateTime::parse_from_rfc3339(
    s
)?
.with_timezone(&Utc));

/// A calendar date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(transparent)]
#[schema(value_type = String, format = Date)]
pub struct Date(pub NaiveDate);

dual_column!(Date, NaiveDate, |s| NaiveDate::parse_from_str(
    s, "%Y-%m-%d"
)?);

/// An exact decimal (money, quantities); text in JSON.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(transparent)]
#[schema(value_type = String, example = "48000.00")]
pub struct Amount(#[serde(with = "rust_decimal::serde::str")] pub Decimal);

dual_column!(Amount, Decimal, |s| s.parse::<Decimal>()?);

/// A JSON value kept in a text column (question options, answer values).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JsonText<T>(pub T);

impl<T> Type<Sqlite> for JsonText<T> {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
        <String as Type<Sqlite>>::compatible(ty)
    }
}

impl<'r, T: serde::de::DeserializeOwned> Decode<'r, Sqlite> for JsonText<T> {
    fn decode(value: sqlx::sqlite::SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(JsonText(serde_json::from_str(
            <&str as Decode<Sqlite>>::decode(value)?,
        )?))
    }
}

impl<T> Type<Postgres> for JsonText<T> {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <String as Type<Postgres>>::type_info()
    }
}

impl<'r, T: serde::de::DeserializeOwned> Decode<'r, Postgres> for JsonText<T> {
    fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(JsonText(serde_json::from_str(<&str as Decode<
            Postgres,
        >>::decode(value)?)?))
    }
}

impl<T: Serialize> From<&JsonText<T>> for Value {
    fn from(v: &JsonText<T>) -> Self {
        Value::Text(serde_json::to_string(&v.0).ok())
    }
}

/// A value bound to a query parameter; each backend binds it its own way.
#[derive(Clone, Debug)]
pub enum Value {
    Text(Option<String>),
    Int(Option<i64>),
    Bool(Option<bool>),
    Id(Option<Id>),
    Time(Option<Timestamp>),
    Date(Option<Date>),
    Amount(Option<Amount>),
    Bytes(Option<Vec<u8>>),
}

macro_rules! value_from {
    ($variant:ident, $ty:ty) => {
        impl From<$ty> for Value {
            fn from(v: $ty) -> Self {
                Value::$variant(Some(v))
            }
        }
        impl From<Option<$ty>> for Value {
            fn from(v: Option<$ty>) -> Self {
                Value::$variant(v)
            }
        }
    };
}

value_from!(Text, String);
value_from!(Int, i64);
value_from!(Bool, bool);
value_from!(Id, Id);
value_from!(Time, Timestamp);
value_from!(Date, Date);
value_from!(Amount, Amount);
value_from!(Bytes, Vec<u8>);

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::Text(Some(v.to_owned()))
    }
}

impl Value {
    pub(super) fn add_sqlite(
        &self,
        args: &mut sqlx::sqlite::SqliteArguments<'static>,
    ) -> Result<(), BoxDynError> {
        use sqlx::Arguments;
        match self {
            Value::Text(v) => args.add(v.clone()),
            Value::Int(v) => args.add(*v),
            Value::Bool(v) => args.add(*v),
            Value::Id(v) => args.add(v.map(|v| v.0.to_string())),
            Value::Time(v) => args.add(v.map(|v| v.sqlite_text())),
            Value::Date(v) => args.add(v.map(|v| v.0.format("%Y-%m-%d").to_string())),
            Value::Amount(v) => args.add(v.map(|v| v.0.to_string())),
            Value::Bytes(v) => args.add(v.clone()),
        }
    }

    pub(super) fn add_postgres(
        &self,
        args: &mut sqlx::postgres::PgArguments,
    ) -> Result<(), BoxDynError> {
        use sqlx::Arguments;
        match self {
            Value::Text(v) => args.add(v.clone()),
            Value::Int(v) => args.add(*v),
            Value::Bool(v) => args.add(*v),
            Value::Id(v) => args.add(v.map(|v| v.0)),
            Value::Time(v) => args.add(v.map(|v| v.0)),
            Value::Date(v) => args.add(v.map(|v| v.0)),
            Value::Amount(v) => args.add(v.map(|v| v.0)),
            Value::Bytes(v) => args.add(v.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_timestamps_sort_as_text_in_time_order() {
        let a = Timestamp::from(
            DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
                .unwrap()
                .to_utc(),
        );
        let b = Timestamp::from(
            DateTime::parse_from_rfc3339("2026-01-01T00:00:00.5Z")
                .unwrap()
                .to_utc(),
        );
        assert!(a.sqlite_text() < b.sqlite_text());
        assert_eq!(a.sqlite_text(), "2026-01-01T00:00:00.000000Z");
    }

    #[test]
    fn timestamps_keep_microseconds_only() {
        let t = Timestamp::from(
            DateTime::parse_from_rfc3339("2026-01-01T00:00:00.123456789Z")
                .unwrap()
                .to_utc(),
        );
        assert_eq!(t.sqlite_text(), "2026-01-01T00:00:00.123456Z");
    }
}
