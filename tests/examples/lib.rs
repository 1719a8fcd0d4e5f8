//! The example connectors, tested where they need the local DuckDB warehouse. Each example is a
//! library with fast in-memory unit tests of its own; what links DuckDB for them runs here, in
//! one test binary (`examples.rs`), so adding an example adds a line, not a binary.

use std::path::{Path, PathBuf};

/// The folder of an example, by its path under `examples/` (`"quickstart/configuration"`).
pub fn example_dir(example: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(example)
}

/// The `configuration.json` an example ships, as JSON.
///
/// # Panics
/// When the file is missing or not JSON.
pub fn shipped_configuration(example: &str) -> connector_core::serde_json::Value {
    let path = example_dir(example).join("configuration.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    connector_core::serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}
