//! Fivetran naming: how source names become destination names. The rules live in the
//! `connector-naming` crate, which the macros also use to reject colliding names at compile time.

pub use connector_naming::{column_name, schema_name, table_name};
