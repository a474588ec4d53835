//! A serde `Deserializer` over [`Node`], so the model's types are plain `#[derive(Deserialize)]`
//! structs while every error still lands on the attribute or block that caused it.

use std::fmt;

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use crate::diagnostic::{did_you_mean, Diagnostic, FieldPath, Span};
use crate::node::{Field, Node, Value};

/// A decoding error with the span and path of the value that caused it.
#[derive(Debug, Clone, PartialEq)]
pub struct DeError {
    code: &'static str,
    message: String,
    help: Option<String>,
    span: Option<Span>,
    path: Option<FieldPath>,
}

impl DeError {
    fn new(code: &'static str, message: String) -> DeError {
        DeError {
            code,
            message,
            help: None,
            span: None,
            path: None,
        }
    }
    fn at(mut self, span: Option<Span>, path: &Path<'_>) -> DeError {
        if self.path.is_none() {
            self.path = Some(path.to_field_path());
            self.span = span;
        }
        self
    }
    /// Turns this into a diagnostic.
    pub fn into_diagnostic(self) -> Diagnostic {
        let mut d = Diagnostic::error(self.code, self.path.unwrap_or_default(), self.message)
            .with_span(self.span);
        d.help = self.help;
        d
    }
}

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError::new("invalid-value", msg.to_string())
    }
    fn invalid_type(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        let (want, help) = expected(&exp.to_string());
        let mut e = DeError::new(
            "wrong-type",
            format!("expected {want}, found {}", unexpected(&unexp)),
        );
        e.help = Some(help);
        e
    }
    fn invalid_value(unexp: de::Unexpected<'_>, exp: &dyn de::Expected) -> Self {
        let (want, help) = expected(&exp.to_string());
        let mut e = DeError::new(
            "invalid-value",
            format!("{} is out of range: expected {want}", unexpected(&unexp)),
        );
        e.help = Some(help);
        e
    }
    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        let mut e = DeError::new(
            "unknown-attribute",
            format!("unknown attribute or block `{field}`"),
        );
        e.help = Some(match did_you_mean(field, expected.iter().copied()) {
            Some(m) => format!("did you mean `{m}`?"),
            None => format!("expected one of: {}", expected.join(", ")),
        });
        e
    }
    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        let mut e = DeError::new("unknown-variant", format!("unknown value `{variant}`"));
        e.help = Some(match did_you_mean(variant, expected.iter().copied()) {
            Some(m) => format!("did you mean `{m}`? (one of: {})", expected.join(", ")),
            None => format!("expected one of: {}", expected.join(", ")),
        });
        e
    }
    fn missing_field(field: &'static str) -> Self {
        let mut e = DeError::new(
            "missing-attribute",
            format!("missing required attribute `{field}`"),
        );
        e.help = Some(format!("add `{field} = …` to this block"));
        e
    }
}

fn unexpected(u: &de::Unexpected<'_>) -> String {
    match u {
        de::Unexpected::Map => "a block".into(),
        de::Unexpected::Seq => "a list".into(),
        de::Unexpected::Unit => "null".into(),
        de::Unexpected::Signed(i) => format!("`{i}`"),
        de::Unexpected::Unsigned(i) => format!("`{i}`"),
        de::Unexpected::Float(f) if f.abs() >= 1e15 => {
            format!("the number `{f:e}` (too large for a whole number)")
        }
        de::Unexpected::Float(f) if f.fract() == 0.0 => {
            format!("the number `{f}` (too large for a whole number)")
        }
        de::Unexpected::Float(f) => format!("the number `{f}` (with a fraction)"),
        de::Unexpected::Str(s) => {
            format!("the string \"{}\"", s.chars().take(40).collect::<String>())
        }
        de::Unexpected::Bool(b) => format!("`{b}`"),
        other => other.to_string(),
    }
}

/// What serde expected, in the spec's words, and how to write it. serde names Rust types
/// (`u16`, `struct Network`); users write HCL.
fn expected(rust: &str) -> (String, String) {
    let whole = |range: &str| {
        (
            format!("a whole number {range}"),
            "write a whole number without quotes or fraction, such as 8080".to_owned(),
        )
    };
    match rust {
        "u8" => whole("from 0 to 255"),
        "u16" => whole("from 0 to 65535"),
        "u32" => whole("from 0 to 4294967295"),
        "u64" | "i64" | "i32" | "usize" => whole(""),
        "a boolean" => (
            "true or false".into(),
            "write true or false, without quotes".into(),
        ),
        "a string" => ("a string".into(), "quote the value: \"…\"".into()),
        "a sequence" => (
            "a list".into(),
            "write a list in brackets, such as [\"a\", \"b\"]".into(),
        ),
        s if s.starts_with("struct ") || s.starts_with("a map") || s.starts_with("map") => (
            "a block".into(),
            "write it as a block: `name { … }` (labelled blocks: `kind \"label\" { … }`)".into(),
        ),
        s if s.starts_with("enum ") || s.starts_with("variant") => (
            "one of the allowed values".into(),
            "see `tierform schema` for the allowed values".into(),
        ),
        other => (
            other.to_owned(),
            "see `tierform schema` for the expected shape".into(),
        ),
    }
}

/// The path of the value being decoded, as a linked list on the stack.
#[derive(Clone, Copy)]
pub(crate) struct Path<'a> {
    parent: Option<&'a Path<'a>>,
    segment: &'a str,
}

impl<'a> Path<'a> {
    pub(crate) const ROOT: Path<'static> = Path {
        parent: None,
        segment: "",
    };
    fn to_field_path(self) -> FieldPath {
        let mut v = Vec::new();
        let mut p = Some(&self);
        while let Some(cur) = p {
            if !cur.segment.is_empty() {
                v.push(cur.segment.to_owned());
            }
            p = cur.parent;
        }
        v.reverse();
        FieldPath(v)
    }
}

/// Decodes a value of `T` from a node.
///
/// # Errors
/// The first type, value or unknown-attribute error, located at its node.
pub fn from_node<T: de::DeserializeOwned>(node: &Node) -> Result<T, DeError> {
    T::deserialize(NodeDe {
        node,
        path: Path::ROOT,
    })
}

struct NodeDe<'a> {
    node: &'a Node,
    path: Path<'a>,
}

impl<'de, 'a> de::Deserializer<'de> for NodeDe<'a> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let (span, path) = (self.node.span, self.path);
        let r = match &self.node.value {
            Value::Null => visitor.visit_unit(),
            Value::Bool(b) => visitor.visit_bool(*b),
            Value::Int(i) => visitor.visit_i64(*i),
            Value::Float(f) => visitor.visit_f64(*f),
            Value::String(s) => visitor.visit_str(s),
            Value::Array(a) => visitor.visit_seq(SeqDe {
                iter: a.iter().enumerate(),
                path,
                index: String::new(),
            }),
            Value::Object(o) => visitor.visit_map(MapDe {
                iter: o.iter(),
                value: None,
                key: String::new(),
                path,
            }),
        };
        r.map_err(|e| e.at(span, &path))
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.node.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let (span, path) = (self.node.span, self.path);
        let r = match &self.node.value {
            Value::String(s) => visitor.visit_enum(s.as_str().into_deserializer()),
            Value::Object(o) if o.len() == 1 => {
                let (k, f) = o.iter().next().expect("one entry");
                visitor.visit_enum(EnumDe {
                    variant: k,
                    field: f,
                    path,
                })
            }
            Value::Object(o) => {
                let mut e = DeError::new(
                    "one-of",
                    format!(
                        "exactly one {} block is allowed, found {}",
                        snake(name),
                        o.len()
                    ),
                );
                e.help = Some(format!(
                    "keep one of: {}",
                    o.keys().cloned().collect::<Vec<_>>().join(", ")
                ));
                Err(e)
            }
            other => {
                let mut e = DeError::new(
                    "wrong-type",
                    format!(
                        "expected a {} value or block, found {}",
                        snake(name),
                        other.type_name()
                    ),
                );
                e.help = Some("see `tierform schema` for the allowed values".into());
                Err(e)
            }
        };
        r.map_err(|e| e.at(span, &path))
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

fn snake(name: &str) -> String {
    let mut s = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            s.push('_');
        }
        s.push(c.to_ascii_lowercase());
    }
    s
}

struct SeqDe<'a, I> {
    iter: I,
    path: Path<'a>,
    index: String,
}

impl<'de, 'a, I: Iterator<Item = (usize, &'a Node)>> de::SeqAccess<'de> for SeqDe<'a, I> {
    type Error = DeError;
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some((i, node)) = self.iter.next() else {
            return Ok(None);
        };
        self.index = i.to_string();
        let path = Path {
            parent: Some(&self.path),
            segment: &self.index,
        };
        seed.deserialize(NodeDe { node, path })
            .map(Some)
            .map_err(|e| e.at(node.span, &path))
    }
}

struct MapDe<'a, I> {
    iter: I,
    value: Option<&'a Field>,
    key: String,
    path: Path<'a>,
}

impl<'de, 'a, I: Iterator<Item = (&'a String, &'a Field)>> de::MapAccess<'de> for MapDe<'a, I> {
    type Error = DeError;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some((k, f)) = self.iter.next() else {
            return Ok(None);
        };
        self.value = Some(f);
        self.key.clone_from(k);
        let path = Path {
            parent: Some(&self.path),
            segment: &self.key,
        };
        seed.deserialize(k.as_str().into_deserializer())
            .map(Some)
            .map_err(|e: DeError| e.at(f.key_span.or(f.node.span), &path))
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let f = self.value.take().expect("value after key");
        let path = Path {
            parent: Some(&self.path),
            segment: &self.key,
        };
        seed.deserialize(NodeDe {
            node: &f.node,
            path,
        })
        .map_err(|e| e.at(f.node.span.or(f.key_span), &path))
    }
}

struct EnumDe<'a> {
    variant: &'a str,
    field: &'a Field,
    path: Path<'a>,
}

impl<'de, 'a> de::EnumAccess<'de> for EnumDe<'a> {
    type Error = DeError;
    type Variant = VariantDe<'a>;
    fn variant_seed<V: DeserializeSeed<'de>>(
        self,
        seed: V,
    ) -> Result<(V::Value, VariantDe<'a>), DeError> {
        let v = seed
            .deserialize(self.variant.into_deserializer())
            .map_err(|e: DeError| e.at(self.field.key_span.or(self.field.node.span), &self.path))?;
        Ok((
            v,
            VariantDe {
                field: self.field,
                variant: self.variant,
                path: self.path,
            },
        ))
    }
}

struct VariantDe<'a> {
    field: &'a Field,
    variant: &'a str,
    path: Path<'a>,
}

impl<'de, 'a> de::VariantAccess<'de> for VariantDe<'a> {
    type Error = DeError;
    fn unit_variant(self) -> Result<(), DeError> {
        Ok(())
    }
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, DeError> {
        let path = Path {
            parent: Some(&self.path),
            segment: self.variant,
        };
        seed.deserialize(NodeDe {
            node: &self.field.node,
            path,
        })
    }
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value, DeError> {
        self.content(visitor)
    }
    fn struct_variant<V: Visitor<'de>>(
        self,
        _f: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        self.content(visitor)
    }
}

impl VariantDe<'_> {
    /// The variant's block, decoded like any other value.
    fn content<'de, V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        let path = Path {
            parent: Some(&self.path),
            segment: self.variant,
        };
        de::Deserializer::deserialize_any(
            NodeDe {
                node: &self.field.node,
                path,
            },
            visitor,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::from_hcl;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Db {
        engine: String,
        #[serde(default)]
        port: u16,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Top {
        #[serde(default)]
        database: indexmap::IndexMap<String, Db>,
    }

    fn err(text: &str) -> Diagnostic {
        from_node::<Top>(&from_hcl(text).unwrap())
            .unwrap_err()
            .into_diagnostic()
    }

    #[test]
    fn decodes_blocks_into_maps() {
        let t: Top =
            from_node(&from_hcl("database \"a\" {\n  engine = \"pg\"\n}\n").unwrap()).unwrap();
        assert_eq!(
            t.database["a"],
            Db {
                engine: "pg".into(),
                port: 0
            }
        );
    }

    #[test]
    fn errors_point_at_the_offending_node() {
        let d = err("database \"a\" {\n  engine = \"pg\"\n  prot = 1\n}\n");
        assert_eq!(d.code, "unknown-attribute");
        assert_eq!(d.path.to_string(), "database.a.prot");
        assert_eq!(d.span.unwrap().start, 33);
        assert_eq!(d.help.as_deref(), Some("did you mean `port`?"));

        let d = err("database \"a\" {\n  engine = \"pg\"\n  port = 70000\n}\n");
        assert_eq!(
            (d.code, d.path.to_string()),
            ("invalid-value", "database.a.port".into())
        );

        let d = err("database \"a\" {\n  port = 1\n}\n");
        assert_eq!(
            (d.code, d.path.to_string()),
            ("missing-attribute", "database.a".into())
        );
        assert_eq!(d.span.unwrap().start, 0);
    }
}
