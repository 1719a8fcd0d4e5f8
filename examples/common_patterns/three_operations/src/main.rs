connector_core::main!(three_operations::update);
