connector_core::main!(redshift::update);
