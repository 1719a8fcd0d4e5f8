//! Write data connectors in Rust: a `#[table]` struct **is** the table schema, a `#[sync]`
//! function **is** the sync, and schema mistakes are compile errors.
//!
//! ```ignore
//! use connector_core::prelude::*;
//!
//! #[table]
//! pub struct HelloWorld {
//!     #[primary_key]
//!     pub id: i64,
//!     pub message: String,
//! }
//!
//! #[sync(tables(HelloWorld))]
//! async fn update(ops: &Operations) -> Result<()> {
//!     ops.upsert(HelloWorld { id: 1, message: "hello, world!".into() }).await?;
//!     Ok(())
//! }
//!
//! connector_core::main!(update);
//! ```
//!
//! One binary then runs its sync in every mode through one [`driver`]; modes differ only in the
//! [`sink`]. [`testing`] runs it in-process against an in-memory destination.

pub mod cli;
pub mod config;
mod connector;
pub mod driver;
pub mod grpc;
#[cfg(feature = "local")]
pub mod local;
pub mod naming;
pub mod operations;
pub mod proto;
pub mod record;
pub mod row;
pub mod schema;
pub mod sink;
pub mod table;
#[cfg(feature = "local")]
pub mod tester;
pub mod testing;
pub mod value;
#[cfg(feature = "local")]
pub mod warehouse;

pub use config::{
    ConfigError, ConfigValue, Configuration, ConfigurationMap, FieldKind, Form, FormField,
    NoConfiguration, Redactor, SetupTest, TextField,
};
pub use connector::{Connector, NoState};
pub use connector_macros::{Configuration, Dropdown, state, sync, table};
pub use operations::Operations;
pub use record::{Cells, Record, RecordKind};
pub use row::Row;
pub use schema::{Column, DataType, TableRef, TableSchema};
pub use table::{ColumnType, Declared, Key, Patch, Table};
pub use value::Value;

/// A boxed future that can move between threads: how setup tests and syncs are stored.
#[doc(hidden)]
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The result a `#[sync]` function returns; any error type converts into [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The error of a sync or a setup test: any error, with context.
pub type Error = anyhow::Error;

pub use {anyhow, chrono, rust_decimal, serde, serde_json, tokio};

/// What a connector's code needs, in one `use connector_core::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Column, Configuration, DataType, Dropdown, Operations, Result, Row, TableSchema, Value,
        state, sync, table,
    };
    pub use anyhow::{Context as _, anyhow, bail, ensure};
    pub use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    pub use rust_decimal::Decimal;
    pub use serde_json::{self, json};
}

/// Runs the connector whose `#[sync]` function is `$sync` from the command line.
///
/// ```ignore
/// connector_core::main!(update);
/// ```
#[macro_export]
macro_rules! main {
    ($sync:path) => {
        fn main() -> ::std::process::ExitCode {
            $crate::__private::cli::main::<$sync>()
        }
    };
}

/// What generated code reaches by absolute path; not public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::BoxFuture;
    pub use crate::cli;
    pub use crate::config::{
        ConfigError, ConfigValue, Configuration, ConfigurationMap, FieldKind, FieldProblem, Form,
        FormField, FormTest, NoConfiguration, SetupTest, TextField, default_label, parse_json,
        read_field,
    };
    pub use crate::connector::{Connector, NoState};
    pub use crate::operations::Operations;
    pub use crate::schema::{Column, DataType, TableSchema};
    pub use crate::table::{
        ColumnType, DecimalColumn, Declared, JsonColumn, Key, Patch, Table, XmlColumn,
    };
    pub use crate::value::Value;
    pub use anyhow;
    pub use serde;
    pub use std::borrow::Cow;
    pub use std::boxed::Box;
    pub use std::option::Option;
    pub use std::result::Result;
    pub use std::string::String;
    pub use std::vec::Vec;

    /// Turns what a sync function or setup test returned into the driver's result.
    pub trait IntoSyncResult {
        fn into_sync_result(self) -> anyhow::Result<()>;
    }

    impl<E: Into<anyhow::Error>> IntoSyncResult for Result<(), E> {
        fn into_sync_result(self) -> anyhow::Result<()> {
            self.map_err(Into::into)
        }
    }

    /// Turns what a `#[sync(schema = ...)]` function returned into the driver's result.
    pub trait IntoSchemaResult {
        fn into_schema_result(self) -> anyhow::Result<Vec<TableSchema>>;
    }

    impl<E: Into<anyhow::Error>> IntoSchemaResult for Result<Vec<TableSchema>, E> {
        fn into_schema_result(self) -> anyhow::Result<Vec<TableSchema>> {
            self.map_err(Into::into)
        }
    }

    /// Whether two table names are equal, at compile time (for the duplicate-table check).
    pub const fn same_name(a: &str, b: &str) -> bool {
        let (a, b) = (a.as_bytes(), b.as_bytes());
        if a.len() != b.len() {
            return false;
        }
        let mut i = 0;
        while i < a.len() {
            if a[i] != b[i] {
                return false;
            }
            i += 1;
        }
        true
    }
}
