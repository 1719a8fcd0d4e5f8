//! A connector for the SIGKILL tests: 200 batches of 1,000 rows, a checkpoint after each batch,
//! a short pause between batches so that a kill can land anywhere in the run.

use connector_core::prelude::*;

const BATCHES: u32 = 200;
const ROWS: i64 = 1_000;

#[table(name = "rows")]
pub struct Numbered {
    #[primary_key]
    pub id: i64,
    pub batch: i64,
    pub label: String,
}

#[state]
#[derive(Default)]
pub struct Batches {
    pub batches: u32,
}

#[sync(tables(Numbered))]
async fn update(ops: &Operations, state: &mut Batches) -> Result<()> {
    while state.batches < BATCHES {
        let batch = i64::from(state.batches);
        for i in 0..ROWS {
            ops.upsert(Numbered { id: batch * ROWS + i, batch, label: format!("row {i} of batch {batch}") }).await?;
        }
        state.batches += 1;
        ops.checkpoint(state).await?;
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    Ok(())
}

connector_core::main!(update);
