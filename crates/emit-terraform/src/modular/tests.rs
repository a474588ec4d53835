//! The module layout's promise, on every cloud environment of every fixture: the module
//! instantiated with the root's arguments is the environment's own Terraform.

use std::collections::BTreeMap;

use hcl::expr::{Operation, TemplateExpr, TraversalOperator, UnaryOperator};
use hcl::{Body, Expression, Structure};
use tierform_model::{Environment, Runtime};

use super::*;
use crate::module::Skip;

/// The declared environments of a spec and an ephemeral copy of each ephemeral tier, with the
/// declared environments' names (what a build's layout is made from).
fn declared_and_copies(
    model: &tierform_model::Model,
) -> (Vec<tierform_model::EnvironmentId>, Vec<String>) {
    let mut ids = model.environments();
    let names: Vec<String> = ids.iter().map(|id| id.name.clone()).collect();
    ids.extend(
        model
            .tiers()
            .iter()
            .filter(|t| t.ephemeral)
            .filter_map(|t| model.sample_copy(t, "42")),
    );
    (ids, names)
}

/// Every cloud environment of every fixture, with the fixture's name and the layout of the
/// fixture.
fn fixture_envs() -> Vec<(String, Environment, ModuleLayout)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut names: Vec<_> = std::fs::read_dir(root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "hcl"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for path in names {
        let model = tierform_model::Model::load(&path).expect("fixtures load");
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let (ids, names) = declared_and_copies(&model);
        for id in ids {
            let env = model.resolve(&id).expect("fixtures resolve");
            if env.runtime == Runtime::Cloud {
                let layout = ModuleLayout::new(names.iter().map(String::as_str));
                out.push((name.clone(), env, layout));
            }
        }
    }
    out
}

/// `var.<name>` and `var.<name>[i]` replaced by the arguments.
fn instantiate(e: &Expression, args: &BTreeMap<String, Expression>) -> Expression {
    let lookup = |e: &Expression| -> Option<Expression> {
        let Expression::Traversal(t) = e else {
            return None;
        };
        let Expression::Variable(v) = &t.expr else {
            return None;
        };
        if v.as_str() != "var" {
            return None;
        }
        let Some(TraversalOperator::GetAttr(name)) = t.operators.first() else {
            return None;
        };
        let value = args
            .get(name.as_str())
            .unwrap_or_else(|| panic!("no argument {name}"));
        match t.operators.get(1) {
            None => Some(value.clone()),
            Some(TraversalOperator::Index(Expression::Number(i))) => match value {
                Expression::Array(items) => Some(items[i.as_u64().unwrap() as usize].clone()),
                _ => panic!("{name} is not a list"),
            },
            Some(op) => panic!("unexpected {op:?}"),
        }
    };
    if let Some(v) = lookup(e) {
        return v;
    }
    match e {
        Expression::Array(items) => {
            Expression::Array(items.iter().map(|i| instantiate(i, args)).collect())
        }
        Expression::Object(o) => Expression::Object(
            o.iter()
                .map(|(k, v)| (k.clone(), instantiate(v, args)))
                .collect(),
        ),
        Expression::FuncCall(f) => {
            let mut f = (**f).clone();
            for a in &mut f.args {
                *a = instantiate(a, args);
            }
            Expression::FuncCall(Box::new(f))
        }
        Expression::Operation(op) => match &**op {
            Operation::Unary(u) if u.operator == UnaryOperator::Not => {
                match instantiate(&u.expr, args) {
                    Expression::Bool(b) => Expression::Bool(!b),
                    other => panic!("not a bool: {other:?}"),
                }
            }
            _ => e.clone(),
        },
        Expression::TemplateExpr(t) => match &**t {
            TemplateExpr::QuotedString(s) => Expression::TemplateExpr(Box::new(
                TemplateExpr::QuotedString(instantiate_text(s, args, true)),
            )),
            _ => e.clone(),
        },
        _ => e.clone(),
    }
}

/// `${var.x}` (in a template) or `var.x` (in a comment) replaced by the argument's text.
fn instantiate_text(s: &str, args: &BTreeMap<String, Expression>, template: bool) -> String {
    let text = |e: &Expression| match e {
        Expression::String(s) => s.clone(),
        Expression::Number(n) => n.to_string(),
        Expression::Bool(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    };
    let mut out = String::new();
    let mut rest = s;
    let open = if template { "${var." } else { "var." };
    while let Some(at) = rest.find(open) {
        out.push_str(&rest[..at]);
        let after = &rest[at + open.len()..];
        let len = after
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(after.len());
        let name = &after[..len];
        let mut value = args
            .get(name)
            .unwrap_or_else(|| panic!("no argument {name}"))
            .clone();
        let mut tail = &after[len..];
        if let Some(idx) = tail.strip_prefix('[') {
            let close = idx.find(']').unwrap();
            let i: usize = idx[..close].parse().unwrap();
            value = match value {
                Expression::Array(items) => items[i].clone(),
                _ => panic!("{name} is not a list"),
            };
            tail = &idx[close + 1..];
        }
        if template {
            tail = tail.strip_prefix('}').expect("an interpolation ends");
            crate::expr::escape_template_literal(&mut out, &text(&value));
        } else {
            out.push_str(&text(&value));
        }
        rest = tail;
    }
    out.push_str(rest);
    out
}

fn instantiate_body(b: &Body, args: &BTreeMap<String, Expression>) -> Body {
    Body(
        b.iter()
            .map(|s| match s {
                Structure::Attribute(a) => Structure::Attribute(hcl::Attribute::new(
                    a.key.clone(),
                    instantiate(&a.expr, args),
                )),
                Structure::Block(x) => {
                    let mut x = x.clone();
                    x.body = instantiate_body(&x.body, args);
                    Structure::Block(x)
                }
            })
            .collect(),
    )
}

/// The real module's files but the root's, with the account lookups where the module puts
/// them.
fn real_module_files(env: &Environment) -> tierform_model::FileSet {
    let mut real = crate::lower::module(env);
    real.blocks.retain(|b| {
        !(b.file == TfFile::Backend
            || (b.file == TfFile::Providers && b.block.identifier.as_str() == "provider"))
    });
    for b in &mut real.blocks {
        if b.file == TfFile::Providers {
            b.file = TfFile::Account;
        }
    }
    real.files()
}

#[test]
fn the_module_instantiated_with_the_roots_arguments_is_the_environments_terraform() {
    let envs = fixture_envs();
    assert!(envs.len() > 10, "{} environments", envs.len());
    for (fixture, env, layout) in &envs {
        let (mut module, root) = layout.parts(env).unwrap();
        let args: BTreeMap<String, Expression> = root
            .arguments()
            .map(|(n, v)| (n.to_owned(), v.clone()))
            .collect();
        module.blocks.retain(|b| b.file != TfFile::Variables);
        for b in &mut module.blocks {
            b.block.body = instantiate_body(&b.block.body, &args);
            b.skips = b
                .skips
                .iter()
                .map(|s| Skip {
                    id: s.id.clone(),
                    reason: instantiate_text(&s.reason, &args, false),
                })
                .collect();
        }
        let got = module.files();
        let want = real_module_files(env);
        for (path, text) in want.iter() {
            let g = got.get(path.as_str()).unwrap_or_default();
            assert_eq!(g, text, "{fixture} {} {path}", env.name);
        }
        assert_eq!(got.len(), want.len(), "{fixture} {}", env.name);
    }
}

/// How many modules the fixtures' environments make, and how many arguments each root
/// passes: the figures the layout is for.
#[test]
fn environments_of_one_tier_share_a_module() {
    let mut by_fixture: BTreeMap<String, BTreeMap<u128, Vec<String>>> = BTreeMap::new();
    for (fixture, env, layout) in fixture_envs() {
        let split = layout.split(&env).unwrap();
        by_fixture
            .entry(fixture)
            .or_default()
            .entry(split.digest())
            .or_default()
            .push(env.name.clone());
    }
    let webank = &by_fixture["webank"];
    let group_of = |name: &str| {
        webank
            .values()
            .find(|g| g.iter().any(|n| n == name))
            .unwrap()
    };
    let production = group_of("production-vb-rheinaue");
    for tenant in [
        "production-rb-alpenvorland",
        "production-vr-nordheide",
        "bugfix-vb-rheinaue-42",
    ] {
        assert!(production.iter().any(|n| n == tenant), "{webank:#?}");
    }
    for (fixture, groups) in &by_fixture {
        eprintln!("{fixture}: {:?}", groups.values().collect::<Vec<_>>());
    }
}

/// Every cloud environment of every fixture and of every adversarial spec that loads, by
/// spec: its environments share one layout, as in a build.
fn specs_with_environments() -> Vec<(String, Vec<Environment>, Vec<String>)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
    let mut paths = Vec::new();
    for dir in [root.clone(), root.join("adversarial"), root.join("bench")] {
        paths.extend(
            std::fs::read_dir(dir)
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "hcl")),
        );
    }
    paths.sort();
    let mut out = Vec::new();
    for path in paths {
        let Ok(model) = tierform_model::Model::load(&path) else {
            continue;
        };
        let (ids, names) = declared_and_copies(&model);
        let envs: Vec<Environment> = ids
            .iter()
            .filter_map(|id| model.resolve(id).ok())
            .filter(|e| e.runtime == Runtime::Cloud)
            .collect();
        if !envs.is_empty() {
            out.push((path.display().to_string(), envs, names));
        }
    }
    out
}

/// The plain path, as the layout was before it reused anything: a layout of its own for
/// the environment (nothing emitted before to reuse), every flip's values compared, its module
/// rendered and hashed.
fn plain_split(env: &Environment, names: &[String]) -> (u128, FileSet, FileSet) {
    let mut layout = ModuleLayout::new(names.iter().map(String::as_str));
    layout.compare_every_flip = true;
    let (module, root) = layout.parts(env).unwrap();
    let files = module.files();
    (digest(&files), files, root.files("../modules/x"))
}

/// Reusing probes and rendered modules across the environments of a build changes no byte:
/// every environment's digest, module files and root files are the plain path's, and the
/// reuse does happen (tenants of a tier share the module's files, not copies of them).
#[test]
fn reuse_across_environments_gives_the_plain_paths_bytes() {
    let mut shared_somewhere = 0;
    for (spec, envs, names) in specs_with_environments() {
        let layout = ModuleLayout::new(names.iter().map(String::as_str));
        let splits: Vec<Split> = envs.iter().map(|e| layout.split(e).unwrap()).collect();
        for (env, split) in envs.iter().zip(&splits) {
            let (digest, module, root) = plain_split(env, &names);
            assert_eq!(split.digest(), digest, "{spec} {}", env.name);
            assert_eq!(split.module_files(), &module, "{spec} {}", env.name);
            assert_eq!(
                split.root().files("../modules/x"),
                root,
                "{spec} {}",
                env.name
            );
        }
        for (i, a) in splits.iter().enumerate() {
            if splits[..i]
                .iter()
                .any(|b| Arc::ptr_eq(&a.module, &b.module))
            {
                shared_somewhere += 1;
            }
        }
    }
    assert!(
        shared_somewhere > 5,
        "{shared_somewhere} splits reused a module"
    );
}

/// A key only says where to look for a module to reuse: environments with different modules
/// filed under one key (as if their probe environments were equal) keep their own bytes.
#[test]
fn a_shared_key_never_merges_different_modules() {
    let mut distinct = 0;
    for (spec, envs, names) in specs_with_environments() {
        let layout = ModuleLayout::new(names.iter().map(String::as_str));
        let mut digests = BTreeMap::new();
        for env in &envs {
            let (module, root) = layout.parts(env).unwrap();
            let split = layout.finish("one key for all".to_owned(), module, root);
            let (digest, files, _) = plain_split(env, &names);
            assert_eq!(split.digest(), digest, "{spec} {}", env.name);
            assert_eq!(split.module_files(), &files, "{spec} {}", env.name);
            digests.insert(digest, ());
        }
        distinct += digests.len().saturating_sub(1);
    }
    assert!(
        distinct > 5,
        "only {distinct} specs with more than one module"
    );
}

/// The reference the index of counterparts replaces: a linear search for the block with the
/// same file, kind and labels and as many such blocks before it.
fn counterpart_by_search<'p>(
    real: &[TopBlock],
    i: usize,
    probe: &'p [TopBlock],
) -> Option<&'p TopBlock> {
    let same = |a: &TopBlock, b: &TopBlock| {
        a.file == b.file
            && a.block.identifier == b.block.identifier
            && a.block.labels.len() == b.block.labels.len()
            && a.block
                .labels
                .iter()
                .zip(&b.block.labels)
                .all(|(x, y)| x.as_str() == y.as_str())
    };
    let r = &real[i];
    let nth = real[..i].iter().filter(|b| same(b, r)).count();
    probe.iter().filter(|b| same(b, r)).nth(nth)
}

#[test]
fn the_index_of_counterparts_finds_what_a_search_finds() {
    let mut found = 0;
    for (spec, envs, names) in specs_with_environments() {
        for env in &envs {
            let real = crate::lower::module(env);
            let app = serde_json::to_value(&env.app).unwrap();
            let layout = ModuleLayout::new(names.iter().map(String::as_str));
            let inputs = Inputs::of(env, &app, &layout.schema, layout.name_width);
            let mut probes: Vec<Module> = [Probe::Near, Probe::Far { flips: 1 }]
                .into_iter()
                .filter_map(|p| probe_env(env, &app, &inputs, p))
                .map(|e| crate::lower::module(&e))
                .collect();
            // And a probe with blocks moved and dropped.
            let mut shuffled = real.clone();
            shuffled.blocks.reverse();
            shuffled.blocks.truncate(shuffled.blocks.len() / 2);
            probes.push(shuffled);
            probes.push(real.clone());
            let signatures: Vec<String> = real.blocks.iter().map(signature).collect();
            let places = ordinals(&signatures);
            for p in &probes {
                let index = Counterparts::new(&p.blocks);
                for i in 0..real.blocks.len() {
                    let want = counterpart_by_search(&real.blocks, i, &p.blocks);
                    let got = index.of(&p.blocks, &signatures[i], places[i]);
                    assert_eq!(
                        got.map(|b| b as *const TopBlock),
                        want.map(|b| b as *const TopBlock),
                        "{spec} {} block {i}",
                        env.name
                    );
                    found += usize::from(got.is_some());
                }
            }
        }
    }
    assert!(found > 1000, "{found}");
}

/// A root kept as text renders the files the blocks render, whatever the module's folder.
#[test]
fn a_rendered_root_gives_the_files_of_its_blocks() {
    let mut cut = 0;
    for (spec, envs, names) in specs_with_environments() {
        let layout = ModuleLayout::new(names.iter().map(String::as_str));
        for env in &envs {
            let root = layout.split(env).unwrap().into_root();
            let rendered = root.rendered();
            cut += usize::from(matches!(rendered.0, Rendering::Cut { .. }));
            for source in [
                "../modules/production",
                "../modules/production-acme-2",
                "../modules/a\"b${x}%{y}\\z",
                "",
            ] {
                assert_eq!(
                    rendered.files(source),
                    root.files(source),
                    "{spec} {} {source}",
                    env.name
                );
            }
        }
    }
    assert!(cut > 10, "{cut} roots cut");
}
