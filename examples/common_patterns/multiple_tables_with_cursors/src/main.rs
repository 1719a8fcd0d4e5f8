connector_core::main!(multiple_tables_with_cursors::update);
