use connector_core::chrono::NaiveTime;
use connector_core::prelude::*;

#[table]
pub struct Shift {
    #[primary_key]
    pub id: i64,
    pub starts_at: NaiveTime,
}

fn main() {}
