//! `/incremental/*`: users since a time, and users by number.

mod common;

use common::{get, ids};
use connector_playground::Playground;

#[tokio::test]
async fn timestamp_serves_users_updated_since_oldest_first() {
    let server = Playground::start().unwrap();
    let by_updated = server.data().users_by_updated_at();
    let all = get(&server.endpoint("/incremental/timestamp")).await.json();
    assert_eq!(all["data"].as_array().unwrap().len(), 200);
    let since = &by_updated[190].updated_at;
    let tail = get(&server.endpoint(&format!("/incremental/timestamp?since={since}")))
        .await
        .json();
    let expected: Vec<String> = by_updated[190..].iter().map(|u| u.id.clone()).collect();
    assert_eq!(ids(&tail["data"]), expected);
    let bad = get(&server.endpoint("/incremental/timestamp?updated_since=x")).await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.error(), "Unexpected query parameters: updated_since");
}

#[tokio::test]
async fn step_numbers_users_from_one() {
    let server = Playground::start().unwrap();
    let answer = get(&server.endpoint("/incremental/step?start_id=3&end_id=5"))
        .await
        .json();
    let data = answer["data"].as_array().unwrap();
    assert_eq!(ids(&answer["data"]), ["3", "4", "5"]);
    assert_eq!(data[0]["name"], server.users()[2].name.as_str());
    let past = get(&server.endpoint("/incremental/step?start_id=199&end_id=500"))
        .await
        .json();
    assert_eq!(ids(&past["data"]), ["199", "200"]);
    for (query, message) in [
        (
            "start_id=1",
            "Both 'start_id' and 'end_id' parameters are required",
        ),
        (
            "start_id=x&end_id=2",
            "Both 'start_id' and 'end_id' parameters are required",
        ),
        (
            "start_id=0&end_id=2",
            "Invalid value for 'start_id'. It must be greater than or equal to 1.",
        ),
        (
            "start_id=5&end_id=2",
            "Invalid value for 'end_id'. It must be greater than or equal to 'start_id'.",
        ),
    ] {
        let answer = get(&server.endpoint(&format!("/incremental/step?{query}"))).await;
        assert_eq!(answer.status, 400, "{query}");
        assert_eq!(answer.error(), message, "{query}");
    }
}
