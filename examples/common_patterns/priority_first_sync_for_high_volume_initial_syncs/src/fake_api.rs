//! The source: a users API that answers "users updated since T", one page at a time, oldest
//! first. [`FakeUsersApi`] stands in for it in-process, as the Python original's `mock_api.py`
//! does: it holds one user per hour of any stretch of time up to its `now`.
//!
//! Unlike the original's Faker data, a fake user is made from its `updated_at` alone, so the user
//! of a given hour is the same on every read: a stretch read twice (a page boundary, a resumed
//! sync) upserts the same rows again instead of adding new ones.

use connector_core::Result;
use connector_core::chrono::{DateTime, TimeDelta, Utc};

use crate::User;

/// How much time one page covers.
pub const PAGE_SPAN: TimeDelta = TimeDelta::days(1);
/// The fake source's rhythm: one user per hour.
pub const USER_EVERY: TimeDelta = TimeDelta::hours(1);

/// One page of users, oldest first, and whether the stretch goes on past it.
#[derive(Debug)]
pub struct Page {
    pub data: Vec<User>,
    pub has_more: bool,
}

/// A users API.
pub trait UsersApi: Send + Sync {
    /// The page of users updated at or after `updated_since`, oldest first.
    fn users_since(&self, updated_since: DateTime<Utc>) -> Result<Page>;
}

/// The in-process stand-in: one user every hour, from `updated_since` on, up to `now`.
#[derive(Debug, Clone, Copy)]
pub struct FakeUsersApi {
    now: DateTime<Utc>,
}

impl FakeUsersApi {
    /// The source as it is at `now`: it holds nothing later.
    pub fn at(now: DateTime<Utc>) -> FakeUsersApi {
        FakeUsersApi { now }
    }
}

impl UsersApi for FakeUsersApi {
    /// One day of users: `updated_since`, an hour later, ..., a day later, both ends included
    /// (25 users), cut at `now`; `has_more` when the next hour is not past `now`.
    fn users_since(&self, updated_since: DateTime<Utc>) -> Result<Page> {
        let until = (updated_since + PAGE_SPAN).min(self.now);
        let mut data = Vec::new();
        let mut at = updated_since;
        while at <= until {
            data.push(fake_user(at));
            at += USER_EVERY;
        }
        Ok(Page {
            data,
            has_more: at <= self.now,
        })
    }
}

const FIRST_NAMES: [&str; 8] = [
    "Ada", "Alan", "Barbara", "Dennis", "Edsger", "Frances", "Grace", "Ken",
];
const LAST_NAMES: [&str; 8] = [
    "Allen",
    "Dijkstra",
    "Hopper",
    "Kernighan",
    "Liskov",
    "Lovelace",
    "Ritchie",
    "Turing",
];
const STREETS: [&str; 6] = [
    "Analytical Lane",
    "Compiler Court",
    "Kernel Street",
    "Lambda Road",
    "Pointer Place",
    "Stack Avenue",
];
const CITIES: [&str; 5] = ["Bletchley", "Cambridge", "Murray Hill", "Oakland", "Zurich"];
const COMPANY_KINDS: [&str; 4] = ["Labs", "Systems", "and Sons", "Group"];
const JOBS: [&str; 6] = [
    "Data engineer",
    "Archivist",
    "Systems analyst",
    "Actuary",
    "Cartographer",
    "Librarian",
];

/// The user updated at `at`: every field drawn from a generator seeded with `at`, so the same
/// hour gives the same user. `created_at` is `updated_at`, as in the original's mock.
fn fake_user(at: DateTime<Utc>) -> User {
    let mut draw = SplitMix64(at.timestamp_micros().cast_unsigned());
    let first = pick(&mut draw, &FIRST_NAMES);
    let last = pick(&mut draw, &LAST_NAMES);
    let number = draw.below(999) + 1;
    let street = pick(&mut draw, &STREETS);
    let city = pick(&mut draw, &CITIES);
    let company_owner = pick(&mut draw, &LAST_NAMES);
    let company_kind = pick(&mut draw, &COMPANY_KINDS);
    let job = pick(&mut draw, &JOBS);
    let id = uuid_v4(draw.next(), draw.next());
    User {
        email: format!(
            "{}.{}@example.com",
            first.to_lowercase(),
            last.to_lowercase()
        ),
        name: format!("{first} {last}"),
        address: format!("{number} {street}, {city}"),
        company: format!("{company_owner} {company_kind}"),
        job: job.to_string(),
        id,
        updated_at: at,
        created_at: at,
    }
}

fn pick<'a>(draw: &mut SplitMix64, items: &[&'a str]) -> &'a str {
    let index = usize::try_from(draw.below(items.len() as u64)).expect("a list index");
    items[index]
}

/// 128 random bits written as a version-4 UUID, the shape of Faker's `uuid4()`.
fn uuid_v4(high: u64, low: u64) -> String {
    let high = (high & !0xf000) | 0x4000;
    let low = (low & !(0b11 << 62)) | (0b10 << 62);
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xffff,
        high & 0xffff,
        low >> 48,
        low & 0xffff_ffff_ffff
    )
}

/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny generator, good enough to vary fake data.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number below `bound` (slightly biased, which fake data does not mind).
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::chrono::TimeZone;

    fn noon() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 4, 12, 0, 0).unwrap()
    }

    fn times(page: &Page) -> Vec<DateTime<Utc>> {
        page.data.iter().map(|user| user.updated_at).collect()
    }

    #[test]
    fn a_page_is_a_day_of_users_one_per_hour() {
        let api = FakeUsersApi::at(noon());
        let since = noon() - TimeDelta::days(3);
        let page = api.users_since(since).unwrap();
        let expected: Vec<_> = (0..=24).map(|h| since + TimeDelta::hours(h)).collect();
        assert_eq!(times(&page), expected);
        assert!(page.has_more);
        for user in &page.data {
            assert_eq!(user.created_at, user.updated_at);
        }
    }

    #[test]
    fn the_last_page_ends_at_now() {
        let api = FakeUsersApi::at(noon());
        let page = api.users_since(noon() - TimeDelta::minutes(150)).unwrap();
        assert_eq!(
            times(&page),
            [
                noon() - TimeDelta::minutes(150),
                noon() - TimeDelta::minutes(90),
                noon() - TimeDelta::minutes(30),
            ]
        );
        assert!(!page.has_more);
        // Nothing after now.
        let empty = api.users_since(noon() + TimeDelta::seconds(1)).unwrap();
        assert!(empty.data.is_empty());
        assert!(!empty.has_more);
    }

    #[test]
    fn the_same_hour_is_the_same_user_and_another_hour_another() {
        let at = noon() - TimeDelta::hours(5);
        let one = fake_user(at);
        let again = FakeUsersApi::at(noon())
            .users_since(at)
            .unwrap()
            .data
            .remove(0);
        assert_eq!(one, again);
        let ids: std::collections::HashSet<String> = (0..1000)
            .map(|h| fake_user(at + TimeDelta::hours(h)).id)
            .collect();
        assert_eq!(ids.len(), 1000);
        // A version-4 UUID: 8-4-4-4-12 hex digits, version 4, variant 10xx.
        let id = &one.id;
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4");
        assert!(matches!(&id[19..20], "8" | "9" | "a" | "b"), "{id}");
    }
}
