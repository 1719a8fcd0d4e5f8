use connector_core::prelude::*;

#[table]
pub struct Price {
    #[primary_key]
    pub id: i64,
    #[column(decimal(40, 2))]
    pub amount: Decimal,
}

fn main() {}
