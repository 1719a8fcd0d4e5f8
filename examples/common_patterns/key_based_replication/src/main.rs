connector_core::main!(key_based_replication::update);
