//! Writes the Kubernetes and compose output of every environment of every fixture into a
//! folder, for the external validators:
//!
//! ```text
//! cargo run -p tierform-emit-k8s --example build_fixtures -- OUT [--production-only]
//! OUT/<fixture>/k8s/base, k8s/overlays/<env>, k8s-flat/<env>, compose/<env>
//! ```

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;

use support::write;
use tierform_model::Runtime;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = Path::new(
        args.first()
            .expect("usage: build_fixtures OUT [--production-only]"),
    );
    let production_only = args.iter().any(|a| a == "--production-only");
    for (name, path) in support::fixtures() {
        let (model, envs) = support::load(&path);
        let root = out.join(&name);
        let reference = support::reference(&model, &envs);
        if let Some(r) = reference {
            if !production_only {
                write(&root.join("k8s/base"), tierform_emit_k8s::base(r).unwrap());
            }
        }
        for env in &envs {
            if production_only && !env.production {
                continue;
            }
            if support::is_k8s(env) {
                if production_only {
                    write(
                        &root.join(format!("k8s-flat/{}", env.name)),
                        tierform_emit_k8s::flat(env).unwrap(),
                    );
                    continue;
                }
                write(
                    &root.join(format!("k8s/overlays/{}", env.name)),
                    tierform_emit_k8s::overlay(env).unwrap(),
                );
                write(
                    &root.join(format!("k8s-flat/{}", env.name)),
                    tierform_emit_k8s::flat(env).unwrap(),
                );
            }
            if env.runtime == Runtime::Local && !production_only {
                write(
                    &root.join(format!("compose/{}", env.name)),
                    tierform_emit_compose::emit(env).unwrap(),
                );
            }
        }
        eprintln!("{name}: {} environments", envs.len());
    }
}
