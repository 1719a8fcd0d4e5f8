connector_core::main!(hashes::update);
