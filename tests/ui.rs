//! Compile-time checks: each case under `ui/` is one mistake, named after it, with the error the
//! user sees in its `.stderr`. `TRYBUILD=overwrite cargo test -p connector-tests --test ui`
//! regenerates them; read the diff before committing.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}
