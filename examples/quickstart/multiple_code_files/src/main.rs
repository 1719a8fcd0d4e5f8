connector_core::main!(multiple_code_files::update);
