//! Base + overlay renders exactly the flat layout, for every Kubernetes environment of every
//! fixture: in memory (kustomize's semantics in Rust) and, where kubectl is installed, with
//! `kubectl kustomize` itself.

mod support;

use serde::Deserialize;
use serde_json::Value;

#[test]
fn overlays_applied_in_memory_equal_the_flat_objects() {
    let mut checked = 0;
    for (name, path) in support::fixtures() {
        let (model, envs) = support::load(&path);
        let Some(reference) = support::reference(&model, &envs) else {
            continue;
        };
        for env in envs.iter().filter(|e| support::is_k8s(e)) {
            let rendered =
                support::by_id(tierform_emit_k8s::rendered_overlay(reference, env).unwrap());
            let flat = support::by_id(tierform_emit_k8s::flat_values(env).unwrap());
            assert_eq!(
                rendered.keys().collect::<Vec<_>>(),
                flat.keys().collect::<Vec<_>>(),
                "{name} {}",
                env.name
            );
            for (id, v) in &flat {
                assert_eq!(&rendered[id], v, "{name} {}: {id}", env.name);
            }
            checked += 1;
        }
    }
    assert!(checked > 0, "no Kubernetes environment in the fixtures");
}

#[test]
fn kubectl_kustomize_renders_the_flat_objects() {
    let Some(kubectl) = support::kubectl() else {
        println!("note: no kubectl ($KUBECTL, PATH, or run tools/validate/setup.sh); skipping the kustomize round trip");
        return;
    };
    let mut checked = 0;
    for (name, path) in support::fixtures() {
        let (model, envs) = support::load(&path);
        let Some(reference) = support::reference(&model, &envs) else {
            continue;
        };
        let dir = tempfile::tempdir().unwrap();
        support::write(
            &dir.path().join("base"),
            tierform_emit_k8s::base(reference).unwrap(),
        );
        for env in envs.iter().filter(|e| support::is_k8s(e)) {
            let overlay = dir.path().join("overlays").join(&env.name);
            support::write(&overlay, tierform_emit_k8s::overlay(env).unwrap());
            let out = std::process::Command::new(&kubectl)
                .arg("kustomize")
                .arg(&overlay)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{name} {}: {}",
                env.name,
                String::from_utf8_lossy(&out.stderr)
            );
            let text = String::from_utf8(out.stdout).unwrap();
            let rendered = support::by_id(
                serde_norway::Deserializer::from_str(&text).map(|d| Value::deserialize(d).unwrap()),
            );
            let flat = support::by_id(tierform_emit_k8s::flat_values(env).unwrap());
            assert_eq!(
                rendered.keys().collect::<Vec<_>>(),
                flat.keys().collect::<Vec<_>>(),
                "{name} {}",
                env.name
            );
            for (id, v) in &flat {
                assert_eq!(&rendered[id], v, "{name} {}: {id}", env.name);
            }
            checked += 1;
        }
    }
    println!("kubectl kustomize matched the flat layout for {checked} environments");
}
