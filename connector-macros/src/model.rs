//! The validated model that `check` hands to `expand`: every rule applied, every name, type and
//! index decided, so that the expansion only writes code and never validates again. What a rule
//! refused is kept as a stand-in ([`ColumnKind::Refused`], [`Sync::runs`] false), so the
//! expansion still emits the item and its impls beside the error, and one mistake gives one
//! error.

use proc_macro2::Span;
use syn::{Ident, ItemFn, ItemStruct, Path, Type, Visibility};

/// A `#[table]` struct.
pub struct Table<'a> {
    pub item: &'a ItemStruct,
    /// The source table name: `name = "..."` or the struct name in snake_case.
    pub name: String,
    /// `schema = "..."`, if given.
    pub schema: Option<String>,
    /// The destination name after Fivetran naming, `schema.table` when a schema is given.
    pub destination: String,
    /// The columns in declaration order (skipped fields left out); `index` is the position.
    pub columns: Vec<Column<'a>>,
    /// The `#[column(flatten)]` field, whose columns the table does not declare, if any.
    pub flatten: Option<Flatten<'a>>,
}

/// A `#[column(flatten)]` field: a `Row` (or JSON object) of columns the table does not declare,
/// sent beside the declared ones and typed from their values.
pub struct Flatten<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    /// The `flatten` key, where a wrong field type is reported.
    pub span: Span,
}

impl<'a> Table<'a> {
    pub fn keys(&self) -> impl Iterator<Item = &Column<'a>> {
        self.columns.iter().filter(|c| c.key)
    }
}

pub struct Column<'a> {
    pub ident: &'a Ident,
    pub vis: &'a Visibility,
    pub ty: &'a Type,
    /// The source column name: `#[column(name = "...")]` or the field's name.
    pub name: String,
    pub index: u16,
    pub key: bool,
    pub kind: ColumnKind,
}

/// How a column's Fivetran type is chosen and its values encoded.
pub enum ColumnKind {
    /// By the field's Rust type, through `ColumnType`.
    Native,
    /// `#[column(json)]`, spanned on `json`.
    Json(Span),
    /// `#[column(xml)]`, spanned on `xml`.
    Xml(Span),
    /// `#[column(decimal(p, s))]` with a valid precision and scale.
    Decimal {
        precision: u8,
        scale: u8,
        span: Span,
    },
    /// Refused by a rule whose error is reported: typed STRING and sent as NULL, without asking
    /// the compiler about the field's type again.
    Refused,
}

/// A `#[sync]` function.
pub struct Sync<'a> {
    pub item: &'a ItemFn,
    pub config: Option<&'a Type>,
    pub state: Option<&'a Type>,
    /// The listed tables, each once.
    pub tables: Vec<&'a Path>,
    /// `schema = function`, if given.
    pub schema: Option<&'a Path>,
    /// Whether the signature was accepted. When not, its error is reported and the connector is
    /// a stand-in that never runs, so `main!` and the tables raise nothing more.
    pub runs: bool,
}

/// A `#[derive(Configuration)]` struct.
pub struct Config<'a> {
    pub ident: &'a Ident,
    pub fields: Vec<ConfigField<'a>>,
    pub tests: Vec<SetupTest<'a>>,
}

pub struct ConfigField<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    /// The key in the configuration map.
    pub key: String,
    pub label: String,
    pub description: Option<String>,
    pub placeholder: Option<String>,
    pub default: Option<String>,
    pub secret: bool,
    /// Whether the form requires a value: no default and not an `Option`.
    pub required: bool,
    pub read: Read<'a>,
}

/// How a configuration value's text becomes the field.
pub enum Read<'a> {
    /// Through the field type's `ConfigValue`.
    Value,
    /// `#[field(json)]`: the text is a JSON document of the field's type.
    Json,
    /// `#[field(json)]` on an `Option<T>`: a JSON document of `T`, or nothing.
    OptionalJson(&'a Type),
}

/// `#[setup_test(function, label = "...")]`.
pub struct SetupTest<'a> {
    pub function: &'a Path,
    /// The function's name, which identifies the test.
    pub name: String,
    pub label: String,
}

/// A `#[derive(Dropdown)]` enum.
pub struct Dropdown<'a> {
    pub ident: &'a Ident,
    /// Each variant and the value the form shows for it.
    pub options: Vec<(&'a Ident, String)>,
}
