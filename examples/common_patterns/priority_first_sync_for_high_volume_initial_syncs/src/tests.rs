//! The sync run in-process at chosen times: the state over several syncs, the six-hour
//! threshold, resuming after any checkpoint, and a failing source.

use std::sync::Mutex;

use connector_core::Configuration;
use connector_core::chrono::TimeZone;
use connector_core::serde_json::Value as Json;
use connector_core::testing::{Destination, configuration_map};

use super::*;
use crate::fake_api::Page;

/// When the first sync of every test starts.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 4, 12, 0, 0).unwrap()
}

fn hours(hours: i64) -> TimeDelta {
    TimeDelta::hours(hours)
}

fn days(days: i64) -> TimeDelta {
    TimeDelta::days(days)
}

/// The configuration that pins the clock at `now`.
fn at(now: DateTime<Utc>) -> Json {
    json!({"now": now.to_rfc3339()})
}

/// The state as the Python original writes it.
fn pfs_state(
    incremental: DateTime<Utc>,
    historical: DateTime<Utc>,
    is_incremental_sync: bool,
) -> Json {
    let iso = |at: DateTime<Utc>| state::isoformat::format(&at);
    json!({"pfs_cursors": {
        "user": {
            "incremental_cursor": iso(incremental),
            "historical_cursor": iso(historical),
            "historical_limit": iso(t0() - days(5)),
        },
        "is_incremental_sync": is_incremental_sync,
    }})
}

/// Every hour from `from` to `to`, both included.
fn hourly(from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<DateTime<Utc>> {
    let mut times = Vec::new();
    let mut at = from;
    while at <= to {
        times.push(at);
        at += hours(1);
    }
    times
}

/// The `updated_at` of every user at the destination, oldest first; each appears once.
fn synced_hours(destination: &Destination) -> Vec<DateTime<Utc>> {
    let mut times: Vec<DateTime<Utc>> = destination
        .table("user")
        .column("updated_at")
        .into_iter()
        .map(|value| match value {
            Value::UtcDatetime(at) => at,
            other => panic!("updated_at is {other:?}"),
        })
        .collect();
    times.sort();
    times
}

/// A clock that moves `step` at each reading: a sync during which time passes.
struct SteppingClock {
    next: Mutex<DateTime<Utc>>,
    step: TimeDelta,
}

impl Clock for SteppingClock {
    fn now(&self) -> DateTime<Utc> {
        let mut next = self.next.lock().unwrap();
        let now = *next;
        *next += self.step;
        now
    }
}

/// `update`, but two hours pass at every reading of the clock after the first: the third
/// historical step of a sync ends six hours after it started.
#[sync(tables(User))]
async fn two_hours_per_reading(ops: &Operations, config: &Config, state: &mut State) -> Result<()> {
    let start = config.clock().now();
    let clock = SteppingClock {
        next: Mutex::new(start),
        step: hours(2),
    };
    priority_first_sync(ops, state, &clock, &FakeUsersApi::at(start)).await
}

/// A users API that fails for anything older than `before`.
struct FailingBefore {
    api: FakeUsersApi,
    before: DateTime<Utc>,
}

impl UsersApi for FailingBefore {
    fn users_since(&self, updated_since: DateTime<Utc>) -> Result<Page> {
        ensure!(
            updated_since >= self.before,
            "the users API answered 503 Service Unavailable"
        );
        self.api.users_since(updated_since)
    }
}

/// `update` against a source whose history before `t0() - 2 days` is unavailable.
#[sync(tables(User))]
async fn old_history_unavailable(
    ops: &Operations,
    config: &Config,
    state: &mut State,
) -> Result<()> {
    let clock = config.clock();
    let api = FailingBefore {
        api: FakeUsersApi::at(clock.now()),
        before: t0() - days(2),
    };
    priority_first_sync(ops, state, clock.as_ref(), &api).await
}

/// What the Python original leaves after its first sync (its schema, plus the system columns):
/// `user` keyed by `id`, the text columns STRING, `updated_at` and `created_at` UTC_DATETIME,
/// one user per hour of the last day, and the state with both cursors set.
#[tokio::test]
async fn writes_what_the_python_original_writes() {
    let mut destination = Destination::new();
    let run = destination.sync::<update>(at(t0())).await.unwrap();
    assert_eq!(destination.table_names(), ["user"]);
    assert_eq!(
        destination.table("user").columns(),
        [
            ("id", Some(DataType::String)),
            ("name", Some(DataType::String)),
            ("email", Some(DataType::String)),
            ("address", Some(DataType::String)),
            ("company", Some(DataType::String)),
            ("job", Some(DataType::String)),
            ("updated_at", Some(DataType::UtcDatetime)),
            ("created_at", Some(DataType::UtcDatetime)),
            ("_fivetran_deleted", Some(DataType::Boolean)),
            ("_fivetran_synced", Some(DataType::UtcDatetime)),
        ]
    );
    assert_eq!(destination.table("user").primary_key(), ["id"]);
    assert_eq!(synced_hours(&destination), hourly(t0() - days(1), t0()));
    // One checkpoint, after the pass over `user`: the next sync is historical.
    assert_eq!(run.states, [pfs_state(t0(), t0() - days(1), false)]);
    assert_eq!(destination.state(), pfs_state(t0(), t0() - days(1), false));
}

/// The state over four syncs, each starting from the state the one before saved:
/// 1. incremental: the last day; the next sync is historical;
/// 2. historical: four one-day steps back to the limit, a checkpoint after each;
/// 3. incremental: what came since the first sync;
/// 4. incremental again: the history is complete, so every sync is incremental from now on.
#[tokio::test]
async fn syncs_alternate_between_recent_data_and_history_until_the_history_is_complete() {
    let mut destination = Destination::new();

    let first = destination.sync::<update>(at(t0())).await.unwrap();
    assert_eq!(first.report.total().upserts, 25);
    assert_eq!(destination.state(), pfs_state(t0(), t0() - days(1), false));

    let second = destination
        .sync::<update>(at(t0() + hours(1)))
        .await
        .unwrap();
    assert_eq!(
        second.states,
        [
            pfs_state(t0(), t0() - days(2), false),
            pfs_state(t0(), t0() - days(3), false),
            pfs_state(t0(), t0() - days(4), false),
            pfs_state(t0(), t0() - days(5), true),
        ]
    );
    // Each step reads a day and both its ends: the end it shares with the step before is read
    // twice, and upserted over itself.
    assert_eq!(second.report.total().upserts, 4 * 25);
    assert_eq!(synced_hours(&destination), hourly(t0() - days(5), t0()));

    let third = destination
        .sync::<update>(at(t0() + hours(3)))
        .await
        .unwrap();
    assert_eq!(
        third.states,
        [pfs_state(t0() + hours(3), t0() - days(5), false)]
    );
    assert_eq!(third.report.total().upserts, 4); // t0 again, then three new hours
    assert_eq!(
        synced_hours(&destination),
        hourly(t0() - days(5), t0() + hours(3))
    );

    let fourth = destination
        .sync::<update>(at(t0() + hours(5)))
        .await
        .unwrap();
    assert_eq!(
        fourth.states,
        [pfs_state(t0() + hours(5), t0() - days(5), false)]
    );
    assert_eq!(
        synced_hours(&destination),
        hourly(t0() - days(5), t0() + hours(5))
    );
}

/// With two hours passing per reading of the clock, a historical sync stops after its third
/// step (six hours in); the next sync is incremental, and the one after finishes the history.
#[tokio::test]
async fn a_historical_sync_stops_after_six_hours_and_goes_on_after_an_incremental_one() {
    let mut destination = Destination::new();
    destination
        .sync::<two_hours_per_reading>(at(t0()))
        .await
        .unwrap();
    assert_eq!(destination.state(), pfs_state(t0(), t0() - days(1), false));

    let history = destination
        .sync::<two_hours_per_reading>(at(t0() + hours(1)))
        .await
        .unwrap();
    assert_eq!(
        history.states,
        [
            pfs_state(t0(), t0() - days(2), false),
            pfs_state(t0(), t0() - days(3), false),
            pfs_state(t0(), t0() - days(4), true),
        ]
    );
    assert_eq!(synced_hours(&destination), hourly(t0() - days(4), t0()));

    destination
        .sync::<two_hours_per_reading>(at(t0() + hours(8)))
        .await
        .unwrap();
    assert_eq!(
        destination.state(),
        pfs_state(t0() + hours(8), t0() - days(4), false)
    );

    let rest = destination
        .sync::<two_hours_per_reading>(at(t0() + hours(9)))
        .await
        .unwrap();
    assert_eq!(
        rest.states,
        [pfs_state(t0() + hours(8), t0() - days(5), true)]
    );
    assert_eq!(
        synced_hours(&destination),
        hourly(t0() - days(5), t0() + hours(8))
    );

    // The history is complete: incremental, and incremental again although the flag says
    // historical.
    for later in [10, 11] {
        destination
            .sync::<two_hours_per_reading>(at(t0() + hours(later)))
            .await
            .unwrap();
        assert_eq!(
            destination.state(),
            pfs_state(t0() + hours(later), t0() - days(5), false)
        );
    }
}

/// Stopped after any checkpoint of the first three syncs and resumed from the state saved
/// there, each sync ends with the tables of an uninterrupted one.
#[tokio::test]
async fn a_sync_stopped_after_any_checkpoint_resumes_to_the_same_tables() {
    let mut destination = Destination::new();
    let first = destination.assert_resumable::<update>(at(t0())).await;
    assert_eq!(first.states.len(), 1);
    // Stopped after each of its first three steps back, and resumed.
    let second = destination
        .assert_resumable::<update>(at(t0() + hours(1)))
        .await;
    assert_eq!(second.states.len(), 4);
    let third = destination
        .assert_resumable::<update>(at(t0() + hours(3)))
        .await;
    assert_eq!(third.states.len(), 1);
    assert_eq!(
        synced_hours(&destination),
        hourly(t0() - days(5), t0() + hours(3))
    );
}

/// The Python original catches every error and only logs it, so its sync "succeeds". Here a
/// failing page fails the sync: what was checkpointed stays, and the next sync goes on from it.
#[tokio::test]
async fn a_failing_source_fails_the_sync_which_keeps_its_last_checkpoint() {
    let mut destination = Destination::new();
    destination
        .sync::<old_history_unavailable>(at(t0()))
        .await
        .unwrap();

    let failed = destination
        .sync::<old_history_unavailable>(at(t0() + hours(1)))
        .await
        .unwrap_err();
    let message = format!("{:#}", failed.error);
    assert!(
        message.contains("fetching the users updated since 2025-03-01 12:00:00 UTC"),
        "{message}"
    );
    assert!(message.contains("503 Service Unavailable"), "{message}");
    // The first step back (to two days ago) was checkpointed; the second failed.
    assert_eq!(failed.run.states, [pfs_state(t0(), t0() - days(2), false)]);
    assert_eq!(destination.state(), pfs_state(t0(), t0() - days(2), false));
    assert_eq!(synced_hours(&destination), hourly(t0() - days(2), t0()));

    // The source is back: the history resumes from two days ago.
    let resumed = destination
        .sync::<update>(at(t0() + hours(1)))
        .await
        .unwrap();
    assert_eq!(
        resumed.states.last(),
        Some(&pfs_state(t0(), t0() - days(5), true))
    );
    assert_eq!(synced_hours(&destination), hourly(t0() - days(5), t0()));
}

/// A state the Python original saved (microseconds, `+00:00`) is where this port goes on.
#[tokio::test]
async fn a_state_saved_by_the_python_original_is_read() {
    let cursor = t0() - TimeDelta::minutes(150) + TimeDelta::microseconds(123_456);
    let python = json!({"pfs_cursors": {
        "user": {
            "incremental_cursor": "2025-03-04T09:30:00.123456+00:00",
            "historical_cursor": "2025-02-27T12:00:00+00:00",
            "historical_limit": "2025-02-27T12:00:00+00:00",
        },
        "is_incremental_sync": true,
    }});
    let mut destination = Destination::with_state(python);
    destination.sync::<update>(at(t0())).await.unwrap();
    assert_eq!(synced_hours(&destination), hourly(cursor, t0()));
    let newest = cursor + hours(2);
    assert_eq!(
        destination.state()["pfs_cursors"]["user"]["incremental_cursor"],
        "2025-03-04T11:30:00.123456+00:00"
    );
    assert_eq!(
        destination.state(),
        pfs_state(newest, t0() - days(5), false)
    );
}

#[test]
fn the_configuration_pins_the_clock_or_leaves_it_real() {
    let parse = |configuration: Json| Config::from_map(&configuration_map(configuration));
    let pinned = parse(json!({"now": "2025-03-04T13:00:00+01:00"})).unwrap();
    assert_eq!(pinned.now, Some(PinnedTime(t0())));
    assert_eq!(pinned.clock().now(), t0());
    assert_eq!(parse(json!({})).unwrap().now, None);
    assert_eq!(parse(json!({"now": ""})).unwrap().now, None);
    let error = parse(json!({"now": "noon"})).unwrap_err();
    assert!(
        error.to_string().contains("must be an RFC 3339 time"),
        "{error}"
    );

    let form = Config::form();
    assert_eq!(form.fields.len(), 1);
    assert_eq!(form.fields[0].name, "now");
    assert!(!form.fields[0].required);
}

/// The shipped configuration leaves the clock real.
#[test]
fn the_shipped_configuration_uses_the_real_clock() {
    let shipped: Json = serde_json::from_str(include_str!("../configuration.json")).unwrap();
    let config = Config::from_map(&configuration_map(shipped)).unwrap();
    assert_eq!(config.now, None);
}
