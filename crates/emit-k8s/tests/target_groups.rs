//! Public services reach the internet through the load balancer Terraform owns: each gets a
//! `TargetGroupBinding` of its Service's named port into the target group whose name
//! Terraform gives it (`Environment::target_group_name`), and no Ingress is emitted.

mod support;

#[test]
fn public_services_bind_their_pods_to_terraforms_target_group() {
    let mut bound = 0;
    for (name, path) in support::fixtures() {
        let (_, envs) = support::load(&path);
        for env in envs.iter().filter(|e| support::is_k8s(e)) {
            let objects = support::by_id(tierform_emit_k8s::flat_values(env).unwrap());
            assert!(
                !objects.keys().any(|id| id.starts_with("Ingress/")),
                "{name} {}: an Ingress would make a second load balancer",
                env.name
            );
            // The controller's readiness gate: a rollout waits for the target group's health.
            let namespace = &objects[&format!("Namespace/{}", env.prefix())];
            let gate = &namespace["metadata"]["labels"]["elbv2.k8s.aws/pod-readiness-gate-inject"];
            let public = env.app.services.values().any(|s| s.public.is_some());
            assert_eq!(
                gate.as_str() == Some("enabled"),
                public,
                "{name} {}",
                env.name
            );
            for (service, s) in &env.app.services {
                let binding = objects.get(&format!("TargetGroupBinding/{service}"));
                let Some(b) = binding else {
                    assert!(s.public.is_none(), "{name} {}: {service} unbound", env.name);
                    continue;
                };
                assert!(
                    s.public.is_some(),
                    "{name} {}: {service} is private",
                    env.name
                );
                let spec = &b["spec"];
                assert_eq!(spec["targetGroupName"], env.target_group_name(service));
                assert_eq!(spec["targetType"], "ip");
                assert_eq!(spec["serviceRef"]["name"], service.as_str());
                // The port it names is the Service's.
                let svc = &objects[&format!("Service/{service}")];
                assert_eq!(spec["serviceRef"]["port"], svc["spec"]["ports"][0]["name"]);
                bound += 1;
            }
        }
    }
    assert!(bound >= 5, "{bound} bindings checked");
}
