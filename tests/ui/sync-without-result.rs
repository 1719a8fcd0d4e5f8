use connector_core::prelude::*;

#[table]
pub struct User {
    #[primary_key]
    pub id: i64,
}

#[sync(tables(User))]
async fn update(ops: &Operations) {
    let _ = ops;
}

connector_core::main!(update);
