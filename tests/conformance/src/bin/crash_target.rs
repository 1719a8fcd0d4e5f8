//! The crash sweep's connector (see `connector_conformance::crash_target`), with connector-core's
//! crash points.

connector_core::main!(connector_conformance::crash_target::update);
