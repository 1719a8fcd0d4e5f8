//! The destination's rules: what a table looks like once a sync's operations land in it, in one
//! place for every sink that holds tables. The in-memory destination of tests
//! (`sink::memory`) and the DuckDB warehouse of `debug` (`warehouse`) both call
//! these modules and neither reaches into the other, so a test that is green on the memory sink
//! describes the table `debug` writes.
//!
//! The contract these rules implement is written down in `docs/warehouse.md`:
//! - [`system`]: the system columns, the reserved `_fivetran_` prefix, the key-less row id, the
//!   clock that stamps `_fivetran_synced`, and what a truncate marks deleted;
//! - [`columns`]: how source names become destination names under a
//!   [`Naming`](crate::naming::Naming), the columns of one table, and which cell wins when two
//!   source names land in one column;
//! - [`types`]: Fivetran types as DuckDB types, fitting a value to a declared type, widening an
//!   inferred one;
//! - [`declared`]: the tables a connector declares, checked before any sync or `schema` uses
//!   them (names, collisions, schemas, DECIMAL ranges);
//! - [`keys`]: the primary-key checks and their one error text;
//! - [`dump`]: the canonical text of a warehouse that the golden files hold.

pub mod columns;
pub mod declared;
pub mod dump;
pub mod keys;
pub mod system;
pub mod types;

pub use columns::Columns;
pub use declared::DeclarationError;
pub use keys::KeyError;
pub use types::FitError;
