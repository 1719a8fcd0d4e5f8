//! Any `Update` request (configuration, state and selection drawn at random, valid or not)
//! ends as its request says: a bad configuration or state is INVALID_ARGUMENT before anything
//! is sent, a failing sync is INTERNAL after its records, a good one ends cleanly; the records
//! sent are the selected ones from where the state resumes; no status carries the secret.

use proptest::prelude::*;
use proptest::test_runner::{Config as Cases, TestRunner};

use super::*;

#[derive(Debug, Clone)]
struct Case {
    token: Option<&'static str>,
    rows: Option<&'static str>,
    fail: Option<&'static str>,
    state: Option<String>,
    /// Whether `items`, its `name` column, and `events` are selected; `None`: no selection.
    selection: Option<(bool, bool, bool)>,
}

fn case() -> impl Strategy<Value = Case> {
    let token = prop_oneof![8 => Just(Some(SECRET)), 1 => Just(None), 1 => Just(Some("  "))];
    let rows = prop_oneof![
        8 => prop::sample::select(vec!["0", "1", "3", " 5 ", "7"]).prop_map(Some),
        1 => prop::sample::select(vec!["many", "-1", "1.5"]).prop_map(Some),
    ];
    let fail = prop_oneof![6 => Just(None), 2 => Just(Some("false")), 1 => Just(Some("true")), 1 => Just(Some("maybe"))];
    let state = prop_oneof![
        3 => Just(None),
        1 => Just(Some(" ".to_string())),
        4 => (0_u64..9).prop_map(|n| Some(format!(r#"{{"next": {n}}}"#))),
        1 => Just(Some(r#"{"other": true}"#.to_string())),
        1 => prop::sample::select(vec![r#"{"next": "x"}"#, r#"{"next": -1}"#, "[1]", "null", "{", "7"])
            .prop_map(|s| Some(s.to_string())),
        1 => "\\PC{0,8}".prop_map(Some),
    ];
    let selection = prop::option::of((any::<bool>(), any::<bool>(), any::<bool>()));
    (token, rows, fail, state, selection).prop_map(|(token, rows, fail, state, selection)| Case {
        token,
        rows,
        fail,
        state,
        selection,
    })
}

/// Where the sync resumes, or `None` when the state is refused: absent or blank is `{}`; else a
/// JSON object whose `next`, if any, is a whole number.
fn resume_at(state: Option<&str>) -> Option<u64> {
    let Some(text) = state.filter(|t| !t.trim().is_empty()) else {
        return Some(0);
    };
    let document: serde_json::Value = serde_json::from_str(text).ok()?;
    match document.as_object()?.get("next") {
        None => Some(0),
        Some(next) => next.as_u64(),
    }
}

fn request(case: &Case) -> proto::UpdateRequest {
    let mut configuration = BTreeMap::new();
    let fields = [
        ("token", case.token),
        ("rows", case.rows),
        ("fail", case.fail),
    ];
    for (name, value) in fields {
        if let Some(value) = value {
            configuration.insert(name.to_string(), value.to_string());
        }
    }
    configuration.insert("run".into(), "properties".into());
    let selection = case.selection.map(|(items, name, events)| {
        connector_core::__internal::grpc::selection_from_json(json!({"without_schema": {
            "tables": [
                {"table_name": "items", "included": items, "include_new_columns": true,
                 "columns": {"name": name}},
                {"table_name": "events", "included": events}
            ],
            "include_new_tables": false
        }}))
        .unwrap()
    });
    proto::UpdateRequest {
        configuration,
        selection,
        state_json: case.state.clone(),
    }
}

async fn check(
    mut client: SourceConnectorClient<Channel>,
    case: Case,
) -> Result<(), TestCaseError> {
    let (operations, status) = read_all(&mut client, request(&case)).await;
    if let Some(status) = &status {
        prop_assert!(!status.message().contains(SECRET), "{}", status.message());
    }
    let rows = case
        .rows
        .map_or(Some(250), |r| r.trim().parse::<u64>().ok());
    let fail = match case.fail {
        None | Some("false") => Some(false),
        Some("true") => Some(true),
        Some(_) => None,
    };
    let configured = case.token == Some(SECRET) && rows.is_some() && fail.is_some();
    let resume = resume_at(case.state.as_deref());
    let (Some(rows), Some(fail), Some(next), true) = (rows, fail, resume, configured) else {
        let status = status.expect("a status");
        prop_assert_eq!(status.code(), Code::InvalidArgument, "{}", status.message());
        prop_assert!(operations.is_empty());
        if configured {
            prop_assert!(status.message().contains("state"), "{}", status.message());
        }
        return Ok(());
    };
    match (&status, fail) {
        (None, false) => {}
        (Some(status), true) => {
            prop_assert_eq!(status.code(), Code::Internal, "{}", status.message())
        }
        (status, _) => prop_assert!(false, "fail = {}, ended with {:?}", fail, status),
    }

    let (items, name, events) = case.selection.unwrap_or((true, true, true));
    let records = records(&operations);
    let upserted: Vec<i64> = records
        .iter()
        .filter(|r| r.table_name == "items" && r.r#type == proto::RecordType::Upsert as i32)
        .map(|r| match r.data["id"].inner {
            Some(proto::value_type::Inner::Long(id)) => id,
            ref other => panic!("an id: {other:?}"),
        })
        .collect();
    let expected: Vec<i64> = if items {
        (next..rows).map(|i| i as i64).collect()
    } else {
        Vec::new()
    };
    prop_assert_eq!(upserted, expected);
    prop_assert_eq!(records.iter().any(|r| r.table_name == "items"), items);
    prop_assert_eq!(
        records.iter().filter(|r| r.table_name == "events").count(),
        usize::from(events)
    );
    prop_assert!(
        records
            .iter()
            .filter(|r| r.table_name == "items" && r.r#type == proto::RecordType::Upsert as i32)
            .all(|r| r.data.contains_key("name") == name)
    );
    Ok(())
}

#[test]
fn any_update_request_ends_as_its_configuration_state_and_selection_say() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let port = runtime.block_on(start(ServeOptions::default()));
    let client = runtime.block_on(client("127.0.0.1", port));
    let mut runner = TestRunner::new(Cases {
        cases: 64,
        failure_persistence: None,
        ..Cases::default()
    });
    runner
        .run(&case(), |case| {
            runtime.block_on(check(client.clone(), case))
        })
        .unwrap();
}
