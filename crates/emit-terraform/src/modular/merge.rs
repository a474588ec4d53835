//! The merge: the blocks an environment really emits, value by value against the blocks of
//! its probes (see [`super::probe`]). A value becomes a reference to an input only where the
//! probes show that it carries that input and instantiating the reference with the
//! environment's own value gives the value back exactly; a value the inputs change in a way
//! no reference expresses (a name tierform cut to AWS's length limit, Fargate's CPU units
//! from millicores) becomes an input of its own, *derived*; anything else stays as it is.
//! So the module, instantiated with the environment's inputs, is the environment's own
//! Terraform, whatever the probes show.

use std::collections::BTreeMap;

use hcl::expr::{Operation, TemplateExpr, UnaryOp, UnaryOperator};
use hcl::{Attribute, Block, BlockLabel, Body, Expression, ObjectKey, Structure};
use serde_json::Value;

use super::probe::{split_tokens, Inputs, Kind, Piece};
use crate::expr::{escape_template_literal, one_line, var};
use crate::module::{Skip, TopBlock};

/// The probes of one environment, in a fixed order: the far probe, the near probe, then one
/// per bit of the finite leaves' codes.
pub(crate) const FAR: usize = 0;
pub(crate) const NEAR: usize = 1;

/// An input a value of the module reads that is no knob: the environment's value of one
/// argument, which tierform computes from knobs or the identity.
#[derive(Debug, Clone)]
pub(crate) struct Derived {
    pub name: String,
    pub value: Expression,
    /// Where it is used first: `aws_lb.main: name`.
    pub site: String,
    /// Fingerprints of a probe's value (the near probe's: the far one's may be a list of
    /// thousands of zones) and the real one: two arguments with the same pair share an input.
    key: (u128, u128),
}

/// The state of one merge.
pub(crate) struct Merger<'a> {
    inputs: &'a Inputs,
    near: BTreeMap<u64, usize>,
    /// Which inputs the module reads, by index.
    pub used: Vec<bool>,
    pub derived: Vec<Derived>,
    /// Whether the flip probes' counterparts of the block being merged equal the far
    /// probe's: then every value of a flip is the far probe's value at the same place, and
    /// comparing the far probe's is comparing theirs.
    flips_like_far: bool,
}

/// A value holding tokens.
#[derive(PartialEq)]
enum Tokens<'p> {
    Leaf(usize),
    /// A plain string: pieces of its text.
    Text(Vec<Piece<'p>>),
    /// A template: pieces of its source.
    Template(Vec<Piece<'p>>),
}

impl<'a> Merger<'a> {
    pub(crate) fn new(inputs: &'a Inputs) -> Self {
        Merger {
            inputs,
            near: inputs
                .near
                .iter()
                .enumerate()
                .filter_map(|(i, t)| Some(((*t)?, i)))
                .collect(),
            used: vec![false; inputs.vars.len()],
            derived: Vec::new(),
            flips_like_far: false,
        }
    }

    /// A top-level block against its counterparts in the probes; `flips_like_far` when the
    /// flip probes' counterparts are equal to the far probe's (known per probe, see
    /// `Shared::flips_like_far`).
    pub(crate) fn top(
        &mut self,
        r: &TopBlock,
        ps: &[Option<&TopBlock>],
        flips_like_far: bool,
    ) -> TopBlock {
        let mut path = vec![address(&r.block)];
        let bodies: Vec<Option<&Body>> = ps.iter().map(|p| p.map(|b| &b.block.body)).collect();
        self.flips_like_far = flips_like_far;
        let body = self.body(&r.block.body, &bodies, &mut path);
        self.flips_like_far = false;
        let skips = r
            .skips
            .iter()
            .map(|s| Skip {
                id: s.id.clone(),
                reason: self.reason(s, ps),
            })
            .collect();
        TopBlock {
            file: r.file,
            component: r.component.clone(),
            block: Block {
                identifier: r.block.identifier.clone(),
                labels: r.block.labels.clone(),
                body,
            },
            gaps: r.gaps.clone(),
            skips,
        }
    }

    /// `find` in each probe; with `flips_like_far`, the far probe's answer is the flips'.
    fn each_probe<'p, T: Copy>(
        &self,
        ps: &[Option<&'p Body>],
        find: impl Fn(&Option<&'p Body>) -> Option<T>,
    ) -> Vec<Option<T>> {
        if !self.flips_like_far || ps.len() <= NEAR {
            return ps.iter().map(find).collect();
        }
        let far = find(&ps[FAR]);
        let mut out = Vec::with_capacity(ps.len());
        out.push(far);
        out.push(find(&ps[NEAR]));
        out.extend(std::iter::repeat_n(far, ps.len() - 2));
        out
    }

    fn body<'p>(&mut self, r: &Body, ps: &[Option<&'p Body>], path: &mut Vec<String>) -> Body {
        let mut seen: BTreeMap<(String, Vec<String>), usize> = BTreeMap::new();
        let mut out = Vec::with_capacity(r.0.len());
        for s in r.iter() {
            match s {
                Structure::Attribute(a) => {
                    let key = a.key.as_str();
                    let find = |p: &Option<&'p Body>| {
                        p.and_then(|b| {
                            b.attributes()
                                .find(|x| x.key.as_str() == key)
                                .map(|x| &x.expr)
                        })
                    };
                    let cs: Vec<Option<&Expression>> = self.each_probe(ps, find);
                    path.push(key.to_owned());
                    let expr = self.expr(&a.expr, &cs, path);
                    path.pop();
                    out.push(Structure::Attribute(Attribute::new(a.key.clone(), expr)));
                }
                Structure::Block(b) => {
                    let id = (b.identifier.to_string(), labels(b));
                    let n = *seen.entry(id.clone()).and_modify(|n| *n += 1).or_insert(0);
                    let find = |p: &Option<&'p Body>| {
                        p.and_then(|body| {
                            body.blocks()
                                .filter(|x| x.identifier.as_str() == id.0 && labels(x) == id.1)
                                .nth(n)
                                .map(|x| &x.body)
                        })
                    };
                    let cs: Vec<Option<&Body>> = self.each_probe(ps, find);
                    path.push(if n == 0 {
                        id.0.clone()
                    } else {
                        format!("{}.{n}", id.0)
                    });
                    let body = self.body(&b.body, &cs, path);
                    path.pop();
                    out.push(Structure::Block(Block {
                        identifier: b.identifier.clone(),
                        labels: b.labels.clone(),
                        body,
                    }));
                }
            }
        }
        Body(out)
    }

    fn expr(
        &mut self,
        r: &Expression,
        ps: &[Option<&Expression>],
        path: &mut Vec<String>,
    ) -> Expression {
        // What no probe changes is the value itself (most of a module: a quick way out). Flips
        // equal to the far probe need no comparison of their own.
        let compared = if self.flips_like_far && ps.len() > NEAR {
            &ps[..=NEAR]
        } else {
            ps
        };
        if compared.iter().all(|p| p.is_none_or(|p| p == r)) {
            return r.clone();
        }
        if let Some(e) = self.whole_list(r, ps) {
            return e;
        }
        if !matches!(
            r,
            Expression::Array(_) | Expression::Object(_) | Expression::FuncCall(_)
        ) {
            return self.leaf(r, ps, path);
        }
        // A probe whose value has another shape shows nothing about the parts: where a token
        // probe's does, the value is derived if it can be; else the parts are read against
        // the probes that have the same shape.
        let shaped: Vec<Option<&Expression>> =
            ps.iter().map(|p| p.filter(|p| same_shape(r, p))).collect();
        let reshaped = |i: usize| shaped[i].is_none() && ps[i].is_some();
        if (reshaped(FAR) || reshaped(NEAR)) && plain(r) {
            return self.derive(r, ps[NEAR].or(ps[FAR]), path);
        }
        fn part<'e>(p: &Option<&'e Expression>, i: usize) -> Option<&'e Expression> {
            match (*p)? {
                Expression::Array(x) => x.get(i),
                Expression::Object(x) => x.get_index(i).map(|(_, v)| v),
                Expression::FuncCall(x) => x.args.get(i),
                _ => None,
            }
        }
        match r {
            Expression::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let cs: Vec<Option<&Expression>> = shaped.iter().map(|p| part(p, i)).collect();
                    path.push(i.to_string());
                    out.push(self.expr(item, &cs, path));
                    path.pop();
                }
                Expression::Array(out)
            }
            Expression::Object(o) => {
                let mut out = hcl::Object::with_capacity(o.len());
                for (i, (k, v)) in o.iter().enumerate() {
                    let cs: Vec<Option<&Expression>> = shaped.iter().map(|p| part(p, i)).collect();
                    path.push(key_text(k));
                    let merged = self.expr(v, &cs, path);
                    path.pop();
                    out.insert(k.clone(), merged);
                }
                Expression::Object(out)
            }
            Expression::FuncCall(f) => {
                let mut call = (**f).clone();
                for (i, a) in f.args.iter().enumerate() {
                    let cs: Vec<Option<&Expression>> = shaped.iter().map(|p| part(p, i)).collect();
                    call.args[i] = self.expr(a, &cs, path);
                }
                Expression::FuncCall(Box::new(call))
            }
            _ => unreachable!("lists, objects and calls only"),
        }
    }

    /// A list that is a whole list input, element for element, in every probe that has it.
    fn whole_list(&mut self, r: &Expression, ps: &[Option<&Expression>]) -> Option<Expression> {
        let Some(Expression::Array(s)) = ps[FAR] else {
            return None;
        };
        let first = match s.first()? {
            Expression::String(t) => match split_tokens(t)?.as_slice() {
                [Piece::Leaf(l)] => *l,
                _ => return None,
            },
            _ => return None,
        };
        let var = self.inputs.leaves.get(first)?.var;
        let v = &self.inputs.vars[var];
        if !v.list || v.leaves.len() != s.len() {
            return None;
        }
        let tokens_match = |items: &[Expression]| {
            items.len() == v.leaves.len()
                && items.iter().zip(&v.leaves).all(|(e, &l)| match e {
                    Expression::String(t) => {
                        matches!(split_tokens(t).as_deref(), Some([Piece::Leaf(x)]) if *x == l)
                    }
                    _ => false,
                })
        };
        let all = ps.iter().all(|p| match p {
            None => true,
            Some(Expression::Array(items)) => tokens_match(items),
            Some(_) => false,
        });
        if !all || *r != json_expr(&v.value) {
            return None;
        }
        self.used[var] = true;
        Some(var_ref(&v.name, None))
    }

    /// A value that is not a list, object or call.
    fn leaf(&mut self, r: &Expression, ps: &[Option<&Expression>], path: &[String]) -> Expression {
        let far = ps[FAR];
        let mut found: Option<(Expression, Vec<usize>)> = None;
        // The tokens `found` was made of: equal tokens make an equal reference, so a probe
        // holding the same ones needs no second instantiation or abstraction.
        let mut found_tokens: Option<Tokens> = None;
        let mut far_found = false;
        let mut depends = false;
        let mut broken = false;
        for (which, probe) in [(FAR, far), (NEAR, ps[NEAR])] {
            let Some(p) = probe else { continue };
            match self.tokens(p, which, far) {
                Some(t) => {
                    depends = true;
                    if found_tokens.as_ref() == Some(&t) {
                        continue;
                    }
                    if self.instantiate(&t).as_ref() != Some(r) {
                        broken = true;
                        continue;
                    }
                    let a = self.abstracted(&t);
                    match &found {
                        Some(f) if f.0 != a.0 => broken = true,
                        Some(_) => {}
                        None => {
                            found = Some(a);
                            found_tokens = Some(t);
                            far_found = which == FAR;
                        }
                    }
                }
                None if p != r => {
                    depends = true;
                    broken = true;
                }
                None => {}
            }
        }
        if let (Some((e, vars)), false) = (&found, broken) {
            // The flip probes, which hold the far probe's tokens, must read the same inputs:
            // a flip whose value is the far probe's, or whose tokens are those `e` was made
            // of, does.
            let same = ps[2..].iter().flatten().all(|b| {
                if far_found && Some(*b) == far {
                    return true;
                }
                self.tokens(b, FAR, Some(b)).is_some_and(|t| {
                    found_tokens.as_ref() == Some(&t) || self.abstracted(&t).0 == *e
                })
            });
            if same {
                for v in vars {
                    self.used[*v] = true;
                }
                return e.clone();
            }
        }
        if depends {
            return self.derive(r, ps[NEAR].or(far), path);
        }
        // Only booleans and enums may change it: a reference to one of them, or the value
        // itself (the structure differs with that value anyway).
        let base = far.unwrap_or(r);
        if ps[2..].iter().flatten().any(|b| *b != base) {
            if let Some(e) = self.finite_match(r, base, &ps[2..]) {
                return e;
            }
        }
        r.clone()
    }

    /// The tokens in a probe's value: a number that is a leaf's token (a near token only where
    /// the far probe has that leaf's far token, or nothing), or text holding text tokens.
    fn tokens<'p>(
        &self,
        p: &'p Expression,
        which: usize,
        far: Option<&Expression>,
    ) -> Option<Tokens<'p>> {
        match p {
            Expression::Number(n) => {
                let n = n.as_u64()?;
                let leaf = if which == FAR {
                    let i = usize::try_from(n.checked_sub(super::probe::FAR_BASE)? / 7).ok()?;
                    (self.inputs.leaves.get(i)?.kind == Kind::Number && self.inputs.far(i) == n)
                        .then_some(i)?
                } else {
                    let i = *self.near.get(&n)?;
                    let far_ok = match far {
                        None => true,
                        Some(Expression::Number(f)) => f.as_u64() == Some(self.inputs.far(i)),
                        Some(_) => false,
                    };
                    far_ok.then_some(i)?
                };
                Some(Tokens::Leaf(leaf))
            }
            Expression::String(s) => split_tokens(s).map(Tokens::Text),
            Expression::TemplateExpr(t) => match &**t {
                TemplateExpr::QuotedString(s) => split_tokens(s).map(Tokens::Template),
                TemplateExpr::Heredoc(_) => None,
            },
            _ => None,
        }
    }

    /// The value the tokens stand for in this environment.
    fn instantiate(&self, t: &Tokens) -> Option<Expression> {
        let text = |pieces: &[Piece], escape: bool| -> Option<String> {
            let mut out = String::new();
            for p in pieces {
                match p {
                    Piece::Lit(s) => out.push_str(s),
                    Piece::Leaf(i) => {
                        let v = value_text(&self.inputs.leaves.get(*i)?.value)?;
                        if escape {
                            escape_template_literal(&mut out, &v);
                        } else {
                            out.push_str(&v);
                        }
                    }
                }
            }
            Some(out)
        };
        Some(match t {
            Tokens::Leaf(i) => json_expr(&self.inputs.leaves.get(*i)?.value),
            Tokens::Text(pieces) => Expression::String(text(pieces, false)?),
            Tokens::Template(pieces) => {
                Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(text(pieces, true)?)))
            }
        })
    }

    /// The tokens as references to the inputs, and the inputs they read.
    fn abstracted(&self, t: &Tokens) -> (Expression, Vec<usize>) {
        let mut vars = Vec::new();
        let single = match t {
            Tokens::Leaf(i) => Some(*i),
            Tokens::Text(p) => match p.as_slice() {
                [Piece::Leaf(i)] => Some(*i),
                _ => None,
            },
            Tokens::Template(_) => None,
        };
        if let Some(i) = single {
            let l = &self.inputs.leaves[i];
            vars.push(l.var);
            return (var_ref(&self.inputs.vars[l.var].name, l.element), vars);
        }
        let (pieces, escaped) = match t {
            Tokens::Text(p) => (p, false),
            Tokens::Template(p) => (p, true),
            Tokens::Leaf(_) => unreachable!("a single leaf is a reference"),
        };
        let mut out = String::new();
        for p in pieces {
            match p {
                Piece::Lit(s) if escaped => out.push_str(s),
                Piece::Lit(s) => escape_template_literal(&mut out, s),
                Piece::Leaf(i) => {
                    let l = &self.inputs.leaves[*i];
                    vars.push(l.var);
                    out.push_str("${");
                    out.push_str(&one_line(&var_ref(
                        &self.inputs.vars[l.var].name,
                        l.element,
                    )));
                    out.push('}');
                }
            }
        }
        (
            Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(out))),
            vars,
        )
    }

    /// A boolean or enum value that flips in exactly one finite leaf's pattern, as that leaf
    /// (or its negation, or its text).
    fn finite_match(
        &mut self,
        r: &Expression,
        base: &Expression,
        flips: &[Option<&Expression>],
    ) -> Option<Expression> {
        let mut found = None;
        for (code, &leaf) in self.inputs.finite.iter().enumerate() {
            let code = code + 1;
            let l = &self.inputs.leaves[leaf];
            let alt = self.inputs.flipped(leaf);
            let v = &self.inputs.vars[l.var];
            let reference = var_ref(&v.name, l.element);
            let (form, expected) = match (&l.value, &alt, r) {
                (Value::Bool(b), Value::Bool(a), Expression::Bool(x)) if x == b => {
                    (reference, Expression::Bool(*a))
                }
                (Value::Bool(b), Value::Bool(a), Expression::Bool(x)) if x != b => (
                    Expression::Operation(Box::new(Operation::Unary(UnaryOp::new(
                        UnaryOperator::Not,
                        reference,
                    )))),
                    Expression::Bool(!a),
                ),
                (Value::Bool(b), Value::Bool(a), Expression::String(x)) if *x == b.to_string() => (
                    Expression::TemplateExpr(Box::new(TemplateExpr::QuotedString(format!(
                        "${{{}}}",
                        one_line(&reference)
                    )))),
                    Expression::String(a.to_string()),
                ),
                (Value::String(s), Value::String(a), Expression::String(x)) if x == s => {
                    (reference, Expression::String(a.clone()))
                }
                _ => continue,
            };
            let mut flipped_once = false;
            let fits = flips.iter().enumerate().all(|(j, b)| match b {
                None => true,
                Some(b) if code >> j & 1 == 1 => {
                    flipped_once = true;
                    **b == expected
                }
                Some(b) => *b == base,
            });
            if fits && flipped_once {
                if found.is_some() {
                    return None;
                }
                found = Some((form, l.var));
            }
        }
        let (form, var) = found?;
        self.used[var] = true;
        Some(form)
    }

    /// A value the tokens change in a way no reference expresses: a derived input when it is
    /// a plain value (string, number, boolean, list of strings), else the value itself.
    fn derive(
        &mut self,
        r: &Expression,
        probe: Option<&Expression>,
        path: &[String],
    ) -> Expression {
        if !plain(r) {
            return r.clone();
        }
        let key = (probe.map_or(0, fingerprint), fingerprint(r));
        if let Some(d) = self.derived.iter().find(|d| d.key == key) {
            return var_ref(&d.name, None);
        }
        let base = sanitize(&path.join("_"));
        let mut name = base.clone();
        let mut n = 2;
        while self.inputs.vars.iter().any(|v| v.name == name)
            || self.derived.iter().any(|d| d.name == name)
        {
            name = format!("{base}_{n}");
            n += 1;
        }
        let site = match path.split_first() {
            Some((top, rest)) => format!("{top}: {}", rest.join(".")),
            None => String::new(),
        };
        self.derived.push(Derived {
            name: name.clone(),
            value: r.clone(),
            site,
            key,
        });
        var_ref(&name, None)
    }

    /// A checkov skip's reason: a comment, which cannot read an input; where the probes show
    /// an input's value in it, the input is named instead.
    fn reason(&mut self, s: &Skip, ps: &[Option<&TopBlock>]) -> String {
        fn counterpart<'b>(p: Option<&'b TopBlock>, id: &str) -> Option<&'b str> {
            p.and_then(|b| b.skips.iter().find(|x| x.id == id))
                .map(|x| x.reason.as_str())
        }
        if ps
            .iter()
            .all(|p| counterpart(*p, &s.id).is_none_or(|x| x == s.reason))
        {
            return s.reason.clone();
        }
        for which in [NEAR, FAR] {
            let Some(text) = counterpart(ps[which], &s.id) else {
                continue;
            };
            if let Some((real, named, vars)) = self.reason_pieces(text, which) {
                if real == s.reason {
                    for v in vars {
                        self.used[v] = true;
                    }
                    return named;
                }
            }
        }
        s.reason.clone()
    }

    /// A probe's reason with its tokens (text tokens, and numbers that are the probe's number
    /// tokens) as the real values and as the inputs' names.
    fn reason_pieces(&self, text: &str, which: usize) -> Option<(String, String, Vec<usize>)> {
        let (mut real, mut named, mut vars) = (String::new(), String::new(), Vec::new());
        let mut push_leaf = |leaf: usize, real: &mut String, named: &mut String| -> Option<()> {
            let l = self.inputs.leaves.get(leaf)?;
            real.push_str(&value_text(&l.value)?);
            named.push_str(&one_line(&var_ref(
                &self.inputs.vars[l.var].name,
                l.element,
            )));
            vars.push(l.var);
            Some(())
        };
        let pieces = split_tokens(text).unwrap_or_else(|| vec![Piece::Lit(text)]);
        for p in pieces {
            match p {
                Piece::Leaf(i) => push_leaf(i, &mut real, &mut named)?,
                Piece::Lit(s) => {
                    let mut rest = s;
                    while !rest.is_empty() {
                        let start = rest
                            .find(|c: char| c.is_ascii_digit())
                            .unwrap_or(rest.len());
                        real.push_str(&rest[..start]);
                        named.push_str(&rest[..start]);
                        rest = &rest[start..];
                        let len = rest.bytes().take_while(u8::is_ascii_digit).count();
                        if len == 0 {
                            continue;
                        }
                        let digits = &rest[..len];
                        let leaf = digits.parse::<u64>().ok().and_then(|n| {
                            if which == NEAR {
                                self.near.get(&n).copied()
                            } else {
                                let i = usize::try_from(n.checked_sub(super::probe::FAR_BASE)? / 7)
                                    .ok()?;
                                (self.inputs.far(i) == n && i < self.inputs.leaves.len())
                                    .then_some(i)
                            }
                        });
                        match leaf {
                            Some(i) => push_leaf(i, &mut real, &mut named)?,
                            None => {
                                real.push_str(digits);
                                named.push_str(digits);
                            }
                        }
                        rest = &rest[len..];
                    }
                }
            }
        }
        Some((real, named, vars))
    }
}

/// A block's file, kind and labels, written out (lengths first, so that no two differ only
/// in where one label ends): what makes two blocks of two modules the same block.
pub(crate) fn signature(b: &TopBlock) -> String {
    let mut key = format!("{}:", b.file as u32);
    for part in std::iter::once(b.block.identifier.as_str())
        .chain(b.block.labels.iter().map(BlockLabel::as_str))
    {
        key.push_str(&part.len().to_string());
        key.push(':');
        key.push_str(part);
    }
    key
}

/// The place of each block among the blocks of the same signature before it.
pub(crate) fn ordinals(signatures: &[String]) -> Vec<usize> {
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    signatures
        .iter()
        .map(|s| {
            let n = seen.entry(s.as_str()).or_insert(0);
            *n += 1;
            *n - 1
        })
        .collect()
}

/// The blocks of a probe by signature, in order: where to find the counterpart of a block of
/// the real module, the block with the same file, kind and labels and as many such blocks
/// before it (the probes come from the same lowering, so it is usually at the same place).
/// Made once per probe and kept with it.
#[derive(Debug, Default)]
pub(crate) struct Counterparts {
    places: BTreeMap<String, Vec<usize>>,
}

impl Counterparts {
    pub(crate) fn new(blocks: &[TopBlock]) -> Self {
        let mut places: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, b) in blocks.iter().enumerate() {
            places.entry(signature(b)).or_default().push(i);
        }
        Counterparts { places }
    }

    /// The counterpart in `blocks` (the probe's, which this index was made of) of the `nth`
    /// block of signature `signature` in the real module.
    /// Where in its probe the counterpart of the `nth` block of `signature` is.
    pub(crate) fn position(&self, signature: &str, nth: usize) -> Option<usize> {
        self.places.get(signature)?.get(nth).copied()
    }

    pub(crate) fn of<'p>(
        &self,
        blocks: &'p [TopBlock],
        signature: &str,
        nth: usize,
    ) -> Option<&'p TopBlock> {
        let i = *self.places.get(signature)?.get(nth)?;
        blocks.get(i)
    }
}

fn labels(b: &Block) -> Vec<String> {
    b.labels
        .iter()
        .map(|l| BlockLabel::as_str(l).to_owned())
        .collect()
}

/// How a block is named in derived inputs: `aws_lb.main`, `data.aws_partition.current`,
/// `output.vpc_id`, `locals`.
fn address(b: &Block) -> String {
    let mut parts = vec![b.identifier.to_string()];
    if b.identifier.as_str() == "resource" {
        parts.clear();
    }
    parts.extend(labels(b));
    parts.join(".")
}

fn key_text(k: &ObjectKey) -> String {
    match k {
        ObjectKey::Identifier(i) => i.to_string(),
        ObjectKey::Expression(Expression::String(s)) => s.clone(),
        ObjectKey::Expression(e) => one_line(e),
        _ => String::new(),
    }
}

/// `var.<name>` or `var.<name>[<element>]`.
pub(crate) fn var_ref(name: &str, element: Option<usize>) -> Expression {
    let r = var("var").attr(name);
    match element {
        Some(i) => r.index(i as u64).into(),
        None => r.into(),
    }
}

/// A JSON scalar or list as an HCL value.
pub(crate) fn json_expr(v: &Value) -> Expression {
    match v {
        Value::Null => Expression::Null,
        Value::Bool(b) => Expression::Bool(*b),
        Value::Number(n) => match n.as_u64() {
            Some(u) => Expression::from(u),
            None => Expression::from(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => Expression::String(s.clone()),
        Value::Array(items) => Expression::Array(items.iter().map(json_expr).collect()),
        Value::Object(o) => Expression::Object(
            o.iter()
                .map(|(k, v)| {
                    (
                        ObjectKey::Expression(Expression::String(k.clone())),
                        json_expr(v),
                    )
                })
                .collect(),
        ),
    }
}

/// A scalar's text inside a string.
fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A fingerprint of a value (XXH3-128 of its structure), without writing it out.
fn fingerprint(e: &Expression) -> u128 {
    fn feed(h: &mut xxhash_rust::xxh3::Xxh3, e: &Expression) {
        match e {
            Expression::String(s) => {
                h.update(b"s");
                h.update(&(s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
            Expression::Array(items) => {
                h.update(b"[");
                h.update(&(items.len() as u64).to_le_bytes());
                items.iter().for_each(|i| feed(h, i));
            }
            Expression::Object(o) => {
                h.update(b"{");
                h.update(&(o.len() as u64).to_le_bytes());
                for (k, v) in o {
                    let k = key_text(k);
                    h.update(&(k.len() as u64).to_le_bytes());
                    h.update(k.as_bytes());
                    feed(h, v);
                }
            }
            other => {
                let text = one_line(other);
                h.update(b"e");
                h.update(&(text.len() as u64).to_le_bytes());
                h.update(text.as_bytes());
            }
        }
    }
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    feed(&mut h, e);
    h.digest128()
}

/// Whether two values are lists of the same length, objects with the same keys, or calls of
/// the same function with as many arguments.
fn same_shape(a: &Expression, b: &Expression) -> bool {
    match (a, b) {
        (Expression::Array(x), Expression::Array(y)) => x.len() == y.len(),
        (Expression::Object(x), Expression::Object(y)) => {
            x.len() == y.len() && x.keys().zip(y.keys()).all(|(a, b)| a == b)
        }
        (Expression::FuncCall(x), Expression::FuncCall(y)) => {
            x.name == y.name && x.args.len() == y.args.len()
        }
        _ => false,
    }
}

/// A value a module input can carry: a string, number, boolean or list of strings.
fn plain(e: &Expression) -> bool {
    match e {
        Expression::String(_) | Expression::Number(_) | Expression::Bool(_) => true,
        Expression::Array(items) => items.iter().all(|i| matches!(i, Expression::String(_))),
        _ => false,
    }
}

/// A Terraform identifier from a path: letters, digits and `_`, no leading digit, no run of
/// `_`.
fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = if c.is_ascii_alphanumeric() { c } else { '_' };
        if c == '_' && (out.is_empty() || out.ends_with('_')) {
            continue;
        }
        out.push(c);
    }
    let out = out.trim_end_matches('_').to_owned();
    if out.starts_with(|c: char| c.is_ascii_digit()) || out.is_empty() {
        format!("v_{out}")
    } else {
        out
    }
}
