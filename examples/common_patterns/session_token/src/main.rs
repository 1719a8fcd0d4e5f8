connector_core::main!(session_token::update);
