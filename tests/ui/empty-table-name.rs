use connector_core::prelude::*;

#[table(name = "")]
pub struct User {
    #[primary_key]
    pub id: i64,
}

fn main() {}
