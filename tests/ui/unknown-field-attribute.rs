use connector_core::prelude::*;

#[derive(Configuration)]
pub struct Config {
    #[field(lable = "API key", secret)]
    pub api_key: String,
}

fn main() {}
