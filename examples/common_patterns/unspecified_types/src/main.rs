connector_core::main!(unspecified_types::update);
