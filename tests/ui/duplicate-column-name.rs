use connector_core::prelude::*;

#[table]
pub struct User {
    #[primary_key]
    pub id: i64,
    pub user_name: String,
    #[column(name = "userName")]
    pub display_name: String,
}

fn main() {}
