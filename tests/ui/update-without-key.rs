use connector_core::prelude::*;

#[table]
pub struct User {
    #[primary_key]
    pub id: i64,
    pub name: String,
}

#[sync(tables(User))]
async fn update(ops: &Operations) -> Result<()> {
    ops.update(User::patch().name("Ada")).await?;
    Ok(())
}

connector_core::main!(update);
