connector_core::main!(simple_three_step_cursor::update);
