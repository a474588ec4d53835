//! Small constructors of hcl-rs expressions: references are real traversals
//! (`aws_vpc.main.id`), calls are real function calls, objects are real objects. Nothing here
//! pastes HCL text together; the only text we produce is the literal part of templates, and it
//! is escaped.

use hcl::expr::{FuncCall, TemplateExpr, Traversal, TraversalOperator, Variable};
use hcl::{Expression, Identifier, Object, ObjectKey};

/// A reference under construction: `root.attr[index]...`.
#[derive(Debug, Clone)]
pub(crate) struct Ref {
    /// An identifier from a `&str`: short ones are stored inline, not on the heap.
    root: Variable,
    ops: Vec<TraversalOperator>,
}

/// Starts a reference at a root variable (`aws_vpc`, `data`, `count`, `each`, `local`).
pub(crate) fn var(root: &str) -> Ref {
    Ref {
        root: Variable::unchecked(root),
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
        let root = r.root;
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
            Part::Lit(t) => escape_template_literal(&mut s, &t),
            Part::Ref(e) => {
                s.push_str("${");
                write_one_line(&mut s, &e);
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
pub(crate) fn escape_template_literal(out: &mut String, s: &str) {
    if !s
        .bytes()
        .any(|c| matches!(c, b'"' | b'\\' | b'\n' | b'\r' | b'\t' | b'$' | b'%'))
    {
        out.push_str(s);
        return;
    }
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
}

/// An object with the keys in the given order. Keys that are plain identifiers are written
/// bare, anything else (`awslogs-group`) quoted.
pub(crate) fn object<K: AsRef<str>>(
    items: impl IntoIterator<Item = (K, Expression)>,
) -> Expression {
    let items = items.into_iter();
    let mut o: Object<ObjectKey, Expression> = Object::with_capacity(items.size_hint().0);
    for (k, v) in items {
        o.insert(object_key(k.as_ref()), v);
    }
    Expression::Object(o)
}

fn object_key(k: &str) -> ObjectKey {
    if ascii_identifier(k, b"_") {
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
    let mut out = String::new();
    write_one_line(&mut out, e);
    out
}

/// What hcl-rs's compact formatter writes for `e`, appended to `out`. The common expressions
/// are written here directly: a formatter (and its buffer) per leaf made hcl-rs's formatting
/// a tenth of a build. The rare ones (heredocs, `for` expressions, unary operators, legacy
/// indexes, keys hcl-rs may quote) go to hcl-rs itself; compact formatting is independent of
/// the surrounding text, so pasting its output in is exact. The unit tests compare both
/// writers on every expression of the fixtures.
pub(crate) fn write_one_line(out: &mut String, e: &Expression) {
    use hcl::expr::{Operation, TraversalOperator as Op};
    match e {
        Expression::Null => out.push_str("null"),
        Expression::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Expression::Number(n) => {
            // Writing into a String cannot fail.
            let _ = std::fmt::Write::write_fmt(out, format_args!("{n}"));
        }
        Expression::String(s) => write_quoted(out, s),
        Expression::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_one_line(out, item);
            }
            out.push(']');
        }
        Expression::Object(o) => {
            out.push('{');
            for (i, (k, v)) in o.iter().enumerate() {
                out.push_str(if i > 0 { ", " } else { " " });
                write_key(out, k);
                out.push_str(" = ");
                write_one_line(out, v);
            }
            if !o.is_empty() {
                out.push(' ');
            }
            out.push('}');
        }
        Expression::TemplateExpr(t) => match &**t {
            TemplateExpr::QuotedString(s) => {
                out.push('"');
                out.push_str(s);
                out.push('"');
            }
            other => hcl_one_line(out, other),
        },
        Expression::Variable(v) => out.push_str(v.as_str()),
        Expression::Traversal(t) => {
            let start = out.len();
            write_one_line(out, &t.expr);
            for op in &t.operators {
                match op {
                    Op::GetAttr(i) => {
                        out.push('.');
                        out.push_str(i.as_str());
                    }
                    Op::Index(x) => {
                        out.push('[');
                        write_one_line(out, x);
                        out.push(']');
                    }
                    Op::FullSplat => out.push_str("[*]"),
                    Op::AttrSplat => out.push_str(".*"),
                    _ => {
                        out.truncate(start);
                        return hcl_one_line(out, e);
                    }
                }
            }
        }
        Expression::FuncCall(f) => {
            for ns in &f.name.namespace {
                out.push_str(ns.as_str());
                out.push_str("::");
            }
            out.push_str(f.name.name.as_str());
            out.push('(');
            for (i, a) in f.args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_one_line(out, a);
            }
            out.push_str(if f.expand_final { "...)" } else { ")" });
        }
        Expression::Parenthesis(x) => {
            out.push('(');
            write_one_line(out, x);
            out.push(')');
        }
        Expression::Conditional(c) => {
            write_one_line(out, &c.cond_expr);
            out.push_str(" ? ");
            write_one_line(out, &c.true_expr);
            out.push_str(" : ");
            write_one_line(out, &c.false_expr);
        }
        Expression::Operation(op) => match &**op {
            Operation::Binary(b) => {
                write_one_line(out, &b.lhs_expr);
                out.push(' ');
                out.push_str(b.operator.as_str());
                out.push(' ');
                write_one_line(out, &b.rhs_expr);
            }
            _ => hcl_one_line(out, e),
        },
        other => hcl_one_line(out, other),
    }
}

/// An object key as hcl-rs writes it: identifiers bare unless they could not be read back as
/// one (`true`, `for`, ...), strings always quoted, other expressions as themselves.
fn write_key(out: &mut String, k: &ObjectKey) {
    match k {
        ObjectKey::Identifier(i) if ascii_object_key(i.as_str()) == Some(true) => {
            out.push_str(i.as_str())
        }
        ObjectKey::Expression(Expression::String(s)) => write_quoted(out, s),
        ObjectKey::Expression(e) => write_one_line(out, e),
        other => hcl_one_line(out, other),
    }
}

/// hcl-primitives' `is_valid_object_key` for ASCII keys; `None` for any other key, whose
/// identifier rules (Unicode XID) are left to hcl-rs.
fn ascii_object_key(s: &str) -> Option<bool> {
    if !s.is_ascii() {
        return None;
    }
    Some(ascii_identifier(s, b"_-") && !matches!(s, "true" | "false" | "null" | "for"))
}

/// Whether `s` is a letter or `_` followed by letters, digits and bytes of `also`, all ASCII.
fn ascii_identifier(s: &str, also: &[u8]) -> bool {
    let b = s.as_bytes();
    b.first()
        .is_some_and(|c| c.is_ascii_alphabetic() || *c == b'_')
        && b[1..]
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || also.contains(c))
}

/// A quoted, escaped string, as hcl-rs's `write_quoted_string_escaped`: template markers
/// escaped first (hcl-primitives' `escape_markers`), then quotes, backslashes and control
/// characters as in JSON.
pub(crate) fn write_quoted(out: &mut String, s: &str) {
    out.push('"');
    let b = s.as_bytes();
    // Most strings need no escape at all: one pass to find out, then one copy.
    if !b
        .iter()
        .any(|&c| c < 0x20 || matches!(c, b'"' | b'\\' | b'$' | b'%'))
    {
        out.push_str(s);
        out.push('"');
        return;
    }
    match b.windows(2).position(|w| matches!(w, b"${" | b"%{")) {
        None => write_escaped(out, s),
        Some(first) => {
            // From the first marker on, `escape_markers` reads the text in pairs: after a `$`
            // or `%` the next character is consumed, and doubled-up only before a `{`.
            let mut marked = String::with_capacity(s.len() + 4);
            marked.push_str(&s[..first]);
            let mut chars = s[first..].chars();
            while let Some(c) = chars.next() {
                marked.push(c);
                if c != '$' && c != '%' {
                    continue;
                }
                match chars.next() {
                    Some(c2) => {
                        if c2 == '{' {
                            marked.push(c);
                        }
                        marked.push(c2);
                    }
                    None => break,
                }
            }
            write_escaped(out, &marked);
        }
    }
    out.push('"');
}

/// serde_json's escapes, as hcl-rs uses them.
fn write_escaped(out: &mut String, s: &str) {
    let mut start = 0;
    for (i, &c) in s.as_bytes().iter().enumerate() {
        let esc = match c {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(c >> 4)]));
            out.push(char::from(HEX[usize::from(c & 0xf)]));
        } else {
            out.push_str(esc);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// hcl-rs's own compact formatter, for what [`write_one_line`] leaves to it.
fn hcl_one_line(out: &mut String, e: &impl hcl::format::Format) {
    use hcl::format::Formatter;
    let mut f = Formatter::builder().compact(true).build_vec();
    // Formatting an in-memory expression into a Vec cannot fail.
    out.push_str(&e.format_string(&mut f).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// hcl-rs's compact formatter, the reference for [`write_one_line`].
    fn reference(e: &Expression) -> String {
        let mut out = String::new();
        hcl_one_line(&mut out, e);
        out
    }

    /// Strings that exercise every escape and the pairing rule of `escape_markers`.
    const TRICKY: [&str; 24] = [
        "",
        "plain",
        "a\"b",
        "back\\slash",
        "new\nline\r\t",
        "\u{1}\u{1f}\u{7f}",
        "${x}",
        "%{if}",
        "$${x}",
        "%%{x}",
        "${$${",
        "$%{",
        "%${",
        "a$",
        "a%",
        "$",
        "${",
        "x ${ y %{ z",
        "ünïcödé ${ 日本 }",
        "€${",
        "$€{",
        "{}[]()=#",
        "$$",
        "\\${\"",
    ];

    #[test]
    fn quoted_strings_match_hcl_rs() {
        for s in TRICKY {
            let e = Expression::String(s.to_owned());
            assert_eq!(one_line(&e), reference(&e), "{s:?}");
        }
    }

    #[test]
    fn every_kind_of_expression_matches_hcl_rs() {
        use hcl::expr::{BinaryOperator, Conditional, Operation, UnaryOperator};
        let strings = || TRICKY.iter().map(|s| Expression::String((*s).to_owned()));
        let mut keyed: Vec<(ObjectKey, Expression)> = Vec::new();
        for k in [
            "a", "for", "true", "null", "false", "a-b", "_x", "1a", "ünï", "x y", "",
        ] {
            keyed.push((ObjectKey::Identifier(Identifier::unchecked(k)), 1.into()));
            keyed.push((
                ObjectKey::Expression(Expression::String(k.into())),
                2.into(),
            ));
        }
        keyed.push((ObjectKey::Expression(res("a", "b", "c")), Expression::Null));
        let mut o: Object<ObjectKey, Expression> = Object::new();
        o.extend(keyed);
        let cases: Vec<Expression> = vec![
            Expression::Null,
            true.into(),
            false.into(),
            0.into(),
            (-12).into(),
            1.5.into(),
            1e300.into(),
            Expression::Array(vec![]),
            Expression::Array(strings().collect()),
            Expression::Object(Object::new()),
            Expression::Object(o),
            object([("x", Expression::Array(strings().collect()))]),
            template([lit("a\"b ${x} %{y}"), interp(count_index()), lit("$")]),
            var("x").attr("y").index(0).splat().attr("z").into(),
            var("x").index("k").index(count_index()).into(),
            Expression::from(Traversal::new(
                Variable::unchecked("v"),
                [
                    TraversalOperator::AttrSplat,
                    TraversalOperator::LegacyIndex(3),
                ],
            )),
            call(
                "merge",
                [var("local").attr("tags").into(), object([("a", 1.into())])],
            ),
            FuncCall::builder("f")
                .arg(Expression::Null)
                .expand_final(true)
                .build()
                .into(),
            Expression::Parenthesis(Box::new(1.into())),
            Conditional::new(
                Operation::Binary(hcl::expr::BinaryOp::new(
                    count_index(),
                    BinaryOperator::Eq,
                    0,
                )),
                "a",
                Operation::Unary(hcl::expr::UnaryOp::new(UnaryOperator::Neg, 1)),
            )
            .into(),
        ];
        for e in &cases {
            assert_eq!(one_line(e), reference(e), "{e:?}");
        }
    }

    /// Every expression of every fixture's Terraform, and each of its parts, is written as
    /// hcl-rs writes it.
    #[test]
    fn fixture_expressions_match_hcl_rs() {
        fn walk(e: &Expression, n: &mut usize) {
            assert_eq!(one_line(e), reference(e), "{e:?}");
            *n += 1;
            match e {
                Expression::Array(items) => items.iter().for_each(|x| walk(x, n)),
                Expression::Object(o) => o.values().for_each(|x| walk(x, n)),
                Expression::FuncCall(f) => f.args.iter().for_each(|x| walk(x, n)),
                _ => {}
            }
        }
        fn body(b: &hcl::Body, n: &mut usize) {
            for s in b.iter() {
                match s {
                    hcl::Structure::Attribute(a) => walk(&a.expr, n),
                    hcl::Structure::Block(b) => body(&b.body, n),
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let mut n = 0;
        for entry in std::fs::read_dir(root).unwrap().flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|x| x != "hcl") {
                continue;
            }
            let Ok(model) = tierform_model::Model::load(&path) else {
                continue;
            };
            for id in model.environments() {
                let Ok(env) = model.resolve(&id) else {
                    continue;
                };
                if env.runtime != tierform_model::Runtime::Cloud {
                    continue;
                }
                for b in crate::lower::module(&env).blocks {
                    body(&b.block.body, &mut n);
                }
            }
        }
        assert!(n > 10_000, "only {n} expressions checked");
    }

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
