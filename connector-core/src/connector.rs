//! `Connector`: what `#[sync]` implements, tying a sync function to its tables, its
//! configuration and its state. `main!`, the driver and the test harness take a connector as a
//! type parameter: the name of the `#[sync]` function.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::BoxFuture;
use crate::config::Configuration;
use crate::operations::Operations;
use crate::schema::TableSchema;

/// A connector: implemented by `#[sync]` on a type named after the sync function.
///
/// ```
/// use connector_core::prelude::*;
/// use connector_core::Connector;
///
/// #[table]
/// pub struct Event {
///     #[primary_key]
///     pub id: i64,
/// }
///
/// #[sync(tables(Event))]
/// async fn update(ops: &Operations) -> Result<()> {
///     ops.upsert(Event { id: 1 }).await
/// }
///
/// // The type `update` is the connector: `main!(update)` and `testing` take it.
/// let tables = <update as Connector>::tables();
/// assert_eq!(tables[0].name, "event");
/// ```
pub trait Connector: Send + Sync + Sized + 'static {
    /// The configuration (`NoConfiguration` when the sync takes none).
    type Config: Configuration;
    /// The state (`NoState` when the sync takes none).
    type State: Serialize + DeserializeOwned + Default + Send + 'static;

    /// The `#[table]`s listed in `#[sync(tables(...))]`, in order.
    fn tables() -> Vec<&'static TableSchema>;

    /// The tables only known at run time, from `#[sync(schema = function)]`.
    fn discover(config: &Self::Config) -> BoxFuture<'_, anyhow::Result<Vec<TableSchema>>>;

    /// Runs the sync function.
    fn sync<'a>(
        ops: &'a Operations<Self>,
        config: &'a Self::Config,
        state: &'a mut Self::State,
    ) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// The state of a sync that keeps none: `{}`, whatever was saved before.
///
/// ```
/// use connector_core::prelude::*;
/// use connector_core::{Connector, NoState};
///
/// #[sync]
/// async fn update(ops: &Operations) -> Result<()> {
///     ops.checkpoint(&json!({})).await
/// }
///
/// // A sync without a `state` parameter keeps none.
/// let state: <update as Connector>::State = NoState::default();
/// assert_eq!(serde_json::to_string(&state)?, "{}");
/// let _: NoState = serde_json::from_str(r#"{"cursor": 3}"#)?;
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize)]
pub struct NoState {}
