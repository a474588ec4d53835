//! The spec as a tree of located values, the one shape that both HCL and JSON specs are read
//! into. Tier, tenant and instance overrides are merged at this level, so every leaf of a
//! resolved environment still knows which layer set it and where (that is what
//! `tierform explain` prints, and where override errors point).

use std::sync::Arc;

use hcl_edit::expr::{Expression, ObjectKey, UnaryOperator};
use hcl_edit::structure::{Body, Structure};
use hcl_edit::Span as _;
use indexmap::IndexMap;

use crate::diagnostic::{Diagnostic, FieldPath, Span};

/// Which layer of the spec set a value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Layer {
    /// The base spec (outside any `tier` or `tenant` block).
    Base,
    /// A `tier "NAME"` block.
    Tier(Arc<str>),
    /// A `tenant "NAME"` block, applied to every tier fanned out per tenant.
    Tenant(Arc<str>),
    /// An `instance "NAME"` block inside a tier.
    Instance(Arc<str>, Arc<str>),
}

impl std::fmt::Display for Layer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Layer::Base => f.write_str("base spec"),
            Layer::Tier(t) => write!(f, "tier \"{t}\""),
            Layer::Tenant(t) => write!(f, "tenant \"{t}\""),
            Layer::Instance(t, i) => write!(f, "instance \"{i}\" of tier \"{t}\""),
        }
    }
}

/// A value with where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: Value,
    /// Its position in the spec (none for JSON specs).
    pub span: Option<Span>,
    /// The layer that set it.
    pub layer: Layer,
}

/// An object field: its key, the key's position, and the value.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The position of the key (attribute name or block label).
    pub key_span: Option<Span>,
    /// The value.
    pub node: Node,
}

/// The value of a node.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`: in an override, unsets an optional value.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A whole number.
    Int(i64),
    /// A number with a fraction, or too large for `i64`.
    Float(f64),
    /// A string.
    String(String),
    /// A list.
    Array(Vec<Node>),
    /// Attributes and blocks, in spec order.
    Object(IndexMap<String, Field>),
}

impl Value {
    /// A short name of the type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "a list",
            Value::Object(_) => "a block",
        }
    }
}

/// How deep blocks and values may nest. Real specs need about 6 levels; the bound keeps
/// hostile input from exhausting the stack in the parser or in our recursive passes.
pub const MAX_DEPTH: usize = 32;

impl Node {
    /// An object node.
    pub fn object(fields: IndexMap<String, Field>, span: Option<Span>, layer: Layer) -> Node {
        Node {
            value: Value::Object(fields),
            span,
            layer,
        }
    }
    /// The fields if this is an object.
    pub fn as_object(&self) -> Option<&IndexMap<String, Field>> {
        match &self.value {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }
    /// Mutable fields if this is an object.
    pub fn as_object_mut(&mut self) -> Option<&mut IndexMap<String, Field>> {
        match &mut self.value {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }
    /// The string if this is a string.
    #[cfg(test)]
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    /// The child at `key` if this is an object.
    pub fn get(&self, key: &str) -> Option<&Field> {
        self.as_object()?.get(key)
    }
    /// The node at a path of object keys and list indexes.
    pub fn lookup<'a>(&self, path: impl IntoIterator<Item = &'a str>) -> Option<&Node> {
        let mut node = self;
        for seg in path {
            node = match &node.value {
                Value::Object(o) => &o.get(seg)?.node,
                Value::Array(a) => a.get(seg.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(node)
    }
    /// The deepest span on a path: the node's own, or its closest ancestor's.
    pub fn span_at<'a>(&self, path: impl IntoIterator<Item = &'a str>) -> Option<Span> {
        let mut node = self;
        let mut span = node.span;
        for seg in path {
            let next = match &node.value {
                Value::Object(o) => o.get(seg).map(|f| &f.node),
                Value::Array(a) => seg.parse::<usize>().ok().and_then(|i| a.get(i)),
                _ => None,
            };
            match next {
                Some(n) => {
                    node = n;
                    span = n.span.or(span);
                }
                None => break,
            }
        }
        span
    }
    /// Sets the layer of this node and everything below it.
    pub fn set_layer(&mut self, layer: &Layer) {
        self.layer = layer.clone();
        match &mut self.value {
            Value::Array(a) => a.iter_mut().for_each(|n| n.set_layer(layer)),
            Value::Object(o) => o.values_mut().for_each(|f| f.node.set_layer(layer)),
            _ => {}
        }
    }
    /// Applies an override on top of this node: objects merge key by key, anything else is
    /// replaced whole (lists included: a tier that sets a list sets all of it).
    pub fn merge(&mut self, over: &Node) {
        match (&mut self.value, &over.value) {
            (Value::Object(base), Value::Object(top)) => {
                for (k, f) in top {
                    match base.get_mut(k) {
                        Some(b) => b.node.merge(&f.node),
                        None => {
                            base.insert(k.clone(), f.clone());
                        }
                    }
                }
            }
            _ => *self = over.clone(),
        }
    }
    /// Every leaf (non-object value) with its path, depth first in spec order. Empty objects
    /// count as leaves so that an added empty block is still seen.
    pub fn leaves<'a>(&'a self, path: &mut Vec<&'a str>, out: &mut Vec<(FieldPath, &'a Node)>) {
        match &self.value {
            Value::Object(o) if !o.is_empty() => {
                for (k, f) in o {
                    path.push(k);
                    f.node.leaves(path, out);
                    path.pop();
                }
            }
            _ => out.push((
                FieldPath(path.iter().map(|s| s.to_string()).collect()),
                self,
            )),
        }
    }
    /// The value as plain JSON (for reports and `explain`).
    pub fn to_json(&self) -> serde_json::Value {
        match &self.value {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Int(i) => (*i).into(),
            Value::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(serde_json::Value::Null, Into::into)
            }
            Value::String(s) => s.clone().into(),
            Value::Array(a) => a.iter().map(Node::to_json).collect(),
            Value::Object(o) => o
                .iter()
                .map(|(k, f)| (k.clone(), f.node.to_json()))
                .collect(),
        }
    }
}

/// An HCL spec as the JSON spec of the same structure (blocks as objects keyed by label),
/// which tierform reads as it reads the HCL: for converting a spec, or testing both forms.
///
/// # Errors
/// The HCL does not parse, or holds an expression (specs are data).
pub fn hcl_to_json(text: &str) -> Result<serde_json::Value, Vec<Diagnostic>> {
    from_hcl(text).map(|n| n.to_json())
}

/// Reads an HCL spec into a node tree.
///
/// # Errors
/// A syntax error, an expression that is not a literal (specs are data), or a block or
/// attribute given twice.
pub fn from_hcl(text: &str) -> Result<Node, Vec<Diagnostic>> {
    if let Some(at) = too_deep(text) {
        return Err(vec![Diagnostic::error(
            "too-deep",
            FieldPath::default(),
            format!("blocks and values nest deeper than {MAX_DEPTH} levels"),
        )
        .with_span(Some(Span::new(at..at + 1)))
        .with_help(
            "a tierform spec needs only a few levels of nesting; check for unbalanced braces",
        )]);
    }
    let body = hcl_edit::parser::parse_body(text).map_err(|e| {
        let loc = e.location();
        let offset = offset_of(text, loc.line(), loc.column());
        vec![Diagnostic::error("syntax", FieldPath::default(), format!("HCL syntax error: {}", e.message()))
            .with_span(Some(Span::new(offset..offset + 1)))
            .with_help("check the HCL syntax near this position: unbalanced braces or quotes are the usual cause")]
    })?;
    let mut errors = Vec::new();
    let mut node = body_to_node(&body, &mut errors, &FieldPath::default());
    // The root's span is the file start, where "missing required attribute `app`" points.
    node.span = Some(Span::new(0..0));
    if errors.is_empty() {
        Ok(node)
    } else {
        Err(errors)
    }
}

/// Reads a JSON spec (the same structure as HCL, blocks as nested objects) into a node tree,
/// every node and key with its span as from HCL.
///
/// # Errors
/// A JSON syntax error or a value nested too deep, at its position; else every key given
/// twice in one object; else a spec that is not an object.
pub fn from_json(text: &str) -> Result<Node, Vec<Diagnostic>> {
    let mut node = crate::json::read(text)?;
    if node.as_object().is_none() {
        return Err(vec![Diagnostic::error(
            "wrong-type",
            FieldPath::default(),
            "a JSON spec must be an object",
        )
        .with_span(node.span)
        .with_help(
            "start the file with `{` and give the spec's attributes and blocks as its keys",
        )]);
    }
    // The root's span is the file start, as for HCL.
    node.span = Some(Span::new(0..0));
    Ok(node)
}

/// The byte offset of the first bracket past [`MAX_DEPTH`] levels, ignoring brackets in strings
/// and comments only roughly (a false alarm needs 32 levels of brackets inside strings).
fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, c) in text.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' | '(' => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Some(i);
                }
            }
            '}' | ']' | ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    let rest = &text[start.min(text.len())..];
    start
        + rest
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(rest.len(), |(i, _)| i)
}

fn body_to_node(body: &Body, errors: &mut Vec<Diagnostic>, path: &FieldPath) -> Node {
    let mut fields: IndexMap<String, Field> = IndexMap::new();
    for structure in body.iter() {
        match structure {
            Structure::Attribute(attr) => {
                let key = attr.key.as_str().to_owned();
                let key_span = attr.key.span().map(Span::new);
                let node = expr_to_node(&attr.value, errors, &path.join(&key));
                if fields.contains_key(&key) {
                    errors.push(duplicate(&path.join(&key), key_span, None, "attribute"));
                    continue;
                }
                fields.insert(key, Field { key_span, node });
            }
            Structure::Block(block) => {
                let ident = block.ident.as_str().to_owned();
                let ident_span = block.ident.span().map(Span::new);
                let labels: Vec<(String, Option<Span>)> = block
                    .labels
                    .iter()
                    .map(|l| (l.as_str().to_owned(), l.span().map(Span::new)))
                    .collect();
                let mut inner_path = path.join(&ident);
                for (l, _) in &labels {
                    inner_path = inner_path.join(l);
                }
                let mut node = body_to_node(&block.body, errors, &inner_path);
                node.span = block.span().map(Span::new);
                // `database "main" { … }` becomes database -> main -> { … }.
                let mut keys = vec![(ident, ident_span)];
                keys.extend(labels);
                insert_block(&mut fields, &keys, node, path.clone(), errors);
            }
        }
    }
    Node::object(fields, None, Layer::Base)
}

fn insert_block(
    fields: &mut IndexMap<String, Field>,
    keys: &[(String, Option<Span>)],
    node: Node,
    path: FieldPath,
    errors: &mut Vec<Diagnostic>,
) {
    let (key, key_span) = &keys[0];
    let path = path.join(key);
    if keys.len() == 1 {
        match fields.get(key) {
            Some(_) => errors.push(duplicate(&path, *key_span, None, "block")),
            None => {
                fields.insert(
                    key.clone(),
                    Field {
                        key_span: *key_span,
                        node,
                    },
                );
            }
        }
        return;
    }
    let span = node.span;
    let entry = fields.entry(key.clone()).or_insert_with(|| Field {
        key_span: *key_span,
        node: Node::object(IndexMap::new(), span, Layer::Base),
    });
    match &mut entry.node.value {
        Value::Object(o) => insert_block(o, &keys[1..], node, path, errors),
        _ => errors.push(duplicate(&path, *key_span, None, "attribute and block")),
    }
}

/// The second definition of `path`, located at `span`; the help names the first one's line
/// when the reader knows it.
pub(crate) fn duplicate(
    path: &FieldPath,
    span: Option<Span>,
    first_line: Option<usize>,
    what: &str,
) -> Diagnostic {
    let help = "each attribute and each labelled block may appear once; merge the two definitions";
    Diagnostic::error(
        "duplicate",
        path.clone(),
        format!("`{path}` is defined twice ({what})"),
    )
    .with_span(span)
    .with_help(match first_line {
        Some(line) => format!("{help} (the first is on line {line})"),
        None => help.to_owned(),
    })
}

fn expr_to_node(expr: &Expression, errors: &mut Vec<Diagnostic>, path: &FieldPath) -> Node {
    let span = expr.span().map(Span::new);
    let value = match expr {
        Expression::Null(_) => Value::Null,
        Expression::Bool(b) => Value::Bool(*b.value()),
        Expression::Number(n) => number(n.value()),
        Expression::String(s) => Value::String(s.value().clone()),
        Expression::Array(a) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, e)| expr_to_node(e, errors, &path.join(i.to_string())))
                .collect(),
        ),
        Expression::Object(o) => {
            let mut fields = IndexMap::new();
            for (k, v) in o.iter() {
                let (key, key_span) = match k {
                    ObjectKey::Ident(id) => (id.as_str().to_owned(), id.span().map(Span::new)),
                    ObjectKey::Expression(Expression::String(s)) => {
                        (s.value().clone(), s.span().map(Span::new))
                    }
                    ObjectKey::Expression(e) => {
                        errors.push(not_literal(path, e.span().map(Span::new)));
                        continue;
                    }
                };
                let node = expr_to_node(v.expr(), errors, &path.join(&key));
                if fields.contains_key(&key) {
                    errors.push(duplicate(&path.join(&key), key_span, None, "object key"));
                    continue;
                }
                fields.insert(key, Field { key_span, node });
            }
            Value::Object(fields)
        }
        Expression::Parenthesis(p) => return expr_to_node(p.inner(), errors, path),
        Expression::UnaryOp(op) if *op.operator.value() == UnaryOperator::Neg => {
            match expr_to_node(&op.expr, errors, path).value {
                Value::Int(i) => Value::Int(i.saturating_neg()),
                Value::Float(f) => Value::Float(-f),
                _ => {
                    errors.push(not_literal(path, span));
                    Value::Null
                }
            }
        }
        Expression::HeredocTemplate(h) => match literal_template(&h.template) {
            Some(s) => Value::String(s),
            None => {
                errors.push(not_literal(path, span));
                Value::Null
            }
        },
        Expression::StringTemplate(t) => match literal_template(t) {
            Some(s) => Value::String(s),
            None => {
                errors.push(not_literal(path, span));
                Value::Null
            }
        },
        _ => {
            errors.push(not_literal(path, span));
            Value::Null
        }
    };
    Node {
        value,
        span,
        layer: Layer::Base,
    }
}

fn literal_template(t: &hcl_edit::template::Template) -> Option<String> {
    let mut out = String::new();
    for element in t.iter() {
        match element {
            hcl_edit::template::Element::Literal(l) => out.push_str(l.value()),
            _ => return None,
        }
    }
    Some(out)
}

fn number(n: &hcl_edit::Number) -> Value {
    match n.as_i64() {
        Some(i) => Value::Int(i),
        None => Value::Float(n.as_f64().unwrap_or(f64::MAX)),
    }
}

fn not_literal(path: &FieldPath, span: Option<Span>) -> Diagnostic {
    Diagnostic::error(
        "not-literal",
        path.clone(),
        "expressions, variables and interpolations are not allowed in a spec",
    )
    .with_span(span)
    .with_help(
        "write a literal value; tierform wires references (database hosts, secret ARNs) itself",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_nest_by_label() {
        let n = from_hcl("database \"main\" {\n  engine = \"postgres\"\n}\napp = \"x\"\n").unwrap();
        assert_eq!(
            n.lookup(["database", "main", "engine"]).unwrap().as_str(),
            Some("postgres")
        );
        assert_eq!(
            n.span_at(["database", "main", "engine"]),
            Some(Span { start: 29, end: 39 })
        );
    }

    #[test]
    fn duplicates_and_expressions_are_errors() {
        let e = from_hcl("a = 1\na = 2\n").unwrap_err();
        assert_eq!(
            e[0].code, "syntax",
            "hcl-edit itself refuses a redefined attribute"
        );
        let e = from_hcl("b = var.x\nc = \"${x}\"\nd {\n}\nd {\n}\n").unwrap_err();
        let codes: Vec<_> = e.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["not-literal", "not-literal", "duplicate"]);
    }

    #[test]
    fn merge_overrides_leaves_and_keeps_the_rest() {
        let mut base = from_hcl("d \"m\" {\n  a = 1\n  b = [1, 2]\n}\n").unwrap();
        let mut top = from_hcl("d \"m\" {\n  b = [3]\n}\n").unwrap();
        top.set_layer(&Layer::Tier("t".into()));
        base.merge(&top);
        assert_eq!(base.lookup(["d", "m", "a"]).unwrap().to_json(), 1);
        let b = base.lookup(["d", "m", "b"]).unwrap();
        assert_eq!(b.to_json(), serde_json::json!([3]));
        assert_eq!(b.layer, Layer::Tier("t".into()));
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing() {
        let text = format!("a = {}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(from_hcl(&text).unwrap_err()[0].code, "too-deep");
    }
}
