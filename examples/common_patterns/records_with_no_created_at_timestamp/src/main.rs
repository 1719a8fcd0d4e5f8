connector_core::main!(records_with_no_created_at_timestamp::update);
