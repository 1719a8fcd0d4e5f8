use connector_core::prelude::*;

#[table]
pub enum Status {
    #[column(name = "on")]
    Active,
    Closed,
}

fn main() {
    let _ = [Status::Active, Status::Closed];
}
