use connector_core::prelude::*;

#[table]
pub struct User {
    #[primary_key]
    pub id: i64,
}

#[table]
pub struct Order {
    #[primary_key]
    pub id: i64,
}

#[sync(tables(User))]
async fn update(ops: &Operations) -> Result<()> {
    ops.upsert(Order { id: 1 }).await?;
    Ok(())
}

connector_core::main!(update);
