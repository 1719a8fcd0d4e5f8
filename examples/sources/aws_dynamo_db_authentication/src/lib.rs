use connector_core::prelude::*;
#[table]
pub struct Customers { #[primary_key] pub customer_id: String }
#[sync(tables(Customers))]
pub async fn update(ops: &Operations) -> Result<()> { let _ = aws_sdk_dynamodb::Client::from_conf; let _ = aws_sdk_sts::Client::from_conf; let _ = aws_smithy_http_client::Builder::new; ops.checkpoint(&json!({})).await?; Ok(()) }
