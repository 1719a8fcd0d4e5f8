//! Relational sources for connectors: find a database's tables in its catalog, type their
//! columns for Fivetran, and replicate them incrementally by a cursor column, streaming and
//! checkpointed, resumable at any point.
//!
//! A connector of a database depends on `connector-core` and this crate:
//!
//! - [`Postgres`] connects (PostgreSQL, and Redshift through the same wire protocol) from
//!   [`ConnectionSettings`], whose password is a [`Password`] (a `#[field(secret)]`);
//! - [`Postgres::discover`] reads the catalog: [`SourceTable`]s with their columns, SQL types,
//!   Fivetran types ([`types`]) and primary keys; [`SourceTable::schema`] is what a
//!   `#[sync(schema = ...)]` function returns;
//! - [`TableChoices`] (a configuration field: `schema.table:cursor, ...`) says which tables a sync
//!   replicates and by which column; [`Postgres::plan`] checks them against the catalog;
//! - [`replicate`] copies one table above its saved [`Position`], in cursor order, with a
//!   checkpoint every N rows.
//!
//! # The replication rule
//! Rows are read in the order `(cursor, key...)`, the table's cursor column then its primary
//! key, and a checkpoint saves the pair `(cursor, key)` of the last row written. The next query
//! asks for `(cursor, key...) > (saved cursor, saved key...)`. The pair is a total order, so rows
//! that share a cursor value (ties) are neither lost nor read twice when a checkpoint falls
//! among them. A table without a primary key has no tie-breaker: its checkpoints are only taken
//! where the cursor value changes (after every row of a value), and the next query asks for
//! `cursor > saved cursor`. Rows whose cursor is NULL are never read (choose a NOT NULL cursor),
//! and a row written later with a cursor at or below the saved one is not seen: key-based
//! replication relies on the cursor only growing (`updated_at` set on each change, an increasing
//! id).
//!
//! Rows come through one streamed query (the driver reads them off the socket as they are
//! written: at most a socket buffer of rows waits, never the table), and each is written before
//! the next is read.
//!
//! # Tests
//! `testing` (feature `testing`) starts a throwaway PostgreSQL cluster from Debian's
//! `postgresql` binaries for a test.

mod choice;
mod connection;
mod dialect;
mod discover;
mod postgres;
mod replicate;
mod source;
#[cfg(feature = "sql-server")]
pub mod sql_server;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
#[cfg(test)]
mod tests;
pub mod types;

pub use choice::{TableChoice, TableChoices};
pub use connection::{ConnectionSettings, Password};
pub use dialect::Dialect;
pub use discover::{After, SourceColumn, SourceTable, TablePlan};
pub use postgres::Postgres;
pub use replicate::{Position, Positions, ReplicationReport, replicate};
pub use source::{PositionedRow, Source};
#[cfg(feature = "sql-server")]
pub use sql_server::{Encryption, SqlServer};
/// The SQL Server driver (feature `sql-server`).
#[cfg(feature = "sql-server")]
pub use tiberius;
/// The PostgreSQL driver, for a connector's own statements (setup, writes in tests).
pub use tokio_postgres;
