connector_core::main!(http_bearer::update);
