connector_core::main!(api_key::update);
