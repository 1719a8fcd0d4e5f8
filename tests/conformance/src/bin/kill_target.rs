//! A connector for the SIGKILL and command-line tests: `batches` batches (default 200) of 1,000
//! rows, a checkpoint after each batch, a short pause between batches so that a kill can land
//! anywhere in the run.

use connector_core::prelude::*;

const ROWS: i64 = 1_000;

#[derive(Configuration)]
pub struct Config {
    #[field(default = "200")]
    pub batches: u32,
}

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
async fn update(ops: &Operations, config: &Config, state: &mut Batches) -> Result<()> {
    while state.batches < config.batches {
        let batch = i64::from(state.batches);
        for i in 0..ROWS {
            ops.upsert(Numbered {
                id: batch * ROWS + i,
                batch,
                label: format!("row {i} of batch {batch}"),
            })
            .await?;
        }
        state.batches += 1;
        ops.checkpoint(state).await?;
        connector_core::tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    Ok(())
}

connector_core::main!(update);
