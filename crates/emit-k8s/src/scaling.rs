//! Per-environment scaling objects, switched on by knobs: a HorizontalPodAutoscaler when the
//! service autoscales, a PodDisruptionBudget when it runs more than one copy. Overlays carry
//! them as resources of their own, so the base never holds an object a knob can remove.

use std::collections::BTreeMap;

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use tierform_model::{App, Service};

use crate::meta;
use crate::workload::{replicas, to_i32, COMPONENT};

/// The autoscaler of a service that autoscales on CPU.
pub(crate) fn autoscaler(app: &App, name: &str, s: &Service) -> Option<HorizontalPodAutoscaler> {
    let a = s.autoscaling.as_ref()?;
    Some(HorizontalPodAutoscaler {
        metadata: meta::object_meta(
            name,
            meta::structural(&app.app, name, COMPONENT),
            BTreeMap::new(),
        ),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".to_owned()),
                kind: "Deployment".to_owned(),
                name: name.to_owned(),
            },
            min_replicas: Some(to_i32(a.min)),
            max_replicas: to_i32(a.max),
            metrics: Some(vec![MetricSpec {
                type_: "Resource".to_owned(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".to_owned(),
                    target: MetricTarget {
                        type_: "Utilization".to_owned(),
                        average_utilization: Some(to_i32(a.target_cpu())),
                        ..Default::default()
                    },
                }),
                ..Default::default()
            }]),
            ..Default::default()
        }),
        ..Default::default()
    })
}

/// A budget keeping one copy up during voluntary disruptions (node drains, upgrades), for a
/// service that runs more than one copy. With a single copy a budget would block every drain.
pub(crate) fn disruption_budget(app: &App, name: &str, s: &Service) -> Option<PodDisruptionBudget> {
    (replicas(s) > 1).then(|| PodDisruptionBudget {
        metadata: meta::object_meta(
            name,
            meta::structural(&app.app, name, COMPONENT),
            BTreeMap::new(),
        ),
        spec: Some(PodDisruptionBudgetSpec {
            min_available: Some(IntOrString::Int(1)),
            selector: Some(meta::selector(name)),
            ..Default::default()
        }),
        ..Default::default()
    })
}
