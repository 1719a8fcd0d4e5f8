//! Every example connector through the local warehouse: `serve` read by `connector-tester`
//! leaves the warehouse and state that `debug` leaves, run after run; and the Python peers.

mod python_interop;

use connector_core::serde_json::{Value, json};
use connector_core::testing::assert_served_like_debug;
use connector_examples::shipped_configuration;

/// `$example`'s connector, served and read by the tester, gives the warehouse and state of
/// `debug`, over two runs (the second starts from the first's state).
macro_rules! served_like_debug {
    ($example:ident, $configuration:expr) => {
        #[tokio::test(flavor = "multi_thread")]
        async fn $example() {
            assert_served_like_debug::<$example::update>($configuration, 2).await;
        }
    };
}

/// The configuration of an example that reads the playground: a playground of its own, started
/// on a free port. The macro's configuration is an expression evaluated in the test, so the
/// server is leaked to outlive it; the test binary's exit stops it. The cursors endpoints'
/// random changes are off: `debug` and `serve` take turns against one server and must read the
/// same data.
fn playground_configuration() -> Value {
    let server = connector_playground::Playground::builder()
        .cursor_changes(false)
        .start()
        .expect("the playground starts");
    let server: &'static connector_playground::Playground = Box::leak(Box::new(server));
    json!({"base_url": server.url()})
}

mod served_like_debug {
    use super::*;

    served_like_debug!(hello, json!({}));
    served_like_debug!(
        configuration,
        shipped_configuration("quickstart/configuration")
    );
    served_like_debug!(
        complex_configuration_options,
        shipped_configuration("quickstart/complex_configuration_options")
    );
    served_like_debug!(simple_three_step_cursor, json!({}));
    served_like_debug!(multiple_code_files, json!({}));
    served_like_debug!(three_operations, json!({}));
    served_like_debug!(specified_types, json!({}));
    served_like_debug!(unspecified_types, json!({}));
    served_like_debug!(hashes, json!({}));
    served_like_debug!(records_with_no_created_at_timestamp, json!({}));
    // The clock pinned, so that debug and serve, run at different moments, sync the same hours:
    // run 1 is incremental, run 2 walks the history back.
    served_like_debug!(
        priority_first_sync_for_high_volume_initial_syncs,
        json!({"now": "2025-03-04T12:00:00Z"})
    );
    // Against a playground started in the test (run 2 resumes from run 1's cursor).
    served_like_debug!(page_number, playground_configuration());
    served_like_debug!(offset_based, playground_configuration());
    served_like_debug!(next_page_url, playground_configuration());
    served_like_debug!(keyset, playground_configuration());
    served_like_debug!(multiple_tables_with_cursors, playground_configuration());
}
