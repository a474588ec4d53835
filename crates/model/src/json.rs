//! A strict JSON reader that keeps the byte span of every value and every object key, so that
//! a JSON spec is located as precisely as an HCL one. serde_json offers neither spans nor a
//! say on duplicate keys (the last one silently wins, which can hide a `"mirrors": null`); a
//! spec is small, and a recursive descent over its bytes is shorter than adapting a crate.
//!
//! The grammar is exactly RFC 8259: no comments, trailing commas, NaN or leading zeros.
//! Strings are decoded with every escape and a lone surrogate is refused. Nesting stops at
//! [`MAX_DEPTH`], so hostile input cannot exhaust the stack. A syntax error ends the reading;
//! duplicate keys are all collected, as the HCL reader does.

use std::fmt::Display;
use std::ops::Range;

use indexmap::IndexMap;

use crate::diagnostic::{Diagnostic, FieldPath, Span};
use crate::node::{duplicate, Field, Layer, Node, Value, MAX_DEPTH};

/// Reads one JSON value of any type, every node and key with its span.
///
/// # Errors
/// The first syntax error (code `syntax`, or `too-deep`), else every duplicate key.
pub(crate) fn read(text: &str) -> Result<Node, Vec<Diagnostic>> {
    let mut reader = Reader {
        text,
        pos: 0,
        open: Vec::new(),
        path: Vec::new(),
        duplicates: Vec::new(),
    };
    let node = reader.document().map_err(|d| vec![*d])?;
    if reader.duplicates.is_empty() {
        Ok(node)
    } else {
        Err(reader.duplicates)
    }
}

/// What `unexpected` expects after the top-level value.
const END: &str = "the end of the file";

/// A syntax error stops the reading (boxed: it travels up every level of the recursion).
type Parsed<T> = Result<T, Box<Diagnostic>>;

struct Reader<'a> {
    text: &'a str,
    /// Byte offset of the next unread character (always on a character boundary).
    pos: usize,
    /// Offsets of the brackets that are open, innermost last: the depth, and what an
    /// unexpected end of the file leaves unclosed.
    open: Vec<usize>,
    /// The keys and list indexes down to the value being read, for diagnostics.
    path: Vec<String>,
    duplicates: Vec<Diagnostic>,
}

impl Reader<'_> {
    fn document(&mut self) -> Parsed<Node> {
        self.skip_whitespace();
        let node = self.value()?;
        self.skip_whitespace();
        match self.peek() {
            None => Ok(node),
            Some(_) => Err(self.unexpected(END)),
        }
    }

    fn value(&mut self) -> Parsed<Node> {
        let start = self.pos;
        let value = match self.peek() {
            Some(b'{') => self.nested(Self::object)?,
            Some(b'[') => self.nested(Self::array)?,
            Some(b'"') => Value::String(self.string()?),
            Some(b'-' | b'0'..=b'9') => self.number()?,
            Some(b't' | b'f' | b'n') => self.literal()?,
            _ => return Err(self.unexpected("a value")),
        };
        Ok(Node {
            value,
            span: Some(Span::new(start..self.pos)),
            layer: Layer::Base,
        })
    }

    /// Reads an object or array one level deeper, refusing to go past [`MAX_DEPTH`].
    fn nested(&mut self, read: fn(&mut Self) -> Parsed<Value>) -> Parsed<Value> {
        if self.open.len() >= MAX_DEPTH {
            return Err(too_deep(self.pos));
        }
        self.open.push(self.pos);
        self.pos += 1; // the bracket
        let value = read(self)?;
        self.open.pop();
        Ok(value)
    }

    fn object(&mut self) -> Parsed<Value> {
        let mut fields = IndexMap::new();
        self.skip_whitespace();
        if self.eat(b'}') {
            return Ok(Value::Object(fields));
        }
        loop {
            self.skip_whitespace();
            let key_start = self.pos;
            if self.peek() != Some(b'"') {
                return Err(self.unexpected("a key in double quotes"));
            }
            let key = self.string()?;
            let key_span = Span::new(key_start..self.pos);
            self.skip_whitespace();
            if !self.eat(b':') {
                return Err(self.unexpected(&format!("`:` after the key `{key}`")));
            }
            self.skip_whitespace();
            self.path.push(key.clone());
            let node = self.value()?;
            self.path.pop();
            self.insert(&mut fields, key, key_span, node);
            if !self.separator(b'}')? {
                return Ok(Value::Object(fields));
            }
        }
    }

    fn array(&mut self) -> Parsed<Value> {
        let mut items = Vec::new();
        self.skip_whitespace();
        if self.eat(b']') {
            return Ok(Value::Array(items));
        }
        loop {
            self.skip_whitespace();
            self.path.push(items.len().to_string());
            items.push(self.value()?);
            self.path.pop();
            if !self.separator(b']')? {
                return Ok(Value::Array(items));
            }
        }
    }

    /// After a member: `true` after a comma (another member follows), `false` after `close`.
    fn separator(&mut self, close: u8) -> Parsed<bool> {
        self.skip_whitespace();
        let comma = self.pos;
        if self.eat(close) {
            return Ok(false);
        }
        if !self.eat(b',') {
            return Err(self.unexpected(&format!("`,` or `{}`", char::from(close))));
        }
        self.skip_whitespace();
        if self.peek() == Some(close) {
            return Err(self.syntax(
                comma..comma + 1,
                format!("trailing comma before `{}`", char::from(close)),
                "JSON allows no comma after the last member of an object or list; remove it",
            ));
        }
        Ok(true)
    }

    /// Keeps the first of two equal keys and reports the second, as HCL does for blocks.
    fn insert(
        &mut self,
        fields: &mut IndexMap<String, Field>,
        key: String,
        key_span: Span,
        node: Node,
    ) {
        if let Some(first) = fields.get(&key) {
            let path = FieldPath(self.path.clone()).join(&key);
            let first_line = first.key_span.map(|s| line_of(self.text, s.start as usize));
            self.duplicates
                .push(duplicate(&path, Some(key_span), first_line, "object key"));
            return;
        }
        let key_span = Some(key_span);
        fields.insert(key, Field { key_span, node });
    }

    fn literal(&mut self) -> Parsed<Value> {
        let word = self.word();
        let value = match word {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            _ => return Err(self.unexpected("a value")),
        };
        self.pos += word.len();
        Ok(value)
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`: a whole number that fits is an
    /// `Int`, anything else a finite `Float`.
    fn number(&mut self) -> Parsed<Value> {
        let start = self.pos;
        self.eat(b'-');
        match self.peek() {
            Some(b'0') => self.pos += 1,
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(self.unexpected("a digit after `-`")),
        }
        let mut whole = true;
        if self.eat(b'.') {
            whole = false;
            self.expect_digits("a digit after the decimal point")?;
        }
        if self.eat(b'e') || self.eat(b'E') {
            whole = false;
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            self.expect_digits("a digit in the exponent")?;
        }
        if self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b"._".contains(&b))
        {
            return Err(self.bad_number(start));
        }
        let text = &self.text[start..self.pos];
        if whole {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Value::Int(i));
            }
        }
        match text.parse::<f64>() {
            Ok(f) if f.is_finite() => Ok(Value::Float(f)),
            _ => Err(self.syntax(
                start..self.pos,
                format!("the number `{text}` is out of range"),
                "numbers in a spec are far smaller; check for a typo in the exponent",
            )),
        }
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.pos += 1;
        }
    }

    fn expect_digits(&mut self, what: &str) -> Parsed<()> {
        if !matches!(self.peek(), Some(b'0'..=b'9')) {
            return Err(self.unexpected(what));
        }
        self.digits();
        Ok(())
    }

    /// A number followed by more number-like characters: `08080`, `0x1F`, `1.5.2`, `1_000`.
    fn bad_number(&self, start: usize) -> Box<Diagnostic> {
        let end = self.text[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || "._-+".contains(c)))
            .map_or(self.text.len(), |n| start + n);
        let text = &self.text[start..end];
        let digits = text.trim_start_matches('-');
        let leading_zero =
            digits.starts_with('0') && digits.as_bytes().get(1).is_some_and(u8::is_ascii_digit);
        let help = if leading_zero {
            "JSON numbers have no leading zeros: write `8080`, not `08080` (a code with leading zeros is a string: quote it)"
        } else {
            "JSON numbers are decimal: digits, an optional fraction and exponent, no hex and no `_`; quote it if it is a string"
        };
        self.syntax(start..end, format!("`{text}` is not a JSON number"), help)
    }

    /// A string starting at the current `"`, decoded.
    fn string(&mut self) -> Parsed<String> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            let run = self.pos;
            // Stops only at ASCII bytes, so both ends of the run are character boundaries.
            while self
                .peek()
                .is_some_and(|b| b != b'"' && b != b'\\' && b >= 0x20)
            {
                self.pos += 1;
            }
            out.push_str(&self.text[run..self.pos]);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => out.push(self.escape(open)?),
                Some(b) => return Err(self.control_character(b)),
                None => return Err(self.unterminated(open)),
            }
        }
    }

    fn escape(&mut self, open: usize) -> Parsed<char> {
        let at = self.pos;
        let c = match self.byte_at(at + 1) {
            None => return Err(self.unterminated(open)),
            Some(b'u') => return self.unicode_escape(),
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{8}',
            Some(b'f') => '\u{c}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(_) => {
                let len = self.char_len(at + 1);
                return Err(self.syntax(
                    at..at + 1 + len,
                    format!("invalid escape `{}` in a string", &self.text[at..at + 1 + len]),
                    "JSON escapes are \\\", \\\\, \\/, \\b, \\f, \\n, \\r, \\t and \\uXXXX; write a backslash as \\\\",
                ));
            }
        };
        self.pos += 2;
        Ok(c)
    }

    /// `\uXXXX`, or a surrogate pair `\uD83D\uDE00` as one character.
    fn unicode_escape(&mut self) -> Parsed<char> {
        let at = self.pos;
        let unit = self.hex4(at)?;
        let (code, len) = match unit {
            0xD800..=0xDBFF => match self.low_surrogate(at + 6) {
                Some(low) => (0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00), 12),
                None => return Err(self.lone_surrogate(at)),
            },
            0xDC00..=0xDFFF => return Err(self.lone_surrogate(at)),
            _ => (unit, 6),
        };
        self.pos += len;
        // Every value left is a scalar value; the fallback only keeps this free of panics.
        Ok(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER))
    }

    /// The four hex digits after the `\u` at `at`.
    fn hex4(&self, at: usize) -> Parsed<u32> {
        let digits = self.text.get(at + 2..at + 6).unwrap_or("");
        match digits
            .chars()
            .map(|c| c.to_digit(16))
            .collect::<Option<Vec<_>>>()
        {
            Some(d) if d.len() == 4 => Ok(d.iter().fold(0, |acc, d| acc * 16 + d)),
            _ => Err(self.syntax(
                at..at + 2,
                "`\\u` needs four hexadecimal digits",
                "write a character as \\u followed by exactly four hex digits, such as \\u00e9",
            )),
        }
    }

    /// The low half of a surrogate pair if a `\uDC00`–`\uDFFF` escape starts at `at`.
    fn low_surrogate(&self, at: usize) -> Option<u32> {
        if self.text.get(at..at + 2) != Some("\\u") {
            return None;
        }
        self.hex4(at).ok().filter(|u| (0xDC00..=0xDFFF).contains(u))
    }

    fn lone_surrogate(&self, at: usize) -> Box<Diagnostic> {
        self.syntax(
            at..at + 6,
            format!("lone surrogate `{}` in a string", &self.text[at..at + 6]),
            "a \\uD800–\\uDBFF escape must be followed by a \\uDC00–\\uDFFF one; write the character itself or a complete pair",
        )
    }

    fn control_character(&self, b: u8) -> Box<Diagnostic> {
        let at = self.pos..self.pos + 1;
        if b == b'\n' || b == b'\r' {
            return self.syntax(
                at,
                "line break inside a string",
                "close the string with `\"` on the line it starts, or write the line break as \\n",
            );
        }
        self.syntax(
            at,
            format!("unescaped control character U+{b:04X} in a string"),
            format!("write it as the escape \\u{b:04x}"),
        )
    }

    fn unterminated(&self, open: usize) -> Box<Diagnostic> {
        self.syntax(
            open..open + 1,
            "the string starting here is never closed",
            "add the closing `\"`",
        )
    }

    /// An error at the current position, which is not `expected`.
    fn unexpected(&self, expected: &str) -> Box<Diagnostic> {
        let Some(c) = self.text[self.pos..].chars().next() else {
            return self.end_of_file(expected);
        };
        let word = self.word();
        // Invisible characters are named by their code point.
        let (len, found) = match word {
            "" if c.is_control() || c.is_whitespace() || c == '\u{feff}' => {
                (c.len_utf8(), c.escape_unicode().to_string())
            }
            "" => (c.len_utf8(), c.to_string()),
            _ => (word.len(), word.to_owned()),
        };
        self.syntax(
            self.pos..self.pos + len,
            format!("expected {expected}, found `{found}`"),
            unexpected_help(c, word, expected),
        )
    }

    fn end_of_file(&self, expected: &str) -> Box<Diagnostic> {
        let end = self.text.len();
        let help = match self.open.last() {
            Some(&open) => format!(
                "the `{}` on line {} is never closed",
                &self.text[open..open + 1],
                line_of(self.text, open)
            ),
            None => "the file ends before the spec does".to_owned(),
        };
        self.syntax(
            end..end,
            format!("the file ends where {expected} should be"),
            help,
        )
    }

    fn syntax(
        &self,
        at: Range<usize>,
        message: impl Display,
        help: impl Into<String>,
    ) -> Box<Diagnostic> {
        Box::new(
            Diagnostic::error(
                "syntax",
                FieldPath(self.path.clone()),
                format!("JSON syntax error: {message}"),
            )
            .with_span(Some(Span::new(at)))
            .with_help(help),
        )
    }

    /// The run of ASCII letters, digits and `_` at the current position.
    fn word(&self) -> &str {
        let rest = &self.text[self.pos..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        &rest[..len]
    }

    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn peek(&self) -> Option<u8> {
        self.byte_at(self.pos)
    }

    fn byte_at(&self, at: usize) -> Option<u8> {
        self.text.as_bytes().get(at).copied()
    }

    /// The length of the character at `at` (0 at the end of the text).
    fn char_len(&self, at: usize) -> usize {
        self.text
            .get(at..)
            .and_then(|s| s.chars().next())
            .map_or(0, char::len_utf8)
    }
}

fn too_deep(at: usize) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error(
            "too-deep",
            FieldPath::default(),
            format!("values nest deeper than {MAX_DEPTH} levels"),
        )
        .with_span(Some(Span::new(at..at + 1)))
        .with_help("a tierform spec needs only a few levels of nesting; check the brackets"),
    )
}

/// How to fix an unexpected character `c` (starting `word`, if it is one) where `expected`
/// should be.
fn unexpected_help(c: char, word: &str, expected: &str) -> String {
    let after_member = expected.starts_with("`,`");
    match c {
        '/' => "JSON has no comments: remove it, or write the spec in HCL, which has `#` and `//` comments".into(),
        '\'' => "JSON strings are in double quotes: write \"text\"".into(),
        ',' => "remove the extra comma".into(),
        '}' | ']' => "check the brackets: one is closed too early, or a value is missing before it".into(),
        '+' | '.' => "JSON numbers start with a digit or `-`: write 1 and 0.5, not +1 and .5".into(),
        '\u{feff}' => "save the file without a byte order mark".into(),
        '"' | '{' | '[' | '0'..='9' | '-' if after_member => "a comma is missing between two members".into(),
        _ if expected == END => "a JSON spec is one object: remove what follows its closing `}`".into(),
        _ => match word {
            "NaN" | "Infinity" => "JSON has no NaN or Infinity; a spec needs a finite number".into(),
            "True" | "False" | "Null" | "TRUE" | "FALSE" | "NULL" => "JSON literals are lowercase: true, false, null".into(),
            _ if c.is_ascii_alphabetic() || c == '_' => format!("JSON strings and keys are in double quotes: write \"{word}\""),
            _ => format!("write {expected} here"),
        },
    }
}

/// The 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let before = text.as_bytes().get(..offset).unwrap_or(text.as_bytes());
    before.iter().filter(|&&b| b == b'\n').count() + 1
}

#[cfg(test)]
mod like_hcl;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Source;

    fn slice(text: &str, span: Option<Span>) -> &str {
        let s = span.expect("a span");
        &text[s.start as usize..s.end as usize]
    }

    /// `line:column` of a diagnostic's span start.
    fn at(text: &str, d: &Diagnostic) -> String {
        let loc = Source::new("t", text).location(d.span.expect("a span").start as usize);
        format!("{}:{}", loc.line, loc.column)
    }

    fn error(text: &str) -> Diagnostic {
        let mut ds = read(text).expect_err(text);
        assert_eq!(ds.len(), 1, "{text:?}: {ds:?}");
        ds.remove(0)
    }

    #[test]
    fn every_value_and_key_keeps_its_span() {
        let text = "{\n  \"a\": [1, -2.5e1, \"x\\u00e9\"],\n  \"b\": {\"c\": null, \"d\": true}\n}";
        let root = read(text).unwrap();
        assert_eq!(slice(text, root.span), text);
        let a = root.get("a").unwrap();
        assert_eq!(slice(text, a.key_span), "\"a\"");
        assert_eq!(slice(text, a.node.span), "[1, -2.5e1, \"x\\u00e9\"]");
        let items: Vec<&str> = match &a.node.value {
            Value::Array(items) => items.iter().map(|n| slice(text, n.span)).collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(items, ["1", "-2.5e1", "\"x\\u00e9\""]);
        let d = root.lookup(["b"]).unwrap().get("d").unwrap();
        assert_eq!(slice(text, d.key_span), "\"d\"");
        assert_eq!(slice(text, d.node.span), "true");
        assert_eq!(slice(text, root.span_at(["b", "c"])), "null");
    }

    #[test]
    fn numbers_are_int_when_whole_and_in_range() {
        let root = read("[0, -0, 12, 9223372036854775807, 9223372036854775808, 1e2, 2.5, -7]");
        let values: Vec<Value> = match root.unwrap().value {
            Value::Array(items) => items.into_iter().map(|n| n.value).collect(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            values,
            [
                Value::Int(0),
                Value::Int(0),
                Value::Int(12),
                Value::Int(i64::MAX),
                Value::Float(9_223_372_036_854_775_808.0),
                Value::Float(100.0),
                Value::Float(2.5),
                Value::Int(-7),
            ]
        );
    }

    #[test]
    fn strings_decode_every_escape() {
        let text = r#""q\" b\\ s\/ \b\f\n\r\t A\u0041 é\u00e9 😀\ud83d\ude00 \uFFFF""#;
        let root = read(text).unwrap();
        let expected = "q\" b\\ s/ \u{8}\u{c}\n\r\t AA éé 😀😀 \u{ffff}";
        assert_eq!(root.as_str(), Some(expected));
        assert_eq!(
            serde_json::from_str::<String>(text).unwrap(),
            expected,
            "as serde_json reads it"
        );
    }

    #[test]
    fn lone_surrogates_are_refused_at_their_escape() {
        for (text, loc) in [
            (r#"{"a": "ab\ud800x"}"#, "1:10"),
            (r#"{"a": "\udc00"}"#, "1:8"),
            (r#"{"a": "\ud800\u0041"}"#, "1:8"),
            (r#"{"a": "\ud800\udbff"}"#, "1:8"),
            (r#"{"a": "\ud800"}"#, "1:8"),
        ] {
            let d = error(text);
            assert!(d.message.contains("lone surrogate"), "{text}: {d}");
            assert_eq!(at(text, &d), loc, "{text}: {d}");
        }
    }

    #[test]
    fn duplicate_keys_are_refused_at_any_depth() {
        let text = "{\n\"a\": 1,\n\"b\": {\"c\": [{\"d\": 1,\n\"d\": 2}]},\n\"a\": 3\n}";
        let ds = read(text).unwrap_err();
        let got: Vec<(&str, String, String)> = ds
            .iter()
            .map(|d| (d.code, d.path.to_string(), at(text, d)))
            .collect();
        assert_eq!(
            got,
            [
                ("duplicate", "b.c.0.d".into(), "4:1".into()),
                ("duplicate", "a".into(), "5:1".into()),
            ]
        );
        assert!(ds[0].message.contains("`b.c.0.d` is defined twice"));
        assert!(ds[0]
            .help
            .as_ref()
            .unwrap()
            .contains("the first is on line 3"));
        assert!(ds[1]
            .help
            .as_ref()
            .unwrap()
            .contains("the first is on line 2"));
    }

    #[test]
    fn every_syntax_error_is_located() {
        let cases = [
            ("{\"a\": 1,}", "1:8", "trailing comma before `}`"),
            ("[1,\n 2,\n]", "2:3", "trailing comma before `]`"),
            (
                "{\n  \"a\": 1,\n  \"b\": [\n    2,\n  ]\n}",
                "4:6",
                "trailing comma",
            ),
            ("{\"a\": 1 // note\n}", "1:9", "found `/`"),
            ("{\"a\": /* note */ 1}", "1:7", "found `/`"),
            ("{\"a\": NaN}", "1:7", "found `NaN`"),
            ("{\"a\": -Infinity}", "1:8", "found `Infinity`"),
            ("{\"a\": True}", "1:7", "found `True`"),
            ("{\"a\": nul}", "1:7", "found `nul`"),
            ("{\"a\": 01}", "1:7", "`01` is not a JSON number"),
            ("{\"a\": -0012}", "1:7", "`-0012` is not a JSON number"),
            ("{\"a\": 0x1F}", "1:7", "`0x1F` is not a JSON number"),
            ("{\"a\": 1.5.2}", "1:7", "`1.5.2` is not a JSON number"),
            ("{\"a\": 1.}", "1:9", "a digit after the decimal point"),
            ("{\"a\": 1e}", "1:9", "a digit in the exponent"),
            ("{\"a\": 1e+}", "1:10", "a digit in the exponent"),
            ("{\"a\": -}", "1:8", "a digit after `-`"),
            ("{\"a\": .5}", "1:7", "found `.`"),
            ("{\"a\": +1}", "1:7", "found `+`"),
            ("{\"a\": 1e400}", "1:7", "out of range"),
            ("{'a': 1}", "1:2", "found `'`"),
            ("{a: 1}", "1:2", "found `a`"),
            ("{\"a\" 1}", "1:6", "`:` after the key `a`"),
            ("{\"a\": 1 \"b\": 2}", "1:9", "expected `,` or `}`"),
            ("{\"a\": 1,, \"b\": 2}", "1:9", "found `,`"),
            ("[1,,2]", "1:4", "found `,`"),
            ("{\"a\": [1, 2}", "1:12", "expected `,` or `]`"),
            ("{\"a\": 1}}", "1:9", "expected the end of the file"),
            ("{}\n{}", "2:1", "expected the end of the file, found `{`"),
            ("{\"a\": \"x\\qy\"}", "1:9", "invalid escape `\\q`"),
            ("{\"a\": \"x\\éy\"}", "1:9", "invalid escape `\\é`"),
            ("{\"a\": \"\\u12\"}", "1:8", "four hexadecimal digits"),
            ("{\"a\": \"\\u12G4\"}", "1:8", "four hexadecimal digits"),
            (
                "{\"a\": \"line\nbreak\"}",
                "1:12",
                "line break inside a string",
            ),
            ("{\"a\": \"tab\there\"}", "1:11", "control character U+0009"),
            ("{\"a\": \"open", "1:7", "never closed"),
            ("{\"a\": \"open\\", "1:7", "never closed"),
            ("{\"a\":\u{a0}1}", "1:6", "found `\\u{a0}`"),
            ("{\"a\":\u{c}1}", "1:6", "found `\\u{c}`"),
            ("\u{feff}{}", "1:1", "found `\\u{feff}`"),
            ("", "1:1", "the file ends where a value should be"),
            (
                "{\n\"a\": {\"b\": 1",
                "2:13",
                "the file ends where `,` or `}` should be",
            ),
        ];
        for (text, loc, message) in cases {
            let d = error(text);
            assert_eq!(d.code, "syntax", "{text:?}: {d}");
            assert!(d.message.contains(message), "{text:?}: {d}");
            assert_eq!(at(text, &d), loc, "{text:?}: {d}");
            assert!(
                !d.help.unwrap_or_default().is_empty(),
                "{text:?} has no help"
            );
        }
    }

    #[test]
    fn helps_say_how_to_fix_the_error() {
        let help = |text: &str| error(text).help.unwrap_or_default();
        assert!(help("{\"a\": 1 // note\n}").contains("no comments"));
        assert!(help("{\"a\": 01}").contains("no leading zeros"));
        assert!(help("{\"a\": NaN}").contains("no NaN"));
        assert!(help("{\"a\": 1 \"b\": 2}").contains("a comma is missing"));
        assert!(help("{a: 1}").contains("write \"a\""));
        assert!(help("{} x").contains("one object"));
        assert_eq!(
            help("{\n\"a\": [\n1, 2"),
            "the `[` on line 2 is never closed"
        );
    }

    #[test]
    fn nesting_stops_at_max_depth() {
        let nest = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
        assert!(read(&nest(MAX_DEPTH)).is_ok());
        let d = error(&nest(MAX_DEPTH + 1));
        assert_eq!((d.code, d.span), ("too-deep", Some(Span::new(32..33))));
        // Far deeper than any stack allows: refused at level 33, never recursed into.
        let d = error(&"{\"a\":[".repeat(500_000));
        assert_eq!(d.code, "too-deep");
    }

    /// Whether two JSON values are equal, numbers compared as floats (serde_json reads `-0`
    /// as a float and may round the last bit of a fraction differently).
    fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
        use serde_json::Value as J;
        match (a, b) {
            (J::Number(x), J::Number(y)) => {
                let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
                (x - y).abs() <= f64::EPSILON * x.abs().max(y.abs())
            }
            (J::Array(x), J::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same(x, y))
            }
            (J::Object(x), J::Object(y)) => {
                x.len() == y.len()
                    && x.iter()
                        .zip(y)
                        .all(|((kx, x), (ky, y))| kx == ky && same(x, y))
            }
            _ => a == b,
        }
    }

    /// Every span of the tree, re-read on its own by serde_json, gives the node's value back.
    fn check_spans(text: &str, node: &Node) {
        let span_text = text
            .get(node.span.map_or(0..0, |s| s.start as usize..s.end as usize))
            .unwrap_or_else(|| panic!("span {:?} off the text {text:?}", node.span));
        let alone: serde_json::Value = serde_json::from_str(span_text).unwrap();
        assert!(same(&alone, &node.to_json()), "{span_text:?} in {text:?}");
        match &node.value {
            Value::Array(items) => items.iter().for_each(|n| check_spans(text, n)),
            Value::Object(fields) => {
                for (k, f) in fields {
                    let key: String = serde_json::from_str(slice(text, f.key_span)).unwrap();
                    assert_eq!(&key, k, "in {text:?}");
                    check_spans(text, &f.node);
                }
            }
            _ => {}
        }
    }

    /// Reads `text` and checks the result against serde_json: the same values where both
    /// accept it; refused by both unless the only problem is one that serde_json lets pass
    /// (a duplicate key, deep nesting); every diagnostic inside the text, with help.
    fn check_against_serde_json(text: &str) {
        let ours = read(text);
        let theirs = serde_json::from_str::<serde_json::Value>(text);
        match (&ours, &theirs) {
            (Ok(node), Ok(v)) => {
                assert!(same(&node.to_json(), v), "read differently: {text:?}");
                check_spans(text, node);
            }
            (Ok(_), Err(e)) => panic!("accepted what serde_json refuses ({e}): {text:?}"),
            (Err(ds), Ok(_)) => assert!(
                ds.iter()
                    .all(|d| matches!(d.code, "duplicate" | "too-deep")),
                "refused what serde_json accepts: {text:?}: {ds:?}"
            ),
            (Err(ds), Err(_)) => assert!(
                matches!(
                    ds[..],
                    [Diagnostic {
                        code: "syntax" | "too-deep",
                        ..
                    }]
                ),
                "{text:?}: {ds:?}"
            ),
        }
        for d in ours.err().unwrap_or_default() {
            let span = d.span.expect("located");
            assert!(
                text.get(span.start as usize..span.end as usize).is_some(),
                "{text:?}: {d}"
            );
            assert!(d.help.is_some_and(|h| !h.is_empty()), "{text:?}");
        }
    }

    const SAMPLE: &str = r#"{
  "app": "shop",
  "n": [0, -1.5e3, 9223372036854775807, 18446744073709551616, 1E-2, true, false, null],
  "s": "a\"b\\c\/\n\u00e9\ud83d\ude00 é",
  "service": {"api": {"port": 8080, "tags": {}, "list": [[], [{}]]}},
  "tier": {"staging": {"mirrors": "production"}, "production": {}}
}"#;

    /// A small deterministic xorshift generator: the same mutations on every run.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 % n.max(1) as u64) as usize
        }
    }

    const ALPHABET: &[u8] = b"{}[]\",:\\ \n\t0123456789eE.-+tfnu/*'aD\x00\x7f\xc3\xa9\xed";

    fn mutate(rng: &mut Rng, bytes: &mut Vec<u8>) {
        let at = rng.below(bytes.len() + 1);
        let pick = ALPHABET[rng.below(ALPHABET.len())];
        match rng.below(5) {
            0 if at < bytes.len() => bytes[at] = pick,
            1 if at < bytes.len() => {
                bytes.remove(at);
            }
            2 => bytes.insert(at, pick),
            3 => {
                // Repeating a slice makes duplicate keys and deeper nesting.
                let end = (at + rng.below(40)).min(bytes.len());
                let copy = bytes[at..end].to_vec();
                let to = rng.below(bytes.len() + 1);
                bytes.splice(to..to, copy);
            }
            _ => bytes.truncate(at),
        }
    }

    #[test]
    fn mutated_specs_never_panic_and_read_as_serde_json_does() {
        check_against_serde_json(SAMPLE);
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..5000 {
            let mut bytes = SAMPLE.as_bytes().to_vec();
            for _ in 0..=rng.below(3) {
                mutate(&mut rng, &mut bytes);
            }
            check_against_serde_json(&String::from_utf8_lossy(&bytes));
        }
        for _ in 0..3000 {
            let garbage: Vec<u8> = (0..rng.below(24))
                .map(|_| ALPHABET[rng.below(ALPHABET.len())])
                .collect();
            check_against_serde_json(&String::from_utf8_lossy(&garbage));
        }
    }

    /// Random whitespace, JSON's four characters only.
    fn space(rng: &mut Rng) -> &'static str {
        [" ", "", "\n  ", "\t", "\r\n", ""][rng.below(6)]
    }

    /// A random valid JSON text (duplicate keys and nesting past [`MAX_DEPTH`] included; keys
    /// may be equal only once decoded, `"A"` and `"\u0041"`).
    fn generate(rng: &mut Rng, depth: usize, out: &mut String) {
        const KEYS: &[&str] = &["a", "b", "A", "\\u0041", "é", "\\ud83d\\ude00", "😀", ""];
        const SCALARS: &[&str] = &[
            "0",
            "-0",
            "12",
            "-1.5e3",
            "1E-2",
            "9223372036854775808",
            "true",
            "false",
            "null",
            "\"\"",
            "\"x\\n\\\"y\"",
            "\"\\u00e9é\"",
        ];
        let kind = if depth > 40 { 2 } else { rng.below(5) };
        match kind {
            0 => {
                out.push('{');
                for i in 0..rng.below(4) {
                    let comma = if i > 0 { "," } else { "" };
                    let key = KEYS[rng.below(KEYS.len())];
                    out.push_str(&format!(
                        "{comma}{}\"{key}\"{}:{}",
                        space(rng),
                        space(rng),
                        space(rng)
                    ));
                    generate(rng, depth + 1, out);
                }
                out.push_str(space(rng));
                out.push('}');
            }
            1 => {
                out.push('[');
                for i in 0..rng.below(4) {
                    out.push_str(if i > 0 { "," } else { "" });
                    out.push_str(space(rng));
                    generate(rng, depth + 1, out);
                }
                out.push(']');
            }
            // Long chains, to cross MAX_DEPTH now and then.
            3 if rng.below(8) == 0 => {
                let n = rng.below(40);
                out.push_str(&"[".repeat(n));
                generate(rng, depth + n, out);
                out.push_str(&"]".repeat(n));
            }
            _ => out.push_str(SCALARS[rng.below(SCALARS.len())]),
        }
    }

    #[test]
    fn generated_documents_read_as_serde_json_does() {
        let mut rng = Rng(0x2545_F491_4F6C_DD1D);
        let mut codes = std::collections::BTreeSet::new();
        for _ in 0..3000 {
            let mut text = String::new();
            generate(&mut rng, 0, &mut text);
            check_against_serde_json(&text);
            codes.insert(read(&text).err().map_or("ok", |ds| ds[0].code));
        }
        assert_eq!(
            codes.into_iter().collect::<Vec<_>>(),
            ["duplicate", "ok", "too-deep"],
            "the generator reaches every outcome"
        );
    }

    #[test]
    fn a_spec_from_json_is_located_like_one_from_hcl() {
        let text = "{\n  \"app\": \"shop\"\n}";
        let root = crate::node::from_json(text).unwrap();
        assert_eq!(
            root.span,
            Some(Span::new(0..0)),
            "the file start, as for HCL"
        );
        assert_eq!(slice(text, root.get("app").unwrap().key_span), "\"app\"");
        let d = crate::node::from_json("\n  [1]").unwrap_err().remove(0);
        assert_eq!((d.code, at("\n  [1]", &d)), ("wrong-type", "2:3".into()));
    }
}
