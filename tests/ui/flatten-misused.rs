use connector_core::prelude::*;

#[table]
pub struct Account {
    #[primary_key]
    #[column(flatten)]
    pub id: Row,
    #[column(flatten)]
    pub rest: Row,
}

#[table]
pub struct Event {
    #[primary_key]
    pub id: i64,
    #[column(flatten)]
    pub extra: String,
}

fn main() {}
