//! `atlantis.yaml` (repo config version 3): one project per cloud environment, planned when its
//! own files change (and, in the module layout, the modules it calls), applied in promotion
//! order (`execution_order_group` is the tier's place in the rollout), production only once the
//! pull request is approved.

use serde_json::{json, Value};
use tierform_model::DeployMode;

use crate::{yaml, Plan};

pub(crate) fn file(plan: &Plan) -> String {
    let mut projects = Vec::new();
    for stage in &plan.stages {
        for t in &stage.targets {
            let mut when = vec![json!("*.tf"), json!("*.tfvars")];
            if plan.layout.tf_module {
                when.push(json!("../modules/**/*.tf"));
            }
            // Production (and any tier deployed after an approval) waits for the pull
            // request's approval; every project waits for it to be mergeable.
            let reviewed = stage.tier.production || stage.tier.deploy == DeployMode::Approval;
            let apply: Vec<&str> = if reviewed {
                vec!["approved", "mergeable"]
            } else {
                vec!["mergeable"]
            };
            projects.push(json!({
                "name": t.name,
                "dir": format!("terraform/{}", t.name),
                "workspace": "default",
                "autoplan": {"enabled": true, "when_modified": when},
                "apply_requirements": apply,
                "execution_order_group": stage.tier.order,
            }));
        }
    }
    let doc: Value = json!({
        "version": 3,
        "automerge": false,
        "parallel_plan": true,
        "parallel_apply": false,
        "projects": projects,
    });
    yaml::file(&["Atlantis plans every environment whose files change and applies them in promotion order."], &doc)
}
