//! The generated data: users, companies and departments, all fixed by a seed and an instant.
//!
//! Like the original, users are spread over the 200 hours before "now": user `i` is created in
//! the `i`-th slot of that window and updated up to one slot later, so `createdAt` follows the
//! users' order and `updatedAt` nearly does. Unlike the original, two users never share an
//! `updatedAt`: keyset pagination (`updatedAt >` the last one seen) would otherwise skip a user
//! whose twin ended the previous page. With many users the window widens so that each gets two
//! seconds on average. Every timestamp lies before "now".
//!
//! [`Dataset`] is also what a test reads to compute the tables a connector should produce; the
//! server serves exactly what it holds.

use std::borrow::Cow;
use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::rng::Rng;
use crate::time;
use crate::words;

/// How far back the original spreads its users: 200 hours before "now".
pub const DEFAULT_SPAN_SECONDS: i64 = 200 * 3600;

/// How many companies the cursors endpoints serve, as in the original.
pub const COMPANIES: usize = 2;

/// How many departments each company has, as in the original.
pub const DEPARTMENTS_PER_COMPANY: usize = 4;

/// One generated person, as every user endpoint serves it (field names and order included).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    /// A version-4 UUID, lower-case with hyphens.
    pub id: String,
    /// A first and last name, sometimes with a prefix (`Dr.`) or a suffix (`Jr.`).
    pub name: String,
    /// An address at `example.com`, `example.net` or `example.org`.
    pub email: String,
    /// A street line and a `City, ST 12345` line, separated by a newline.
    pub address: String,
    /// A company name, which may contain a comma.
    pub company: String,
    /// A job title, which may contain a comma.
    pub job: String,
    /// When the user was created, `%Y-%m-%dT%H:%M:%SZ`.
    #[serde(rename = "createdAt")]
    pub created_at: String,
    /// When the user was last updated, `%Y-%m-%dT%H:%M:%SZ`; no two users share it.
    #[serde(rename = "updatedAt")]
    pub updated_at: String,
}

impl User {
    /// [`User::created_at`] as a `DateTime`.
    pub fn created_at_time(&self) -> DateTime<Utc> {
        time::to_datetime(time::parse_with_z(&self.created_at).unwrap_or_default())
    }

    /// [`User::updated_at`] as a `DateTime`.
    pub fn updated_at_time(&self) -> DateTime<Utc> {
        time::to_datetime(time::parse_with_z(&self.updated_at).unwrap_or_default())
    }
}

/// One of the two companies of the cursors endpoints.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Company {
    /// 1 or 2.
    pub company_id: i64,
    /// A company name.
    pub company_name: String,
    /// When the company was created, `%Y-%m-%dT%H:%M:%SZ`.
    #[serde(rename = "createdAt")]
    pub created_at: String,
    /// When the company was last updated; the cursors endpoint moves it to "now" at random.
    #[serde(rename = "updatedAt")]
    pub updated_at: String,
}

/// One of a company's four departments.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Department {
    /// 1 to 4 within each company: the same ids repeat across companies, as in the original.
    pub department_id: i64,
    /// The company it belongs to.
    pub company_id: i64,
    /// `Engineering`, `HR`, `Finance` or `Sales`.
    pub department_name: String,
    /// The company's `createdAt`.
    #[serde(rename = "createdAt")]
    pub created_at: String,
    /// When the department was last updated; the departments endpoint moves it to "now" at
    /// random.
    #[serde(rename = "updatedAt")]
    pub updated_at: String,
}

/// The field the pagination endpoints sort by (`order_by`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OrderBy {
    CreatedAt,
    UpdatedAt,
}

/// Everything the playground serves, generated once from a seed.
#[derive(Clone, Debug)]
pub struct Dataset {
    users: Vec<User>,
    updated: Vec<i64>,
    /// User indexes in the four orders the endpoints serve, ties in generation order.
    created_asc: Vec<u32>,
    created_desc: Vec<u32>,
    updated_asc: Vec<u32>,
    updated_desc: Vec<u32>,
    companies: Vec<Company>,
    departments: Vec<Department>,
}

impl Dataset {
    /// `users` users, two companies and eight departments, all fixed by `seed` and `now`.
    pub fn generate(users: usize, seed: u64, now: DateTime<Utc>) -> Dataset {
        generate(users, seed, now.timestamp())
    }

    /// The users, in the order they were generated (the order of `/auth/*`, `/export/csv` and
    /// `/incremental/step`).
    pub fn users(&self) -> &[User] {
        &self.users
    }

    /// The users sorted by `updatedAt`, oldest first (the order of the pagination endpoints'
    /// defaults, of keyset pagination and of `/incremental/timestamp`).
    pub fn users_by_updated_at(&self) -> Vec<&User> {
        self.updated_asc
            .iter()
            .map(|&i| &self.users[i as usize])
            .collect()
    }

    /// The users whose `updatedAt` is at or after `since` (`%Y-%m-%dT%H:%M:%SZ`), oldest first:
    /// what the pagination endpoints serve for `updated_since=since`. `None` when `since` is not
    /// a timestamp the server accepts.
    pub fn users_updated_since(&self, since: &str) -> Option<Vec<&User>> {
        let since = time::parse_with_z(since)?;
        Some(
            self.updated_asc
                .iter()
                .filter(|&&i| self.updated[i as usize] >= since)
                .map(|&i| &self.users[i as usize])
                .collect(),
        )
    }

    /// The companies as generated (the cursors endpoint changes its own copy).
    pub fn companies(&self) -> &[Company] {
        &self.companies
    }

    /// The departments of every company as generated, company by company.
    pub fn departments(&self) -> &[Department] {
        &self.departments
    }

    /// The body `/export/csv` serves: a header line, then one line per user with commas and
    /// line breaks deleted from the text fields (the original does not quote).
    pub fn csv(&self) -> String {
        let mut out = String::with_capacity(self.users.len() * 160);
        out.push_str("id,name,email,address,company,job,createdAt,updatedAt\n");
        for user in &self.users {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{}",
                csv_field(&user.id),
                csv_field(&user.name),
                csv_field(&user.email),
                csv_field(&user.address),
                csv_field(&user.company),
                csv_field(&user.job),
                user.created_at,
                user.updated_at
            );
        }
        out
    }

    /// The user at `index`.
    pub(crate) fn user(&self, index: u32) -> &User {
        &self.users[index as usize]
    }

    /// User indexes sorted by `order_by` (descending when `descending`; ties keep generation
    /// order either way, like Python's stable `sort(reverse=True)`), keeping only those updated at
    /// or after `since`.
    pub(crate) fn select(
        &self,
        order_by: OrderBy,
        descending: bool,
        since: Option<i64>,
    ) -> Cow<'_, [u32]> {
        let order = match (order_by, descending) {
            (OrderBy::CreatedAt, false) => &self.created_asc,
            (OrderBy::CreatedAt, true) => &self.created_desc,
            (OrderBy::UpdatedAt, false) => &self.updated_asc,
            (OrderBy::UpdatedAt, true) => &self.updated_desc,
        };
        let Some(since) = since else {
            return Cow::Borrowed(order);
        };
        let updated = |i: &u32| self.updated[*i as usize];
        match (order_by, descending) {
            // Sorted by the filtered field: the kept users are one run, found by bisection.
            (OrderBy::UpdatedAt, false) => {
                let first = order.partition_point(|i| updated(i) < since);
                Cow::Borrowed(&order[first..])
            }
            (OrderBy::UpdatedAt, true) => {
                let end = order.partition_point(|i| updated(i) >= since);
                Cow::Borrowed(&order[..end])
            }
            (OrderBy::CreatedAt, _) => Cow::Owned(
                order
                    .iter()
                    .copied()
                    .filter(|i| updated(i) >= since)
                    .collect(),
            ),
        }
    }

    /// User indexes sorted by `updatedAt`, oldest first, keeping those updated after `after`.
    pub(crate) fn updated_after(&self, after: i64) -> &[u32] {
        let first = self
            .updated_asc
            .partition_point(|&i| self.updated[i as usize] <= after);
        &self.updated_asc[first..]
    }
}

/// What the CSV export does to a text field: deletes line breaks and commas.
pub(crate) fn csv_field(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '\n' | '\r' | ','))
        .collect()
}

fn generate(count: usize, seed: u64, now: i64) -> Dataset {
    let mut rng = Rng::new(seed);
    let span = DEFAULT_SPAN_SECONDS.max(2 * count as i64);
    let slot = if count == 0 {
        1
    } else {
        (span + count as i64 - 1) / count as i64
    };
    // Created in its own slot, updated at most one slot later: the last update stays before now.
    let window_start = now - span - slot;

    let mut users = Vec::with_capacity(count);
    let mut created = Vec::with_capacity(count);
    let mut updated = Vec::with_capacity(count);
    for i in 0..count {
        let slot_start = window_start + (i as i64 * span) / count as i64;
        let created_at = slot_start + rng.below(slot as u64) as i64;
        let updated_at = created_at + rng.below(slot as u64) as i64;
        users.push(person(&mut rng));
        created.push(created_at);
        updated.push(updated_at);
    }
    make_unique_before(&mut created, &mut updated, now);
    for (user, (&c, &u)) in users.iter_mut().zip(created.iter().zip(&updated)) {
        user.created_at = time::format(c);
        user.updated_at = time::format(u);
    }

    let (companies, departments) = companies_and_departments(&mut rng, now, span);
    let created_asc = sorted(&created, false);
    let created_desc = sorted(&created, true);
    let updated_asc = sorted(&updated, false);
    let updated_desc = sorted(&updated, true);
    Dataset {
        users,
        updated,
        created_asc,
        created_desc,
        updated_asc,
        updated_desc,
        companies,
        departments,
    }
}

/// Moves colliding `updated` times apart (later, one second at a time, in time order), then
/// shifts every time back if that pushed the last one to `now` or beyond. Times only grow
/// relative to each other, so `created <= updated` still holds.
fn make_unique_before(created: &mut [i64], updated: &mut [i64], now: i64) {
    let order = sorted(updated, false);
    let mut previous: Option<i64> = None;
    for &i in &order {
        let t = &mut updated[i as usize];
        if let Some(p) = previous
            && *t <= p
        {
            *t = p + 1;
        }
        previous = Some(*t);
    }
    if let Some(last) = previous
        && last >= now
    {
        let shift = last - now + 1;
        created.iter_mut().for_each(|t| *t -= shift);
        updated.iter_mut().for_each(|t| *t -= shift);
    }
}

/// Indexes of `times`, sorted ascending or descending, ties in index order.
fn sorted(times: &[i64], descending: bool) -> Vec<u32> {
    let mut order: Vec<u32> = (0..times.len() as u32).collect();
    if descending {
        order.sort_by(|&a, &b| times[b as usize].cmp(&times[a as usize]));
    } else {
        order.sort_by_key(|&i| times[i as usize]);
    }
    order
}

/// A user without times: id, name, email, address, company and job.
fn person(rng: &mut Rng) -> User {
    let id = uuid4(rng);
    let first = rng.pick(words::FIRST_NAMES);
    let last = rng.pick(words::LAST_NAMES);
    let mut name = format!("{first} {last}");
    if rng.chance(0.1) {
        name = format!("{} {name}", rng.pick(words::NAME_PREFIXES));
    } else if rng.chance(0.05) {
        name = format!("{name} {}", rng.pick(words::NAME_SUFFIXES));
    }
    let email = email(rng);
    let address = address(rng);
    let company = company(rng);
    let job = rng.pick(words::JOBS).to_string();
    User {
        id,
        name,
        email,
        address,
        company,
        job,
        created_at: String::new(),
        updated_at: String::new(),
    }
}

/// A version-4 UUID: 122 random bits, the version and variant bits set.
fn uuid4(rng: &mut Rng) -> String {
    let high = rng.next_u64();
    let low = rng.next_u64();
    let high = (high & 0xFFFF_FFFF_FFFF_0FFF) | 0x0000_0000_0000_4000;
    let low = (low & 0x3FFF_FFFF_FFFF_FFFF) | 0x8000_0000_0000_0000;
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        high >> 32,
        (high >> 16) & 0xFFFF,
        high & 0xFFFF,
        low >> 48,
        low & 0xFFFF_FFFF_FFFF
    )
}

/// An email address; the local part is made from a name of its own, as Faker's is.
fn email(rng: &mut Rng) -> String {
    let first = rng.pick(words::FIRST_NAMES).to_lowercase();
    let last = rng.pick(words::LAST_NAMES).to_lowercase();
    let local = match rng.below(4) {
        0 => format!("{first}.{last}"),
        1 => format!("{first}{last}"),
        2 => format!("{}{last}", &first[..1]),
        _ => format!("{last}{}", rng.between(1, 99)),
    };
    format!("{local}@{}", rng.pick(words::EMAIL_DOMAINS))
}

/// `123 Oak Street[ Apt. 456]\nCity, ST 12345`.
fn address(rng: &mut Rng) -> String {
    let number = rng.between(1, 99999);
    let street = rng.pick(words::STREET_NAMES);
    let suffix = rng.pick(words::STREET_SUFFIXES);
    let mut line = format!("{number} {street} {suffix}");
    if rng.chance(0.3) {
        let unit = rng.pick(words::SECONDARY_UNITS);
        let _ = write!(line, " {unit} {}", rng.between(100, 999));
    }
    let city = rng.pick(words::CITIES);
    let state = rng.pick(words::STATES);
    let zip = rng.between(501, 99950);
    format!("{line}\n{city}, {state} {zip:05}")
}

/// `Smith LLC`, `Smith-Jones` or `Smith, Jones and Brown`.
fn company(rng: &mut Rng) -> String {
    let a = rng.pick(words::LAST_NAMES);
    let b = rng.pick(words::LAST_NAMES);
    match rng.below(3) {
        0 => format!("{a} {}", rng.pick(words::COMPANY_SUFFIXES)),
        1 => format!("{a}-{b}"),
        _ => format!("{a}, {b} and {}", rng.pick(words::LAST_NAMES)),
    }
}

/// Two companies created an hour apart at the start of the window, each with four departments
/// created with it and updated within the hour after.
fn companies_and_departments(
    rng: &mut Rng,
    now: i64,
    span: i64,
) -> (Vec<Company>, Vec<Department>) {
    let mut companies = Vec::with_capacity(COMPANIES);
    let mut departments = Vec::with_capacity(COMPANIES * DEPARTMENTS_PER_COMPANY);
    for c in 0..COMPANIES {
        let company_id = c as i64 + 1;
        let created = now - span + c as i64 * 3600 - rng.below(3600) as i64;
        let updated = created + rng.below(3600) as i64;
        companies.push(Company {
            company_id,
            company_name: company(rng),
            created_at: time::format(created),
            updated_at: time::format(updated),
        });
        for (d, name) in words::DEPARTMENT_NAMES.iter().enumerate() {
            departments.push(Department {
                department_id: d as i64 + 1,
                company_id,
                department_name: (*name).to_string(),
                created_at: time::format(created),
                updated_at: time::format(created + rng.below(3600) as i64),
            });
        }
    }
    (companies, departments)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> i64 {
        time::parse_with_z("2026-01-01T00:00:00Z").unwrap()
    }

    fn created(data: &Dataset) -> Vec<i64> {
        data.users
            .iter()
            .map(|u| time::parse_with_z(&u.created_at).unwrap())
            .collect()
    }

    #[test]
    fn a_seed_gives_the_same_data() {
        let a = generate(50, 7, now());
        let b = generate(50, 7, now());
        let c = generate(50, 8, now());
        assert_eq!(a.users, b.users);
        assert_ne!(a.users, c.users);
    }

    #[test]
    fn users_spread_over_200_hours_before_now_with_unique_updates() {
        let data = generate(200, 1, now());
        let created = created(&data);
        let first = created.iter().min().unwrap();
        let last = data.updated.iter().max().unwrap();
        assert!(now() - first <= 201 * 3600 && now() - first > 199 * 3600);
        assert!(*last < now());
        let mut updated = data.updated.clone();
        updated.sort();
        updated.dedup();
        assert_eq!(updated.len(), 200);
        for (c, u) in created.iter().zip(&data.updated) {
            assert!(c <= u);
        }
    }

    #[test]
    fn many_users_still_have_unique_updates_before_now() {
        let data = generate(100_000, 1, now());
        let mut updated = data.updated.clone();
        updated.sort();
        updated.dedup();
        assert_eq!(updated.len(), 100_000);
        assert!(*updated.last().unwrap() < now());
    }

    #[test]
    fn users_have_the_original_shapes() {
        let data = generate(200, 3, now());
        for user in data.users() {
            assert_eq!(user.id.len(), 36);
            assert_eq!(&user.id[14..15], "4");
            assert!(user.address.contains('\n'));
            assert!(user.email.contains('@'));
        }
        assert!(data.users().iter().any(|u| u.company.contains(',')));
        assert!(data.users().iter().any(|u| u.job.contains(',')));
    }

    #[test]
    fn selections_sort_and_filter() {
        let data = generate(100, 5, now());
        let since = data.updated[40];
        let kept = data.select(OrderBy::UpdatedAt, false, Some(since));
        assert!(kept.iter().all(|&i| data.updated[i as usize] >= since));
        assert!(
            kept.windows(2)
                .all(|w| data.updated[w[0] as usize] < data.updated[w[1] as usize])
        );
        let desc = data.select(OrderBy::UpdatedAt, true, Some(since));
        assert_eq!(desc.len(), kept.len());
        let by_created = data.select(OrderBy::CreatedAt, true, Some(since));
        assert_eq!(by_created.len(), kept.len());
        let created = created(&data);
        assert!(
            by_created
                .windows(2)
                .all(|w| created[w[0] as usize] >= created[w[1] as usize])
        );
    }
}
