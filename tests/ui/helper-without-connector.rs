use connector_core::prelude::*;

#[table]
pub struct User {
    #[primary_key]
    pub id: i64,
}

async fn emit_user(ops: &Operations) -> Result<()> {
    ops.upsert(User { id: 1 }).await
}

#[sync(tables(User))]
async fn update(ops: &Operations) -> Result<()> {
    emit_user(ops).await
}

connector_core::main!(update);
