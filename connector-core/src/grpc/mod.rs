//! Production: the partner-SDK gRPC protocol. [`server`] is `serve` (the connector as a gRPC
//! server), [`sink`] encodes a sync's operations into the `Update` stream, [`selection`] decides
//! what of it is sent, [`records`] keeps a batch of records in its wire form, [`wire`] converts
//! the SDK's types into the protocol's messages, [`read`] (with the local runner, or the `reader` feature) converts them
//! back for `connector-tester`, [`log`] writes the JSON log lines, and `memory` gives the memory
//! of finished syncs back to the system.

pub mod log;
mod memory;
#[cfg(feature = "reader")]
pub mod read;
pub mod records;
pub mod selection;
pub mod server;
pub mod sink;
pub mod wire;

pub use server::{ServeOptions, serve};
