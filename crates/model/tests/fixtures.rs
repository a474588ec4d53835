//! Every example spec under `fixtures/` (one per seed system) loads, and every one of its
//! environments resolves without a single diagnostic: the fixtures are what users copy, so they
//! must be clean, not merely error-free.

use std::path::{Path, PathBuf};

use tierform_model::{Environment, Model};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures")
}

/// The five seed fixtures, sorted by name so failures read the same on every run.
fn fixture_paths() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures/ exists")
        .map(|e| e.expect("readable fixtures/ entry").path())
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "hcl"))
        .collect();
    paths.sort();
    paths
}

fn load(name: &str) -> Model {
    let path = fixtures_dir().join(name);
    Model::load(&path).unwrap_or_else(|ds| panic!("{} does not load:\n{ds}", path.display()))
}

fn resolve(model: &Model, env: &str) -> Environment {
    let id = model
        .environment(env)
        .unwrap_or_else(|d| panic!("no environment `{env}`: {d}"));
    model
        .resolve(&id)
        .unwrap_or_else(|ds| panic!("`{env}` does not resolve:\n{ds}"))
}

fn env_names(model: &Model) -> Vec<String> {
    model.environments().into_iter().map(|e| e.name).collect()
}

#[test]
fn every_fixture_checks_clean() {
    let paths = fixture_paths();
    let names: Vec<String> = paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    for seed_system in ["webank", "servio", "globepay", "ecommerce", "togetherhood"] {
        assert!(
            names.contains(&format!("{seed_system}.hcl")),
            "fixtures/{seed_system}.hcl is missing"
        );
    }
    let mut failures = Vec::new();
    for path in &paths {
        let model = match Model::load(path) {
            Ok(m) => m,
            Err(ds) => {
                failures.push(format!("{} does not load:\n{ds}", path.display()));
                continue;
            }
        };
        let (envs, diagnostics) = model.check();
        if !diagnostics.0.is_empty() {
            failures.push(format!("{}:\n{diagnostics}", path.display()));
        }
        assert_eq!(envs.len(), model.environments().len(), "{}", path.display());
        assert!(
            !envs.is_empty(),
            "{} declares no environment",
            path.display()
        );
    }
    assert!(
        failures.is_empty(),
        "fixtures with diagnostics:\n{}",
        failures.join("\n")
    );
}

#[test]
fn webank_fans_out_per_backend_and_per_bank() {
    let model = load("webank.hcl");
    let names = env_names(&model);
    let tenants: Vec<&str> = model.tenants().iter().map(|t| t.name.as_str()).collect();
    assert!(
        (3..=4).contains(&tenants.len()),
        "3-4 cooperative banks, found {tenants:?}"
    );

    let mut expected = vec![
        "local".to_owned(),
        "integration-ledgers".into(),
        "integration-mambu".into(),
    ];
    expected.extend(tenants.iter().map(|t| format!("qa-{t}")));
    expected.extend(tenants.iter().map(|t| format!("production-{t}")));
    assert_eq!(
        names, expected,
        "one environment per tier x instance, in promotion order"
    );

    let local = resolve(&model, "local");
    assert_eq!(local.runtime, tierform_model::Runtime::Local);
    for backend in ["ledgers", "mambu"] {
        let env = resolve(&model, &format!("integration-{backend}"));
        let api = &env.app.services["banking-api"];
        assert_eq!(
            api.env["CORE_BANKING_BACKEND"], backend,
            "integration-{backend} talks to {backend}"
        );
    }
    for t in &tenants {
        let prod = resolve(&model, &format!("production-{t}"));
        assert!(
            prod.production && prod.app.databases["accounts"].multi_az,
            "production-{t} is HA"
        );
        assert_eq!(prod.instance.as_deref(), Some(*t));
    }
}

#[test]
fn webank_bugfix_environment_is_a_copy_of_production() {
    let model = load("webank.hcl").with_today(tierform_model::Date::new(2026, 12, 1).unwrap());
    assert!(
        !env_names(&model).iter().any(|n| n.starts_with("bugfix")),
        "ephemeral: none until named"
    );
    // A bug-fix copy is a copy of one bank's production: `bugfix-<tenant>-<ticket>`.
    let bugfix = resolve(&model, "bugfix-vb-rheinaue-1234");
    assert_eq!(bugfix.tier, "bugfix");
    assert_eq!(bugfix.instance.as_deref(), Some("vb-rheinaue-1234"));
    assert_eq!(bugfix.copy_of.as_deref(), Some("production-vb-rheinaue"));
    assert_eq!(bugfix.mirrors.as_deref(), Some("production"));
    assert!(bugfix.ephemeral);
    assert_eq!(
        bugfix.expiry_tag(),
        "2026-12-11",
        "built on 2026-12-01, ten days to live"
    );
    // Every value is that bank's production's (its bank code, BIC and core-banking backend
    // included), but for deletion protection, off so that the copy tears down in one step,
    // and its host (`{instance}.banking…`), its own so that it never answers on the bank's
    // production address.
    let production = resolve(&model, "production-vb-rheinaue");
    let banking = |e: &tierform_model::Environment, k: &str| {
        e.app.services["banking-api"].env.get(k).cloned()
    };
    assert_eq!(banking(&bugfix, "BANK_CODE").as_deref(), Some("37069101"));
    assert_eq!(
        banking(&bugfix, "CORE_BANKING_BACKEND").as_deref(),
        Some("mambu")
    );
    let mut expected = production.app.clone();
    for db in expected.databases.values_mut() {
        db.deletion_protection = false;
    }
    for (name, s) in &mut expected.services {
        s.public = bugfix.app.services[name].public.clone();
    }
    assert_eq!(bugfix.app, expected);
    let web = bugfix.app.services["banking-web"].public.as_ref().unwrap();
    assert_eq!(web.host, "vb-rheinaue-1234.banking.webank.example");
}

#[test]
fn globepay_tiers_match_its_kustomize_overlays() {
    let model = load("globepay.hcl");
    assert_eq!(env_names(&model), ["dev", "staging", "prod"]);
    let prod = resolve(&model, "prod");
    assert!(prod.production);
    assert_eq!(
        prod.app.services.keys().collect::<Vec<_>>(),
        ["backend", "frontend"]
    );
    assert_eq!(resolve(&model, "staging").mirrors.as_deref(), Some("prod"));
}

#[test]
fn servio_staging_has_seed_001_shape() {
    let model = load("servio.hcl");
    let staging = resolve(&model, "staging");
    assert_eq!(staging.mirrors.as_deref(), Some("production"));
    let net = &staging.app.network;
    assert_eq!(
        (net.cidr.as_str(), &net.public_subnets, &net.private_subnets),
        (
            "10.1.0.0/16",
            &vec!["10.1.0.0/24".to_owned(), "10.1.1.0/24".into()],
            &vec!["10.1.2.0/24".to_owned(), "10.1.3.0/24".into()]
        )
    );
    assert_eq!(staging.app.services["app"].port, 3000);
    assert_eq!(
        staging.app.services["app"].health_check.path.as_deref(),
        Some("/health")
    );
    assert_eq!(staging.app.databases["main"].engine_version, "15.15");
    assert_eq!(staging.app.caches["redis"].engine_version, "7.0");
    assert_eq!(staging.state_bucket(), "servio-terraform-state");
    assert_eq!(
        resolve(&model, "local").runtime,
        tierform_model::Runtime::Local
    );
}

#[test]
fn ecommerce_staging_differs_from_production_in_knobs_and_two_exceptions() {
    let model = load("ecommerce.hcl");
    let staging = resolve(&model, "staging");
    let production = resolve(&model, "production");
    let (s, p) = (
        &staging.app.databases["main"],
        &production.app.databases["main"],
    );
    assert_eq!(
        (
            s.instance_class.as_str(),
            s.multi_az,
            s.allocated_storage,
            s.read_replicas
        ),
        ("db.t3.medium", false, 100, 0)
    );
    assert_eq!(
        (
            p.instance_class.as_str(),
            p.multi_az,
            p.allocated_storage,
            p.read_replicas
        ),
        ("db.m5.large", true, 500, 2)
    );
    assert!(staging.app.data_refresh.is_some() && production.app.data_refresh.is_none());
    assert_eq!(
        staging.app.data_refresh.as_ref().unwrap().schedule,
        "0 2 * * 6"
    );
    assert_eq!(
        staging.app.feature_flags.get("new-checkout-flow"),
        Some(&true)
    );
    assert_eq!(
        production.app.feature_flags.get("new-checkout-flow"),
        Some(&false)
    );
    let tier = model.tier("staging").unwrap();
    let mut excepted: Vec<&str> = tier.exceptions.iter().map(|e| e.path.as_str()).collect();
    excepted.sort_unstable();
    assert_eq!(excepted, ["data_refresh", "database.main.read_replicas"]);
}

#[test]
fn togetherhood_sizes_follow_seed_004() {
    let model = load("togetherhood.hcl");
    let staging = resolve(&model, "staging");
    let production = resolve(&model, "production");
    let (s, p) = (
        &staging.app.services["app"],
        &production.app.services["app"],
    );
    assert_eq!((s.cpu, s.memory, s.tag.as_str()), (500, 1024, "staging"));
    assert_eq!((p.cpu, p.memory), (1000, 2048));
    assert_ne!(p.tag, "latest");
    assert_eq!(staging.app.databases["main"].engine_version, "8.4.7");
    assert_eq!(s.public.as_ref().unwrap().host, "staging.togetherhood.com");
    assert_eq!(p.public.as_ref().unwrap().host, "app.togetherhood.com");
}
