//! Hardened pod defaults, shared by every workload tierform emits (services and jobs).
//!
//! They satisfy the Kubernetes `restricted` Pod Security Standard, which the namespace enforces,
//! and checkov's workload checks (CKV_K8S_20, 22, 23, 28, 29, 30, 31, 37, 38, 40).

use k8s_openapi::api::core::v1::{
    Capabilities, Container, EmptyDirVolumeSource, PodSecurityContext, PodSpec, SeccompProfile,
    SecurityContext, Volume, VolumeMount,
};

/// The non-root user and group every container runs as: above 10000 so it never collides with
/// a user of the node (checkov CKV_K8S_40).
pub(crate) const RUN_AS: i64 = 10001;

/// The pod of every workload: its own service account without a mounted token, the hardened
/// pod context, one container and the `/tmp` scratch volume. Services and jobs both build their
/// pods here, so they cannot differ in hardening.
pub(crate) fn pod_spec(service_account: &str, container: Container) -> PodSpec {
    PodSpec {
        service_account_name: Some(service_account.to_owned()),
        automount_service_account_token: Some(false),
        security_context: Some(pod()),
        containers: vec![container],
        volumes: Some(vec![tmp_volume()]),
        ..Default::default()
    }
}

/// The pod-level context: non-root, seccomp `RuntimeDefault`, files owned by [`RUN_AS`].
fn pod() -> PodSecurityContext {
    PodSecurityContext {
        run_as_non_root: Some(true),
        run_as_user: Some(RUN_AS),
        run_as_group: Some(RUN_AS),
        fs_group: Some(RUN_AS),
        seccomp_profile: Some(runtime_default()),
        ..Default::default()
    }
}

/// The container-level context. It repeats the pod's user and seccomp profile because scanners
/// (and readers) judge each container on its own.
pub(crate) fn container() -> SecurityContext {
    SecurityContext {
        allow_privilege_escalation: Some(false),
        privileged: Some(false),
        read_only_root_filesystem: Some(true),
        run_as_non_root: Some(true),
        run_as_user: Some(RUN_AS),
        run_as_group: Some(RUN_AS),
        capabilities: Some(Capabilities {
            drop: Some(vec!["ALL".to_owned()]),
            ..Default::default()
        }),
        seccomp_profile: Some(runtime_default()),
        ..Default::default()
    }
}

fn runtime_default() -> SeccompProfile {
    SeccompProfile {
        type_: "RuntimeDefault".to_owned(),
        ..Default::default()
    }
}

const TMP: &str = "tmp";

/// The writable scratch space that a read-only root file system leaves applications: an
/// `emptyDir` mounted at `/tmp`.
fn tmp_volume() -> Volume {
    Volume {
        name: TMP.to_owned(),
        empty_dir: Some(EmptyDirVolumeSource::default()),
        ..Default::default()
    }
}

/// The mount of [`tmp_volume`].
pub(crate) fn tmp_mount() -> VolumeMount {
    VolumeMount {
        name: TMP.to_owned(),
        mount_path: "/tmp".to_owned(),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn containers_are_locked_down() {
        let c = container();
        assert_eq!(c.allow_privilege_escalation, Some(false));
        assert_eq!(c.privileged, Some(false));
        assert_eq!(c.read_only_root_filesystem, Some(true));
        assert_eq!(c.run_as_non_root, Some(true));
        assert!(c.run_as_user.is_some_and(|u| u > 10000));
        assert_eq!(
            c.capabilities.and_then(|c| c.drop),
            Some(vec!["ALL".to_owned()])
        );
        assert_eq!(
            c.seccomp_profile.map(|s| s.type_).as_deref(),
            Some("RuntimeDefault")
        );
    }

    #[test]
    fn pods_run_as_the_same_non_root_user() {
        let p = pod();
        assert_eq!(
            (p.run_as_user, p.run_as_group, p.fs_group),
            (Some(RUN_AS), Some(RUN_AS), Some(RUN_AS))
        );
        assert_eq!(p.run_as_non_root, Some(true));
        assert_eq!(tmp_mount().mount_path, "/tmp");
        assert!(tmp_volume().empty_dir.is_some());
    }
}
