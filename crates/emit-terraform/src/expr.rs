//! Small constructors of hcl-rs expressions: references are real traversals
//! (`aws_vpc.main.id`), calls are real function calls, objects are real objects. Nothing here
//! pastes HCL text together; the only text we produce is the literal part of templates, and it
//! is escaped.

use hcl::expr::{FuncCall, TemplateExpr, Traversal, TraversalOperator, Variable};
use hcl::{Expression, Identifier, Object, ObjectKey};

/// A reference under construction: `root.attr[index]...`.
#[derive(Debug, Clone)]
pub(crate) struct Ref {
    root: String,
    ops: Vec<TraversalOperator>,
}

/// Starts a reference at a root variable (`aws_vpc`, `data`, `count`, `each`, `local`).
pub(crate) fn var(root: &str) -> Ref {
    Ref {
        root: root.to_owned(),
        ops: Vec::new(),
    }
}

/// `<ty>.<name>.<attr>`: the most common reference, to an attribute of a resource.
pub(crate) fn res(ty: &str, name: &str, attr: &str) -> Expression {
    var(ty).attr(name).attr(attr).into()
}

/// `data.<ty>.<name>.<attr>`.
pub(crate) fn data(ty: &str, name: &str, attr: &str) -> Expression {
    var("data").attr(ty).attr(name).attr(attr).into()
}

/// `count.index`.
pub(crate) fn count_index() -> Expression {
    var("count").attr("index").into()
}

impl Ref {
    /// `.name`.
    pub(crate) fn attr(mut self, name: &str) -> Ref {
        self.ops
            .push(TraversalOperator::GetAttr(Identifier::unchecked(name)));
        self
    }
    /// `[index]`.
    pub(crate) fn index(mut self, index: impl Into<Expression>) -> Ref {
        self.ops.push(TraversalOperator::Index(index.into()));
        self
    }
    /// `[*]`.
    pub(crate) fn splat(mut self) -> Ref {
        self.ops.push(TraversalOperator::FullSplat);
        self
    }
}

impl From<Ref> for Expression {
    fn from(r: Ref) -> Expression {
        let root = Variable::unchecked(r.root);
        if r.ops.is_empty() {
            Expression::Variable(root)
        } else {
            Traversal::new(root, r.ops).into()
        }
    }
}

/// A call `name(args...)`.
pub(crate) fn call(name: &str, args: impl IntoIterator<Item = Expression>) -> Expression {
    args.into_iter()
        .fold(FuncCall::builder(name), |b, a| b.arg(a))
        .build()
        .into()
}

/// `jsonencode(value)`.
pub(crate) fn jsonencode(value: Expression) -> Expression {
    call("jsonencode", [value])
}

/// One part of a string template.
pub(crate) enum Part {
    /// Literal text (escaped on the way in).
    Lit(String),
    /// An interpolated expression, `${...}`.
    Ref(Expression),
}

/// A string template, such as `"${aws_cloudwatch_log_group.app.arn}:*"`.
pub(crate) fn template(parts: impl IntoIterator<Item = Part>) -> Expression {
    let mut s = String::new();
    for p in parts {
        match p {
            Part::Lit(t) => s.push_str(&escape_template_literal(&t)),
            Part::Ref(e) => {
                s.push_str("${");
                s.push_str(&one_line(&e));
                s.push('}');
            }
        }
    }
    Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(s)))
}

/// Shorthand for a literal template part.
pub(crate) fn lit(s: impl Into<String>) -> Part {
    Part::Lit(s.into())
}

/// Shorthand for an interpolated template part.
pub(crate) fn interp(e: impl Into<Expression>) -> Part {
    Part::Ref(e.into())
}

/// Escapes text for the inside of a quoted template: quotes, backslashes, control characters
/// and the `${` / `%{` markers.
fn escape_template_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// An object with the keys in the given order. Keys that are plain identifiers are written
/// bare, anything else (`awslogs-group`) quoted.
pub(crate) fn object<K: AsRef<str>>(
    items: impl IntoIterator<Item = (K, Expression)>,
) -> Expression {
    let mut o: Object<ObjectKey, Expression> = Object::new();
    for (k, v) in items {
        o.insert(object_key(k.as_ref()), v);
    }
    Expression::Object(o)
}

fn object_key(k: &str) -> ObjectKey {
    let mut chars = k.chars();
    let ident = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ident {
        ObjectKey::Identifier(Identifier::unchecked(k))
    } else {
        ObjectKey::Expression(Expression::String(k.to_owned()))
    }
}

/// A list of strings.
pub(crate) fn strings<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Expression {
    Expression::Array(
        items
            .into_iter()
            .map(|s| Expression::String(s.as_ref().to_owned()))
            .collect(),
    )
}

/// A list of expressions.
pub(crate) fn list(items: impl IntoIterator<Item = Expression>) -> Expression {
    Expression::Array(items.into_iter().collect())
}

/// The expression on one line, as hcl-rs's compact formatter writes it.
pub(crate) fn one_line(e: &Expression) -> String {
    use hcl::format::{Format, Formatter};
    let mut f = Formatter::builder().compact(true).build_vec();
    // Formatting an in-memory expression into a Vec cannot fail.
    e.format_string(&mut f).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_traversals() {
        assert_eq!(one_line(&res("aws_vpc", "main", "id")), "aws_vpc.main.id");
        let splat: Expression = var("aws_subnet").attr("private").splat().attr("id").into();
        assert_eq!(one_line(&splat), "aws_subnet.private[*].id");
        let idx: Expression = var("aws_db_instance")
            .attr("main")
            .attr("master_user_secret")
            .index(0)
            .attr("secret_arn")
            .into();
        assert_eq!(
            one_line(&idx),
            "aws_db_instance.main.master_user_secret[0].secret_arn"
        );
    }

    #[test]
    fn templates_escape_their_literal_parts() {
        let t = template([
            interp(res("aws_cloudwatch_log_group", "app", "arn")),
            lit(":*"),
        ]);
        assert_eq!(one_line(&t), "\"${aws_cloudwatch_log_group.app.arn}:*\"");
        assert_eq!(
            one_line(&template([lit("a\"b ${x} %{y}")])),
            r#""a\"b $${x} %%{y}""#
        );
    }

    #[test]
    fn object_keys_are_quoted_only_when_needed() {
        let o = object([
            ("Name", Expression::from("x")),
            ("awslogs-group", Expression::from("y")),
        ]);
        assert_eq!(one_line(&o), r#"{ Name = "x", "awslogs-group" = "y" }"#);
    }
}
