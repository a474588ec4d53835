//! Writes the Terraform of every cloud environment of the given specs (default:
//! `fixtures/*.hcl`) to `OUT/<fixture>/<env>/`, for the external validators:
//!
//! ```sh
//! cargo run -p tierform-emit-terraform --example emit_fixtures -- OUT [SPEC...]
//! tools/validate/all.sh OUT
//! ```

use std::path::{Path, PathBuf};

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(out) = args.next().map(PathBuf::from) else {
        eprintln!("usage: emit_fixtures OUT [SPEC...]");
        std::process::exit(2);
    };
    let mut specs: Vec<PathBuf> = args.map(PathBuf::from).collect();
    if specs.is_empty() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let mut found: Vec<PathBuf> = std::fs::read_dir(&root)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "hcl"))
            .collect();
        found.sort();
        specs = found;
    }
    let mut count = 0;
    for spec in specs {
        let fixture = spec
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let model = match tierform_model::Model::load(&spec) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("skip {}: does not load: {e:?}", spec.display());
                continue;
            }
        };
        for id in model.environments() {
            let env = match model.resolve(&id) {
                Ok(env) => env,
                Err(e) => {
                    eprintln!("skip {fixture}/{}: {e:?}", id.name);
                    continue;
                }
            };
            let Ok(files) = tierform_emit_terraform::emit(&env) else {
                continue; // a local environment: docker-compose, no Terraform
            };
            let dir = out.join(&fixture).join(&env.name);
            std::fs::create_dir_all(&dir).expect("create output folder");
            for (path, text) in files.iter() {
                std::fs::write(dir.join(path.as_str()), text).expect("write file");
            }
            count += 1;
        }
    }
    eprintln!("{count} environments written to {}", out.display());
}
