//! The rule `lib.rs` states, checked: a module uses only the layers before its own (the model,
//! then the runtime, then the modes, then the command line). Modules of one layer may use each
//! other.

use std::path::Path;

/// Each top-level module and its layer.
const LAYERS: &[(&str, u8)] = &[
    ("config", 1),
    ("decimal", 1),
    ("destination", 1),
    ("macros", 1),
    ("naming", 1),
    ("record", 1),
    ("row", 1),
    ("row_reader", 1),
    ("schema", 1),
    ("table", 1),
    ("value", 1),
    ("connector", 2),
    ("crash", 2),
    ("driver", 2),
    ("operations", 2),
    ("sink", 2),
    ("grpc", 3),
    ("local", 3),
    ("proto", 3),
    ("testing", 3),
    ("warehouse", 3),
    ("cli", 4),
];

fn layer(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|(_, l)| *l)
}

/// The top-level modules that `source` names as `crate::<module>`.
fn uses(source: &str) -> impl Iterator<Item = &str> {
    source.match_indices("crate::").filter_map(|(at, _)| {
        let rest = &source[at + "crate::".len()..];
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        Some(&rest[..end]).filter(|m| layer(m).is_some())
    })
}

/// Every `.rs` file under `dir`, as (top-level module, path).
fn files(dir: &Path, module: Option<&str>, out: &mut Vec<(String, std::path::PathBuf)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let top = module.map_or(name.clone(), str::to_string);
        if path.is_dir() {
            files(&path, Some(&top), out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push((top, path));
        }
    }
}

#[test]
fn no_module_uses_a_layer_after_its_own() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, None, &mut all);
    let mut wrong = Vec::new();
    for (module, path) in &all {
        let Some(own) = layer(module) else { continue };
        let source = std::fs::read_to_string(path).unwrap();
        for used in uses(&source) {
            if layer(used).is_some_and(|l| l > own) {
                wrong.push(format!(
                    "{} (layer {own}) uses crate::{used}",
                    path.display()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Every module is placed: a new one must be given a layer here. (`layers` and `properties`
    // are tests, which may use every layer.)
    for (module, path) in &all {
        let placed = layer(module).is_some()
            || ["lib", "bin", "layers", "properties"].contains(&module.as_str());
        assert!(placed, "{} is in no layer of LAYERS", path.display());
    }
}
