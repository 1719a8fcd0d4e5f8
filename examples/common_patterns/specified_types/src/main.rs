connector_core::main!(specified_types::update);
