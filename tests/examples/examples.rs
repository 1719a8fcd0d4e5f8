//! Every example connector through the local warehouse: `serve` read by `connector-tester`
//! leaves the warehouse and state that `debug` leaves, run after run; and the Python peers.

mod pypi_playground;
mod python_interop;
mod secrets;
mod sql_faults;

use connector_core::serde_json::{Value, json};
use connector_core::testing::assert_served_like_debug;
use connector_examples::shipped_configuration;

/// The Rust playground (`connector-playground`), started once for the whole test binary on a
/// free port, for the examples that read it. It lives until the process ends. The cursors
/// endpoints' random changes are off: `debug` and `serve` take turns against one server and must
/// read the same data.
fn playground() -> &'static connector_playground::Playground {
    static PLAYGROUND: std::sync::OnceLock<connector_playground::Playground> =
        std::sync::OnceLock::new();
    PLAYGROUND.get_or_init(|| {
        connector_playground::Playground::builder()
            .cursor_changes(false)
            .start()
            .expect("the playground starts")
    })
}

/// The `configuration.json` an example ships (whose credentials are the playground's fixed
/// ones), with `base_url` pointed at the playground of this test binary.
fn on_playground(example: &str) -> connector_core::serde_json::Value {
    let mut configuration = shipped_configuration(example);
    configuration["base_url"] = json!(playground().url());
    configuration
}

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

/// The configuration of a pagination example: its base URL on the playground.
fn on_playground_url() -> Value {
    json!({"base_url": playground().url()})
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
    served_like_debug!(key_based_replication, json!({}));
    served_like_debug!(records_with_no_created_at_timestamp, json!({}));
    // The HTTP examples, against the playground of this test binary.
    served_like_debug!(api_key, on_playground("common_patterns/api_key"));
    served_like_debug!(http_basic, on_playground("common_patterns/http_basic"));
    served_like_debug!(http_bearer, on_playground("common_patterns/http_bearer"));
    served_like_debug!(
        session_token,
        on_playground("common_patterns/session_token")
    );
    served_like_debug!(export_csv, on_playground("common_patterns/export_csv"));
    // The clock pinned, so that debug and serve, run at different moments, sync the same hours:
    // run 1 is incremental, run 2 walks the history back.
    served_like_debug!(
        priority_first_sync_for_high_volume_initial_syncs,
        json!({"now": "2025-03-04T12:00:00Z"})
    );
    // Pagination (run 2 resumes from run 1's cursor).
    served_like_debug!(page_number, on_playground_url());
    served_like_debug!(offset_based, on_playground_url());
    served_like_debug!(next_page_url, on_playground_url());
    served_like_debug!(keyset, on_playground_url());
    served_like_debug!(multiple_tables_with_cursors, on_playground_url());

    // The AWS examples, each against a stand-in of its own that the test stops at its end.
    /// Athena's results in three pages (a checkpoint after each), from a mock of its API.
    #[tokio::test(flavor = "multi_thread")]
    async fn aws_athena() {
        let mut mock = aws_mock::AthenaMock::builder()
            .columns(["customer_id", "first_name", "last_name", "email"])
            .states(["RUNNING", "SUCCEEDED"]);
        for n in 1..=5 {
            mock = mock.row([
                Some(format!("{n}")),
                Some(format!("First{n}")),
                (n != 3).then(|| format!("Last{n}")),
                Some(format!("customer{n}@example.com")),
            ]);
        }
        let mock = mock.start();
        let mut configuration = shipped_configuration("sources/aws_athena");
        configuration["endpoint_url"] = json!(mock.url());
        configuration["poll_interval_ms"] = json!("10");
        configuration["page_size"] = json!("2");
        assert_served_like_debug::<aws_athena::update>(configuration, 2).await;
    }

    /// Two DynamoDB tables in moto, scanned through an assumed role. In one segment: four
    /// segments write their rows in another order each run, and the comparison includes the
    /// order rows were written in (the example's unit tests cover four).
    #[tokio::test(flavor = "multi_thread")]
    async fn aws_dynamo_db_authentication() {
        let moto = aws_mock::Moto::start();
        for (table, key) in [("customers", "customer_id"), ("orders", "order_id")] {
            moto.dynamodb(
                "CreateTable",
                json!({
                    "TableName": table,
                    "BillingMode": "PAY_PER_REQUEST",
                    "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"}],
                }),
            );
        }
        for n in 0..9 {
            moto.dynamodb(
                "PutItem",
                json!({"TableName": "customers", "Item": {
                    "customer_id": {"S": format!("c{n}")},
                    "visits": {"N": format!("{}", n * 10)},
                    "tags": {"SS": ["a", "b"]},
                    "profile": {"M": {"vip": {"BOOL": n % 2 == 0}}},
                }}),
            );
        }
        moto.dynamodb(
            "PutItem",
            json!({"TableName": "orders", "Item": {"order_id": {"S": "o1"}, "total": {"N": "9.99"}}}),
        );
        let mut configuration = shipped_configuration("sources/aws_dynamo_db_authentication");
        configuration["endpoint_url"] = json!(moto.url());
        configuration["page_size"] = json!("2");
        configuration["segments"] = json!("1");
        assert_served_like_debug::<aws_dynamo_db_authentication::update>(configuration, 2).await;
    }
}
