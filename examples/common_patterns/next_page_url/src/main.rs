connector_core::main!(next_page_url::update);
