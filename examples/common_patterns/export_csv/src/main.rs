connector_core::main!(export_csv::update);
