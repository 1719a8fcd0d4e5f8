use connector_core::prelude::*;

#[table(nmae = "users")]
pub struct User {
    #[primary_key]
    pub id: Option<i64>,
    #[column(decimal(50, 2))]
    pub balance: Decimal,
    pub hits: u64,
}

fn main() {}
