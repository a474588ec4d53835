//! `raw.tf`: the spec's raw resources, data sources and modules (the escape hatch), written as
//! the spec gives them. An argument the provider's schema knows as a nested block becomes a
//! block (a list of objects: one block each); `{ ref = "…" }` becomes the reference to what
//! tierform manages in this environment, `{ json = … }` a `jsonencode(…)`. Validation has
//! checked types, arguments and references, so every reference here resolves.

use hcl::{Block, BlockLabel, Body, Expression, Identifier, Object, ObjectKey, Structure};
use serde_json::Value;
use tierform_model::raw::schema::{aws, BlockSchema};
use tierform_model::raw::{typed, DatabaseAttr, RawBlock, Reference, ServiceAttr, Typed};

use super::iam::workload_role;
use super::security::db_sg;
use super::Cx;
use crate::expr::{data, interp, jsonencode, lit, res, template, var};
use crate::module::{Module, TfFile, B};
use crate::names::label;

pub(crate) fn lower(cx: &Cx, m: &mut Module) {
    let schema = aws();
    for (ident, blocks, types) in [
        ("resource", &cx.app.raw_resources, &schema.resources),
        ("data", &cx.app.raw_data, &schema.data_sources),
    ] {
        for (ty, named) in blocks {
            let s = types.get(ty);
            for (name, block) in named {
                let b = if ident == "resource" {
                    B::resource(ty, name)
                } else {
                    B::data(ty, name)
                };
                m.push(
                    TfFile::Raw,
                    format!("{ident} {ty}.{name}"),
                    body(cx, b, block, s),
                );
            }
        }
    }
    for (name, module) in &cx.app.modules {
        let b = module
            .checkov_skip
            .iter()
            .fold(B::new("module").label(name), |b, (id, why)| {
                b.skip(id.clone(), why.clone())
            })
            .attr("source", module.source.as_str())
            .attr_opt("version", module.version.as_deref())
            .gap();
        let b = module
            .inputs
            .iter()
            .fold(b, |b, (k, v)| b.attr(k, value(cx, v)));
        m.push(TfFile::Raw, format!("module {name}"), b);
    }
}

fn body(cx: &Cx, mut b: B, block: &RawBlock, s: Option<&BlockSchema>) -> B {
    for (id, reason) in &block.checkov_skip {
        b = b.skip(id.clone(), reason.clone());
    }
    for (key, v) in &block.arguments {
        match s.and_then(|s| s.blocks.get(key)) {
            Some(inner) => {
                for item in items(v) {
                    b = b.nested(nested(cx, key, item, inner));
                }
            }
            None => b = b.attr(key, value(cx, v)),
        }
    }
    b
}

/// One object per block: a list is a repeated block.
fn items(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    }
}

fn nested(cx: &Cx, ident: &str, v: &Value, s: &BlockSchema) -> Block {
    let mut body = Vec::new();
    for (key, x) in v.as_object().into_iter().flatten() {
        match s.blocks.get(key) {
            Some(inner) => {
                for item in items(x) {
                    body.push(Structure::Block(nested(cx, key, item, inner)));
                }
            }
            None => body.push(Structure::Attribute(hcl::Attribute::new(
                Identifier::unchecked(key),
                value(cx, x),
            ))),
        }
    }
    Block {
        identifier: Identifier::unchecked(ident),
        labels: Vec::<BlockLabel>::new(),
        body: Body(body),
    }
}

/// A raw value as an expression: literals as they are, the typed forms resolved.
fn value(cx: &Cx, v: &Value) -> Expression {
    match typed(v) {
        Some(Typed::Ref(text, suffix)) => {
            let r = reference(cx, text.as_str().unwrap_or_default());
            match (suffix, r) {
                (None, r) => r,
                (Some(s), Expression::String(v)) => Expression::String(format!("{v}{s}")),
                (Some(s), r) => template([interp(r), lit(s)]),
            }
        }
        Some(Typed::Json(inner)) => jsonencode(value(cx, inner)),
        None => match v {
            Value::Null => Expression::Null,
            Value::Bool(b) => Expression::Bool(*b),
            Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Expression::from(i),
                (None, Some(f)) => Expression::from(f),
                _ => Expression::String(n.to_string()),
            },
            Value::String(s) => Expression::String(s.clone()),
            Value::Array(a) => Expression::Array(a.iter().map(|x| value(cx, x)).collect()),
            Value::Object(o) => {
                let mut out = Object::new();
                for (k, x) in o {
                    let key = if tierform_model::raw::is_identifier(k) {
                        ObjectKey::Identifier(Identifier::unchecked(k))
                    } else {
                        ObjectKey::Expression(Expression::String(k.clone()))
                    };
                    out.insert(key, value(cx, x));
                }
                Expression::Object(out)
            }
        },
    }
}

/// What a reference names in this environment's Terraform.
fn reference(cx: &Cx, text: &str) -> Expression {
    let Some(r) = Reference::parse(text) else {
        // Validation refuses unknown references before any emitter runs.
        return Expression::Null;
    };
    match r {
        Reference::EnvName => Expression::String(cx.env.name.clone()),
        Reference::EnvPrefix => Expression::String(cx.prefix.clone()),
        Reference::Region => Expression::String(cx.app.region.clone()),
        Reference::VpcId => res("aws_vpc", "main", "id"),
        Reference::PrivateSubnetIds => cx.private_subnets(),
        Reference::PublicSubnetIds => cx.public_subnets(),
        Reference::KmsKeyArn => cx.kms_arn(),
        Reference::KmsKeyId => res("aws_kms_key", "main", "key_id"),
        Reference::AccountId => data("aws_caller_identity", "current", "account_id"),
        Reference::AccountRootArn => super::account_root(),
        Reference::Database(n, attr) => match attr {
            DatabaseAttr::Address => res("aws_db_instance", &label(&n), "address"),
            DatabaseAttr::Port => res("aws_db_instance", &label(&n), "port"),
            DatabaseAttr::Arn => res("aws_db_instance", &label(&n), "arn"),
            DatabaseAttr::SecurityGroupId => res("aws_security_group", &db_sg(&n), "id"),
        },
        Reference::Service(n, ServiceAttr::SecurityGroupId) => cx.workload_sg(&n),
        Reference::Service(n, ServiceAttr::RoleArn) => {
            res("aws_iam_role", &workload_role(cx, &n), "arn")
        }
        Reference::SecretArn(n) => res("aws_secretsmanager_secret", &label(&n), "arn"),
        Reference::Resource(ty, name, attr) => res(&ty, &name, &attr),
        Reference::Data(ty, name, attr) => data(&ty, &name, &attr),
        Reference::Module(name, output) => var("module").attr(&name).attr(&output).into(),
    }
}

/// Raw blocks whose address tierform already gives one of its own objects: Terraform would
/// refuse the duplicate, so the emitter refuses it first, at the raw block.
pub(crate) fn collisions(m: &Module) -> Vec<tierform_model::Diagnostic> {
    let mut out = Vec::new();
    for b in m.blocks.iter().filter(|b| b.file == TfFile::Raw) {
        let Some(address) = b.address() else { continue };
        let own = m
            .blocks
            .iter()
            .any(|o| o.file != TfFile::Raw && o.address().as_deref() == Some(address.as_str()));
        if own {
            let path = tierform_model::FieldPath(
                b.component.split([' ', '.']).map(str::to_owned).collect(),
            );
            out.push(
                tierform_model::Diagnostic::error(
                    "raw-address-taken",
                    path,
                    format!("`{address}` is an address tierform gives one of its own objects"),
                )
                .with_help("rename the raw block (its name is its Terraform address)"),
            );
        }
    }
    out
}
