use connector_core::prelude::*;

#[table(name = "users", name = "people")]
pub struct User {
    #[primary_key]
    pub id: i64,
}

fn main() {}
