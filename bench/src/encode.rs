//! `encode`: the cost of turning typed rows into the sink's cell form.
//!
//! Owns the benchmark table (`Order`, six columns), its deterministic rows, and the two timed
//! paths: each row moved through [`Table::into_cells`] into a `Vec<Value>` (the typed path), and
//! the same rows through `serde_json::to_vec` (the baseline). Rows are built and cloned outside
//! the timed region; every output is kept alive until the clock stops, then dropped untimed.

use std::hint::black_box;
use std::time::{Duration, Instant};

use connector_core::prelude::*;
use connector_core::{Table, serde_json};

/// Repetitions per path; the fastest is reported.
const REPETITIONS: usize = 3;

/// Names of realistic length (10 to 20 characters with their suffix).
const NAMES: [&str; 8] = [
    "Acme Corp",
    "Globex Ltd",
    "Initech",
    "Umbrella Inc",
    "Stark Industries",
    "Wayne Ent",
    "Hooli",
    "Vandelay Imports",
];

#[derive(clap::Args)]
pub struct Args {
    /// Rows encoded per repetition.
    #[arg(long, default_value_t = 1_000_000)]
    rows: usize,
}

/// The benchmark table: one column of each common kind.
#[table(name = "orders")]
#[derive(Clone, connector_core::serde::Serialize)]
#[serde(crate = "connector_core::serde")]
pub struct Order {
    #[primary_key]
    pub id: i64,
    pub name: String,
    pub amount: f64,
    pub created_at: DateTime<Utc>,
    pub active: bool,
    #[column(decimal(18, 4))]
    pub price: Decimal,
}

/// Row `i`, the same at every run.
pub(crate) fn order(i: usize) -> Order {
    let id = i as i64;
    Order {
        id,
        name: format!("{} #{}", NAMES[i % NAMES.len()], i % 1000),
        amount: (i % 100_000) as f64 * 0.37,
        created_at: DateTime::from_timestamp(1_700_000_000 + id, 0).expect("in range"),
        active: !i.is_multiple_of(3),
        price: Decimal::new((id * 7919) % 100_000_000, 4),
    }
}

/// The fastest of [`REPETITIONS`] runs of `path` over a fresh clone of `rows`.
fn best_of<R>(rows: &[Order], path: impl Fn(Vec<Order>) -> R) -> Duration {
    (0..REPETITIONS)
        .map(|_| {
            let input = rows.to_vec();
            let start = Instant::now();
            let output = black_box(path(black_box(input)));
            let elapsed = start.elapsed();
            drop(output);
            elapsed
        })
        .min()
        .expect("at least one repetition")
}

/// The typed path: each row moved into its cells, all kept alive.
fn typed(rows: Vec<Order>) -> Vec<Vec<Value>> {
    let mut cells = Vec::with_capacity(rows.len());
    for row in rows {
        cells.push(black_box(row.into_cells()));
    }
    cells
}

/// The baseline: each row serialized to JSON bytes, all kept alive (rows dropped untimed).
fn json(rows: Vec<Order>) -> (Vec<Vec<u8>>, Vec<Order>) {
    let mut bytes = Vec::with_capacity(rows.len());
    for row in &rows {
        bytes.push(black_box(serde_json::to_vec(row).expect("serializable")));
    }
    (bytes, rows)
}

pub fn run(args: &Args) {
    let rows: Vec<Order> = (0..args.rows).map(order).collect();
    let figures = [
        ("typed into_cells", best_of(&rows, typed)),
        ("serde_json::to_vec", best_of(&rows, json)),
    ];
    println!(
        "encode: {} columns, best of {REPETITIONS}",
        Order::schema().columns.len()
    );
    println!(
        "{:<20} | {:>10} | {:>10} | {:>14}",
        "path", "rows", "seconds", "rows/s"
    );
    let rate = |d: Duration| args.rows as f64 / d.as_secs_f64();
    for (path, elapsed) in figures {
        let seconds = elapsed.as_secs_f64();
        println!(
            "{path:<20} | {:>10} | {seconds:>10.6} | {:>14.0}",
            args.rows,
            rate(elapsed)
        );
    }
    let ratio = rate(figures[0].1) / rate(figures[1].1);
    println!("ratio typed/json (rows/s): {ratio:.2}x");
}
