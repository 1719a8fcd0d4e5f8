connector_core::main!(aws_dynamo_db_authentication::update);
