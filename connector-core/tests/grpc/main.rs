//! The gRPC protocol from both ends, in one test binary (each test binary links DuckDB):
//! [`serve`] as a client sees it, and [`tester`], the `connector-tester` binary against a
//! connector served in-process.

mod serve;
mod tester;
