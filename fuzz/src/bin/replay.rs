//! Runs a target's checks on files, without AFL: `replay TARGET FILE_OR_DIR...`. For replaying a
//! crash AFL found, and for running a corpus as a test.

use std::path::Path;

fn main() {
    let mut args = std::env::args().skip(1);
    let target = args.next().expect("usage: replay TARGET FILE_OR_DIR...");
    let check = connector_fuzz::target(&target)
        .unwrap_or_else(|| panic!("no target `{target}`: {:?}", connector_fuzz::TARGETS));
    let mut inputs = 0;
    for arg in args {
        let path = Path::new(&arg);
        let files: Vec<_> = if path.is_dir() {
            let mut files: Vec<_> = std::fs::read_dir(path)
                .expect("a readable directory")
                .map(|e| e.expect("a directory entry").path())
                .filter(|p| p.is_file())
                .collect();
            files.sort();
            files
        } else {
            vec![path.to_path_buf()]
        };
        for file in files {
            let data = std::fs::read(&file).expect("a readable file");
            eprintln!("{}", file.display());
            check(&data);
            inputs += 1;
        }
    }
    println!("{target}: {inputs} inputs, every property held");
}
