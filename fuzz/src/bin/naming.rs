//! AFL target: `connector_fuzz::naming::check` on each input (see src/naming.rs for its properties).

fn main() {
    afl::fuzz!(|data: &[u8]| connector_fuzz::naming::check(data));
}
