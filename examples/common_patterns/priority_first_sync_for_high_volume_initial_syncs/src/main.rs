connector_core::main!(priority_first_sync_for_high_volume_initial_syncs::update);
