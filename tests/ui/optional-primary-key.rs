use connector_core::prelude::*;

#[table]
pub struct User {
    #[primary_key]
    pub id: Option<i64>,
    pub name: String,
}

fn main() {}
