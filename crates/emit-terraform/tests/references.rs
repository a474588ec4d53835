//! Referential integrity of every emitted root module: each `aws_x.y`, `data.x.y`, `var.x`,
//! `local.x` and `module.x` reference resolves to a block of the same module, and so does
//! every `-target` address of the first apply. The emitted `.tf` text is parsed back with
//! hcl-rs (not the internal representation), over every cloud environment of every fixture
//! and the inline specs of every platform.

mod common;

use std::collections::BTreeSet;

use hcl::expr::{Expression, ObjectKey, TraversalOperator};
use hcl::template::{Directive, Element, Template};
use hcl::{Body, Structure};

/// Roots that are not references to blocks.
const BUILTIN: [&str; 5] = ["each", "count", "self", "path", "terraform"];

#[derive(Default)]
struct Defined {
    addresses: BTreeSet<String>,
}

fn define(body: &Body, d: &mut Defined) {
    for s in body.iter() {
        let Structure::Block(b) = s else { continue };
        let labels: Vec<&str> = b.labels.iter().map(|l| l.as_str()).collect();
        match (b.identifier.as_str(), labels.as_slice()) {
            ("resource", [ty, name]) => {
                d.addresses.insert(format!("{ty}.{name}"));
            }
            ("data", [ty, name]) => {
                d.addresses.insert(format!("data.{ty}.{name}"));
            }
            ("variable", [name]) => {
                d.addresses.insert(format!("var.{name}"));
            }
            ("module", [name]) => {
                d.addresses.insert(format!("module.{name}"));
            }
            ("locals", []) => {
                for s in b.body.iter() {
                    if let Structure::Attribute(a) = s {
                        d.addresses.insert(format!("local.{}", a.key));
                    }
                }
            }
            _ => {}
        }
    }
}

/// The address a traversal refers to, if it refers to a block: `type.name`, `data.t.n`,
/// `var.x`, `local.x`, `module.x`.
fn address(root: &str, ops: &[TraversalOperator]) -> Option<String> {
    let attr = |i: usize| match ops.get(i) {
        Some(TraversalOperator::GetAttr(a)) => Some(a.to_string()),
        _ => None,
    };
    match root {
        "data" => Some(format!("data.{}.{}", attr(0)?, attr(1)?)),
        "var" | "local" | "module" => Some(format!("{root}.{}", attr(0)?)),
        _ => Some(format!("{root}.{}", attr(0)?)),
    }
}

struct Walker<'a> {
    defined: &'a Defined,
    bound: Vec<String>,
    dangling: Vec<String>,
    references: usize,
}

impl Walker<'_> {
    fn reference(&mut self, root: &str, ops: &[TraversalOperator]) {
        if BUILTIN.contains(&root) || self.bound.iter().any(|b| b == root) {
            return;
        }
        self.references += 1;
        match address(root, ops) {
            Some(a) if self.defined.addresses.contains(&a) => {}
            Some(a) => self.dangling.push(a),
            None => self.dangling.push(format!("{root} (not an address)")),
        }
    }

    fn expr(&mut self, e: &Expression) {
        match e {
            Expression::Array(items) => items.iter().for_each(|x| self.expr(x)),
            Expression::Object(o) => {
                for (k, v) in o {
                    if let ObjectKey::Expression(k) = k {
                        self.expr(k);
                    }
                    self.expr(v);
                }
            }
            Expression::TemplateExpr(t) => {
                let t = Template::from_expr(t).expect("emitted templates parse");
                self.template(&t);
            }
            Expression::Variable(v) => self.reference(v.as_str(), &[]),
            Expression::Traversal(t) => {
                for op in &t.operators {
                    if let TraversalOperator::Index(i) = op {
                        self.expr(i);
                    }
                }
                match &t.expr {
                    Expression::Variable(v) => self.reference(v.as_str(), &t.operators),
                    other => self.expr(other),
                }
            }
            Expression::FuncCall(f) => f.args.iter().for_each(|x| self.expr(x)),
            Expression::Parenthesis(x) => self.expr(x),
            Expression::Conditional(c) => {
                self.expr(&c.cond_expr);
                self.expr(&c.true_expr);
                self.expr(&c.false_expr);
            }
            Expression::Operation(op) => match op.as_ref() {
                hcl::expr::Operation::Unary(u) => self.expr(&u.expr),
                hcl::expr::Operation::Binary(b) => {
                    self.expr(&b.lhs_expr);
                    self.expr(&b.rhs_expr);
                }
            },
            Expression::ForExpr(f) => {
                self.expr(&f.collection_expr);
                let n = self.bound.len();
                self.bound.push(f.value_var.to_string());
                if let Some(k) = &f.key_var {
                    self.bound.push(k.to_string());
                }
                if let Some(k) = &f.key_expr {
                    self.expr(k);
                }
                self.expr(&f.value_expr);
                if let Some(c) = &f.cond_expr {
                    self.expr(c);
                }
                self.bound.truncate(n);
            }
            _ => {}
        }
    }

    fn template(&mut self, t: &Template) {
        for el in t.elements() {
            match el {
                Element::Literal(_) => {}
                Element::Interpolation(i) => self.expr(&i.expr),
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(d) => {
                        self.expr(&d.cond_expr);
                        self.template(&d.true_template);
                        if let Some(f) = &d.false_template {
                            self.template(f);
                        }
                    }
                    Directive::For(d) => {
                        self.expr(&d.collection_expr);
                        let n = self.bound.len();
                        self.bound.push(d.value_var.to_string());
                        if let Some(k) = &d.key_var {
                            self.bound.push(k.to_string());
                        }
                        self.template(&d.template);
                        self.bound.truncate(n);
                    }
                },
            }
        }
    }

    fn body(&mut self, body: &Body) {
        for s in body.iter() {
            match s {
                // `provider = aws.x` names a provider configuration, not a block.
                Structure::Attribute(a) if a.key.as_str() == "provider" => {}
                Structure::Attribute(a) => self.expr(&a.expr),
                // `ignore_changes` lists the block's own attributes.
                Structure::Block(b) if b.identifier.as_str() == "lifecycle" => {}
                Structure::Block(b) => self.body(&b.body),
            }
        }
    }
}

#[test]
fn every_reference_resolves_inside_its_root_module() {
    let mut envs = common::inline_envs();
    envs.extend(common::fixture_envs());
    let mut problems = Vec::new();
    let mut references = 0;
    for (spec, env) in &envs {
        let files = tierform_emit_terraform::emit(env).expect("a cloud environment");
        let mut bodies = Vec::new();
        for (path, text) in files.iter() {
            let body: Body = hcl::parse(text)
                .unwrap_or_else(|e| panic!("{spec}/{}/{path}: does not parse: {e}", env.name));
            bodies.push((path.to_string(), body));
        }
        let mut defined = Defined::default();
        for (_, body) in &bodies {
            define(body, &mut defined);
        }
        for (path, body) in &bodies {
            let mut w = Walker {
                defined: &defined,
                bound: Vec::new(),
                dangling: Vec::new(),
                references: 0,
            };
            w.body(body);
            references += w.references;
            for d in w.dangling {
                problems.push(format!(
                    "{spec}/{}/{path}: dangling reference {d}",
                    env.name
                ));
            }
        }
        // The first apply's -target addresses name blocks of this module.
        for stage in tierform_model::first_apply(env) {
            if let tierform_model::ApplyStage::Targets { addresses, .. } = stage {
                for a in addresses {
                    if !defined.addresses.contains(&a) {
                        problems.push(format!(
                            "{spec}/{}: first apply targets {a}, which the module lacks",
                            env.name
                        ));
                    }
                }
            }
        }
    }
    assert!(references > 1000, "checked {references} references");
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn the_checker_finds_a_dangling_reference() {
    let text = r#"
resource "aws_vpc" "main" {}
locals { a = 1 }
resource "aws_subnet" "x" {
  vpc_id = aws_vpc.main.id
  tags   = { n = "${aws_vpc.other.id}-${local.a}-${local.b}" }
  y      = [for s in data.aws_subnets.all.ids : s]
  lifecycle { ignore_changes = [tags] }
}
"#;
    let body: Body = hcl::parse(text).unwrap();
    let mut defined = Defined::default();
    define(&body, &mut defined);
    let mut w = Walker {
        defined: &defined,
        bound: Vec::new(),
        dangling: Vec::new(),
        references: 0,
    };
    w.body(&body);
    assert_eq!(
        w.dangling,
        ["aws_vpc.other", "local.b", "data.aws_subnets.all"]
    );
}
