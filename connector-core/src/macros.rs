//! The macros, re-exported from `connector-macros` with their reference documentation: it lives
//! here because a proc-macro crate's doctests cannot use this crate, and these examples compile
//! and run with `cargo test --doc -p connector-core`.

/// Declares a table: the struct **is** the table's schema.
///
/// # Attributes
/// `#[table(...)]` on the struct, every key optional:
/// - `name = "..."`: the source table name; default: the struct's name in snake_case
///   (`HelloWorld` → `hello_world`). The destination applies Fivetran naming to it.
/// - `schema = "..."`: the destination schema the table goes to.
///
/// On a field:
/// - `#[primary_key]`: the column is (part of) the primary key. It cannot be an `Option`: key
///   values are never NULL. A table without a key gets a `_fivetran_id` column instead.
/// - `#[column(name = "...")]`: the source column name; default: the field's name.
/// - `#[column(decimal(precision, scale))]` on a `Decimal`: its DECIMAL parameters, precision
///   within 1..=38 and scale at most the precision (default: DECIMAL(38, 10)).
/// - `#[column(json)]` on a `String` or `serde_json::Value`, `#[column(xml)]` on a `String`:
///   store the text as JSON or XML. At most one of `json`, `xml` and `decimal` per column.
/// - `#[column(skip)]`: the field is not a column (a cache, a handle); it may have any type.
/// - `#[column(flatten)]` on a [`Row`](crate::Row) or a `serde_json::Map<String,
///   serde_json::Value>` (at most one per table): the row's columns that the table does not
///   declare, sent beside the declared ones and typed from their values (see
///   [`FlattenColumns`](crate::FlattenColumns)). One of them with a declared column's name fails
///   the sync.
///
/// An unknown or repeated key is an error that lists the valid ones.
///
/// # Types
/// `bool` BOOLEAN; `i8`, `i16`, `u8` SHORT; `i32`, `u16` INT; `i64`, `u32` LONG;
/// [`Decimal`](crate::Decimal) (or `rust_decimal::Decimal`) DECIMAL; `f32` FLOAT; `f64` DOUBLE; `chrono::NaiveDate` NAIVE_DATE;
/// `chrono::NaiveDateTime` NAIVE_DATETIME; `chrono::DateTime<Utc>` UTC_DATETIME; `Vec<u8>`
/// BINARY; `String` STRING; `serde_json::Value` JSON; `Option<T>` a nullable `T`. `u64`,
/// `usize`, `isize`, `i128` and `u128` are refused with a suggestion, and `NaiveTime` because
/// source connectors cannot send NAIVE_TIME.
///
/// # What it generates
/// - an impl of [`Table`](crate::Table): the static schema, and the row encoded into cells;
/// - for a table with a key, `<Name>Key`, a struct of the key fields that [`Operations::delete`]
///   takes, built from the key's value (or a tuple of them for a composite key);
/// - `<Name>::patch(key)`, which starts a `<Name>Patch` with one setter per other column, for
///   [`Operations::update`].
///
/// A sync can emit the table's rows once its `#[sync(tables(...))]` lists it ([`sync`]).
///
/// # Example
/// ```
/// use connector_core::prelude::*;
/// use connector_core::Table;
///
/// #[table(name = "accounts", schema = "crm")]
/// pub struct Account {
///     #[primary_key]
///     pub region: String,
///     #[primary_key]
///     pub number: i32,
///     #[column(name = "displayName")]
///     pub display_name: String,
///     #[column(decimal(12, 2))]
///     pub balance: Option<Decimal>,
///     #[column(json)]
///     pub raw: String,
///     #[column(skip)]
///     pub fetched: std::time::Duration,
/// }
///
/// let schema = Account::schema();
/// assert_eq!(Account::DESTINATION_NAME, "crm.accounts");
/// let columns: Vec<(&str, String, bool)> = schema
///     .columns
///     .iter()
///     .map(|c| (c.name.as_ref(), c.data_type.unwrap().to_string(), c.primary_key))
///     .collect();
/// assert_eq!(
///     columns,
///     [
///         ("region", "STRING".to_string(), true),
///         ("number", "INT".to_string(), true),
///         ("displayName", "STRING".to_string(), false),
///         ("balance", "DECIMAL(12, 2)".to_string(), false),
///         ("raw", "JSON".to_string(), false),
///     ]
/// );
///
/// // What `delete` and `update` take: the whole key, then the columns to change.
/// let key = AccountKey::from(("eu".to_string(), 7));
/// let _patch = Account::patch(key).display_name("Ada").balance(Some(Decimal::new(1050, 2)));
/// ```
///
/// [`Operations::delete`]: crate::Operations::delete
/// [`Operations::update`]: crate::Operations::update
pub use connector_macros::table;

/// Declares the sync function and the tables it writes.
///
/// # Attributes
/// - `tables(A, B, ...)`: the `#[table]`s the sync emits rows of, each listed once. Only these
///   can be passed to `ops.upsert`, `update`, `delete` and `truncate`; any other is a compile
///   error that names the sync. Two listed tables must not share a destination name.
/// - `schema = function`: for tables only known at run time, an
///   `async fn(config: &Config) -> Result<Vec<TableSchema>>` (or without `config`) whose tables
///   the sync writes with `ops.upsert_row` and the other `*_row` methods.
///
/// # The function
/// `async fn name(ops: &Operations, config: &Config, state: &mut State) -> Result<()>`, where
/// `config` (a [`Configuration`](derive@crate::Configuration)) and `state` (any serde type with
/// a `Default`, see [`state`]) may be left out. A wrong signature is one error, and nothing more
/// is reported at the uses of the sync.
///
/// # What it generates
/// Beside the function, a type of the same name implementing [`Connector`](crate::Connector),
/// which `main!(name)` and `testing::Destination::sync` take, and `Declared<name>` for each
/// listed table. `ops: &Operations` is filled in as `&Operations<name>`: a table is declared per
/// connector, so connectors of one crate can share table types. A helper the sync calls takes
/// `&Operations<name>`, or stays generic over the connectors that declare its tables, as `emit`
/// does here:
///
/// ```
/// use connector_core::prelude::*;
///
/// #[table]
/// pub struct User {
///     #[primary_key]
///     pub id: i64,
///     pub name: String,
/// }
///
/// #[derive(Configuration)]
/// pub struct Config {
///     #[field(default = "2")]
///     pub count: i64,
/// }
///
/// #[state]
/// #[derive(Default)]
/// pub struct Cursor {
///     pub next: i64,
/// }
///
/// /// Writes a user through any connector that declares `User`.
/// async fn emit<C>(ops: &Operations<C>, id: i64) -> Result<()>
/// where
///     User: Declared<C>,
/// {
///     ops.upsert(User { id, name: format!("user {id}") }).await
/// }
///
/// #[sync(tables(User))]
/// async fn update(ops: &Operations, config: &Config, cursor: &mut Cursor) -> Result<()> {
///     for id in cursor.next..cursor.next + config.count {
///         emit(ops, id).await?;
///     }
///     ops.update(User::patch(0).name("the first user")).await?;
///     cursor.next += config.count;
///     ops.checkpoint(cursor).await?;
///     Ok(())
/// }
///
/// // A second connector of the same crate, sharing the table.
/// #[sync(tables(User))]
/// async fn cleanup(ops: &Operations) -> Result<()> {
///     ops.delete(UserKey { id: 1 }).await?;
///     Ok(())
/// }
///
/// # connector_core::tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mut destination = connector_core::testing::Destination::new();
/// destination.sync::<update>(json!({})).await.unwrap();
/// destination.sync::<update>(json!({"count": 3})).await.unwrap();
/// assert_eq!(destination.state(), json!({"next": 5}));
/// destination.sync::<cleanup>(json!({})).await.unwrap();
/// assert_eq!(destination.table("user").live_rows().len(), 4);
/// # });
/// ```
///
/// A run-time schema:
///
/// ```
/// use connector_core::prelude::*;
///
/// async fn discover() -> Result<Vec<TableSchema>> {
///     Ok(vec![TableSchema::new("events").column(Column::key("id", Some(DataType::Long)))])
/// }
///
/// #[sync(tables(), schema = discover)]
/// async fn update(ops: &Operations) -> Result<()> {
///     ops.upsert_row("events", Row::new().with("id", 1_i64).with("kind", "signup")).await?;
///     Ok(())
/// }
///
/// # connector_core::tokio::runtime::Runtime::new().unwrap().block_on(async {
/// let mut destination = connector_core::testing::Destination::new();
/// destination.sync::<update>(json!({})).await.unwrap();
/// assert_eq!(destination.table("events").rows().len(), 1);
/// # });
/// ```
pub use connector_macros::sync;

/// Makes a type a sync state: serde's `Serialize` and `Deserialize` derived through this crate
/// (the connector need not depend on serde), and on a struct with named fields
/// `#[serde(default)]`, so that a state saved before a field was added still loads. It takes no
/// arguments; other `#[serde(...)]` attributes work as usual.
///
/// ```
/// use connector_core::prelude::*;
///
/// #[state]
/// #[derive(Debug, Default, PartialEq)]
/// pub struct Cursor {
///     pub page: u32,
///     pub updated_since: Option<String>,
/// }
///
/// // An older state without `updated_since` loads with the field's default.
/// let cursor: Cursor = serde_json::from_value(json!({"page": 3})).unwrap();
/// assert_eq!(cursor, Cursor { page: 3, updated_since: None });
/// ```
pub use connector_macros::state;

/// Derives [`Configuration`](trait@crate::Configuration): the typed `configuration.json`
/// (every bad field reported at once, secrets never in messages) and the setup form.
///
/// # Attributes
/// `#[field(...)]` on a field, every key optional:
/// - `name = "..."`: the key in the configuration; default: the field's name.
/// - `label = "..."`: the form's label; default: the name in words (`api_key` → `Api key`).
/// - `description = "..."`, `placeholder = "..."`: shown by the form.
/// - `default = "..."`: the text used when the key is absent; such a field is not required.
/// - `secret`: a password box, and the value is redacted from logs and errors.
/// - `json`: the text is a JSON document of the field's type (any serde type).
///
/// A field's type reads its text through [`ConfigValue`](crate::ConfigValue): `String`, the
/// integers, `f32`, `f64`, `bool` (a toggle), `serde_json::Value`, a [`Dropdown`](derive@Dropdown)
/// enum, `Vec<T>` (a JSON array or comma-separated text), and `Option<T>` (not required).
///
/// `#[setup_test(function, label = "...")]` on the struct (repeatable) adds a setup test: an
/// `async fn(&Config) -> Result<()>` whose error the user sees.
///
/// ```
/// use connector_core::prelude::*;
/// use connector_core::{Configuration, testing::configuration_map};
///
/// async fn reach_api(config: &Config) -> Result<()> {
///     ensure!(config.base_url.starts_with("https://"), "the base URL must use https");
///     Ok(())
/// }
///
/// #[derive(Configuration)]
/// #[setup_test(reach_api, label = "Reaching the API")]
/// pub struct Config {
///     #[field(label = "API key", secret)]
///     pub api_key: String,
///     #[field(name = "baseUrl", default = "https://api.example.com")]
///     pub base_url: String,
///     #[field(default = "100", description = "Rows per page")]
///     pub page_size: u32,
///     pub regions: Vec<String>,
///     #[field(json)]
///     pub filters: Option<serde_json::Value>,
/// }
///
/// let config = Config::from_map(&configuration_map(json!({
///     "api_key": "k",
///     "regions": "eu, us",
/// })))
/// .unwrap();
/// assert_eq!(config.base_url, "https://api.example.com");
/// assert_eq!(config.page_size, 100);
/// assert_eq!(config.regions, ["eu", "us"]);
///
/// let error = Config::from_map(&configuration_map(json!({"page_size": "many"}))).err().unwrap();
/// assert_eq!(error.problems.len(), 3); // api_key and regions missing, page_size not a number
///
/// let form = Config::form();
/// assert_eq!(form.fields[0].label, "API key");
/// assert_eq!(form.tests[0].label, "Reaching the API");
/// assert_eq!(Config::secret_fields(), ["api_key"]);
/// ```
pub use connector_macros::Configuration;

/// Derives a dropdown configuration value for an enum of unit variants: the form shows a
/// dropdown of the options, and the configuration's text (compared without case) picks one.
///
/// `#[dropdown(value = "...")]` on a variant sets the value the form shows and the
/// configuration holds; default: the variant's name. It also generates `as_str` and `Display`.
///
/// ```
/// use connector_core::prelude::*;
/// use connector_core::Configuration;
///
/// #[derive(Debug, PartialEq, Dropdown)]
/// pub enum Region {
///     #[dropdown(value = "eu-west-1")]
///     Europe,
///     #[dropdown(value = "us-east-1")]
///     America,
/// }
///
/// #[derive(Configuration)]
/// pub struct Config {
///     #[field(default = "eu-west-1")]
///     pub region: Region,
/// }
///
/// let config = Config::from_map(&connector_core::testing::configuration_map(json!({
///     "region": "US-EAST-1",
/// })))
/// .unwrap();
/// assert_eq!(config.region, Region::America);
/// assert_eq!(config.region.as_str(), "us-east-1");
/// ```
pub use connector_macros::Dropdown;
