connector_core::main!(page_number::update);
