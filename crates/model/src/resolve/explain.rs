//! `Model::explain`: where a value of an environment came from.

use super::fanout::EnvironmentId;
use super::Model;
use crate::diagnostic::{Diagnostic, Diagnostics, FieldPath};
use crate::node::Layer;

/// Where a resolved value came from.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Provenance {
    /// The value.
    pub value: serde_json::Value,
    /// The layer that set it; `None` when it is tierform's default.
    pub layer: Option<Layer>,
    /// Where in the spec.
    pub location: Option<crate::Location>,
}

impl Model {
    /// Where a value of an environment came from.
    ///
    /// # Errors
    /// The path names nothing in the environment.
    pub fn explain(&self, id: &EnvironmentId, path: &FieldPath) -> Result<Provenance, Diagnostics> {
        if path.segments().next() == Some("delivery") {
            return self.explain_delivery(id, path);
        }
        let tree = self.tree(id);
        if let Some(node) = tree.lookup(path.segments()) {
            return Ok(Provenance {
                value: node.to_json(),
                layer: Some(node.layer.clone()),
                location: node.span.map(|s| self.source.location(s.start as usize)),
            });
        }
        let env = self.resolve(id)?;
        // The account is the tier's identity, declared in its `tier` block, not in the base.
        let from_account = path.segments().next() == Some("account");
        let json = if from_account {
            serde_json::json!({ "account": env.account })
        } else {
            serde_json::to_value(&env.app).expect("the model serialises")
        };
        let mut cur = &json;
        for seg in path.segments() {
            cur = match cur {
                serde_json::Value::Object(o) => o.get(seg),
                serde_json::Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            }
            .ok_or_else(|| {
                Diagnostics::from(
                    Diagnostic::error(
                        "unknown-path",
                        path.clone(),
                        format!("`{path}` names no value of environment `{}`", id.name),
                    )
                    .with_help(
                        "paths look like `database.main.instance_class` or `service.api.replicas`",
                    ),
                )
            })?;
        }
        if from_account {
            let t = &self.tiers[id.tier];
            let (layer, span) = match &id.member {
                super::fanout::Member::Instance(i) if t.instances[*i].account.is_some() => (
                    Layer::Instance(
                        std::sync::Arc::from(t.name.as_str()),
                        std::sync::Arc::from(t.instances[*i].name.as_str()),
                    ),
                    t.instances[*i].account_span,
                ),
                _ => (
                    Layer::Tier(std::sync::Arc::from(t.name.as_str())),
                    t.account_span,
                ),
            };
            return Ok(Provenance {
                value: cur.clone(),
                layer: Some(layer),
                location: span.map(|s| self.source.location(s.start as usize)),
            });
        }
        Ok(Provenance {
            value: cur.clone(),
            layer: None,
            location: None,
        })
    }
}
