use connector_core::prelude::*;

#[table(nmae = "users")]
pub struct User {
    #[primary_key]
    pub id: i64,
}

fn main() {}
