use connector_core::prelude::*;

#[table]
pub struct User {
    #[primary_key]
    pub id: i64,
}

#[sync(tables(User))]
fn update(ops: &Operations) -> Result<()> {
    ops.upsert(User { id: 1 }).await?;
    Ok(())
}

connector_core::main!(update);
