connector_core::main!(sql_server::update);
