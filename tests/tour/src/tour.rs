use connector_core::prelude::*;

#[table(name = "hello_world")]          // default: the struct name in snake_case
pub struct HelloWorld {
    #[primary_key]
    pub id: i64,                        // LONG
    pub message: String,                // STRING
    #[column(decimal(15, 2))]
    pub amount: Option<Decimal>,        // DECIMAL(15, 2), nullable
    #[column(name = "createdAt")]
    pub created_at: DateTime<Utc>,      // UTC_DATETIME
}

#[derive(Configuration)]                // typed configuration.json + the setup form
#[setup_test(check_api, label = "Connecting to the API")]
pub struct Config {
    #[field(label = "API key", secret)] // a password field; never in a log or an error
    pub api_key: String,
    #[field(default = "100")]
    pub page_size: u32,
}

/// A setup test: `test` on the command line, the Test RPC in production.
async fn check_api(config: &Config) -> Result<()> {
    ensure!(config.api_key.len() > 3, "the API key is too short");
    Ok(())
}

#[state]                                // serde through connector_core, older states still load
#[derive(Default)]
pub struct Cursor { pub next: i64 }

#[sync(tables(HelloWorld))]
async fn update(ops: &Operations, config: &Config, state: &mut Cursor) -> Result<()> {
    let message = format!("{} rows a page", config.page_size);   // a real sync reads its source
    ops.upsert(HelloWorld { id: 1, message, amount: None, created_at: Utc::now() }).await?;
    ops.update(HelloWorld::patch(1).message("changed")).await?;   // key + changed columns
    ops.delete(HelloWorldKey { id: 20 }).await?;                   // soft delete by key
    state.next += 1;
    ops.checkpoint(state).await?;       // rows and state durable together
    Ok(())
}

connector_core::main!(update);          // CLI: debug | reset | serve | schema | form | test

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::testing::Destination;

    #[tokio::test]
    async fn syncs_one_row() {
        let mut destination = Destination::new();
        let run = destination.sync::<update>(json!({"api_key": "key-1"})).await.unwrap();
        assert_eq!(run.report.total().upserts, 1);
        assert_eq!(destination.table("hello_world").live_rows().len(), 1);
        assert_eq!(destination.state(), json!({"next": 1}));
    }
}
