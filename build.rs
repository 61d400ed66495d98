//! Lists the built GraphiQL page (web/graphiql/dist, made by `npm --prefix web/graphiql run build`
//! and committed) as `include_bytes!` entries, so the binary serves it without Node or network.
//! The file names carry content hashes that change with every rebuild, hence a generated list.

use std::fmt::Write;
use std::path::{Path, PathBuf};

const DIST: &str = "web/graphiql/dist";

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("dist entry").path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let dist = root.join(DIST);
    println!("cargo::rerun-if-changed={DIST}");
    let mut found = Vec::new();
    files(&dist, &mut found);
    found.sort();
    let mut code = String::from("&[\n");
    for path in &found {
        let name = path.strip_prefix(&dist).expect("under dist").to_str().expect("UTF-8 file name").replace('\\', "/");
        // Relative to the crate being compiled, not this run's checkout: a target directory shared
        // by several checkouts must not point one checkout's build at another's files.
        let file = format!("/{DIST}/{name}");
        writeln!(code, "    ({name:?}, include_bytes!(concat!(env!(\"CARGO_MANIFEST_DIR\"), {file:?})).as_slice()),")
            .unwrap();
    }
    code.push(']');
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("graphiql_files.rs"), code).expect("write graphiql_files.rs");
}
