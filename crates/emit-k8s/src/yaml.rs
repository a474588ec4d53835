//! YAML output: deterministic, one header line, documents separated by `---`.
//!
//! The text is exactly what `serde_norway` (libyaml's emitter, unicode on, no line width)
//! writes. The documents are plain data, so a small writer here produces it for the common
//! case, without serde_norway's event machinery and allocations (which were over a fifth of
//! a build's instructions): block mappings and sequences, `{}` and `[]` when empty, integers,
//! booleans, null, and strings on one line, plain or single-quoted by the same rules as
//! serde_norway and libyaml. Anything else (a string with a line break, tab or other
//! non-printable character, a key longer than 128 bytes, a float, a document that is not a
//! mapping) sends the whole document to serde_norway itself. The tests compare both writers
//! over many generated documents.

use serde::Serialize;
use serde_json::Value;

/// One YAML document without header, appended to `out`. Keys keep the order of the value
/// (struct field order for k8s-openapi types, insertion order for maps built here), so output
/// is byte-stable.
fn document(out: &mut String, value: &Value) {
    let start = out.len();
    if native(out, value).is_none() {
        out.truncate(start);
        // Serialising plain data (strings, numbers, maps, lists) into a String cannot fail.
        out.push_str(&serde_norway::to_string(value).expect("plain data serialises to YAML"));
    }
}

/// A file of documents: the header, then each document, separated by `---`.
pub(crate) fn file<'a>(documents: impl IntoIterator<Item = &'a Value>) -> String {
    let mut out = String::with_capacity(2048);
    out.push_str(tierform_model::GENERATED_MARKER);
    out.push('\n');
    for (i, d) in documents.into_iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        document(&mut out, d);
    }
    out
}

/// A file of one typed document (kustomization files).
pub(crate) fn single(value: &impl Serialize) -> String {
    // Through a JSON value: serde_norway writes a struct as the mapping of its fields and a
    // string-keyed map as a mapping, exactly as it writes the value.
    let value = serde_json::to_value(value).expect("plain data serialises to JSON");
    file([&value])
}

/// Writes `value` as serde_norway would, or returns `None` (leaving partial text behind) when
/// it holds something this writer does not handle.
fn native(out: &mut String, value: &Value) -> Option<()> {
    if !matches!(value, Value::Object(_)) {
        return None;
    }
    let mut e = Emitter {
        out,
        column: 0,
        indent: -1,
        whitespace: true,
        indention: true,
    };
    e.node(value, false)?;
    // The document end: libyaml finishes the last line.
    e.write_indent();
    Some(())
}

/// libyaml's emitter state, for block collections and one-line scalars.
struct Emitter<'a> {
    out: &'a mut String,
    /// Characters on the current line.
    column: usize,
    /// Indentation of the current collection; -1 before the root.
    indent: isize,
    /// Whether the last character written is whitespace (no space needed before the next).
    whitespace: bool,
    /// Whether only indentation has been written on the current line.
    indention: bool,
}

/// How a one-line scalar is written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Style {
    Plain,
    SingleQuoted,
}

impl Emitter<'_> {
    /// `yaml_emitter_write_indent`.
    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.out.push('\n');
            self.column = 0;
        }
        while self.column < indent {
            self.out.push(' ');
            self.column += 1;
        }
        self.whitespace = true;
        self.indention = true;
    }

    /// `yaml_emitter_write_indicator` for one ASCII character.
    fn indicator(
        &mut self,
        c: char,
        need_whitespace: bool,
        is_whitespace: bool,
        is_indention: bool,
    ) {
        if need_whitespace && !self.whitespace {
            self.out.push(' ');
            self.column += 1;
        }
        self.out.push(c);
        self.column += 1;
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
    }

    /// `yaml_emitter_increase_indent` (block collections; the indent of a scalar only matters
    /// for scalars that span lines, which are not written here). Returns the previous indent.
    fn increase_indent(&mut self, indentless: bool) -> isize {
        let previous = self.indent;
        if self.indent < 0 {
            self.indent = 0;
        } else if !indentless {
            self.indent += 2;
        }
        previous
    }

    /// A node; `mapping_value` is libyaml's mapping context (the node is a mapping's value).
    fn node(&mut self, v: &Value, mapping_value: bool) -> Option<()> {
        match v {
            Value::Null => self.scalar("null", Style::Plain),
            Value::Bool(b) => self.scalar(if *b { "true" } else { "false" }, Style::Plain),
            Value::Number(n) => {
                // Integers as itoa writes them (as `Display` does); floats go to serde_norway.
                let text = match (n.as_u64(), n.as_i64()) {
                    (Some(u), _) => u.to_string(),
                    (None, Some(i)) => i.to_string(),
                    _ => return None,
                };
                self.scalar(&text, Style::Plain)
            }
            Value::String(s) => self.scalar(s, inferred_style(s)),
            Value::Array(items) if items.is_empty() => self.empty('[', ']'),
            Value::Object(o) if o.is_empty() => self.empty('{', '}'),
            Value::Array(items) => {
                let previous = self.increase_indent(mapping_value && !self.indention);
                for item in items {
                    self.write_indent();
                    self.indicator('-', true, false, true);
                    self.node(item, false)?;
                }
                self.indent = previous;
                Some(())
            }
            Value::Object(o) => {
                let previous = self.increase_indent(false);
                for (k, v) in o {
                    self.write_indent();
                    // A simple key: one line, at most 128 bytes; else libyaml writes `? key`.
                    if k.len() > 128 {
                        return None;
                    }
                    self.scalar(k, inferred_style(k))?;
                    self.indicator(':', false, false, false);
                    self.node(v, true)?;
                }
                self.indent = previous;
                Some(())
            }
        }
    }

    /// An empty flow collection, `{}` or `[]`.
    fn empty(&mut self, open: char, close: char) -> Option<()> {
        self.indicator(open, true, true, false);
        self.indicator(close, false, false, false);
        Some(())
    }

    /// A one-line scalar in block context, in the style libyaml picks from the one asked for.
    fn scalar(&mut self, s: &str, requested: Style) -> Option<()> {
        let plain_allowed = block_plain_allowed(s)?;
        let style = match requested {
            // An empty plain scalar is quoted as a key; empty strings are asked quoted anyway.
            Style::Plain if plain_allowed && !s.is_empty() => Style::Plain,
            _ => Style::SingleQuoted,
        };
        match style {
            Style::Plain => {
                if !self.whitespace {
                    self.out.push(' ');
                    self.column += 1;
                }
                self.out.push_str(s);
            }
            Style::SingleQuoted => {
                self.indicator('\'', true, false, false);
                for (i, part) in s.split('\'').enumerate() {
                    if i > 0 {
                        self.out.push_str("''");
                        self.column += 1;
                    }
                    self.out.push_str(part);
                }
                self.out.push('\'');
                self.column += 1;
            }
        }
        self.column += if s.is_ascii() {
            s.len()
        } else {
            s.chars().count()
        };
        self.whitespace = false;
        self.indention = false;
        Some(())
    }
}

/// The style serde_norway asks for a string: single-quoted when a YAML reader would take the
/// plain text for something else (null, a boolean, a number, or digits with a leading zero),
/// otherwise any (which libyaml makes plain where it can). Strings with a line break, asked
/// as literal blocks, never get here: [`block_plain_allowed`] turns them away first.
fn inferred_style(s: &str) -> Style {
    // Every number serde_norway reads (integers in any radix, finite floats, `.inf`, `.nan`,
    // digits with a leading zero) starts with a digit, a sign or a dot: anything else skips
    // the parsing, which was most of the time spent on strings.
    let maybe_number = s
        .as_bytes()
        .first()
        .is_none_or(|c| matches!(c, b'0'..=b'9' | b'+' | b'-' | b'.'));
    if s.is_empty()
        || matches!(s, "null" | "Null" | "NULL" | "~")
        || matches!(s, "true" | "True" | "TRUE" | "false" | "False" | "FALSE")
        || (maybe_number && number::reads_as_number(s))
    {
        Style::SingleQuoted
    } else {
        Style::Plain
    }
}

/// libyaml's `yaml_emitter_analyze_scalar` for a block-context scalar: whether it may be
/// written plain. `None` for what this writer leaves to serde_norway: line breaks (`\r`, `\n`,
/// U+0085, U+2028, U+2029) and characters libyaml does not print as they are (which it
/// double-quotes), such as tabs and other control characters.
fn block_plain_allowed(s: &str) -> Option<bool> {
    let b = s.as_bytes();
    if b.is_empty() {
        return Some(true);
    }
    let leading_or_trailing_space = b[0] == b' ' || b[b.len() - 1] == b' ';
    if s.is_ascii() {
        return block_plain_allowed_ascii(b).map(|ok| ok && !leading_or_trailing_space);
    }
    let mut indicators = b.starts_with(b"---") || b.starts_with(b"...");
    // Whether the character after byte `i` (a character start) is blank or the end; `\0` and
    // line breaks cannot occur here, tabs neither (rejected below before they matter, since a
    // tab is never printable).
    let followed_by_space = |next: usize| next >= b.len() || b[next] == b' ' || b[next] == b'\t';
    let mut previous_space = true;
    for (i, c) in s.char_indices() {
        if !printable(c) || matches!(c, '\u{2028}' | '\u{2029}') {
            return None;
        }
        let next = i + c.len_utf8();
        if i == 0 {
            indicators |= leading_indicator(c);
            indicators |= matches!(c, '?' | ':' | '-') && followed_by_space(next);
        } else {
            indicators |= c == ':' && followed_by_space(next);
            indicators |= c == '#' && previous_space;
        }
        previous_space = c == ' ';
    }
    Some(!indicators && !leading_or_trailing_space)
}

/// [`block_plain_allowed`] for a non-empty ASCII string, byte by byte (most scalars): the
/// same rules without decoding characters.
fn block_plain_allowed_ascii(b: &[u8]) -> Option<bool> {
    let followed_by_space = |next: usize| next >= b.len() || b[next] == b' ';
    let first = b[0];
    let mut indicators = b.starts_with(b"---")
        || b.starts_with(b"...")
        || leading_indicator(char::from(first))
        || (matches!(first, b'?' | b':' | b'-') && followed_by_space(1));
    for (i, &c) in b.iter().enumerate() {
        match c {
            b' '..=b'~' => {}
            // Control characters: libyaml double-quotes them (tabs included).
            _ => return None,
        }
        if i > 0 {
            indicators |= c == b':' && followed_by_space(i + 1);
            indicators |= c == b'#' && b[i - 1] == b' ';
        }
    }
    Some(!indicators)
}

/// The characters that make a scalar starting with them unfit to be plain, whatever follows
/// (libyaml's flow and block indicators at the start of a scalar).
fn leading_indicator(c: char) -> bool {
    matches!(
        c,
        '#' | ','
            | '['
            | ']'
            | '{'
            | '}'
            | '&'
            | '*'
            | '!'
            | '|'
            | '>'
            | '\''
            | '"'
            | '%'
            | '@'
            | '`'
    )
}

/// libyaml's `IS_PRINTABLE`, by code point (it reads UTF-8 lead bytes): `\n`, ASCII from space
/// to `~`, U+00A0 to U+D7FF, U+E000 to U+FFFD except U+FEFF, and U+10000 on. `\n` is
/// excluded here: it is a line break, which this writer does not handle.
fn printable(c: char) -> bool {
    matches!(c, ' '..='~' | '\u{a0}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
        && c != '\u{feff}'
}

/// serde_norway's reading of plain scalars as numbers (`de.rs`), which decides whether a
/// string must be quoted. Ported as it is, including its quirks.
mod number {
    use std::num::ParseIntError;

    /// Whether serde_norway reads `v` as an integer or a float, or quotes it for having
    /// digits after a leading zero.
    pub(super) fn reads_as_number(v: &str) -> bool {
        is_int(v)
            || (!digits_but_not_number(v) && parse_f64(v).is_some())
            || digits_but_not_number(v)
    }

    fn is_int(v: &str) -> bool {
        parse_unsigned_int(v, u64::from_str_radix).is_some()
            || parse_negative_int(v, i64::from_str_radix).is_some()
            || parse_unsigned_int(v, u128::from_str_radix).is_some()
            || parse_negative_int(v, i128::from_str_radix).is_some()
    }

    fn parse_unsigned_int<T>(
        scalar: &str,
        from_str_radix: fn(&str, radix: u32) -> Result<T, ParseIntError>,
    ) -> Option<T> {
        let unpositive = scalar.strip_prefix('+').unwrap_or(scalar);
        for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] {
            if let Some(rest) = unpositive.strip_prefix(prefix) {
                if rest.starts_with(['+', '-']) {
                    return None;
                }
                if let Ok(int) = from_str_radix(rest, radix) {
                    return Some(int);
                }
            }
        }
        if unpositive.starts_with(['+', '-']) {
            return None;
        }
        if digits_but_not_number(scalar) {
            return None;
        }
        from_str_radix(unpositive, 10).ok()
    }

    fn parse_negative_int<T>(
        scalar: &str,
        from_str_radix: fn(&str, radix: u32) -> Result<T, ParseIntError>,
    ) -> Option<T> {
        for (prefix, radix) in [("-0x", 16), ("-0o", 8), ("-0b", 2)] {
            if let Some(rest) = scalar.strip_prefix(prefix) {
                let negative = format!("-{rest}");
                if let Ok(int) = from_str_radix(&negative, radix) {
                    return Some(int);
                }
            }
        }
        if digits_but_not_number(scalar) {
            return None;
        }
        from_str_radix(scalar, 10).ok()
    }

    fn parse_f64(scalar: &str) -> Option<f64> {
        let unpositive = if let Some(unpositive) = scalar.strip_prefix('+') {
            if unpositive.starts_with(['+', '-']) {
                return None;
            }
            unpositive
        } else {
            scalar
        };
        if let ".inf" | ".Inf" | ".INF" = unpositive {
            return Some(f64::INFINITY);
        }
        if let "-.inf" | "-.Inf" | "-.INF" = scalar {
            return Some(f64::NEG_INFINITY);
        }
        if let ".nan" | ".NaN" | ".NAN" = scalar {
            return Some(f64::NAN.copysign(1.0));
        }
        if let Ok(float) = unpositive.parse::<f64>() {
            if float.is_finite() {
                return Some(float);
            }
        }
        None
    }

    fn digits_but_not_number(scalar: &str) -> bool {
        // Leading zero(s) followed by numeric characters is a string according to
        // the YAML 1.2 spec. https://yaml.org/spec/1.2/spec.html#id2761292
        let scalar = scalar.strip_prefix(['-', '+']).unwrap_or(scalar);
        scalar.len() > 1
            && scalar.starts_with('0')
            && scalar[1..].bytes().all(|b| b.is_ascii_digit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn files_start_with_the_header_and_separate_documents() {
        let docs = [json!({"a": 1}), json!({"b": "2.0"})];
        assert_eq!(
            file(&docs),
            "# Code generated by tierform. DO NOT EDIT.\na: 1\n---\nb: '2.0'\n"
        );
    }

    /// serde_norway's text, the reference.
    fn reference(v: &Value) -> String {
        serde_norway::to_string(v).unwrap()
    }

    /// This writer's text, or `None` where it defers to serde_norway.
    fn ours(v: &Value) -> Option<String> {
        let mut out = String::new();
        native(&mut out, v).map(|()| out)
    }

    /// Strings that exercise libyaml's and serde_norway's quoting rules.
    const TRICKY: &[&str] = &[
        "",
        " ",
        "  ",
        " a",
        "a ",
        "a b",
        "a  b",
        ": ",
        "a: b",
        "a:b",
        "a:",
        ":",
        ":a",
        "a :",
        "# a",
        "#a",
        "a #b",
        "a#b",
        "a #",
        "'",
        "''",
        "a'b",
        "'a'",
        "\"",
        "a\"b",
        "\"a\"",
        "8080",
        "0",
        "00",
        "007",
        "-007",
        "+007",
        "0x1F",
        "0x",
        "0xG",
        "0o17",
        "0b101",
        "-0x1f",
        "+0x1f",
        "0x-1",
        "+-1",
        "1_000",
        "1e3",
        "1E3",
        "1.5",
        ".5",
        "5.",
        "-.5",
        "+1",
        "-1",
        "1.2.3",
        "1e",
        "e1",
        ".inf",
        "-.inf",
        "+.inf",
        ".Inf",
        ".NAN",
        ".nan",
        "inf",
        "-inf",
        "nan",
        "NaN",
        "infinity",
        "Infinity",
        "340282366920938463463374607431768211456",
        "18446744073709551616",
        "-9223372036854775809",
        "true",
        "True",
        "TRUE",
        "tRUE",
        "false",
        "False",
        "FALSE",
        "yes",
        "no",
        "Yes",
        "No",
        "on",
        "off",
        "y",
        "n",
        "null",
        "Null",
        "NULL",
        "nULL",
        "~",
        "~a",
        "a~",
        "-",
        "--",
        "---",
        "----",
        "--- a",
        "-a",
        "- a",
        "a-",
        "a - b",
        ".",
        "..",
        "...",
        "....",
        "...a",
        "?",
        "? a",
        "?a",
        "a?",
        "*",
        "*a",
        "a*",
        "&",
        "&a",
        "a&",
        "!",
        "!a",
        "a!",
        "!!str",
        "{",
        "{}",
        "a{",
        "[",
        "[]",
        "a[b]",
        "]",
        "}",
        ",",
        ",a",
        "a,b",
        "|",
        "|a",
        "a|",
        ">",
        ">a",
        "%",
        "%a",
        "a%",
        "@",
        "@a",
        "a@b",
        "`",
        "`a",
        "a`",
        "=",
        "a=b",
        "<<",
        "\\",
        "a\\b",
        "/",
        "/a/b",
        "ünïcödé",
        "日本語",
        "é: x",
        "\u{a0}",
        "a\u{a0}",
        "\u{a0}a",
        "\u{feff}",
        "\u{fffd}",
        "\u{fffe}",
        "\u{10000}",
        "😀",
        "\u{80}",
        "\u{85}",
        "\u{9f}",
        "\u{2028}",
        "\u{2029}",
        "\u{d7ff}",
        "\u{e000}",
        "a\tb",
        "\t",
        "a\nb",
        "\n",
        "a\n",
        "\r",
        "a\rb",
        "\u{1}",
        "\u{7f}",
        "\0",
        "a\0",
        "kustomize.config.k8s.io/v1beta1",
        "app.kubernetes.io/name",
        "[{\"op\":\"replace\",\"path\":\"/spec\",\"value\":\"10.0.0.0/16\"}]",
        "500m",
        "256Mi",
        "1.30",
        "v1",
        "2012-10-17",
        "12:30",
        "1:2",
        "10.0.0.0/16",
        "https://example.com",
        "a,b,c",
        "x=y",
        "0.0.0.0",
        "::1",
        "2001:db8::",
    ];

    #[test]
    fn tricky_strings_as_values_keys_and_items_match_serde_norway() {
        let mut handled = 0;
        for s in TRICKY {
            let long = s.repeat(30);
            for v in [
                json!({"k": s}),
                json!({ *s: "v" }),
                json!({ *s: s }),
                json!({"k": [s, {"k": s, *s: [s]}]}),
                json!({"k": {"a": s}}),
                json!({ long.as_str(): 1 }),
                json!({"k": long}),
            ] {
                if let Some(text) = ours(&v) {
                    assert_eq!(text, reference(&v), "{v}");
                    handled += 1;
                }
            }
        }
        assert!(handled > TRICKY.len() * 5, "only {handled} handled");
    }

    #[test]
    fn only_strings_starting_like_numbers_can_read_as_numbers() {
        let mut g = Gen(7);
        let generated: Vec<String> = (0..50_000).map(|_| g.string()).collect();
        for s in TRICKY
            .iter()
            .copied()
            .chain(generated.iter().map(String::as_str))
        {
            if number::reads_as_number(s) {
                assert!(
                    s.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')),
                    "{s:?}"
                );
            }
        }
    }

    #[test]
    fn what_the_writer_leaves_to_serde_norway_is_still_written() {
        for v in [
            json!({"k": "a\nb"}),
            json!({"k": "tab\there"}),
            json!({"k": 1.5}),
            json!({"x".repeat(129): 1}),
            json!(["top", "level", "list"]),
            json!("scalar"),
        ] {
            assert_eq!(ours(&v), None, "{v}");
            let mut out = String::new();
            document(&mut out, &v);
            assert_eq!(out, reference(&v));
        }
    }

    #[test]
    fn structures_match_serde_norway() {
        for v in [
            json!({}),
            json!({"a": {}, "b": [], "c": null, "d": true, "e": false, "f": -3, "g": 18446744073709551615u64}),
            json!({"a": [[1, [2, []]], {}, [{}], {"b": [{"c": [1]}]}]}),
            json!({"a": [{"b": 1, "c": [{"d": {"e": []}}]}, {"f": {}}]}),
            json!({"spec": {"template": {"spec": {"containers": [{"name": "x", "ports": [{"containerPort": 8080}]}]}}}}),
        ] {
            assert_eq!(ours(&v).as_deref(), Some(reference(&v).as_str()), "{v}");
        }
    }

    /// A small deterministic generator (xorshift), so that the property test needs no crate.
    struct Gen(u64);

    impl Gen {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn string(&mut self) -> String {
            const ALPHABET: &[&str] = &[
                "a", "Z", "x", "e", "E", "0", "1", "7", "9", " ", " ", ":", "#", "-", "-", "+",
                ".", "'", "\"", "?", "!", "&", "*", "[", "]", "{", "}", ",", "|", ">", "%", "@",
                "`", "~", "/", "\\", "=", "_", "é", "日", "\u{a0}", "\u{feff}", "😀", "0x", "0o",
                "0b", "true", "null", "inf", ".inf", "nan", "\t", "\n",
            ];
            if self.below(8) == 0 {
                return TRICKY[self.below(TRICKY.len())].to_owned();
            }
            let len = self.below(7);
            (0..len)
                .map(|_| ALPHABET[self.below(ALPHABET.len())])
                .collect()
        }
        fn value(&mut self, depth: usize) -> Value {
            let pick = if depth == 0 {
                self.below(5)
            } else {
                self.below(8)
            };
            match pick {
                0 | 1 => Value::String(self.string()),
                2 => json!(self.next() as i64 >> self.below(64)),
                3 => [Value::Null, json!(true), json!(false)][self.below(3)].clone(),
                4 => Value::String(self.string()),
                5 | 6 => Value::Object(self.map(depth - 1)),
                _ => Value::Array((0..self.below(4)).map(|_| self.value(depth - 1)).collect()),
            }
        }
        fn map(&mut self, depth: usize) -> serde_json::Map<String, Value> {
            (0..self.below(4))
                .map(|_| (self.string(), self.value(depth)))
                .collect()
        }
    }

    #[test]
    fn generated_documents_match_serde_norway() {
        let mut g = Gen(0x9e37_79b9_7f4a_7c15);
        let (mut handled, total) = (0, 20_000);
        for _ in 0..total {
            let v = Value::Object(g.map(4));
            let mut out = String::new();
            document(&mut out, &v);
            assert_eq!(out, reference(&v), "{v}");
            if let Some(text) = ours(&v) {
                assert_eq!(text, out);
                handled += 1;
            }
        }
        assert!(
            handled > total / 3,
            "only {handled} of {total} handled natively"
        );
    }
}
