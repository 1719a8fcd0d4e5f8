use connector_core::prelude::*;

#[table]
pub struct User {
    #[primary_key]
    pub id: i64,
    #[column(rename = "full_name")]
    pub name: String,
}

fn main() {}
