//! The fuzzed pipeline: bytes -> spec (HCL, or JSON when it looks like JSON) -> validation ->
//! every environment resolved -> every emitter and parity on the ones that resolve. Bad input
//! must come back as diagnostics; any panic is a bug.

use tierform_engine::K8sLayout;
use tierform_model::{Environment, Format, Model, Source};

/// Inputs above this size only slow the fuzzer down; the invalid corpus covers huge specs.
const MAX_INPUT: usize = 64 * 1024;
/// Environments emitted per input: fan-out is the model's business (it has its own limit);
/// the fuzzer wants many inputs per second.
const MAX_ENVIRONMENTS: usize = 8;
/// Specs fanning out further are not checked as a whole (see `run`).
const MAX_CHECKED: usize = 64;

/// Runs one input through the pipeline.
pub fn run(data: &[u8]) {
    if data.len() > MAX_INPUT {
        return;
    }
    // Model::load reads bytes and reports non-UTF-8 as a diagnostic; the text parsers take
    // strings, so invalid bytes are replaced and the rest is still parsed.
    let text = String::from_utf8_lossy(data).into_owned();
    let format = if text.trim_start().starts_with('{') {
        Format::Json
    } else {
        Format::Hcl
    };
    let Ok(model) = Model::parse(Source::new("fuzz.hcl", text), format) else {
        return;
    };
    let mut ids = model.environments();
    // `check` resolves every environment: a few lines of tenants and tiers fan out to the
    // model's limit (100,000), which takes minutes and says nothing new per input.
    if ids.len() <= MAX_CHECKED {
        let _ = model.check();
    }
    ids.truncate(MAX_ENVIRONMENTS);
    for t in model.tiers().iter().filter(|t| t.ephemeral) {
        ids.extend(model.environment(&format!("{}-1", t.name)).ok());
    }
    let mut reference = None;
    for id in &ids {
        if let Ok(env) = model.resolve(id) {
            emit_all(&env, reference.get_or_insert_with(|| env.clone()));
        }
    }
    for (a, b) in model.mirror_pairs().into_iter().take(MAX_ENVIRONMENTS) {
        let _ = tierform_model::parity::compare(&model, &a, &b, &tierform_engine::emitted_objects);
    }
}

/// Every file the CLI can write for an environment, in both layouts, parity's view of it, and
/// the kustomize base and rendered overlays from `reference`.
pub fn emit_all(env: &Environment, reference: &Environment) {
    for layout in [K8sLayout::Overlays, K8sLayout::Flat] {
        tierform_engine::environment_files(env, layout);
    }
    tierform_engine::emitted_objects(env);
    if env.runs_kubernetes() {
        // The reference is the first environment that resolved, whatever its platform:
        // refusing it is an answer, only a panic is a bug.
        let _ = tierform_engine::k8s::base(reference);
        let _ = tierform_engine::k8s::rendered_overlay(reference, env);
    }
}
