//! `network { existing { … } }` (issue 17): a tier on a VPC and subnets that already exist
//! creates none of them and reads their ids everywhere a created one's would be, on ECS and EKS
//! alike (the load balancer is Terraform's on both). Snapshots under
//! `snapshots/existing-network/`.

mod common;
use common::build;

#[test]
fn an_existing_network_is_used_not_created() {
    for (spec, prefix) in [
        ("existing-network-ecs.hcl", "ecs"),
        ("existing-network-eks.hcl", "eks"),
    ] {
        let files = build(spec);
        let mut settings = insta::Settings::clone_current();
        settings.set_snapshot_path("../../../snapshots/existing-network");
        settings.set_prepend_module_to_snapshot(false);
        for (path, text) in files.iter() {
            let path = path.to_string();
            if !path.starts_with("terraform/") {
                continue;
            }
            for created in [
                "\"aws_vpc\"",
                "\"aws_subnet\"",
                "\"aws_nat_gateway\"",
                "\"aws_internet_gateway\"",
                "\"aws_route_table\"",
                "\"aws_flow_log\"",
                "aws_vpc.main",
                "aws_subnet.",
                "flow-logs",
            ] {
                assert!(!text.contains(created), "{spec}: {path} has {created}");
            }
            // Each environment reads its own tier's ids, never the other's.
            let (own, other) = if path.contains("/staging/") {
                ("vpc-0b1c", "vpc-0a1b")
            } else {
                ("vpc-0a1b", "vpc-0b1c")
            };
            assert!(!text.contains(other), "{spec}: {path} names {other}");
            if path.ends_with("outputs.tf") {
                assert!(text.contains(own), "{spec}: {path}");
            }
            if path.ends_with("network.tf") || path.ends_with("security.tf") {
                let name = format!("{prefix}@{}", path.replace('/', "@"));
                settings.bind(|| insta::assert_snapshot!(name, text));
            }
        }
        let network_tf = files
            .iter()
            .find(|(p, _)| p.to_string() == "terraform/production/network.tf");
        // Nothing of an existing network is created or tagged, on ECS and EKS alike (the load
        // balancer is Terraform's on both: no subnet role tags for a controller to place one).
        assert!(network_tf.is_none(), "{prefix}: no network file");
    }
}
