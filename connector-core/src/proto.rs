//! The partner-SDK v2 protocol (`fivetran_sdk.v2`), generated at build time from `proto/` by
//! tonic and prost: the messages, the `SourceConnector` server trait and its client.

#![allow(clippy::all, clippy::pedantic, missing_docs, unreachable_pub)]

tonic::include_proto!("fivetran_sdk.v2");
