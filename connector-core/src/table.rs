//! The traits that `#[table]` implements, and the field types it accepts.
//!
//! `#[table]` on a struct implements [`Table`] (schema + encoding), generates a `<Name>Key` struct
//! implementing [`Key`] and a `<Name>Patch` builder implementing [`Patch`]. `#[sync(tables(...))]`
//! implements [`Declared`] for each table it lists, for that sync only: it is what lets the sync
//! emit the table's rows.
//! Each supported Rust type implements [`ColumnType`]; a type without a Fivetran type fails to
//! compile with the list of the accepted ones.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};

use crate::decimal::Decimal;
use crate::row::Row;
use crate::schema::{DataType, TableSchema};
use crate::value::Value;

/// A table whose schema is known at compile time. Implemented by `#[table]`, with its key
/// (`<Name>Key`, a [`Key`]) and its patch builder (`<Name>::patch`, a [`Patch`]).
///
/// ```
/// use connector_core::prelude::*;
/// use connector_core::{Key, Patch, Table};
///
/// #[table(name = "userAccounts")]
/// pub struct UserAccount {
///     #[primary_key]
///     pub id: i64,
///     pub name: String,
/// }
///
/// assert_eq!(UserAccount::NAME, "userAccounts");
/// assert_eq!(UserAccount::DESTINATION_NAME, "user_accounts");
/// assert_eq!(UserAccount::schema().primary_key().count(), 1);
/// // The whole key: column 0 holds 7.
/// assert_eq!(UserAccountKey { id: 7 }.into_cells(), [(0, Value::Long(7))]);
/// // The key, then the changed columns.
/// assert_eq!(
///     UserAccount::patch(7).name("Ada").into_cells(),
///     [(0, Value::Long(7)), (1, Value::from("Ada"))]
/// );
/// ```
pub trait Table: Send + 'static {
    /// The table's name as declared (the destination applies Fivetran naming to it).
    const NAME: &'static str;
    /// The destination name after Fivetran naming: two declared tables must not share it.
    const DESTINATION_NAME: &'static str;

    /// The schema: name, optional schema name, columns in declaration order.
    fn schema() -> &'static TableSchema;

    /// The row as one cell per column, in column order.
    fn into_cells(self) -> Vec<Value>;

    /// The columns of the row that the table does not declare: its `#[column(flatten)]` field,
    /// taken out (so [`into_cells`](Table::into_cells) need not carry it). Empty for a table
    /// without one.
    #[inline]
    fn take_extra_columns(&mut self) -> Row {
        Row::new()
    }
}

/// The whole primary key of one table: what `delete` needs. Generated as `<Name>Key`.
pub trait Key: Send + 'static {
    /// The table whose key this is.
    type Table: Table;

    /// The key cells, as `(column index, value)`.
    fn into_cells(self) -> Vec<(u16, Value)>;
}

/// A partial row of one table: its key and the columns to change. Generated as `<Name>Patch`,
/// started by `<Name>::patch(key)`.
pub trait Patch: Send + 'static {
    /// The table whose row this changes.
    type Table: Table;

    /// The key cells followed by the changed cells, as `(column index, value)`.
    fn into_cells(self) -> Vec<(u16, Value)>;
}

/// A table that connector `C` declares in `#[sync(tables(...))]`: only these can be emitted
/// through its `Operations<C>`. `#[sync]` implements it for each table it lists, so a table
/// type can be declared by several connectors of one crate, and by a connector in another crate
/// than the table's.
#[diagnostic::on_unimplemented(
    message = "table `{Self}` is not declared by the `#[sync]` function `{C}`",
    label = "not listed in `#[sync(tables(...))]` of `{C}`",
    note = "add `{Self}` to the `tables(...)` list of the `#[sync]` attribute on `{C}`"
)]
pub trait Declared<C>: Table {}

/// A Rust type that a `#[table]` field can have, and its Fivetran type.
///
/// ```
/// use connector_core::{ColumnType, DataType, Decimal, Value};
///
/// assert_eq!(<i64 as ColumnType>::DATA_TYPE, DataType::Long);
/// assert_eq!(<Decimal as ColumnType>::DATA_TYPE, DataType::DEFAULT_DECIMAL);
/// assert!(<Option<String> as ColumnType>::NULLABLE);
/// assert_eq!(ColumnType::into_value(None::<String>), Value::Null);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` has no Fivetran type",
    label = "not a column type",
    note = "a `#[table]` field must be one of: bool, i8, i16, i32, i64, u8, u16, u32, \
            connector_core::Decimal, rust_decimal::Decimal, f32, f64, chrono::NaiveDate, \
            chrono::NaiveDateTime, chrono::DateTime<Utc>, Vec<u8>, String, serde_json::Value, \
            or an Option of one of them"
)]
pub trait ColumnType {
    /// The column's Fivetran type.
    const DATA_TYPE: DataType;
    /// Whether the column may hold NULL (an `Option`).
    const NULLABLE: bool = false;

    /// The field's value as a cell.
    fn into_value(self) -> Value;
}

macro_rules! column_types {
    ($($ty:ty => $data_type:expr),* $(,)?) => {$(
        impl ColumnType for $ty {
            const DATA_TYPE: DataType = $data_type;

            #[inline]
            fn into_value(self) -> Value {
                Value::from(self)
            }
        }
    )*};
}

column_types! {
    bool => DataType::Boolean,
    i8 => DataType::Short,
    i16 => DataType::Short,
    u8 => DataType::Short,
    i32 => DataType::Int,
    u16 => DataType::Int,
    i64 => DataType::Long,
    u32 => DataType::Long,
    Decimal => DataType::DEFAULT_DECIMAL,
    rust_decimal::Decimal => DataType::DEFAULT_DECIMAL,
    f32 => DataType::Float,
    f64 => DataType::Double,
    NaiveDate => DataType::NaiveDate,
    NaiveDateTime => DataType::NaiveDatetime,
    DateTime<Utc> => DataType::UtcDatetime,
    Vec<u8> => DataType::Binary,
    String => DataType::String,
}

impl ColumnType for serde_json::Value {
    const DATA_TYPE: DataType = DataType::Json;

    fn into_value(self) -> Value {
        match self {
            serde_json::Value::Null => Value::Null,
            document => Value::Json(document.to_string()),
        }
    }
}

impl<T: ColumnType> ColumnType for Option<T> {
    const DATA_TYPE: DataType = T::DATA_TYPE;
    const NULLABLE: bool = true;

    #[inline]
    fn into_value(self) -> Value {
        self.map_or(Value::Null, T::into_value)
    }
}

/// A field that `#[column(json)]` can store as JSON: a `String` holding a JSON document.
#[diagnostic::on_unimplemented(
    message = "`#[column(json)]` needs a `String` or `serde_json::Value` field, not `{Self}`"
)]
pub trait JsonColumn {
    /// The field as a JSON cell.
    fn into_json(self) -> Value;
}

impl JsonColumn for String {
    fn into_json(self) -> Value {
        Value::Json(self)
    }
}

impl JsonColumn for serde_json::Value {
    fn into_json(self) -> Value {
        ColumnType::into_value(self)
    }
}

impl<T: JsonColumn> JsonColumn for Option<T> {
    fn into_json(self) -> Value {
        self.map_or(Value::Null, T::into_json)
    }
}

/// A field that `#[column(xml)]` can store as XML: a `String` holding an XML document.
#[diagnostic::on_unimplemented(message = "`#[column(xml)]` needs a `String` field, not `{Self}`")]
pub trait XmlColumn {
    /// The field as an XML cell.
    fn into_xml(self) -> Value;
}

impl XmlColumn for String {
    fn into_xml(self) -> Value {
        Value::Xml(self)
    }
}

impl<T: XmlColumn> XmlColumn for Option<T> {
    fn into_xml(self) -> Value {
        self.map_or(Value::Null, T::into_xml)
    }
}

/// A field that `#[column(flatten)]` applies to: the columns of the row that its table does not
/// declare, sent beside the declared ones and typed from their values as a [`Row`]'s are. A
/// [`Row`], or a JSON object (`serde_json::Map`, what `#[serde(flatten)]` collects of a
/// source's JSON), whose members become columns as [`Value::from`] converts them.
///
/// ```
/// use connector_core::prelude::*;
///
/// #[table]
/// pub struct Account {
///     #[primary_key]
///     pub id: i64,
///     pub name: String,
///     /// Whatever else the source sends, typed by inference.
///     #[column(flatten)]
///     pub extra: Row,
/// }
///
/// #[sync(tables(Account))]
/// async fn update(ops: &Operations) -> Result<()> {
///     let extra = Row::new().with("plan", "pro").with("seats", 12_i64);
///     ops.upsert(Account { id: 1, name: "Ada".into(), extra }).await
/// }
///
/// # connector_core::tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mut destination = connector_core::testing::Destination::new();
/// destination.sync::<update>(json!({})).await.unwrap();
/// let row = &destination.table("account").rows()[0];
/// assert_eq!(row.get("seats"), Some(&Value::Long(12)));
/// # });
/// ```
#[diagnostic::on_unimplemented(
    message = "`#[column(flatten)]` needs a `Row` or `serde_json::Map<String, serde_json::Value>` \
               field, not `{Self}`"
)]
pub trait FlattenColumns {
    /// Takes the columns out, leaving the field empty.
    fn take_columns(&mut self) -> Row;
}

impl FlattenColumns for Row {
    fn take_columns(&mut self) -> Row {
        std::mem::take(self)
    }
}

impl FlattenColumns for serde_json::Map<String, serde_json::Value> {
    fn take_columns(&mut self) -> Row {
        std::mem::take(self)
            .into_iter()
            .fold(Row::new(), |row, (name, value)| row.with(name, value))
    }
}

/// A field that `#[column(decimal(p, s))]` applies to: a [`Decimal`] (or a
/// `rust_decimal::Decimal`).
#[diagnostic::on_unimplemented(
    message = "`#[column(decimal(..))]` needs a `connector_core::Decimal` field, not `{Self}`"
)]
pub trait DecimalColumn: ColumnType {}

impl DecimalColumn for Decimal {}
impl DecimalColumn for Option<Decimal> {}
impl DecimalColumn for rust_decimal::Decimal {}
impl DecimalColumn for Option<rust_decimal::Decimal> {}
