//! `page-number`: the page_number example (examples/common_patterns/page_number) against the
//! playground serving N users, 50 per page, served by our `serve` and read over loopback by
//! `serve`'s reader (decoding only, or also writing the warehouse as `connector-tester` does);
//! beside it, in the same run, the same example on the Python SDK 2.13.1
//! (`interop/page_number.py`, which behaves as the seed's does) served by that package's server
//! against the same playground and read by the same reader. The playground runs in this process.

use connector_core::prelude::*;
use connector_playground::Playground;

use crate::serve::{Measured, measure_with, our_server_of, python_server_of};

/// Users per page: the most the playground serves, and what the seed's example asks for.
const PAGE_SIZE: u64 = 50;

#[derive(clap::Args)]
pub struct Args {
    /// Users the playground serves (every one is synced).
    #[arg(long, default_value_t = 100_000)]
    items: u64,
    /// Skip the Python server (no venv, no PyPI).
    #[arg(long)]
    no_python: bool,
}

pub fn run(args: &Args) {
    let playground = Playground::builder()
        .users(usize::try_from(args.items).expect("fits"))
        .start()
        .expect("the playground starts");
    let configuration =
        json!({ "base_url": playground.url(), "page_size": PAGE_SIZE.to_string() }).to_string();
    let configuration = Some(configuration.as_str());
    let items = args.items;
    let mut results = vec![
        measure_with(
            "ours: serve -> decode",
            our_server_of("page_number"),
            items,
            false,
            configuration,
        ),
        measure_with(
            "ours: serve -> decode + warehouse",
            our_server_of("page_number"),
            items,
            true,
            configuration,
        ),
    ];
    if !args.no_python {
        match python_server_of("page_number.py", &[]) {
            Ok(server) => results.push(measure_with(
                "Python SDK 2.13.1 -> decode",
                server,
                items,
                false,
                configuration,
            )),
            Err(error) => eprintln!("the Python server was not measured: {error:#}"),
        }
    }
    println!(
        "page-number: {items} users of the playground, {PAGE_SIZE} per page, a checkpoint per page, loopback"
    );
    println!(
        "{:<34} | {:>8} | {:>8} | {:>9} | {:>8} | {:>13} | {:>13}",
        "scenario", "rows", "seconds", "rows/s", "pages/s", "server RSS MB", "reader RSS MB"
    );
    for m in &results {
        println!(
            "{:<34} | {:>8} | {:>8.2} | {:>9.0} | {:>8.1} | {:>13.1} | {:>13.1}",
            m.name,
            m.rows,
            m.seconds,
            m.rows_per_second(),
            m.rows_per_second() / PAGE_SIZE as f64,
            m.server_rss_kb as f64 / 1024.0,
            m.reader_rss_kb as f64 / 1024.0
        );
    }
    if let Some(python) = results.iter().find(|m| m.name.starts_with("Python")) {
        for m in results
            .iter()
            .filter(|m: &&Measured| m.name.starts_with("ours"))
        {
            println!(
                "{}: {:.1}x the Python example's rows/s",
                m.name,
                m.rows_per_second() / python.rows_per_second()
            );
        }
    }
}
