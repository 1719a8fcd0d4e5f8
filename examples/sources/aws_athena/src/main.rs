connector_core::main!(aws_athena::update);
