//! Gives the binary an identity for what it writes: `TIERFORM_BUILD_ID`, a digest of the
//! sources of every workspace crate and of the locked dependency versions. A build records it
//! in the output manifest with the spec's digest, so a rebuild by the same program from the
//! same spec can skip emission (src/build.rs); any change to an emitter or a dependency
//! changes the identity, and the next build emits everything again.
//!
//! Outside the workspace (a packaged crate) only this crate's sources are here; the version,
//! which a published crate never reuses, then stands for the rest.

use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};
use std::{env, fs};

fn main() {
    let here = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let workspace = here.join("../..");
    let mut inputs = vec![workspace.join("Cargo.lock"), workspace.join("Cargo.toml")];
    if let Ok(crates) = fs::read_dir(workspace.join("crates")) {
        let mut dirs: Vec<PathBuf> = crates.flatten().map(|e| e.path()).collect();
        dirs.sort();
        for d in dirs {
            inputs.push(d.join("Cargo.toml"));
            inputs.push(d.join("src"));
        }
    } else {
        inputs.push(here.join("src"));
    }
    let mut h = DefaultHasher::new();
    h.write(env::var("CARGO_PKG_VERSION").unwrap_or_default().as_bytes());
    for input in &inputs {
        if input.exists() {
            println!("cargo:rerun-if-changed={}", input.display());
            hash_tree(input, &mut h);
        }
    }
    println!("cargo:rustc-env=TIERFORM_BUILD_ID={:016x}", h.finish());
}

/// Hashes a file, or every file under a folder in name order, with their paths.
fn hash_tree(path: &Path, h: &mut DefaultHasher) {
    if path.is_dir() {
        let mut entries: Vec<PathBuf> = fs::read_dir(path)
            .map(|rd| rd.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        entries.sort();
        for e in entries {
            hash_tree(&e, h);
        }
    } else if let Ok(bytes) = fs::read(path) {
        h.write(path.file_name().unwrap_or_default().as_encoded_bytes());
        h.write_usize(bytes.len());
        h.write(&bytes);
    }
}
