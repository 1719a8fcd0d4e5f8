connector_core::main!(offset_based::update);
