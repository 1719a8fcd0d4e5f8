//! `/export/csv`: the header, one unquoted line per user, and the original's headers.

mod common;

use common::get;
use connector_playground::Playground;

#[tokio::test]
async fn every_user_is_one_line_with_commas_and_newlines_deleted() {
    let server = Playground::builder().seed(3).start().unwrap();
    let answer = get(&server.endpoint("/export/csv")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.header("content-type"), Some("text/csv"));
    assert_eq!(
        answer.header("content-disposition"),
        Some("attachment; filename=data_export.csv")
    );
    assert_eq!(answer.body, server.data().csv());

    let lines: Vec<&str> = answer.body.lines().collect();
    assert_eq!(
        lines[0],
        "id,name,email,address,company,job,createdAt,updatedAt"
    );
    assert_eq!(lines.len(), 201);
    assert!(answer.body.ends_with('\n'));
    for (line, user) in lines[1..].iter().zip(server.users()) {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 8, "{line}");
        assert_eq!(fields[0], user.id);
        assert_eq!(fields[3], user.address.replace(['\n', ','], ""));
        assert_eq!(fields[4], user.company.replace(',', ""));
        assert_eq!(fields[5], user.job.replace(',', ""));
        assert_eq!(fields[6], user.created_at);
        assert_eq!(fields[7], user.updated_at);
    }
    // The data has something to strip.
    assert!(server.users().iter().any(|u| u.company.contains(',')));
}

#[tokio::test]
async fn query_parameters_are_ignored() {
    let server = Playground::start().unwrap();
    let answer = get(&server.endpoint("/export/csv?anything=1")).await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn no_users_is_a_400() {
    let server = Playground::builder().users(0).start().unwrap();
    let answer = get(&server.endpoint("/export/csv")).await;
    assert_eq!(answer.status, 400);
    assert_eq!(answer.error(), "No data available to export.");
}
