connector_core::main!(configuration::update);
