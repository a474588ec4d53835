//! Labels, names and object metadata.
//!
//! Labels come in two sets. The *structural* set (`app.kubernetes.io/{name,component,part-of,
//! managed-by}`) is the same in every environment and lives in the base. The *identity* set
//! (`app.kubernetes.io/instance` and `tierform.dev/{tier,tenant,environment}`) names the
//! environment; overlays add it with kustomize's label transformer, and the flat layout applies
//! the same transformation in [`Identity::stamp`], so both layouts render the same objects.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use serde_json::Value;
use tierform_model::Environment;

/// A label set, ordered by key as Kubernetes prints it.
pub(crate) type Labels = BTreeMap<String, String>;

/// The label naming the workload, the only one used in selectors: selectors are immutable on a
/// Deployment, so they must never carry a value that changes between environments or releases.
pub(crate) const NAME: &str = "app.kubernetes.io/name";
/// The release label; per service, set from the image tag (a knob).
pub(crate) const VERSION: &str = "app.kubernetes.io/version";

/// The structural labels of one workload's objects.
pub(crate) fn structural(app: &str, name: &str, component: &str) -> Labels {
    Labels::from([
        (NAME.to_owned(), name.to_owned()),
        (
            "app.kubernetes.io/component".to_owned(),
            component.to_owned(),
        ),
        ("app.kubernetes.io/part-of".to_owned(), app.to_owned()),
        (
            "app.kubernetes.io/managed-by".to_owned(),
            "tierform".to_owned(),
        ),
    ])
}

/// The selector of a workload's pods.
pub(crate) fn selector(name: &str) -> LabelSelector {
    LabelSelector {
        match_labels: Some(Labels::from([(NAME.to_owned(), name.to_owned())])),
        ..Default::default()
    }
}

/// Metadata with a name, labels and (possibly empty) annotations. No namespace: the base leaves
/// it to kustomize, and [`Identity::stamp`] sets it for the flat layout.
pub(crate) fn object_meta(
    name: &str,
    labels: Labels,
    annotations: BTreeMap<String, String>,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_owned()),
        labels: Some(labels),
        annotations: (!annotations.is_empty()).then_some(annotations),
        ..Default::default()
    }
}

/// Metadata of a pod template: labels only.
pub(crate) fn object_meta_labels_only(labels: Labels) -> ObjectMeta {
    ObjectMeta {
        labels: Some(labels),
        ..Default::default()
    }
}

/// A label value for an image tag: label values allow at most 63 characters of
/// `[A-Za-z0-9._-]`, starting and ending alphanumeric; image tags allow 128.
pub(crate) fn label_value(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .take(63)
        .collect();
    cleaned
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned()
}

/// The namespace of an environment: `<app>-<env>`.
pub(crate) fn namespace(env: &Environment) -> String {
    env.prefix()
}

/// An environment's identity as Kubernetes sees it: its namespace and identity labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    /// `<app>-<env>`.
    pub namespace: String,
    /// `app.kubernetes.io/instance` and `tierform.dev/*`.
    pub labels: Labels,
}

impl Identity {
    /// The identity of `env`.
    pub fn of(env: &Environment) -> Identity {
        let mut labels = Labels::from([
            ("app.kubernetes.io/instance".to_owned(), env.prefix()),
            ("tierform.dev/tier".to_owned(), env.tier.clone()),
            ("tierform.dev/environment".to_owned(), env.name.clone()),
        ]);
        if let Some(tenant) = &env.instance {
            labels.insert("tierform.dev/tenant".to_owned(), tenant.clone());
        }
        Identity {
            namespace: namespace(env),
            labels,
        }
    }

    /// Applies the identity to one object exactly as kustomize's `namespace:` and
    /// `labels: [{pairs, includeSelectors: false, includeTemplates: true}]` do: the namespace on
    /// every namespaced object (and as the name of the Namespace object), the labels on every
    /// object's metadata and on pod (and job) templates, never on selectors.
    pub fn stamp(&self, object: &mut Value) {
        let kind = object["kind"].as_str().unwrap_or_default().to_owned();
        if kind == "Namespace" {
            object["metadata"]["name"] = Value::String(self.namespace.clone());
        } else {
            object["metadata"]["namespace"] = Value::String(self.namespace.clone());
        }
        add_labels(&mut object["metadata"], &self.labels);
        match kind.as_str() {
            "Deployment" => add_labels(&mut object["spec"]["template"]["metadata"], &self.labels),
            "CronJob" => {
                add_labels(&mut object["spec"]["jobTemplate"]["metadata"], &self.labels);
                add_labels(
                    &mut object["spec"]["jobTemplate"]["spec"]["template"]["metadata"],
                    &self.labels,
                );
            }
            _ => {}
        }
    }
}

fn add_labels(metadata: &mut Value, labels: &Labels) {
    if !metadata["labels"].is_object() {
        metadata["labels"] = Value::Object(serde_json::Map::new());
    }
    let map = metadata["labels"]
        .as_object_mut()
        .expect("set to an object above");
    let mut merged: Labels = map
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    merged.extend(labels.iter().map(|(k, v)| (k.clone(), v.clone())));
    // Sorted by key, as Kubernetes (and kustomize) print labels.
    *map = merged
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structural_labels_are_the_recommended_set() {
        let l = structural("shop", "api", "service");
        assert_eq!(
            l.keys().map(String::as_str).collect::<Vec<_>>(),
            [
                "app.kubernetes.io/component",
                "app.kubernetes.io/managed-by",
                "app.kubernetes.io/name",
                "app.kubernetes.io/part-of"
            ]
        );
        assert_eq!(l["app.kubernetes.io/managed-by"], "tierform");
    }

    #[test]
    fn tags_become_valid_label_values() {
        assert_eq!(label_value("1.4.2"), "1.4.2");
        assert_eq!(label_value("-v1+build_"), "v1-build");
        assert_eq!(label_value(&"a".repeat(100)).len(), 63);
    }

    #[test]
    fn stamping_reaches_templates_but_not_selectors() {
        let id = Identity {
            namespace: "shop-staging".into(),
            labels: Labels::from([("tierform.dev/tier".into(), "staging".into())]),
        };
        let mut d = serde_json::json!({
            "kind": "Deployment", "metadata": {"name": "api"},
            "spec": {"selector": {"matchLabels": {NAME: "api"}}, "template": {"metadata": {"labels": {NAME: "api"}}}}
        });
        id.stamp(&mut d);
        assert_eq!(d["metadata"]["namespace"], "shop-staging");
        assert_eq!(
            d["spec"]["template"]["metadata"]["labels"]["tierform.dev/tier"],
            "staging"
        );
        assert!(d["spec"]["selector"]["matchLabels"]
            .get("tierform.dev/tier")
            .is_none());
        let mut ns = serde_json::json!({"kind": "Namespace", "metadata": {"name": "x"}});
        id.stamp(&mut ns);
        assert_eq!(ns["metadata"]["name"], "shop-staging");
    }
}
