use connector_core::prelude::*;

#[table]
pub struct LineItem {
    #[primary_key]
    pub order_id: i64,
    #[primary_key]
    pub line: i32,
    pub sku: String,
}

#[sync(tables(LineItem))]
async fn update(ops: &Operations) -> Result<()> {
    ops.delete(LineItemKey { order_id: 1 }).await?;
    Ok(())
}

connector_core::main!(update);
