//! The README's five-minute tour, compiled and tested. `tour.rs` holds the tour's Rust blocks
//! exactly as README.md shows them (joined by a blank line; `include!` keeps rustfmt from
//! reformatting them), and the test below fails when the two differ, so a reader who copies the
//! tour gets code that compiles and a test that passes.

include!("tour.rs");

/// The Rust blocks of the README's tour, from its heading to the compile-error example (which
/// is meant not to compile, and is a trybuild case in tests/ui).
#[cfg(test)]
fn readme_tour() -> String {
    let readme = include_str!("../../../README.md");
    let start = readme
        .find("## A five-minute tour")
        .expect("the tour's heading");
    let end = readme[start..]
        .find("### A compile error")
        .map_or(readme.len(), |end| start + end);
    let mut blocks = Vec::new();
    let mut rest = &readme[start..end];
    while let Some(open) = rest.find("```rust\n") {
        let body = &rest[open + "```rust\n".len()..];
        let close = body.find("```").expect("a closed code block");
        blocks.push(&body[..close]);
        rest = &body[close + 3..];
    }
    blocks.join("\n")
}

#[test]
fn the_readme_shows_this_tour_exactly() {
    let tour = include_str!("tour.rs");
    assert!(
        readme_tour() == tour,
        "README.md's tour and tests/tour/src/tour.rs differ: copy the README's blocks into tour.rs\n--- README\n{}\n--- tour.rs\n{tour}",
        readme_tour()
    );
}
