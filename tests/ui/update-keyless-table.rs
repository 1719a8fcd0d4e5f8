use connector_core::prelude::*;

#[table]
pub struct Event {
    pub message: String,
}

#[sync(tables(Event))]
async fn update(ops: &Operations) -> Result<()> {
    ops.update(Event::patch("x")).await?;
    Ok(())
}

connector_core::main!(update);
