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

#[sync(tables(User, Order))]
async fn everything(ops: &Operations) -> Result<()> {
    ops.upsert(User { id: 1 }).await?;
    ops.upsert(Order { id: 1 }).await?;
    Ok(())
}

#[sync(tables(User))]
async fn users(ops: &Operations) -> Result<()> {
    ops.upsert(User { id: 1 }).await?;
    ops.delete(OrderKey { id: 1 }).await?;
    Ok(())
}

connector_core::main!(users);
