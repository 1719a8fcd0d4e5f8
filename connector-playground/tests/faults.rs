//! Fault injection: each kind answers as promised, on the share asked for, on the same requests
//! for the same seed, with counts that match what the client saw.

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::{client, get, send};
use connector_playground::{FaultKind, Faults, Playground, RetryAfter};

/// What a sequential client sees over `n` requests: (status, Retry-After) per request.
async fn statuses(server: &Playground, n: usize) -> Vec<(u16, Option<String>)> {
    let mut seen = Vec::with_capacity(n);
    for i in 0..n {
        let answer = get(&server.endpoint(&format!("/pagination/offset?offset={}", i % 200))).await;
        seen.push((
            answer.status,
            answer.header("retry-after").map(str::to_string),
        ));
    }
    seen
}

#[tokio::test]
async fn each_kind_comes_at_its_share_and_the_counts_match_the_answers() {
    const N: usize = 1000;
    let delay = Duration::from_millis(20);
    let faults = Faults::none()
        .rate_limited(0.1, RetryAfter::Seconds(7))
        .rate_limited_without_retry_after(0.05)
        .unavailable(0.15)
        .slow(0.05, delay)
        .seed(3);
    let server = Playground::builder().faults(faults).start().unwrap();
    let seen = statuses(&server, N).await;
    let counts = server.fault_counts();
    assert_eq!(counts.requests, N as u64);

    let with_retry_after = seen
        .iter()
        .filter(|(s, r)| *s == 429 && r.as_deref() == Some("7"))
        .count() as u64;
    let bare = seen
        .iter()
        .filter(|(s, r)| *s == 429 && r.is_none())
        .count() as u64;
    let unavailable = seen.iter().filter(|(s, _)| *s == 503).count() as u64;
    let ok = seen.iter().filter(|(s, _)| *s == 200).count() as u64;
    assert_eq!(with_retry_after, counts.rate_limited);
    assert_eq!(bare, counts.rate_limited_without_retry_after);
    assert_eq!(unavailable, counts.unavailable);
    assert_eq!(ok, N as u64 - counts.faulted() + counts.slow);

    // Each share within four standard deviations of what was asked (the draw is fixed by the
    // seed, so this either always passes or never does).
    for (count, share) in [
        (counts.rate_limited, 0.1),
        (counts.rate_limited_without_retry_after, 0.05),
        (counts.unavailable, 0.15),
        (counts.slow, 0.05),
    ] {
        let expected = N as f64 * share;
        let sigma = (N as f64 * share * (1.0 - share)).sqrt();
        assert!(
            (count as f64 - expected).abs() <= 4.0 * sigma,
            "{count} vs {expected} ({counts:?})"
        );
    }

    // The journal says which request got which fault; slow ones were still answered.
    let journal = server.requests();
    assert_eq!(journal.len(), N);
    let slow: Vec<_> = journal
        .iter()
        .filter(|r| r.fault == Some(FaultKind::Slow))
        .collect();
    assert_eq!(slow.len() as u64, counts.slow);
    assert!(slow.iter().all(|r| r.status == 200));
    for (record, (status, _)) in journal.iter().zip(&seen) {
        assert_eq!(record.status, *status);
    }
}

#[tokio::test]
async fn the_same_seed_faults_the_same_requests() {
    let faults = Faults::every_kind(0.3, 1, Duration::ZERO).seed(99);
    let a = Playground::builder()
        .faults(faults.clone())
        .start()
        .unwrap();
    let b = Playground::builder().faults(faults).start().unwrap();
    let seen_a = statuses(&a, 200).await;
    let seen_b = statuses(&b, 200).await;
    assert_eq!(seen_a, seen_b);
    let other = Playground::builder()
        .faults(Faults::every_kind(0.3, 1, Duration::ZERO).seed(100))
        .start()
        .unwrap();
    assert_ne!(statuses(&other, 200).await, seen_a);
}

#[tokio::test]
async fn fault_answers_look_like_the_originals_rate_limit() {
    let server = Playground::builder()
        .faults(Faults::none().rate_limited(1.0, RetryAfter::Seconds(0)))
        .start()
        .unwrap();
    let answer = get(&server.endpoint("/auth/api_key")).await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.header("retry-after"), Some("0"));
    assert_eq!(answer.error(), "Rate limit exceeded");

    server.set_faults(Faults::none().unavailable(1.0)).unwrap();
    let answer = get(&server.endpoint("/auth/api_key")).await;
    assert_eq!(answer.status, 503);
    assert_eq!(answer.error(), "Service unavailable");
}

#[tokio::test]
async fn retry_after_can_be_an_http_date() {
    let server = Playground::builder()
        .faults(Faults::none().rate_limited(1.0, RetryAfter::HttpDate(Duration::from_secs(30))))
        .start()
        .unwrap();
    let answer = get(&server.endpoint("/pagination/keyset")).await;
    assert_eq!(answer.status, 429);
    let when = httpdate::parse_http_date(answer.header("retry-after").unwrap()).unwrap();
    let ahead = when.duration_since(SystemTime::now()).unwrap();
    assert!(ahead > Duration::from_secs(25) && ahead <= Duration::from_secs(31));
}

#[tokio::test]
async fn a_slow_answer_outlasts_a_client_timeout() {
    let server = Playground::builder()
        .faults(Faults::none().slow(1.0, Duration::from_secs(5)))
        .start()
        .unwrap();
    let started = Instant::now();
    let error = client()
        .get(server.endpoint("/pagination/page_number"))
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
    assert!(started.elapsed() < Duration::from_secs(4));
    assert_eq!(server.fault_counts().slow, 1);

    // Faults can be turned off while the server runs.
    server.set_faults(Faults::none()).unwrap();
    let answer = send(
        client()
            .get(server.endpoint("/pagination/page_number"))
            .timeout(Duration::from_secs(5)),
    )
    .await;
    assert_eq!(answer.status, 200);
}

#[tokio::test]
async fn a_slow_answer_arrives_late_but_whole() {
    let server = Playground::builder()
        .faults(Faults::none().slow(1.0, Duration::from_millis(300)))
        .start()
        .unwrap();
    let started = Instant::now();
    let answer = get(&server.endpoint("/pagination/page_number")).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json()["total_items"], 200);
}

#[tokio::test]
async fn faults_can_be_kept_to_some_paths() {
    let server = Playground::builder()
        .faults(Faults::none().unavailable(1.0).only_under("/pagination/"))
        .start()
        .unwrap();
    assert_eq!(get(&server.endpoint("/export/csv")).await.status, 200);
    assert_eq!(
        get(&server.endpoint("/pagination/offset")).await.status,
        503
    );
    let counts = server.fault_counts();
    assert_eq!((counts.requests, counts.unavailable), (1, 1));
}

#[test]
fn shares_that_do_not_fit_are_refused() {
    let error = Playground::builder()
        .faults(Faults::none().unavailable(0.7).slow(0.7, Duration::ZERO))
        .start()
        .unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
    let server = Playground::start().unwrap();
    assert!(server.set_faults(Faults::none().unavailable(2.0)).is_err());
}
