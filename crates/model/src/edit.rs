//! Surgical edits of a spec's text: set values inside one `tier` block and keep every other
//! byte (comments, blank lines, alignment, key order) as the author wrote it.
//!
//! HCL is located with hcl-edit, JSON with the model's span-keeping JSON reader;
//! the edit itself is a list of text replacements at those spans, so a value that changes is
//! the only thing on its line that changes. What the tier does not set yet is added: an
//! attribute on its own line after its siblings (aligned on their `=`), or a new nested block
//! (`service "api" { … }`) or object, indented like its neighbours. `tierform promote` uses it
//! to move release knobs from one tier to the next.

use hcl_edit::structure::{Block, Body};
use hcl_edit::Span as _;
use indexmap::IndexMap;
use serde::Serialize;
use serde_json::Value as Json;

use crate::diagnostic::{Diagnostic, Diagnostics, FieldPath, Span};
use crate::node::{from_json, Node};
use crate::source::Format;

/// One value to set under a tier.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// The path below the tier: blocks (or objects) then the attribute, such as
    /// `service.api.tag` for `tier "…" { service "api" { tag = … } }`.
    pub path: FieldPath,
    /// The value: a string, number, boolean or `null` (which unsets an inherited value).
    pub value: Json,
}

/// The assignments as a tree: key -> value, or key -> more keys.
#[derive(Debug)]
enum Entry<'a> {
    Leaf(&'a Json),
    Branch(Tree<'a>),
}

type Tree<'a> = IndexMap<&'a str, Entry<'a>>;

/// A replacement of `range` by `text`; `seq` orders insertions at one position.
#[derive(Debug)]
struct Patch {
    start: usize,
    end: usize,
    text: String,
}

/// Sets every assignment inside `tier "<tier>" { … }` (HCL) or `"tier": {"<tier>": {…}}`
/// (JSON), creating the blocks, objects and attributes the tier does not have yet, and
/// returns the new text. Nothing else in the text changes.
///
/// # Errors
/// The text does not parse, the tier is not declared as a block (or object), a path crosses
/// a value that is not a block, or an assignment has an empty path (code `cannot-edit`,
/// located by span; the caller locates it in its source).
pub fn set_in_tier(
    text: &str,
    format: Format,
    tier: &str,
    assignments: &[Assignment],
) -> Result<String, Diagnostics> {
    let mut tree = Tree::new();
    for a in assignments {
        insert(&mut tree, &a.path.0, &a.value)?;
    }
    let patches = match format {
        Format::Hcl => hcl(text, tier, &tree)?,
        Format::Json => json(text, tier, &tree)?,
    };
    Ok(apply(text, patches))
}

fn insert<'a>(tree: &mut Tree<'a>, path: &'a [String], value: &'a Json) -> Result<(), Diagnostics> {
    let Some((head, rest)) = path.split_first() else {
        return Err(cannot(
            "an assignment needs a path".into(),
            None,
            "name a field",
        ));
    };
    if rest.is_empty() {
        tree.insert(head, Entry::Leaf(value));
        return Ok(());
    }
    match tree
        .entry(head)
        .or_insert_with(|| Entry::Branch(Tree::new()))
    {
        Entry::Branch(t) => insert(t, rest, value),
        Entry::Leaf(_) => Err(cannot(
            format!("`{head}` is assigned a value and used as a block"),
            None,
            "assign each field once",
        )),
    }
}

fn cannot(message: String, span: Option<Span>, help: &str) -> Diagnostics {
    Diagnostic::error("cannot-edit", FieldPath::default(), message)
        .with_span(span)
        .with_help(help)
        .into()
}

fn apply(text: &str, mut patches: Vec<Patch>) -> String {
    // Later positions first, so earlier offsets stay valid; two insertions at one position
    // keep the order they were made in.
    let mut order: Vec<usize> = (0..patches.len()).collect();
    order.sort_by(|&a, &b| {
        (patches[b].start, patches[b].end, b).cmp(&(patches[a].start, patches[a].end, a))
    });
    let mut out = text.to_owned();
    for i in order {
        let p = &mut patches[i];
        out.replace_range(p.start..p.end, &std::mem::take(&mut p.text));
    }
    out
}

/// The offset of the first character of the line holding `at`.
fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The offset just past the newline ending the line holding `at` (or the end of the text).
fn next_line(text: &str, at: usize) -> usize {
    text[at..].find('\n').map_or(text.len(), |i| at + i + 1)
}

/// The leading whitespace of the line holding `at`.
fn indent_of(text: &str, at: usize) -> &str {
    let start = line_start(text, at);
    let line = &text[start..];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

/// Whether only whitespace precedes `at` on its line.
fn starts_line(text: &str, at: usize) -> bool {
    text[line_start(text, at)..at].trim().is_empty()
}

// ---------------------------------------------------------------------------------------
// HCL

fn hcl_value(v: &Json) -> String {
    match v {
        Json::String(s) => hcl_edit::expr::Expression::from(s.as_str()).to_string(),
        other => other.to_string(),
    }
}

fn find_block<'b>(body: &'b Body, ident: &str, label: &str) -> Option<&'b Block> {
    body.blocks()
        .find(|b| b.ident.as_str() == ident && b.labels.len() == 1 && b.labels[0].as_str() == label)
}

fn span_of(r: Option<std::ops::Range<usize>>) -> Option<Span> {
    r.map(Span::new)
}

fn hcl(text: &str, tier: &str, tree: &Tree) -> Result<Vec<Patch>, Diagnostics> {
    let body = hcl_edit::parser::parse_body(text).map_err(|e| {
        cannot(
            format!("the spec does not parse as HCL: {}", e.message()),
            None,
            "fix the syntax first (`tierform check`)",
        )
    })?;
    let block = find_block(&body, "tier", tier).ok_or_else(|| {
        cannot(
            format!("no `tier \"{tier}\" {{ … }}` block to edit"),
            Some(Span::new(0..0)),
            "declare the tier as a block",
        )
    })?;
    let mut patches = Vec::new();
    hcl_block(text, block, tree, &mut patches)?;
    Ok(patches)
}

/// Where a block's braces are: (`{`, `}`).
fn braces(text: &str, block: &Block) -> Option<(usize, usize)> {
    let span = block.span()?;
    let after_labels = block
        .labels
        .last()
        .and_then(|l| l.span())
        .or_else(|| block.ident.span())
        .map_or(span.start, |r| r.end);
    let open = after_labels + text[after_labels..span.end].find('{')?;
    let close = span.start + text[span.start..span.end].rfind('}')?;
    Some((open, close))
}

/// The column of an attribute's `=` relative to the start of its key.
fn eq_column(text: &str, attr: &hcl_edit::structure::Attribute) -> Option<usize> {
    let key = attr.key.span()?;
    let value = attr.value.span()?;
    let eq = key.end + text[key.end..value.start].find('=')?;
    Some(eq - key.start)
}

fn attr_line(indent: &str, key: &str, value: &Json, eq: usize) -> String {
    let pad = eq.saturating_sub(key.len()).max(1);
    format!("{indent}{key}{:pad$}= {}\n", "", hcl_value(value))
}

/// A new block (and the blocks it holds), each line indented by `indent` plus `unit` per level.
fn hcl_new_block(ident: &str, label: &str, tree: &Tree, indent: &str, unit: &str) -> String {
    let inner = format!("{indent}{unit}");
    let mut out = format!(
        "{indent}{ident} {} {{\n",
        hcl_value(&Json::String(label.into()))
    );
    out.push_str(&hcl_new_body(tree, &inner, unit));
    out.push_str(indent);
    out.push_str("}\n");
    out
}

/// The lines of a new body: its attributes (aligned on `=`), then its blocks.
fn hcl_new_body(tree: &Tree, indent: &str, unit: &str) -> String {
    let eq = tree
        .iter()
        .filter(|(_, e)| matches!(e, Entry::Leaf(_)))
        .map(|(k, _)| k.len() + 1)
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (k, e) in tree {
        if let Entry::Leaf(v) = e {
            out.push_str(&attr_line(indent, k, v, eq));
        }
    }
    for (k, e) in tree {
        if let Entry::Branch(labels) = e {
            for (label, inner) in labels {
                if let Entry::Branch(inner) = inner {
                    if !out.is_empty() {
                        out.push('\n');
                    }
                    out.push_str(&hcl_new_block(k, label, inner, indent, unit));
                }
            }
        }
    }
    out
}

/// How a block is written: where its braces are and how its lines are indented.
struct Layout {
    open: usize,
    close: usize,
    /// `{ … }` on one line.
    one_line: bool,
    /// The indentation of the block's own line.
    outer: String,
    /// The indentation of its body.
    inner: String,
    /// One level of indentation, as the author writes it.
    unit: String,
}

/// The layout of `block`, read from the text so that additions match the author's style.
fn layout(text: &str, block: &Block) -> Result<Layout, Diagnostics> {
    let here = span_of(block.span());
    let (open, close) = braces(text, block)
        .ok_or_else(|| cannot("a block without braces".into(), here, "check the syntax"))?;
    let one_line = !text[open..close].contains('\n');
    let outer = indent_of(text, block.span().map_or(open, |r| r.start)).to_owned();
    let first = block.body.iter().next().and_then(|s| s.span());
    let inner = match first {
        Some(r) if !one_line && starts_line(text, r.start) => indent_of(text, r.start).to_owned(),
        _ => format!("{outer}  "),
    };
    let unit = inner
        .strip_prefix(outer.as_str())
        .filter(|u| !u.is_empty())
        .unwrap_or("  ")
        .to_owned();
    Ok(Layout {
        open,
        close,
        one_line,
        outer,
        inner,
        unit,
    })
}

/// What the assignments find in a block: the patches of the attributes that exist, the
/// attributes and blocks still to add, and the last existing attribute they touch.
struct Found<'b, 't> {
    patches: Vec<Patch>,
    anchor: Option<&'b hcl_edit::structure::Attribute>,
    new_attrs: Tree<'t>,
    new_blocks: Tree<'t>,
}

/// Sets `tree` inside `block`, pushing the patches onto `out`.
fn hcl_block(
    text: &str,
    block: &Block,
    tree: &Tree,
    out: &mut Vec<Patch>,
) -> Result<(), Diagnostics> {
    let layout = layout(text, block)?;
    // What exists is patched in place; what does not is collected and added below.
    let found = patch_existing(text, block, tree, out)?;
    if found.new_attrs.is_empty() && found.new_blocks.is_empty() {
        out.extend(found.patches);
        return Ok(());
    }
    if layout.one_line {
        out.push(open_up(text, block, &layout, found));
        return Ok(());
    }
    out.extend(found.patches);
    if !found.new_attrs.is_empty() {
        out.push(add_attributes(
            text,
            block,
            &layout,
            found.anchor,
            &found.new_attrs,
        ));
    }
    add_blocks(text, block, &layout, &found.new_blocks, out);
    Ok(())
}

/// Patches the attributes of `tree` that `block` has (recursing into the blocks it has,
/// whose patches go straight to `out`), and collects what it lacks.
fn patch_existing<'b, 't>(
    text: &str,
    block: &'b Block,
    tree: &'t Tree,
    out: &mut Vec<Patch>,
) -> Result<Found<'b, 't>, Diagnostics> {
    let here = span_of(block.span());
    let mut found = Found {
        patches: Vec::new(),
        anchor: None,
        new_attrs: Tree::new(),
        new_blocks: Tree::new(),
    };
    for (key, entry) in tree {
        match entry {
            Entry::Leaf(v) => match block.body.get_attribute(key) {
                Some(attr) => {
                    let r = attr.value.span().ok_or_else(|| {
                        cannot(format!("`{key}` has no position"), here, "check the syntax")
                    })?;
                    let new = hcl_value(v);
                    if text[r.clone()] != new {
                        found.patches.push(Patch {
                            start: r.start,
                            end: r.end,
                            text: new,
                        });
                    }
                    found.anchor = Some(attr);
                }
                None if block.body.has_blocks(key) => {
                    return Err(cannot(
                        format!("`{key}` is a block here, not a value"),
                        here,
                        "assign values to attributes only",
                    ))
                }
                None => {
                    found.new_attrs.insert(key, Entry::Leaf(v));
                }
            },
            Entry::Branch(labels) => {
                patch_blocks(text, block, key, labels, &mut found.new_blocks, out)?;
            }
        }
    }
    Ok(found)
}

/// The labelled blocks `key "<label>" { … }` of `tree`: those `block` has are edited in
/// place, the others collected into `new_blocks`.
fn patch_blocks<'t>(
    text: &str,
    block: &Block,
    key: &'t str,
    labels: &'t Tree,
    new_blocks: &mut Tree<'t>,
    out: &mut Vec<Patch>,
) -> Result<(), Diagnostics> {
    if let Some(attr) = block.body.get_attribute(key) {
        return Err(cannot(
            format!(
                "`{key}` is written as an attribute (`{key} = {{ … }}`); this edit changes blocks"
            ),
            span_of(attr.span()),
            &format!("write it as blocks, such as `{key} \"name\" {{ … }}`"),
        ));
    }
    for (label, e) in labels {
        let Entry::Branch(t) = e else {
            return Err(cannot(
                format!("`{key}.{label}` is a block, not a value"),
                span_of(block.span()),
                "assign values to attributes inside it",
            ));
        };
        match find_block(&block.body, key, label) {
            Some(b) => hcl_block(text, b, t, out)?,
            None => {
                let slot = new_blocks
                    .entry(key)
                    .or_insert_with(|| Entry::Branch(Tree::new()));
                if let Entry::Branch(s) = slot {
                    s.insert(label, Entry::Branch(clone_tree(t)));
                }
            }
        }
    }
    Ok(())
}

/// `service "api" { replicas = 1 }` or `{}`: HCL allows one attribute on a line, so the
/// block opens up, its attribute (with its new value) on a line of its own.
fn open_up(text: &str, block: &Block, layout: &Layout, found: Found) -> Patch {
    let Layout {
        open,
        close,
        ref inner,
        ref unit,
        ref outer,
        ..
    } = *layout;
    let mut body = String::from("\n");
    if let Some(attr) = block.body.attributes().next() {
        let (k, v) = (
            attr.key.span().map_or(open + 1, |r| r.start),
            attr.value.span().map_or(close, |r| r.end),
        );
        let mut line = text[k..v].to_owned();
        if let Some(p) = found.patches.first() {
            let vs = attr.value.span().map_or(v, |r| r.start);
            line = format!("{}{}", &text[k..vs], p.text);
        }
        body.push_str(&format!("{inner}{line}\n"));
    }
    let mut fresh = found.new_attrs;
    fresh.extend(found.new_blocks);
    body.push_str(&hcl_new_body(&fresh, inner, unit));
    body.push_str(outer);
    Patch {
        start: open + 1,
        end: close,
        text: body,
    }
}

/// The new attributes: after the last attribute the assignments touch (a new `digest` goes
/// under `tag`), else after the block's last attribute, else first in the block.
fn add_attributes(
    text: &str,
    block: &Block,
    layout: &Layout,
    anchor: Option<&hcl_edit::structure::Attribute>,
    new_attrs: &Tree,
) -> Patch {
    let anchor = anchor.or_else(|| block.body.attributes().last());
    let (at, eq) = match anchor {
        Some(a) => (
            next_line(text, a.span().map_or(layout.open, |r| r.end)),
            eq_column(text, a).unwrap_or(0),
        ),
        None => (next_line(text, layout.open), 0),
    };
    // Aligned on the anchor's `=` (as `terraform fmt` aligns neighbours) when the key fits.
    let eq = if eq > 0 {
        eq
    } else {
        new_attrs.keys().map(|k| k.len() + 1).max().unwrap_or(0)
    };
    let mut lines = String::new();
    for (k, e) in new_attrs {
        if let Entry::Leaf(v) = e {
            lines.push_str(&attr_line(&layout.inner, k, v, eq));
        }
    }
    Patch {
        start: at,
        end: at,
        text: lines,
    }
}

/// The new blocks, each kind after the last block of the same kind, else at the end of the
/// block, a blank line before it as between the author's blocks.
fn add_blocks(text: &str, block: &Block, layout: &Layout, new_blocks: &Tree, out: &mut Vec<Patch>) {
    for (ident, labels) in new_blocks {
        let Entry::Branch(labels) = labels else {
            continue;
        };
        let last = block
            .body
            .blocks()
            .filter(|b| b.ident.as_str() == *ident)
            .last()
            .and_then(|b| b.span());
        let at = match last {
            Some(r) => next_line(text, r.end.saturating_sub(1)),
            None => line_start(text, layout.close),
        };
        let mut lines = String::new();
        for (label, t) in labels {
            if let Entry::Branch(t) = t {
                let before = &text[..at];
                let blank = !(before.ends_with("\n\n") || before.trim_end().ends_with('{'));
                if blank || !lines.is_empty() {
                    lines.push('\n');
                }
                lines.push_str(&hcl_new_block(ident, label, t, &layout.inner, &layout.unit));
            }
        }
        out.push(Patch {
            start: at,
            end: at,
            text: lines,
        });
    }
}

fn clone_tree<'a>(t: &Tree<'a>) -> Tree<'a> {
    t.iter()
        .map(|(k, e)| {
            (
                *k,
                match e {
                    Entry::Leaf(v) => Entry::Leaf(v),
                    Entry::Branch(t) => Entry::Branch(clone_tree(t)),
                },
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// JSON

fn to_json(tree: &Tree) -> Json {
    Json::Object(
        tree.iter()
            .map(|(k, e)| {
                (
                    (*k).to_owned(),
                    match e {
                        Entry::Leaf(v) => (*v).clone(),
                        Entry::Branch(t) => to_json(t),
                    },
                )
            })
            .collect(),
    )
}

/// `v` as pretty JSON, its lines after the first indented by `indent`.
fn pretty(v: &Json, indent: &str, unit: &str) -> String {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(unit.as_bytes());
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    v.serialize(&mut ser).expect("JSON values serialise");
    String::from_utf8(buf)
        .expect("JSON is UTF-8")
        .replace('\n', &format!("\n{indent}"))
}

fn json(text: &str, tier: &str, tree: &Tree) -> Result<Vec<Patch>, Diagnostics> {
    let root = from_json(text).map_err(Diagnostics)?;
    let tiers = root.get("tier").ok_or_else(|| {
        cannot(
            "the spec declares no `tier` object".into(),
            Some(Span::new(0..0)),
            "declare the tiers",
        )
    })?;
    let t = tiers.node.get(tier).ok_or_else(|| {
        cannot(
            format!("no `\"{tier}\"` object under `\"tier\"` to edit"),
            tiers.key_span,
            "declare the tier",
        )
    })?;
    // The file's indentation unit: the first key of the spec, if it starts a line.
    let unit = root
        .as_object()
        .and_then(|o| o.values().next())
        .and_then(|f| f.key_span)
        .filter(|s| starts_line(text, s.start as usize))
        .map_or("  ".to_owned(), |s| {
            indent_of(text, s.start as usize).to_owned()
        });
    let unit = if unit.is_empty() {
        "  ".to_owned()
    } else {
        unit
    };
    let mut patches = Vec::new();
    json_object(text, &t.node, tree, &unit, &mut patches)?;
    Ok(patches)
}

fn json_object(
    text: &str,
    node: &Node,
    tree: &Tree,
    unit: &str,
    out: &mut Vec<Patch>,
) -> Result<(), Diagnostics> {
    let fields = node.as_object().ok_or_else(|| {
        cannot(
            format!("expected an object, found {}", node.value.type_name()),
            node.span,
            "tiers override values with nested objects",
        )
    })?;
    let mut missing = Tree::new();
    for (key, entry) in tree {
        match (fields.get(*key), entry) {
            (Some(f), Entry::Leaf(v)) => {
                let s = f.node.span.ok_or_else(|| {
                    cannot(format!("`{key}` has no position"), None, "check the syntax")
                })?;
                let new = serde_json::to_string(v).expect("JSON values serialise");
                if text[s.start as usize..s.end as usize] != new {
                    out.push(Patch {
                        start: s.start as usize,
                        end: s.end as usize,
                        text: new,
                    });
                }
            }
            (Some(f), Entry::Branch(t)) => json_object(text, &f.node, t, unit, out)?,
            (None, e) => {
                missing.insert(
                    key,
                    match e {
                        Entry::Leaf(v) => Entry::Leaf(v),
                        Entry::Branch(t) => Entry::Branch(clone_tree(t)),
                    },
                );
            }
        }
    }
    if missing.is_empty() {
        return Ok(());
    }
    let span = node.span.ok_or_else(|| {
        cannot(
            "an object without a position".into(),
            None,
            "check the syntax",
        )
    })?;
    let (open, close) = (span.start as usize, span.end as usize - 1);
    let values = to_json(&missing);
    let members: Vec<(&String, &Json)> = values.as_object().expect("an object").iter().collect();
    match fields.last() {
        Some((_, last)) => {
            let end = last.node.span.map_or(close, |s| s.end as usize);
            let key_at = last.key_span.map_or(end, |s| s.start as usize);
            let mut add = String::new();
            if starts_line(text, key_at) {
                let indent = indent_of(text, key_at);
                for (k, v) in members {
                    add.push_str(&format!(
                        ",\n{indent}{}: {}",
                        Json::String(k.clone()),
                        pretty(v, indent, unit)
                    ));
                }
            } else {
                for (k, v) in members {
                    add.push_str(&format!(", {}: {v}", Json::String(k.clone())));
                }
            }
            out.push(Patch {
                start: end,
                end,
                text: add,
            });
        }
        None => {
            let outer = indent_of(text, open);
            let indent = format!("{outer}{unit}");
            let body: Vec<String> = members
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{indent}{}: {}",
                        Json::String((*k).clone()),
                        pretty(v, &indent, unit)
                    )
                })
                .collect();
            out.push(Patch {
                start: open + 1,
                end: close,
                text: format!("\n{}\n{outer}", body.join(",\n")),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str, format: Format, tier: &str, sets: &[(&str, Json)]) -> String {
        let a: Vec<Assignment> = sets
            .iter()
            .map(|(p, v)| Assignment {
                path: FieldPath::parse(p),
                value: v.clone(),
            })
            .collect();
        set_in_tier(text, format, tier, &a).unwrap_or_else(|d| panic!("{d:?}"))
    }

    const HCL: &str = "# top\ntier \"staging\" {\n  mirrors = \"prod\" # keep\n}\n\ntier \"prod\" {\n  # the pinned release\n  service \"api\" {\n    tag    = \"1.0.0\" # reviewed\n    digest = \"sha256:aa\"\n    cpu    = 500\n  }\n}\n";

    #[test]
    fn hcl_values_change_in_place_and_nothing_else() {
        let out = set(
            HCL,
            Format::Hcl,
            "prod",
            &[
                ("service.api.tag", "1.1.0".into()),
                ("service.api.digest", Json::Null),
            ],
        );
        assert_eq!(
            out,
            HCL.replace("\"1.0.0\" # reviewed", "\"1.1.0\" # reviewed")
                .replace("\"sha256:aa\"", "null")
        );
    }

    #[test]
    fn hcl_missing_attributes_and_blocks_are_added_like_their_neighbours() {
        let text =
            "tier \"prod\" {\n  service \"api\" {\n    tag = \"1.0.0\"\n    cpu = 500\n  }\n}\n";
        let out = set(
            text,
            Format::Hcl,
            "prod",
            &[
                ("service.api.tag", "2.0.0".into()),
                ("service.api.digest", "sha256:bb".into()),
                ("service.web.tag", "2.0.0".into()),
                ("service.web.digest", "sha256:cc".into()),
            ],
        );
        assert_eq!(
            out,
            "tier \"prod\" {\n  service \"api\" {\n    tag = \"2.0.0\"\n    digest = \"sha256:bb\"\n    cpu = 500\n  }\n\n  service \"web\" {\n    tag    = \"2.0.0\"\n    digest = \"sha256:cc\"\n  }\n}\n"
        );
        let out = set(
            "tier \"staging\" {\n  mirrors = \"prod\"\n}\n",
            Format::Hcl,
            "staging",
            &[("service.api.tag", "1.0.0".into())],
        );
        assert_eq!(
            out,
            "tier \"staging\" {\n  mirrors = \"prod\"\n\n  service \"api\" {\n    tag = \"1.0.0\"\n  }\n}\n"
        );
        crate::node::from_hcl(&out).unwrap();
    }

    #[test]
    fn hcl_one_line_blocks_open_up() {
        let out = set(
            "tier \"prod\" {}\ntier \"qa\" {\n  service \"api\" { replicas = 1 }\n}\n",
            Format::Hcl,
            "qa",
            &[("service.api.tag", "1.0.0".into())],
        );
        assert_eq!(
            out,
            "tier \"prod\" {}\ntier \"qa\" {\n  service \"api\" {\n    replicas = 1\n    tag = \"1.0.0\"\n  }\n}\n"
        );
        let out = set(
            "tier \"prod\" {}\n",
            Format::Hcl,
            "prod",
            &[("service.api.tag", "1.0.0".into())],
        );
        assert_eq!(
            out,
            "tier \"prod\" {\n  service \"api\" {\n    tag = \"1.0.0\"\n  }\n}\n"
        );
    }

    #[test]
    fn hcl_strings_are_escaped_as_hcl() {
        let out = set(
            "tier \"prod\" {\n}\n",
            Format::Hcl,
            "prod",
            &[("service.api.tag", "a\"b${c}".into())],
        );
        let node = crate::node::from_hcl(&out).unwrap();
        assert_eq!(
            node.lookup(["tier", "prod", "service", "api", "tag"])
                .unwrap()
                .as_str(),
            Some("a\"b${c}")
        );
    }

    #[test]
    fn hcl_refuses_what_it_cannot_edit() {
        let e = set_in_tier(
            "tier \"prod\" {\n  service = { api = { tag = \"1\" } }\n}\n",
            Format::Hcl,
            "prod",
            &[Assignment {
                path: FieldPath::parse("service.api.tag"),
                value: "2".into(),
            }],
        )
        .unwrap_err();
        assert_eq!(e.0[0].code, "cannot-edit");
        assert!(e.0[0].span.is_some());
        let e = set_in_tier("app = \"x\"\n", Format::Hcl, "prod", &[]).unwrap_err();
        assert!(
            e.0[0].message.contains("tier \"prod\""),
            "{}",
            e.0[0].message
        );
    }

    const JSON: &str = "{\n  \"app\": \"x\",\n  \"tier\": {\n    \"prod\": {\n      \"service\": {\n        \"api\": {\"tag\": \"1.0.0\", \"digest\": \"sha256:aa\"}\n      }\n    },\n    \"staging\": {}\n  }\n}\n";

    #[test]
    fn json_values_change_in_place_and_missing_ones_are_added() {
        let out = set(
            JSON,
            Format::Json,
            "prod",
            &[
                ("service.api.tag", "1.1.0".into()),
                ("service.api.digest", Json::Null),
                ("service.api.cpu", 500.into()),
                ("service.web.tag", "1.1.0".into()),
            ],
        );
        assert_eq!(
            out,
            "{\n  \"app\": \"x\",\n  \"tier\": {\n    \"prod\": {\n      \"service\": {\n        \"api\": {\"tag\": \"1.1.0\", \"digest\": null, \"cpu\": 500},\n        \"web\": {\n          \"tag\": \"1.1.0\"\n        }\n      }\n    },\n    \"staging\": {}\n  }\n}\n"
        );
        let out = set(
            JSON,
            Format::Json,
            "staging",
            &[("service.api.tag", "1.1.0".into())],
        );
        assert_eq!(
            out,
            JSON.replace(
                "\"staging\": {}",
                "\"staging\": {\n      \"service\": {\n        \"api\": {\n          \"tag\": \"1.1.0\"\n        }\n      }\n    }"
            )
        );
        let v: Json = serde_json::from_str(&out).unwrap();
        assert_eq!(v["tier"]["staging"]["service"]["api"]["tag"], "1.1.0");
    }
}
