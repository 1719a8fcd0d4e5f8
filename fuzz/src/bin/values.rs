//! AFL target: `connector_fuzz::values::check` on each input (see src/values.rs for its properties).

fn main() {
    afl::fuzz!(|data: &[u8]| connector_fuzz::values::check(data));
}
