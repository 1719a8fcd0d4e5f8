connector_core::main!(complex_configuration_options::update);
