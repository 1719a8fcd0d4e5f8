connector_core::main!(hello::update);
