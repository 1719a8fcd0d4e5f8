connector_core::main!(http_basic::update);
