//! The properties the fuzz targets check, one module per target. Each `check` takes AFL's bytes
//! and panics (an abort, in the fuzz build) when a property fails; the same checks run without
//! AFL through the `replay` binary.

pub mod config_state;
pub mod naming;
pub mod records;
pub mod values;

/// The targets, by name.
pub const TARGETS: [&str; 4] = ["naming", "config_state", "values", "records"];

/// The check of the target named `name`.
pub fn target(name: &str) -> Option<fn(&[u8])> {
    Some(match name {
        "naming" => naming::check,
        "config_state" => config_state::check,
        "values" => values::check,
        "records" => records::check,
        _ => return None,
    })
}
