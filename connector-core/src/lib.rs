//! Write data connectors in Rust: a `#[table]` struct **is** the table schema, a `#[sync]`
//! function **is** the sync, and schema mistakes are compile errors.
//!
//! ```
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
//! [`main!`] makes the binary's command line: `debug` runs the sync into a local DuckDB
//! warehouse, `serve` serves Fivetran's partner-SDK gRPC protocol in production, and `schema`,
//! `form` and `test` show the tables, the setup form and run the setup tests. Every mode runs the
//! sync the same way; only the destination differs. [`testing`] runs it in-process against an
//! in-memory destination that applies the warehouse's rules.
//!
//! What a connector uses: the macros ([`table`], [`sync`], [`state`], [`Configuration`],
//! [`Dropdown`]), [`Operations`] (upsert, update, delete, truncate, checkpoint, warnings and
//! tasks), the model ([`DataType`], [`Column`], [`TableSchema`], [`Row`] and its [`RowReader`],
//! [`Value`]), and the
//! configuration's types ([`ConfigValue`], [`Form`], [`SetupTest`]). `use
//! connector_core::prelude::*;` brings the common ones.

#![warn(missing_docs)]

// The layers, each using only the layers before it:
// 1. the model: what a connector declares and emits, and the destination's rules for it.
mod config;
mod decimal;
mod destination;
mod macros;
pub mod naming;
mod record;
mod row;
mod row_reader;
mod schema;
mod table;
mod value;
// 2. the runtime: one driver runs a sync for every mode; modes differ only in the sink.
mod connector;
// Crash points of the crash sweep: nothing unless the `crash-points` feature is on.
#[cfg_attr(not(feature = "local"), allow(dead_code))]
mod crash;
mod driver;
mod operations;
mod sink;
// 3. the modes: the local runner (`debug`, and `connector-tester` for a served connector) and
//    its DuckDB warehouse, the gRPC server (`serve`), and the in-process destination of tests.
mod grpc;
#[cfg(feature = "local")]
mod local;
mod proto;
pub mod testing;
#[cfg(feature = "local")]
mod warehouse;
// 4. the command line of a connector binary (`main!`).
mod cli;
#[cfg(test)]
mod layers;
#[cfg(test)]
mod properties;

pub use config::{
    ConfigError, ConfigValue, Configuration, ConfigurationMap, FieldKind, Form, FormField,
    NoConfiguration, SetupTest, TextField,
};
pub use connector::{Connector, NoState};
pub use decimal::{Decimal, DecimalError};
pub use driver::{Counts, SyncError, SyncReport};
pub use macros::{Configuration, Dropdown, state, sync, table};
pub use operations::Operations;
pub use row::Row;
pub use row_reader::RowReader;
pub use schema::{Column, DataType, TableSchema};
pub use table::{ColumnType, Declared, FlattenColumns, Key, Patch, Table};
pub use value::{CoerceError, Value};

/// A boxed future that can move between threads: how setup tests and syncs are stored.
#[doc(hidden)]
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The result a `#[sync]` function returns; any error type converts into [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// The error of a sync or a setup test: any error, with context.
pub type Error = anyhow::Error;

pub use {anyhow, chrono, rust_decimal, serde, serde_json, tokio};

/// The HTTP toolkit, with the `http` feature: a client with time-outs, retries, a rate limit,
/// authentication, pagination as streams, an incremental cursor and [`http::Secret`] (the
/// crate `connector-http`, re-exported so a connector names no other crate).
///
/// ```no_run
/// use connector_core::http::{Bearer, Client, Secret};
///
/// # async fn run() -> connector_core::Result<()> {
/// let http = Client::builder("my_connector")
///     .base_url("https://api.example.com")
///     .auth(Bearer::new(Secret::new("t0k3n")))
///     .build()?;
/// let users: connector_core::serde_json::Value = http.get("users").send().await?.json()?;
/// # Ok(())
/// # }
/// ```
#[cfg(feature = "http")]
pub use connector_http as http;

/// What a connector's code needs, in one `use connector_core::prelude::*;`.
pub mod prelude {
    pub use crate::{
        Column, Configuration, DataType, Decimal, Declared, Dropdown, Operations, Result, Row,
        TableSchema, Value, state, sync, table,
    };
    pub use anyhow::{Context as _, anyhow, bail, ensure};
    pub use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    pub use serde_json::{self, json};
}

/// Makes the binary's `main`: the command line of the connector whose `#[sync]` function is
/// `$sync` (`debug`, `reset`, `serve --port`, `schema`, `form`, `test`; `--help` lists them).
///
/// ```
/// use connector_core::prelude::*;
///
/// #[table]
/// pub struct Greeting {
///     pub message: String,
/// }
///
/// #[sync(tables(Greeting))]
/// async fn update(ops: &Operations) -> Result<()> {
///     ops.upsert(Greeting { message: "hello".into() }).await?;
///     Ok(())
/// }
///
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

/// What the project's own bench, tests and `connector-tester` reach into: the driver, the
/// sinks, the wire, the local warehouse. Not API: it changes without notice.
#[doc(hidden)]
pub mod __internal {
    pub use crate::config::configuration_from_json;
    pub use crate::driver::parse_state;
    pub use crate::driver::run as run_sync;
    pub use crate::record::{Cells, Record, RecordKind};
    pub use crate::schema::TableRef;
    pub use crate::sink::Sink;

    /// The command line of `main!`, with the arguments given.
    pub use crate::cli::main_with_args;

    /// The generated protocol (`fivetran_sdk.v2`).
    pub mod proto {
        pub use crate::proto::*;
    }

    /// `serve`: the gRPC server and the wire form of values and records.
    pub mod grpc {
        pub use crate::grpc::ServeOptions;
        #[cfg(feature = "reader")]
        pub use crate::grpc::read;
        pub use crate::grpc::records::Records;
        #[cfg(feature = "local")]
        pub use crate::grpc::selection::selection_from_json;
        pub use crate::grpc::server::{bind, serve_on};
        pub use crate::grpc::wire;
    }

    /// Where values land: an inferred column's widening (the fuzz targets check it).
    pub mod destination {
        pub use crate::destination::columns::Column;
        pub use crate::destination::types::fit;
    }

    /// `debug`: the local runner and its DuckDB warehouse.
    #[cfg(feature = "local")]
    pub mod local {
        pub use crate::local::sync_into_warehouse;
        pub use crate::warehouse::{Files, Warehouse};
    }

    /// `connector-tester`: the client that writes a served connector into the warehouse.
    #[cfg(feature = "local")]
    pub mod tester {
        pub use crate::local::tester::*;
    }
}

/// What generated code reaches by absolute path; not public API.
#[doc(hidden)]
pub mod __private {
    /// The command line that `main!` runs.
    pub mod cli {
        pub use crate::cli::main;
    }

    pub use crate::BoxFuture;
    pub use crate::config::{
        ConfigError, ConfigValue, Configuration, ConfigurationMap, FieldKind, FieldProblem, Form,
        FormField, FormTest, NoConfiguration, SetupTest, TextField, default_label, parse_json,
        read_field,
    };
    pub use crate::connector::{Connector, NoState};
    pub use crate::operations::Operations;
    pub use crate::row::Row;
    pub use crate::schema::{Column, DataType, TableSchema};
    pub use crate::table::{
        ColumnType, DecimalColumn, Declared, FlattenColumns, JsonColumn, Key, Patch, Table,
        XmlColumn,
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
