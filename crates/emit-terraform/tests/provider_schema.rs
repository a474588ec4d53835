//! Every resource type, argument and nested block we emit exists in the AWS provider 6.25
//! schema (`tests/data/aws-provider-resources.json`, extracted from the provider by the
//! validation tools), over the fixtures and the inline specs of every platform.

mod common;

use serde_json::Value;

/// Terraform's own arguments, valid in every resource and data block.
const META: [&str; 5] = ["count", "for_each", "depends_on", "lifecycle", "provider"];

fn schema() -> Value {
    let text = include_str!("data/aws-provider-resources.json");
    serde_json::from_str(text).expect("schema file is JSON")
}

/// Checks one block body (as `objects()` gives it) against one schema node; appends problems.
fn check(path: &str, data: &Value, schema: &Value, problems: &mut Vec<String>) {
    let Value::Object(fields) = data else { return };
    let attrs: Vec<&str> = schema["attributes"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let blocks = &schema["blocks"];
    if schema["opaque"] == Value::Bool(true) {
        return;
    }
    for (key, value) in fields {
        if key == "@labels" || attrs.contains(&key.as_str()) {
            continue;
        }
        match blocks.get(key) {
            Some(inner) => {
                for item in value.as_array().into_iter().flatten() {
                    check(&format!("{path}.{key}"), item, inner, problems);
                }
            }
            None => problems.push(format!(
                "{path}: `{key}` is neither an argument nor a block"
            )),
        }
    }
    for required in schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        if !fields.contains_key(required) {
            problems.push(format!("{path}: required `{required}` is missing"));
        }
    }
}

#[test]
fn every_emitted_type_argument_and_block_exists_in_the_provider_schema() {
    let schema = schema();
    let mut envs = common::inline_envs();
    envs.extend(common::fixture_envs());
    assert!(
        envs.len() >= 6,
        "the inline specs alone give six environments"
    );
    let mut problems = Vec::new();
    let mut checked = 0;
    let mut not_checked = std::collections::BTreeSet::new();
    for (spec, env) in &envs {
        for o in tierform_emit_terraform::objects(env).expect("a cloud environment") {
            let address = o.id.strip_prefix("terraform:").expect("terraform ids");
            // A module call's arguments are the module's inputs, not the provider's schema
            // (raw modules are pinned and validated apart).
            if address == "locals" || address.starts_with("module.") {
                continue;
            }
            let (kind, rest) = match address.strip_prefix("data.") {
                Some(rest) => ("data_sources", rest),
                None => ("resources", address),
            };
            let ty = rest.split('.').next().unwrap_or_default();
            if !ty.starts_with("aws_") {
                // The helm and kubernetes providers have no schema extract (see
                // tools/validate/README.md, "Limits"): listed, not checked.
                not_checked.insert(ty.to_owned());
                continue;
            }
            let Some(node) = schema[kind].get(ty) else {
                problems.push(format!(
                    "{spec}/{}: {address}: unknown type `{ty}`",
                    env.name
                ));
                continue;
            };
            let mut data = o.data.clone();
            if let Value::Object(m) = &mut data {
                m.retain(|k, _| !META.contains(&k.as_str()));
            }
            check(
                &format!("{spec}/{}: {address}", env.name),
                &data,
                node,
                &mut problems,
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "checked {checked} blocks");
    assert_eq!(
        not_checked.into_iter().collect::<Vec<_>>(),
        [
            "helm_release",
            "kubernetes_config_map_v1",
            "kubernetes_namespace_v1",
            "kubernetes_service_account_v1"
        ],
        "types outside the AWS provider: only these, and documented as unchecked"
    );
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_schema_check_catches_a_misspelled_argument() {
    let schema = schema();
    let mut problems = Vec::new();
    let data = serde_json::json!({"instance_type": "db.t3.micro", "instance_class": "db.t3.micro"});
    check(
        "aws_db_instance.x",
        &data,
        &schema["resources"]["aws_db_instance"],
        &mut problems,
    );
    assert_eq!(problems.len(), 1, "{problems:?}");
}
