//! The one internal representation of a root module: hcl-rs blocks, each with the file it goes
//! to, the component it belongs to and a little layout (attribute groups, checkov skips).
//!
//! Both outputs come from it: [`crate::render`] turns it into `.tf` text and [`Module::objects`]
//! into parity data, so the text and the data cannot disagree.

use hcl::{Block, BlockLabel, Body, Expression, Identifier, Structure};
use serde_json::{Map, Value};
use tierform_model::parity::EmittedObject;
use tierform_model::FileSet;

use crate::expr::one_line;

/// The files of a root module, in the order a reviewer reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum TfFile {
    Versions,
    Backend,
    Providers,
    Network,
    Security,
    Database,
    Cache,
    Platform,
    Kubernetes,
    Services,
    LoadBalancer,
    Secrets,
    Iam,
    Observability,
    Dns,
    /// Raw resources, data sources and modules the spec declares (the escape hatch).
    Raw,
    /// Buckets, queues and topics.
    Storage,
    Outputs,
    /// A shared module's inputs (module layout).
    Variables,
    /// A root module's call of its shared module (module layout).
    Main,
    /// A shared module's account and partition lookups (module layout).
    Account,
}

impl TfFile {
    /// Every file, in order.
    pub(crate) const ALL: [TfFile; 21] = [
        TfFile::Versions,
        TfFile::Backend,
        TfFile::Providers,
        TfFile::Network,
        TfFile::Security,
        TfFile::Database,
        TfFile::Cache,
        TfFile::Platform,
        TfFile::Kubernetes,
        TfFile::Services,
        TfFile::LoadBalancer,
        TfFile::Secrets,
        TfFile::Iam,
        TfFile::Observability,
        TfFile::Dns,
        TfFile::Raw,
        TfFile::Storage,
        TfFile::Outputs,
        TfFile::Variables,
        TfFile::Main,
        TfFile::Account,
    ];

    /// The file name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            TfFile::Versions => "versions.tf",
            TfFile::Backend => "backend.tf",
            TfFile::Providers => "providers.tf",
            TfFile::Network => "network.tf",
            TfFile::Security => "security.tf",
            TfFile::Database => "database.tf",
            TfFile::Cache => "cache.tf",
            TfFile::Platform => "platform.tf",
            TfFile::Kubernetes => "kubernetes.tf",
            TfFile::Services => "services.tf",
            TfFile::LoadBalancer => "loadbalancer.tf",
            TfFile::Secrets => "secrets.tf",
            TfFile::Iam => "iam.tf",
            TfFile::Observability => "observability.tf",
            TfFile::Dns => "dns.tf",
            TfFile::Raw => "raw.tf",
            TfFile::Storage => "storage.tf",
            TfFile::Outputs => "outputs.tf",
            TfFile::Variables => "variables.tf",
            TfFile::Main => "main.tf",
            TfFile::Account => "account.tf",
        }
    }
}

/// A checkov check that does not apply to one block, and why. Rendered as an inline
/// `# checkov:skip=ID:reason` comment inside the block, where checkov looks for it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Skip {
    pub id: String,
    pub reason: String,
}

/// One top-level block and where it goes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TopBlock {
    pub file: TfFile,
    pub component: String,
    pub block: Block,
    /// Indexes of body items that start a new group of attributes (a blank line before them).
    pub gaps: Vec<usize>,
    pub skips: Vec<Skip>,
}

impl TopBlock {
    /// The Terraform address of a resource (`aws_vpc.main`) or data source
    /// (`data.aws_availability_zones.available`), or `locals`; `None` for settings and outputs.
    pub(crate) fn address(&self) -> Option<String> {
        self.address_after("")
    }

    /// `prefix` then the [`TopBlock::address`], written once (parity's ids: `terraform:<address>`).
    fn address_after(&self, prefix: &str) -> Option<String> {
        let label = |i: usize| self.block.labels[i].as_str();
        let mut out = String::with_capacity(prefix.len() + 64);
        out.push_str(prefix);
        match (self.block.identifier.as_str(), self.block.labels.len()) {
            ("resource", 2) => {}
            ("data", 2) => out.push_str("data."),
            ("module", 1) => {
                out.push_str("module.");
                out.push_str(label(0));
                return Some(out);
            }
            ("locals", 0) => {
                out.push_str("locals");
                return Some(out);
            }
            _ => return None,
        }
        out.push_str(label(0));
        out.push('.');
        out.push_str(label(1));
        Some(out)
    }
}

/// A whole root module.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Module {
    pub blocks: Vec<TopBlock>,
}

impl Module {
    /// Adds a block to a file, under a component.
    pub(crate) fn push(&mut self, file: TfFile, component: impl Into<String>, b: B) {
        let (block, gaps, skips) = b.finish();
        self.blocks.push(TopBlock {
            file,
            component: component.into(),
            block,
            gaps,
            skips,
        });
    }

    /// The `.tf` files, each with the generated-code header; files without blocks are left out.
    pub(crate) fn files(&self) -> FileSet {
        let mut out = FileSet::new();
        for file in TfFile::ALL {
            let blocks: Vec<&TopBlock> = self.blocks.iter().filter(|b| b.file == file).collect();
            if !blocks.is_empty() {
                out.insert(file.name(), crate::render::file(&blocks));
            }
        }
        out
    }

    /// One [`EmittedObject`] per resource and data block (and the `locals` block: subnet
    /// layouts live there). Consumes the module: its strings move into the objects instead of
    /// being copied (parity emits a module only to read it as data).
    pub(crate) fn into_objects(self) -> Vec<EmittedObject> {
        self.into_emitted(body_json)
    }

    /// The objects of [`Module::into_objects`], data left `null`: which objects there are,
    /// without converting any body.
    pub(crate) fn into_presence(self) -> Vec<EmittedObject> {
        self.into_emitted(|_| Value::Null)
    }

    fn into_emitted(self, data: fn(Body) -> Value) -> Vec<EmittedObject> {
        self.blocks
            .into_iter()
            .filter_map(|b| {
                Some(EmittedObject {
                    id: b.address_after("terraform:")?,
                    component: b.component,
                    data: data(b.block.body),
                })
            })
            .collect()
    }
}

/// A block's arguments and nested blocks as JSON. Nested blocks are always lists (a block type
/// may repeat); references and other expressions are their HCL text; `jsonencode(x)` is the
/// JSON of `x`, so that parity sees into task definitions and policies field by field.
pub(crate) fn body_json(body: Body) -> Value {
    let body = body.into_inner();
    let mut m = Map::with_capacity(body.len());
    for s in body {
        match s {
            Structure::Attribute(a) => {
                m.insert(a.key.into_inner(), expr_json(a.expr));
            }
            Structure::Block(b) => {
                let entry = m
                    .entry(b.identifier.into_inner())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(list) = entry {
                    let mut inner = body_json(b.body);
                    if !b.labels.is_empty() {
                        if let Value::Object(o) = &mut inner {
                            let labels = b
                                .labels
                                .into_iter()
                                .map(|l| {
                                    Value::String(match l {
                                        BlockLabel::Identifier(i) => i.into_inner(),
                                        BlockLabel::String(s) => s,
                                    })
                                })
                                .collect();
                            o.insert("@labels".into(), Value::Array(labels));
                        }
                    }
                    list.push(inner);
                }
            }
        }
    }
    Value::Object(m)
}

fn expr_json(e: Expression) -> Value {
    match e {
        Expression::Null => Value::Null,
        Expression::Bool(b) => Value::Bool(b),
        Expression::Number(n) => number_json(&n),
        Expression::String(s) => Value::String(s),
        Expression::Array(items) => Value::Array(items.into_iter().map(expr_json).collect()),
        Expression::Object(o) => {
            let mut m = Map::with_capacity(o.len());
            for (k, v) in o {
                let key = match k {
                    hcl::ObjectKey::Identifier(i) => i.into_inner(),
                    hcl::ObjectKey::Expression(Expression::String(s)) => s,
                    hcl::ObjectKey::Expression(other) => one_line(&other),
                    _ => String::new(),
                };
                m.insert(key, expr_json(v));
            }
            Value::Object(m)
        }
        Expression::FuncCall(f) if f.name.name.as_str() == "jsonencode" && f.args.len() == 1 => {
            expr_json(f.args.into_iter().next().expect("one argument"))
        }
        other => Value::String(one_line(&other)),
    }
}

/// A number as `serde_json` serialises it (hcl-rs serialises whole numbers as `u64` or `i64`
/// and others as `f64`, which JSON has no room for when not finite: `null`).
fn number_json(n: &hcl::Number) -> Value {
    if n.is_f64() {
        n.as_f64().map_or(Value::Null, Value::from)
    } else if let Some(u) = n.as_u64() {
        Value::from(u)
    } else {
        n.as_i64()
            .map_or_else(|| Value::String(n.to_string()), Value::from)
    }
}

/// A block under construction: hcl-rs structures in order, plus layout hints that only the
/// renderer reads (they never change the meaning).
#[derive(Debug, Clone)]
pub(crate) struct B {
    ident: &'static str,
    labels: Vec<BlockLabel>,
    body: Vec<Structure>,
    gaps: Vec<usize>,
    skips: Vec<Skip>,
}

impl B {
    /// A block with an identifier and labels (`terraform`, `provider "aws"`, nested blocks).
    pub(crate) fn new(ident: &'static str) -> B {
        B {
            ident,
            labels: Vec::new(),
            body: Vec::new(),
            gaps: Vec::new(),
            skips: Vec::new(),
        }
    }
    /// `resource "<ty>" "<name>"`.
    pub(crate) fn resource(ty: &str, name: &str) -> B {
        B::new("resource").label(ty).label(name)
    }
    /// `data "<ty>" "<name>"`.
    pub(crate) fn data(ty: &str, name: &str) -> B {
        B::new("data").label(ty).label(name)
    }
    /// Adds a label.
    pub(crate) fn label(mut self, l: &str) -> B {
        self.labels.push(BlockLabel::String(l.to_owned()));
        self
    }
    /// Adds an argument.
    pub(crate) fn attr(mut self, key: &str, value: impl Into<Expression>) -> B {
        self.body.push(Structure::Attribute(hcl::Attribute::new(
            Identifier::unchecked(key),
            value.into(),
        )));
        self
    }
    /// Adds an argument when it has a value.
    pub(crate) fn attr_opt(self, key: &str, value: Option<impl Into<Expression>>) -> B {
        match value {
            Some(v) => self.attr(key, v),
            None => self,
        }
    }
    /// Adds a nested block.
    pub(crate) fn block(mut self, b: B) -> B {
        self.body.push(Structure::Block(b.finish().0));
        self
    }
    /// Adds nested blocks.
    pub(crate) fn blocks(self, bs: impl IntoIterator<Item = B>) -> B {
        bs.into_iter().fold(self, B::block)
    }
    /// Starts a new group of arguments: a blank line before the next item.
    pub(crate) fn gap(mut self) -> B {
        if !self.body.is_empty() {
            self.gaps.push(self.body.len());
        }
        self
    }
    /// Records a checkov check that does not apply to this block.
    pub(crate) fn skip(mut self, id: impl Into<String>, reason: impl Into<String>) -> B {
        self.skips.push(Skip {
            id: id.into(),
            reason: reason.into(),
        });
        self
    }
    /// Adds a nested block built elsewhere (raw blocks name theirs at run time).
    pub(crate) fn nested(mut self, b: Block) -> B {
        self.body.push(Structure::Block(b));
        self
    }
    /// Applies `f`: a part shared by several blocks, kept inside one builder chain.
    pub(crate) fn with(self, f: impl FnOnce(B) -> B) -> B {
        f(self)
    }
    /// Applies `f` when `cond` holds (keeps builder chains flat).
    pub(crate) fn when(self, cond: bool, f: impl FnOnce(B) -> B) -> B {
        if cond {
            f(self)
        } else {
            self
        }
    }
    fn finish(self) -> (Block, Vec<usize>, Vec<Skip>) {
        let block = Block {
            identifier: Identifier::unchecked(self.ident),
            labels: self.labels,
            // The vector as it is: `Body::from` would copy it into a new one.
            body: Body(self.body),
        };
        (block, self.gaps, self.skips)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::{jsonencode, object, res};

    #[test]
    fn addresses_of_every_kind_of_block() {
        let mut m = Module::default();
        m.push(TfFile::Network, "n", B::resource("aws_vpc", "main"));
        m.push(
            TfFile::Network,
            "n",
            B::new("data").label("aws_region").label("current"),
        );
        m.push(TfFile::Network, "n", B::new("module").label("vpc"));
        m.push(TfFile::Network, "n", B::new("locals"));
        m.push(TfFile::Outputs, "n", B::new("output").label("vpc_id"));
        m.push(TfFile::Versions, "n", B::new("terraform"));
        let addresses: Vec<Option<String>> = m.blocks.iter().map(TopBlock::address).collect();
        assert_eq!(
            addresses,
            [
                Some("aws_vpc.main".to_owned()),
                Some("data.aws_region.current".to_owned()),
                Some("module.vpc".to_owned()),
                Some("locals".to_owned()),
                None,
                None
            ]
        );
        let ids: Vec<String> = m.into_presence().into_iter().map(|o| o.id).collect();
        assert_eq!(
            ids,
            [
                "terraform:aws_vpc.main",
                "terraform:data.aws_region.current",
                "terraform:module.vpc",
                "terraform:locals"
            ]
        );
    }

    #[test]
    fn json_keeps_references_as_text_and_sees_through_jsonencode() {
        let mut m = Module::default();
        m.push(
            TfFile::Network,
            "network",
            B::resource("aws_subnet", "public")
                .attr("vpc_id", res("aws_vpc", "main", "id"))
                .attr(
                    "policy",
                    jsonencode(object([("Version", Expression::from("2012-10-17"))])),
                )
                .block(B::new("timeouts").attr("create", "10m")),
        );
        let o = &m.clone().into_objects()[0];
        assert_eq!(o.id, "terraform:aws_subnet.public");
        assert_eq!(
            o.data,
            serde_json::json!({"vpc_id": "aws_vpc.main.id", "policy": {"Version": "2012-10-17"}, "timeouts": [{"create": "10m"}]})
        );
    }
}
