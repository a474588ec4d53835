//! The JSON Schema of a spec, for editors (`tierform schema`).

use serde_json::{json, Value};

use crate::knob::KnobKind;
use crate::spec::App;

/// The JSON Schema (draft 2020-12) of a tierform spec in its JSON form. HCL specs have the same
/// structure, so editors with HCL-to-JSON support can use it too.
pub fn spec_schema() -> Value {
    let mut schema = serde_json::to_value(schemars::schema_for!(App)).expect("schemas serialise");
    let kinds: Vec<&str> = KnobKind::ALL.iter().map(|k| k.as_str()).collect();
    // A tier, tenant or instance overrides any part of the base: the same properties, none required.
    let overrides = json!({ "$ref": "#/$defs/Overrides" });
    let tier = json!({
        "type": "object",
        "description": "A tier of the promotion chain: overrides of the base, plus how the tier relates to others.",
        "allOf": [overrides],
        "properties": {
            "description": { "type": "string" },
            "mirrors": { "type": "string", "description": "The tier this one promises to mirror: it starts from that tier and may change knobs only." },
            "runtime": { "enum": ["cloud", "local"], "description": "cloud (Terraform, Kubernetes) or local (docker-compose)." },
            "production": { "type": "boolean", "description": "Production rules apply; defaults to true for tiers named production or prod." },
            "ephemeral": { "type": "boolean", "description": "Environments are temporary copies named <tier>-<id> (or <tier>-<tenant>-<id> where the mirrored tier fans out), created on demand, without deletion protection, tagged with their expiry date." },
            "ttl_days": { "type": "integer", "minimum": 1, "maximum": 90, "description": "Days an ephemeral copy lives after it is built (default 7): its Expires tag." },
            "per_tenant": { "type": "boolean", "description": "One environment per declared tenant." },
            "may_differ": { "type": "array", "items": { "enum": kinds }, "description": "Knob kinds this tier may change (default: all)." },
            "exception": {
                "type": "object",
                "description": "Structural differences accepted on purpose, keyed by one concrete field or object path (no wildcard, no whole collection, not a knob); each must excuse at least one emitted difference.",
                "propertyNames": { "pattern": "^[^*]+$" },
                "additionalProperties": {
                    "type": "object",
                    "required": ["reason"],
                    "properties": { "reason": { "type": "string", "minLength": 12, "description": "Why the difference is acceptable: a sentence of at least 3 words and 12 letters, shown in every parity report." } },
                    "additionalProperties": false
                }
            },
            "instance": { "type": "object", "additionalProperties": { "allOf": [overrides], "properties": { "account": account_schema() } }, "description": "Named instances of the tier, each with its own overrides, and optionally an AWS account of its own." },
            "account": account_schema()
        }
    });
    let obj = schema.as_object_mut().expect("object schema");
    let mut props = obj["properties"].clone();
    let mut override_def = json!({ "type": "object", "properties": props.clone() });
    override_def["description"] = json!("Any part of the base spec; nothing is required.");
    let defs = obj.entry("$defs").or_insert_with(|| json!({}));
    defs["Overrides"] = override_def;
    props["tier"] = json!({ "type": "object", "additionalProperties": tier, "description": "Tiers in promotion order." });
    props["tenant"] = json!({ "type": "object", "additionalProperties": overrides, "description": "Tenants: one environment per tenant in tiers with per_tenant = true." });
    props["docs"] = json!({
        "type": "object",
        "description": "How `tierform build` renders the runbooks (docs/<env>.md). Top level only.",
        "properties": { "templates": { "type": "string", "description": "A folder of Handlebars templates (environment.md.hbs, index.md.hbs) overriding the built-in ones, relative to the spec." } },
        "additionalProperties": false
    });
    props["delivery"] = delivery_schema(obj);
    obj["properties"] = props;
    obj.insert("title".into(), json!("tierform spec"));
    schema
}

/// The `delivery` block's schema, its definitions moved into the spec's `$defs`.
fn delivery_schema(root: &mut serde_json::Map<String, Value>) -> Value {
    let mut d =
        serde_json::to_value(schemars::schema_for!(crate::Delivery)).expect("schemas serialise");
    let o = d.as_object_mut().expect("object schema");
    o.remove("$schema");
    o.remove("title");
    if let Some(Value::Object(defs)) = o.remove("$defs") {
        let root_defs = root.entry("$defs").or_insert_with(|| json!({}));
        for (k, v) in defs {
            root_defs[k] = v;
        }
    }
    o.insert(
        "description".into(),
        json!("How each tier's environments go out: CI workflows, Atlantis, Argo CD (`tierform build --delivery`). Top level only."),
    );
    d
}

/// The tier's `account` block: identity (like the tier's name), so it is a tier key, not an
/// override of the base.
fn account_schema() -> Value {
    json!({
        "type": "object",
        "description": "The AWS account every environment of the tier runs in: the provider's and the state backend's allowed_account_ids, the role Terraform assumes, the account's state bucket, and {account} in image repositories. Identity, not structure: parity never compares it.",
        "required": ["id"],
        "additionalProperties": false,
        "properties": {
            "id": { "type": "string", "pattern": "^[0-9]{12}$", "description": "The 12-digit account id." },
            "assume_role": {
                "type": "object",
                "required": ["role_arn"],
                "additionalProperties": false,
                "description": "The role Terraform assumes in the account (provider, state backend, EKS tokens). Cloud tiers only.",
                "properties": {
                    "role_arn": { "type": "string", "description": "arn:aws:iam::<id>:role/<name>, in the tier's account." },
                    "session_name": { "type": "string", "description": "The session name CloudTrail records (tierform when not given)." },
                    "external_id": { "type": "string", "description": "The external id the role's trust policy requires." }
                }
            },
            "state_bucket": { "type": "string", "description": "The account's Terraform state bucket; <state bucket>-<id> when not given. Cloud tiers only." }
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn schema_names_the_top_level_blocks() {
        let s = super::spec_schema();
        for key in [
            "app", "network", "platform", "database", "service", "tier", "tenant", "delivery",
        ] {
            assert!(s["properties"].get(key).is_some(), "{key}");
        }
    }
}
