//! A connector binary for the command-line tests: a table, a configuration with a secret and two
//! setup tests, one of which fails quoting the secret (as an HTTP error quoting a URL would).

use connector_core::prelude::*;

#[table(name = "greetings")]
pub struct Greeting {
    #[primary_key]
    pub id: i64,
    #[column(name = "sentAt")]
    pub sent_at: DateTime<Utc>,
}

#[derive(Configuration)]
#[setup_test(key_present, label = "Checking the key")]
#[setup_test(key_accepted, label = "Calling the API")]
pub struct Config {
    #[field(label = "API key", secret)]
    pub api_key: String,
    #[field(default = "10")]
    pub page_size: u32,
}

async fn key_present(config: &Config) -> Result<()> {
    ensure!(!config.api_key.is_empty(), "no key");
    Ok(())
}

async fn key_accepted(config: &Config) -> Result<()> {
    bail!("401 from https://api.example.com/v1?key={}", config.api_key)
}

#[sync(tables(Greeting))]
async fn update(ops: &Operations, config: &Config) -> Result<()> {
    ensure!(config.page_size > 0, "the page size must be positive");
    ops.upsert(Greeting {
        id: 1,
        sent_at: Utc::now(),
    })
    .await?;
    Ok(())
}

connector_core::main!(update);
