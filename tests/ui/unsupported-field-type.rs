use connector_core::prelude::*;

pub struct Money(i64);

#[table]
pub struct Invoice {
    #[primary_key]
    pub id: i64,
    pub total: Money,
}

fn main() {}
