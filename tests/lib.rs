//! Nothing here: this package only holds workspace-level tests.
