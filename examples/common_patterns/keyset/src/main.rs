connector_core::main!(keyset::update);
