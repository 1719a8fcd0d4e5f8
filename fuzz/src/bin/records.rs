//! AFL target: `connector_fuzz::records::check` on each input (see src/records.rs for its properties).

fn main() {
    afl::fuzz!(|data: &[u8]| connector_fuzz::records::check(data));
}
