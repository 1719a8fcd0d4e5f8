//! Production: the partner-SDK gRPC protocol. [`server`] is `serve` (the connector as a gRPC
//! server), [`sink`] encodes a sync's operations into the `Update` stream, [`selection`] decides
//! what of it is sent, [`records`] keeps a batch of records in its wire form, [`wire`] converts between the SDK's types and the protocol's messages
//! (both ways: `connector-tester` reads with it), and [`log`] writes the JSON log lines.

pub mod log;
pub mod records;
pub mod selection;
pub mod server;
pub mod sink;
pub mod wire;

pub use selection::Selection;
pub use server::{ServeOptions, Service, serve, serve_on};
pub use sink::GrpcSink;
