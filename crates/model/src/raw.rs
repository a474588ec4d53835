//! The escape hatch: Terraform resources, data sources and modules that tierform has no
//! built-in object for, written in the spec as data (issue 16).
//!
//! A raw block is structure like any other object: parity compares what it emits, and a
//! mirroring tier or a tenant may change only the arguments the block itself lists in `knobs`
//! (the knob table's declared entries, [`crate::knob::DECLARED_KNOBS`]). Arguments are plain
//! data; the only two forms that are not a literal are typed:
//! - `{ ref = "network.vpc_id" }`: something tierform manages, resolved per environment
//!   ([`Reference`]), checked at validation (an unknown one is a located error);
//! - `{ json = { … } }`: a value written as `jsonencode(…)`, for policies and other JSON strings.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub mod schema;

/// `resource "aws_sqs_queue" "jobs" { … }` or `data "aws_iam_policy_document" "x" { … }`: one
/// Terraform block of the AWS provider, its arguments and nested blocks as data. A nested block
/// is an object (`versioning_configuration { status = "Enabled" }`), a repeated one a list of
/// objects (`rule = [{ … }, { … }]`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RawBlock {
    /// Arguments of this block that a mirroring tier or a tenant may change (a dotted path
    /// reaches into a nested block: `versioning_configuration.status`). Everything else is
    /// structure. Names, engines, runtimes and other identity arguments cannot be knobs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub knobs: Vec<String>,
    /// Checkov checks that do not apply to this block, each with its reason (a sentence a
    /// reviewer can judge, as an exception's): written as `# checkov:skip=ID:reason` inside it.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub checkov_skip: IndexMap<String, String>,
    /// The arguments and nested blocks, as the provider names them.
    #[serde(flatten)]
    pub arguments: IndexMap<String, Value>,
}

/// `module "queue" { source = "…" version = "…" inputs = { … } }`: a Terraform module, pinned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawModule {
    /// The module's source: a registry address (`terraform-aws-modules/sqs/aws`) or a git URL
    /// pinned with `?ref=`.
    pub source: String,
    /// The exact registry version (`4.2.1`); required for registry sources, refused for git
    /// sources (they pin with `?ref=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Inputs a mirroring tier or a tenant may change; every other input is structure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub knobs: Vec<String>,
    /// Checkov checks that do not apply to this call, each with its reason.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub checkov_skip: IndexMap<String, String>,
    /// The module's inputs, with the same reference forms as raw arguments.
    #[serde(default)]
    pub inputs: IndexMap<String, Value>,
}

/// `manifest "reports" { knobs = ["spec.schedule"] object = { apiVersion = "batch/v1" … } }`: a
/// Kubernetes object added to the kustomize base of an EKS application. Its namespace and
/// identity labels are the environment's, like every object tierform writes; a mirroring tier
/// or a tenant may change only the fields listed in `knobs`, which the overlays patch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawManifest {
    /// Fields of the object a mirroring tier or a tenant may change, as dotted paths
    /// (`spec.schedule`); never `apiVersion`, `kind` or `metadata`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub knobs: Vec<String>,
    /// The object: `apiVersion`, `kind`, `metadata.name` and the rest, without a namespace.
    /// With `file`, the file's object, and values given here on top of it (a tier's knobs).
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub object: Value,
    /// A YAML file next to the spec holding the object (`k8s/warmer.yaml`): the CLI reads it
    /// and hands it to the model as data ([`crate::resolve::Model::with_manifest_objects`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
}

/// Kinds a raw manifest may not be: secrets hold values (they come from Secrets Manager
/// through External Secrets), and cluster-scoped objects would be shared by every environment
/// of the cluster, outside any one environment's structure.
pub const REFUSED_KINDS: &[&str] = &[
    "Secret",
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "PersistentVolume",
    "StorageClass",
    "PriorityClass",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
];

/// Arguments that name or shape an object rather than size it: a raw block may not declare
/// them knobs, or a tier could swap the object for another one behind the parity gate.
pub const IDENTITY_ARGUMENTS: &[&str] = &[
    "name",
    "name_prefix",
    "bucket",
    "bucket_prefix",
    "function_name",
    "engine",
    "engine_version",
    "runtime",
    "handler",
    "image_uri",
    "source",
    "version",
    "policy",
    "assume_role_policy",
    "role",
    "kms_key_id",
    "kms_master_key_id",
    "vpc_id",
    "subnet_ids",
    "security_group_ids",
    "vpc_config",
    "fifo_queue",
];

/// What a `{ ref = "…" }` may name: the things tierform manages, and other raw blocks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reference {
    /// `env.name`: the environment's name.
    EnvName,
    /// `env.prefix`: `<app>-<env>`, the prefix of every name tierform gives.
    EnvPrefix,
    /// `env.region`: the region.
    Region,
    /// `network.vpc_id`.
    VpcId,
    /// `network.private_subnet_ids`.
    PrivateSubnetIds,
    /// `network.public_subnet_ids`.
    PublicSubnetIds,
    /// `kms.key_arn`: the environment's customer-managed key.
    KmsKeyArn,
    /// `kms.key_id`.
    KmsKeyId,
    /// `account.id`: the AWS account the environment is applied in.
    AccountId,
    /// `account.root_arn`: that account's root principal, for key and resource policies.
    AccountRootArn,
    /// `database.<name>.address` / `.port` / `.arn` / `.security_group_id`.
    Database(String, DatabaseAttr),
    /// `service.<name>.security_group_id` / `.role_arn`.
    Service(String, ServiceAttr),
    /// `secret.<name>.arn`.
    SecretArn(String),
    /// `resource.<type>.<name>.<attribute>`.
    Resource(String, String, String),
    /// `data.<type>.<name>.<attribute>`.
    Data(String, String, String),
    /// `module.<name>.<output>`.
    Module(String, String),
}

/// An attribute of a database a raw block may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseAttr {
    /// The host name.
    Address,
    /// The port.
    Port,
    /// The instance's ARN.
    Arn,
    /// Its security group.
    SecurityGroupId,
}

/// An attribute of a service a raw block may read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceAttr {
    /// The security group its traffic comes from.
    SecurityGroupId,
    /// The IAM role its code runs as (ECS task role, App Runner instance role, EKS pod role).
    RoleArn,
}

/// The fixed references, as written, for messages and "did you mean".
pub const FIXED_REFERENCES: &[&str] = &[
    "env.name",
    "env.prefix",
    "env.region",
    "network.vpc_id",
    "network.private_subnet_ids",
    "network.public_subnet_ids",
    "kms.key_arn",
    "kms.key_id",
    "account.id",
    "account.root_arn",
];

impl Reference {
    /// Parses a reference's text; `None` when it has no known form (names are checked apart).
    pub fn parse(text: &str) -> Option<Reference> {
        let parts: Vec<&str> = text.split('.').collect();
        let r = match parts.as_slice() {
            ["env", "name"] => Reference::EnvName,
            ["env", "prefix"] => Reference::EnvPrefix,
            ["env", "region"] => Reference::Region,
            ["network", "vpc_id"] => Reference::VpcId,
            ["network", "private_subnet_ids"] => Reference::PrivateSubnetIds,
            ["network", "public_subnet_ids"] => Reference::PublicSubnetIds,
            ["kms", "key_arn"] => Reference::KmsKeyArn,
            ["kms", "key_id"] => Reference::KmsKeyId,
            ["account", "id"] => Reference::AccountId,
            ["account", "root_arn"] => Reference::AccountRootArn,
            ["database", name, attr] => Reference::Database(
                (*name).to_owned(),
                match *attr {
                    "address" => DatabaseAttr::Address,
                    "port" => DatabaseAttr::Port,
                    "arn" => DatabaseAttr::Arn,
                    "security_group_id" => DatabaseAttr::SecurityGroupId,
                    _ => return None,
                },
            ),
            ["service", name, attr] => Reference::Service(
                (*name).to_owned(),
                match *attr {
                    "security_group_id" => ServiceAttr::SecurityGroupId,
                    "role_arn" => ServiceAttr::RoleArn,
                    _ => return None,
                },
            ),
            ["secret", name, "arn"] => Reference::SecretArn((*name).to_owned()),
            ["resource", ty, name, attr] if is_identifier(attr) => {
                Reference::Resource((*ty).to_owned(), (*name).to_owned(), (*attr).to_owned())
            }
            ["data", ty, name, attr] if is_identifier(attr) => {
                Reference::Data((*ty).to_owned(), (*name).to_owned(), (*attr).to_owned())
            }
            ["module", name, output] if is_identifier(output) => {
                Reference::Module((*name).to_owned(), (*output).to_owned())
            }
            _ => return None,
        };
        Some(r)
    }
}

/// A Terraform identifier: letters, digits, `_` and `-`, not starting with a digit.
pub fn is_identifier(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A raw value's typed form, if it is one: `{ ref = "…" }` (with an optional `suffix`
/// appended, for names: `{ ref = "env.prefix", suffix = "-dlq" }`) or `{ json = … }`.
pub enum Typed<'a> {
    /// A reference: its text, and the literal suffix appended to it.
    Ref(&'a Value, Option<&'a str>),
    /// A value to write as `jsonencode(…)`.
    Json(&'a Value),
}

/// The typed form of a value, if it is one.
pub fn typed(v: &Value) -> Option<Typed<'_>> {
    let o = v.as_object()?;
    match (o.get("ref"), o.get("suffix"), o.get("json"), o.len()) {
        (Some(r), None, None, 1) => Some(Typed::Ref(r, None)),
        (Some(r), Some(Value::String(s)), None, 2) => Some(Typed::Ref(r, Some(s))),
        (None, None, Some(j), 1) => Some(Typed::Json(j)),
        _ => None,
    }
}

impl crate::resolve::Model {
    /// Locates a diagnostic an emitter found about an environment's spec values (a raw block
    /// whose address tierform already uses): its span from the environment's tree, by path.
    pub fn locate_in(
        &self,
        id: &crate::resolve::EnvironmentId,
        mut d: crate::Diagnostic,
    ) -> crate::Diagnostic {
        if d.span.is_none() {
            d.span = self.tree(id).span_at(d.path.segments());
        }
        d.environments = vec![id.name.clone()];
        self.source().locate(d)
    }
}

impl crate::resolve::Model {
    /// The manifest files the spec names (`manifest "x" { file = "…" }`), each once, with where
    /// it is named: the CLI reads them next to the spec and passes their objects in.
    pub fn manifest_files(&self) -> Vec<(String, Option<crate::Span>)> {
        let mut out: Vec<(String, Option<crate::Span>)> = Vec::new();
        for tree in std::iter::once(&self.base).chain(&self.tier_trees) {
            let Some(manifests) = tree.get("manifest").and_then(|f| f.node.as_object()) else {
                continue;
            };
            for m in manifests.values() {
                if let Some(f) = m.node.get("file") {
                    if let crate::node::Value::String(path) = &f.node.value {
                        if !out.iter().any(|(p, _)| p == path) {
                            out.push((path.clone(), f.node.span));
                        }
                    }
                }
            }
        }
        out
    }

    /// The model with the objects of its manifest files, by the path the spec names them with.
    pub fn with_manifest_objects(
        mut self,
        objects: IndexMap<String, Value>,
    ) -> crate::resolve::Model {
        self.manifest_objects = objects;
        self
    }

    /// Puts each file's object under the values the spec gives (`object`, a tier's knobs).
    pub(crate) fn fill_manifests(&self, app: &mut crate::spec::App) {
        for m in app.manifests.values_mut() {
            let Some(from_file) = m.file.as_ref().and_then(|f| self.manifest_objects.get(f)) else {
                continue;
            };
            let mut object = from_file.clone();
            merge(&mut object, &m.object);
            m.object = object;
        }
    }
}

/// `over` on top of `base`: objects key by key, anything else replaced.
fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(k) {
                    Some(x) => merge(x, v),
                    None => {
                        b.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (_, Value::Null) => {}
        (b, o) => *b = o.clone(),
    }
}
