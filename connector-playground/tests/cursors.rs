//! `/cursors/*`: two companies with four departments each, whose rows change as they are read,
//! the same way for the same seed.

mod common;

use std::time::Duration;

use common::get;
use connector_playground::Playground;
use serde_json::{Value, json};

fn data(answer: &common::Answer) -> Vec<Value> {
    answer.json()["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn companies_and_departments_have_the_original_shapes() {
    let server = Playground::builder().cursor_changes(false).start().unwrap();
    let answer = get(&server.endpoint("/cursors/companies")).await;
    assert_eq!(answer.status, 200);
    let body = answer.json();
    assert_eq!(body["total_items"], 2);
    let companies = data(&answer);
    // Sorted by updatedAt, oldest first, by default.
    let mut expected = server.data().companies().to_vec();
    expected.sort_by(|a, b| a.updated_at.cmp(&b.updated_at));
    assert_eq!(json!(companies), serde_json::to_value(&expected).unwrap());
    let keys: Vec<&String> = companies[0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 4);
    for key in ["company_id", "company_name", "createdAt", "updatedAt"] {
        assert!(companies[0].get(key).is_some(), "{key}");
    }

    for company_id in [1, 2] {
        let answer = get(&server.endpoint(&format!("/cursors/{company_id}/departments"))).await;
        let departments = data(&answer);
        assert_eq!(departments.len(), 4);
        let mut names: Vec<&str> = departments
            .iter()
            .map(|d| d["department_name"].as_str().unwrap())
            .collect();
        names.sort();
        assert_eq!(names, ["Engineering", "Finance", "HR", "Sales"]);
        let mut ids: Vec<i64> = departments
            .iter()
            .map(|d| d["department_id"].as_i64().unwrap())
            .collect();
        ids.sort();
        assert_eq!(ids, [1, 2, 3, 4]);
        assert!(departments.iter().all(|d| d["company_id"] == company_id));
        assert_eq!(
            json!(departments.len()),
            answer.json()["total_items"],
            "{company_id}"
        );
    }
}

#[tokio::test]
async fn mistakes_get_the_original_answers() {
    let server = Playground::start().unwrap();
    for (path, status, message) in [
        (
            "/cursors/companies?page=1",
            400,
            "Unexpected query parameters: page",
        ),
        (
            "/cursors/companies?order_by=id",
            400,
            "Invalid value for 'order_by'. Use 'createdAt' or 'updatedAt'",
        ),
        (
            "/cursors/companies?updated_since=2024-01-01",
            400,
            "Invalid date format for 'updated_since'. Must end with 'Z' for UTC",
        ),
        (
            "/cursors/abc/departments",
            400,
            "Invalid value for 'company_id'. 'company_id' must be an integer",
        ),
        ("/cursors/3/departments", 404, "company_id '3' not found"),
        ("/cursors/03/departments", 404, "company_id '3' not found"),
        (
            "/cursors/3/departments?order_type=up",
            400,
            "Invalid value for 'order_type'. Use 'asc' or 'desc'",
        ),
    ] {
        let answer = get(&server.endpoint(path)).await;
        assert_eq!(answer.status, status, "{path}: {}", answer.body);
        assert_eq!(answer.error(), message, "{path}");
    }
}

/// The `updatedAt` of each company (oldest created first) at each of `calls` reads, with the
/// server's "now" at that read.
async fn company_history(server: &Playground, calls: usize) -> Vec<(String, Vec<String>)> {
    let mut history = Vec::new();
    for _ in 0..calls {
        server.advance_clock(Duration::from_secs(60));
        let now = server.now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let answer = get(&server.endpoint("/cursors/companies?order_by=createdAt")).await;
        let updated = data(&answer)
            .iter()
            .map(|c| c["updatedAt"].as_str().unwrap().to_string())
            .collect();
        history.push((now, updated));
    }
    history
}

#[tokio::test]
async fn reads_change_rows_the_same_way_for_the_same_seed() {
    let a = Playground::builder().seed(5).start().unwrap();
    let b = Playground::builder().seed(5).start().unwrap();
    let history_a = company_history(&a, 10).await;
    let history_b = company_history(&b, 10).await;
    assert_eq!(history_a, history_b);

    // Each row either keeps its value or takes the server's "now" at the read.
    let mut generated = a.data().companies().to_vec();
    generated.sort_by(|x, y| x.created_at.cmp(&y.created_at));
    let mut previous: Vec<String> = generated.iter().map(|c| c.updated_at.clone()).collect();
    let mut changes = 0;
    for (now, updated) in &history_a {
        for (before, after) in previous.iter().zip(updated) {
            if before != after {
                assert_eq!(after, now);
                changes += 1;
            }
        }
        previous = updated.clone();
    }
    assert!(changes > 0, "{history_a:?}");
    // What the endpoint holds now is what the server reports.
    let mut held = a.companies();
    held.sort_by(|x, y| x.created_at.cmp(&y.created_at));
    let held: Vec<String> = held.into_iter().map(|c| c.updated_at).collect();
    assert_eq!(held, previous);
}

#[tokio::test]
async fn a_changed_row_is_stamped_with_the_servers_now() {
    let server = Playground::builder().seed(2).start().unwrap();
    server.advance_clock(Duration::from_secs(3600));
    let now = server.now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
    // Read until some department changes; with the seed fixed this is a fixed number of reads.
    let mut seen_change = false;
    for _ in 0..20 {
        let answer = get(&server.endpoint("/cursors/1/departments")).await;
        if data(&answer).iter().any(|d| d["updatedAt"] == now.as_str()) {
            seen_change = true;
            break;
        }
    }
    assert!(seen_change);
    // A cursor at "now" then finds exactly the rows changed at "now".
    let since = get(&server.endpoint(&format!("/cursors/1/departments?updated_since={now}"))).await;
    let changed = data(&since);
    assert!(!changed.is_empty());
    assert!(changed.iter().all(|d| d["updatedAt"] == now.as_str()));
    let held: Vec<_> = server
        .departments(1)
        .into_iter()
        .filter(|d| d.updated_at == now)
        .collect();
    assert_eq!(held.len(), changed.len());
}

#[tokio::test]
async fn without_changes_the_rows_stay_as_generated() {
    let server = Playground::builder().cursor_changes(false).start().unwrap();
    for _ in 0..5 {
        get(&server.endpoint("/cursors/companies")).await;
        get(&server.endpoint("/cursors/2/departments")).await;
    }
    assert_eq!(server.companies(), server.data().companies());
    let generated: Vec<_> = server
        .data()
        .departments()
        .iter()
        .filter(|d| d.company_id == 2)
        .cloned()
        .collect();
    assert_eq!(server.departments(2), generated);
}
