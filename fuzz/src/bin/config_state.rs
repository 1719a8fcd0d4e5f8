//! AFL target: `connector_fuzz::config_state::check` on each input (see src/config_state.rs for its properties).

fn main() {
    afl::fuzz!(|data: &[u8]| connector_fuzz::config_state::check(data));
}
