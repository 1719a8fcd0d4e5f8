//! The production binary: the connector named in Cargo.toml, served to Fivetran.

connector_core::main!(connector::update);
