//! Text of a `.tf` file, in the exact layout `terraform fmt` leaves unchanged.
//!
//! Two steps. [`file`] lays blocks out: two-space indents, a blank line around nested blocks and
//! multi-line arguments, objects one item per line, short lists on one line. Every expression
//! that fits on a line is written by hcl-rs's own formatter (compact mode). hcl-rs writes a
//! function call's arguments on one line, which would put a whole task definition or policy on
//! a single line; so calls with an object or list argument are laid out here, the argument
//! broken over lines like any other value. Then [`align`] does what `terraform fmt` adds on top:
//! it aligns the `=` of consecutive one-line arguments. hcl-rs has no comment nodes, so the
//! inline `# checkov:skip` comments are written here too, first thing inside their block.

use hcl::{Block, BlockLabel, Body, Expression, ObjectKey, Structure};

use crate::expr::{one_line, write_one_line, write_quoted};
use crate::module::TopBlock;

/// Lists longer than this are written one item per line.
const MAX_INLINE_LIST: usize = 80;

/// A file's text under construction, with the one-line assignments [`align`] would find in it,
/// recorded as they are written: scanning the finished text for them again was a fifth of the
/// Terraform emitter's time. In debug builds (tests) [`file`] checks the result against
/// [`align`] on the unaligned text, so the two cannot drift apart unnoticed.
struct Text {
    out: String,
    cells: Vec<Cell>,
}

/// One line that is a one-line assignment: byte offsets in [`Text::out`] of its start, its `=`
/// and its end (the `\n`).
#[derive(Debug, Clone, Copy)]
struct Cell {
    start: usize,
    eq: usize,
    end: usize,
}

/// Where the text an expression wrote has line breaks, known as it is written so that the
/// text need not be searched again at every level that holds it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Lines {
    /// None.
    One,
    /// A line break before the last character that is not whitespace.
    Many,
    /// Line breaks only in trailing whitespace.
    TrailingBreak,
}

impl Lines {
    /// The line breaks of `s`, text written as one piece.
    fn of(s: &str) -> Lines {
        if !s.contains('\n') {
            Lines::One
        } else if s.trim_end().contains('\n') {
            Lines::Many
        } else {
            Lines::TrailingBreak
        }
    }
}

impl Text {
    /// Records the line from `start` to the end of the text as an assignment whose key ends
    /// at `key_end` (` = ` follows), unless what follows the key (`value`) spans lines.
    fn assignment(&mut self, start: usize, key_end: usize, value: Lines) {
        debug_assert_eq!(
            value == Lines::One,
            !self.out[key_end..].contains('\n'),
            "line breaks recorded while writing"
        );
        if value == Lines::One {
            self.cells.push(Cell {
                start,
                eq: key_end + 1,
                end: self.out.len(),
            });
        }
    }

    /// Inserts a blank line at `at`, moving the cells recorded from index `from` on.
    fn insert_blank_line(&mut self, at: usize, from: usize) {
        self.out.insert(at, '\n');
        for c in &mut self.cells[from..] {
            c.start += 1;
            c.eq += 1;
            c.end += 1;
        }
    }

    /// The text with the `=` of each run of consecutive one-line assignments aligned.
    fn aligned(self) -> String {
        let Text { out, cells } = self;
        let lead = |c: &Cell| out[c.start..c.eq].trim_end().len();
        let mut aligned = String::with_capacity(out.len() + out.len() / 8);
        let mut cursor = 0;
        let mut k = 0;
        while k < cells.len() {
            let mut m = k + 1;
            while m < cells.len() && cells[m].start == cells[m - 1].end + 1 {
                m += 1;
            }
            let width = cells[k..m].iter().map(lead).max().unwrap_or(0);
            for c in &cells[k..m] {
                let l = lead(c);
                aligned.push_str(&out[cursor..c.start + l]);
                push_spaces(&mut aligned, width - l + 1);
                aligned.push_str(&out[c.eq..c.end]);
                cursor = c.end;
            }
            k = m;
        }
        aligned.push_str(&out[cursor..]);
        aligned
    }
}

/// `n` spaces.
fn push_spaces(out: &mut String, mut n: usize) {
    const SPACES: &str = "                                ";
    while n > SPACES.len() {
        out.push_str(SPACES);
        n -= SPACES.len();
    }
    out.push_str(&SPACES[..n]);
}

/// A whole file: the header, then the blocks separated by blank lines.
pub(crate) fn file(blocks: &[&TopBlock]) -> String {
    let mut t = Text {
        out: String::with_capacity(4096),
        cells: Vec::with_capacity(64),
    };
    t.out.push_str(tierform_model::GENERATED_MARKER);
    t.out.push('\n');
    for b in blocks {
        t.out.push('\n');
        top_block(&mut t, b);
    }
    #[cfg(debug_assertions)]
    let unaligned = t.out.clone();
    let aligned = t.aligned();
    #[cfg(debug_assertions)]
    assert_eq!(
        aligned,
        align(&unaligned),
        "alignment recorded while writing"
    );
    aligned
}

fn top_block(t: &mut Text, b: &TopBlock) {
    block_header(&mut t.out, &b.block, 0);
    if b.block.body.0.is_empty() && b.skips.is_empty() {
        t.out.push_str("}\n");
        return;
    }
    t.out.push('\n');
    for s in &b.skips {
        t.out.push_str("  # checkov:skip=");
        t.out.push_str(&s.id);
        t.out.push(':');
        t.out.push_str(&s.reason);
        t.out.push('\n');
    }
    body(t, &b.block.body, 1, &b.gaps);
    t.out.push_str("}\n");
}

fn block_header(out: &mut String, b: &Block, indent: usize) {
    pad(out, indent);
    out.push_str(b.identifier.as_str());
    for l in &b.labels {
        out.push(' ');
        match l {
            BlockLabel::Identifier(i) => out.push_str(i.as_str()),
            BlockLabel::String(s) => write_quoted(out, s),
        }
    }
    out.push_str(" {");
}

fn body(t: &mut Text, items: &Body, indent: usize, gaps: &[usize]) {
    let mut prev_spacious = false;
    for (i, s) in items.iter().enumerate() {
        let is_block = matches!(s, Structure::Block(_));
        // Blocks and multi-line arguments stand apart, as Terraform users write them. Whether
        // an argument spans lines is known once it is written; the blank line is then
        // inserted before it.
        let gap_before = i > 0 && (is_block || prev_spacious || gaps.contains(&i));
        if gap_before {
            t.out.push('\n');
        }
        let start = t.out.len();
        let first_cell = t.cells.len();
        let mut spacious = true;
        match s {
            Structure::Attribute(a) => {
                pad(&mut t.out, indent);
                t.out.push_str(a.key.as_str());
                let key_end = t.out.len();
                t.out.push_str(" = ");
                let value = expr(t, &a.expr, indent);
                t.assignment(start, key_end, value);
                t.out.push('\n');
                // The text from `start` with trailing whitespace trimmed spans lines when the
                // key does (` = ` follows it) or the value does before its own end.
                spacious = value == Lines::Many || a.key.as_str().contains('\n');
            }
            Structure::Block(b) => {
                block_header(&mut t.out, b, indent);
                if b.body.0.is_empty() {
                    t.out.push_str("}\n");
                } else {
                    t.out.push('\n');
                    body(t, &b.body, indent + 1, &[]);
                    pad(&mut t.out, indent);
                    t.out.push_str("}\n");
                }
            }
        }
        debug_assert_eq!(
            spacious,
            is_block || t.out[start..].trim_end().contains('\n'),
            "line breaks recorded while writing"
        );
        if i > 0 && !gap_before && spacious {
            t.insert_blank_line(start, first_cell);
        }
        prev_spacious = spacious;
    }
}

/// An expression starting at the current position of a line indented `indent` levels, appended
/// to the text; lines after the first carry their own indentation. Written into the caller's
/// buffer rather than returned: a string per nested value made allocation a large part of
/// every build's time. Returns where the text written has line breaks.
fn expr(t: &mut Text, e: &Expression, indent: usize) -> Lines {
    let begin = t.out.len();
    let lines = match e {
        Expression::Object(o) if !o.is_empty() => {
            t.out.push_str("{\n");
            for (k, v) in o {
                let start = t.out.len();
                pad(&mut t.out, indent + 1);
                key(&mut t.out, k);
                let key_end = t.out.len();
                t.out.push_str(" = ");
                let value = expr(t, v, indent + 1);
                t.assignment(start, key_end, value);
                t.out.push('\n');
            }
            pad(&mut t.out, indent);
            t.out.push('}');
            Lines::Many
        }
        Expression::Array(items) => {
            // Written once on one line: the text is both the length test and the result.
            if !items.iter().any(composite) {
                let start = t.out.len();
                write_one_line(&mut t.out, e);
                if t.out.len() - start <= MAX_INLINE_LIST {
                    return Lines::of(&t.out[start..]);
                }
                t.out.truncate(start);
            }
            t.out.push_str("[\n");
            for item in items {
                pad(&mut t.out, indent + 1);
                expr(t, item, indent + 1);
                t.out.push_str(",\n");
            }
            pad(&mut t.out, indent);
            t.out.push(']');
            Lines::Many
        }
        Expression::FuncCall(f) if f.args.iter().any(composite) => {
            let start = t.out.len();
            let mut lines = Lines::One;
            for ns in &f.name.namespace {
                t.out.push_str(ns.as_str());
                t.out.push_str("::");
            }
            t.out.push_str(f.name.name.as_str());
            t.out.push('(');
            for (i, a) in f.args.iter().enumerate() {
                if i > 0 {
                    t.out.push_str(", ");
                }
                if expr(t, a, indent) != Lines::One {
                    lines = Lines::Many;
                }
            }
            t.out.push(')');
            // A break inside an argument comes before the `)`; the name is searched (short).
            if lines == Lines::One && t.out[start..].contains('\n') {
                lines = Lines::Many;
            }
            lines
        }
        // hclwrite puts spaces inside the braces of an object `for` (`{ for k in x : k => v }`);
        // hcl-rs writes none.
        Expression::ForExpr(f) if f.key_expr.is_some() => {
            let start = t.out.len();
            let s = one_line(e);
            match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(inner) => {
                    t.out.push_str("{ ");
                    t.out.push_str(inner.trim());
                    t.out.push_str(" }");
                }
                None => t.out.push_str(&s),
            }
            Lines::of(&t.out[start..])
        }
        // Quoted strings escape every control character; literals have none.
        Expression::String(_) | Expression::Null | Expression::Bool(_) | Expression::Number(_) => {
            write_one_line(&mut t.out, e);
            Lines::One
        }
        other => {
            let start = t.out.len();
            write_one_line(&mut t.out, other);
            Lines::of(&t.out[start..])
        }
    };
    debug_assert_eq!(
        lines,
        Lines::of(&t.out[begin..]),
        "line breaks recorded while writing"
    );
    lines
}

/// Whether an expression spans lines: a non-empty object, or a list or call holding one.
fn composite(e: &Expression) -> bool {
    match e {
        Expression::Object(o) => !o.is_empty(),
        Expression::Array(items) => items.iter().any(composite),
        Expression::FuncCall(f) => f.args.iter().any(composite),
        _ => false,
    }
}

fn key(out: &mut String, k: &ObjectKey) {
    match k {
        ObjectKey::Identifier(i) => out.push_str(i.as_str()),
        ObjectKey::Expression(e) => write_one_line(out, e),
        _ => {}
    }
}

fn pad(out: &mut String, indent: usize) {
    push_spaces(out, 2 * indent);
}

/// Aligns the `=` of runs of consecutive one-line assignments, as `terraform fmt` does
/// (hclwrite's `formatCells`): a line takes part when its first `=` (outside strings, not
/// `==`, `=>`, `<=`, `>=`, `!=`) follows something and what follows it opens no bracket it
/// does not close. Any other line, blank lines and comments included, ends the run. The `=`
/// lands one column after the longest left-hand side of the run, indentation included.
///
/// [`file`] records these lines while writing instead; this is the definition it is checked
/// against (in debug builds and tests).
#[cfg_attr(not(debug_assertions), allow(dead_code))]
pub(crate) fn align(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let cells: Vec<Option<usize>> = lines.iter().map(|l| assignment(l)).collect();
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    let mut i = 0;
    while i < lines.len() {
        let Some(_) = cells[i] else {
            out.push_str(lines[i]);
            i += 1;
            if i < lines.len() {
                out.push('\n');
            }
            continue;
        };
        let start = i;
        while i < lines.len() && cells[i].is_some() {
            i += 1;
        }
        let lead = |j: usize| lines[j][..cells[j].unwrap_or(0)].trim_end();
        let width = (start..i).map(|j| lead(j).len()).max().unwrap_or(0);
        for j in start..i {
            let l = lead(j);
            out.push_str(l);
            push_spaces(&mut out, width - l.len() + 1);
            out.push_str(&lines[j][cells[j].unwrap_or(0)..]);
            if j + 1 < lines.len() {
                out.push('\n');
            }
        }
    }
    out
}

/// The byte offset of the `=` that makes `line` a one-line assignment, if it is one.
#[cfg_attr(not(debug_assertions), allow(dead_code))]
fn assignment(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let first = b.iter().position(|c| !c.is_ascii_whitespace())?;
    if b[first] == b'#' {
        return None;
    }
    let mut i = first;
    let mut eq = None;
    while i < b.len() {
        match b[i] {
            b'"' => i = skip_string(b, i),
            b'#' => return None,
            b'=' => {
                let prev = if i > 0 { b[i - 1] } else { b' ' };
                let next = b.get(i + 1).copied().unwrap_or(b' ');
                if !matches!(prev, b'=' | b'!' | b'<' | b'>') && !matches!(next, b'=' | b'>') {
                    if i == first {
                        return None;
                    }
                    eq = Some(i);
                    break;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    let eq = eq?;
    let mut net = 0i32;
    let mut j = eq;
    while j < b.len() {
        match b[j] {
            b'"' => {
                j = skip_string(b, j);
                continue;
            }
            b'{' | b'[' | b'(' => net += 1,
            b'}' | b']' | b')' => net -= 1,
            _ => {}
        }
        j += 1;
    }
    (net == 0).then_some(eq)
}

/// The index just after the quoted template starting at `start` (a `"`). Interpolations
/// (`${...}`, `%{...}`) balance their own braces and may hold quoted strings themselves, so
/// they are skipped whole and never change the bracket count.
fn skip_string(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'$' | b'%' if b.get(i + 1) == Some(&b[i]) => i += 2,
            b'$' | b'%' if b.get(i + 1) == Some(&b'{') => i = skip_interpolation(b, i + 2),
            _ => i += 1,
        }
    }
    b.len()
}

/// The index just after the `}` closing an interpolation whose body starts at `start`.
fn skip_interpolation(b: &[u8], start: usize) -> usize {
    let mut depth = 1;
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'"' => {
                i = skip_string(b, i);
                continue;
            }
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks whose values hold line breaks where the structure does not show them (heredocs,
    /// whose text hcl-rs writes, templates, keys): rendering them in a debug build checks
    /// each recorded [`Lines`], the assignments and the blank lines against a search of the
    /// text (the `debug_assert`s in [`expr`], [`Text::assignment`] and [`body`]).
    #[test]
    fn line_breaks_recorded_while_writing_match_the_text() {
        use crate::expr::{call, object};
        use crate::module::{Module, TfFile, B};
        use hcl::expr::{Heredoc, TemplateExpr};
        let heredoc = |text: &str| {
            Expression::from(TemplateExpr::Heredoc(Heredoc::new(
                hcl::Identifier::unchecked("EOT"),
                text,
            )))
        };
        let quoted = |text: &str| Expression::from(TemplateExpr::QuotedString(text.to_owned()));
        let values = || {
            vec![
                Expression::from("a\nb"),
                heredoc("one\ntwo\n"),
                heredoc(""),
                quoted("x\n"),
                quoted("x\n \n"),
                quoted("\u{2028}x\n\u{3000}"),
                quoted("x"),
                Expression::Variable(hcl::expr::Variable::unchecked("v\n")),
                Expression::Variable(hcl::expr::Variable::unchecked("v\n\u{2028} ")),
                Expression::Array(vec![quoted("a\n"), Expression::from(1)]),
                Expression::Array(vec![heredoc("h\n"), object([("k", Expression::from("v"))])]),
                call("f", [quoted("a\n"), quoted("b")]),
                call("f", [object([("k", quoted("v\n"))]), heredoc("h\n")]),
                object([("k", heredoc("h\n")), ("a-b", quoted("\n"))]),
                Expression::Object(
                    [(
                        hcl::ObjectKey::Expression(quoted("key\n")),
                        Expression::from("v"),
                    )]
                    .into_iter()
                    .collect(),
                ),
            ]
        };
        let mut m = Module::default();
        for (i, v) in values().into_iter().enumerate() {
            let mut b = B::resource("t", &format!("r{i}")).attr("before", 1);
            b = b.attr("value", v).attr("after", "x");
            for (j, w) in values().into_iter().enumerate() {
                b = b.attr(if j % 2 == 0 { "k" } else { "longer_key" }, w);
            }
            b = b.attr("key\n", "v").attr("after_key", "x");
            b = b.block(B::new("nested").attr("value", heredoc("n\n")).attr("z", 1));
            m.push(TfFile::Network, "c", b);
        }
        m.push(TfFile::Network, "c", B::resource("t", "empty"));
        // Written block by block: `file` would also compare the alignment with `align`, which
        // reads a raw line break in a key or reference differently (no generated text has
        // one); the line breaks are what is checked here.
        let mut t = Text {
            out: String::new(),
            cells: Vec::new(),
        };
        for b in &m.blocks {
            top_block(&mut t, b);
        }
        assert!(t.out.contains("<<EOT"), "{}", t.out);
    }

    #[test]
    fn aligns_runs_of_one_line_assignments() {
        let src = "resource \"a\" \"b\" {\n  count = 2\n  vpc_id = x.id\n\n  tags = {\n    Name = \"n\"\n    Environment = \"e\"\n  }\n}\n";
        let want = "resource \"a\" \"b\" {\n  count  = 2\n  vpc_id = x.id\n\n  tags = {\n    Name        = \"n\"\n    Environment = \"e\"\n  }\n}\n";
        assert_eq!(align(src), want);
    }

    #[test]
    fn a_line_opening_a_bracket_ends_the_run() {
        let src = "  a = 1\n  policy = jsonencode({\n    Version = \"x\"\n  })\n  bb = 2\n";
        assert_eq!(align(src), src, "each run here has one line");
    }

    #[test]
    fn comparison_and_arrow_operators_are_not_assignments() {
        assert_eq!(assignment("  x = a == b ? 1 : 2"), Some(4));
        assert_eq!(assignment("  { for k, v in m : k => v }"), None);
        assert_eq!(assignment("  = 1"), None);
        assert_eq!(assignment("  # a = b"), None);
        assert_eq!(assignment(r#"  "awslogs-group" = "a=b""#), Some(18));
        assert_eq!(assignment(r#"  name = "a = {""#), Some(7));
        assert_eq!(
            assignment(r#"  "${replace(x, "https://", "")}:sub" = "a""#),
            Some(38)
        );
        assert_eq!(assignment(r#"  a = "$${" "#), Some(4));
    }

    #[test]
    fn runs_span_indentation_levels_like_hclwrite() {
        // hclwrite measures the left-hand side with its indentation.
        let src = "    a = 1\n  bbbb = 2\n";
        assert_eq!(align(src), "    a  = 1\n  bbbb = 2\n");
    }

    #[test]
    fn comments_break_runs() {
        let src = "  a = 1\n  # checkov:skip=CKV_AWS_1:x\n  bbbb = 2\n";
        assert_eq!(align(src), src);
    }
}
