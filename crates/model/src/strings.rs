//! Every string of a serialisable value, with its path, visited as the value serialises.
//!
//! The credential scan reads every string of every resolved environment. Serialising the
//! model into a `serde_json::Value` first and walking that builds and frees a whole tree per
//! environment (about a tenth of a build's instructions); this serde [`Serializer`] sees the
//! same strings at the same paths, in the same order, and allocates only for map keys.
//!
//! Paths are the ones `serde_json::to_value` would give: field names, map keys, list indexes,
//! and the variant name of a variant that carries data (`{"Variant": ...}`). Unit variants
//! are strings there, so they are strings here too.

use std::fmt;

use serde::ser::{self, Serialize, Serializer};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Segment {
    /// A struct field or the name of a variant that carries data.
    Field(&'static str),
    /// A map key.
    Key(String),
    /// A list index.
    Index(usize),
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Segment::Field(s) => f.write_str(s),
            Segment::Key(s) => f.write_str(s),
            Segment::Index(i) => write!(f, "{i}"),
        }
    }
}

/// Calls `f(path, string)` for every string in `value`, in serialisation order.
///
/// # Errors
/// The value's own `Serialize` fails, or it has a map key that is neither a string nor a
/// number (which `serde_json` refuses too).
pub(crate) fn visit<T: Serialize + ?Sized>(
    value: &T,
    f: &mut dyn FnMut(&[Segment], &str),
) -> Result<(), serde_json::Error> {
    value.serialize(&mut Strings {
        path: Vec::new(),
        f,
    })
}

struct Strings<'f> {
    path: Vec<Segment>,
    f: &'f mut dyn FnMut(&[Segment], &str),
}

impl Strings<'_> {
    fn string(&mut self, s: &str) {
        (self.f)(&self.path, s);
    }
    fn nested<T: Serialize + ?Sized>(
        &mut self,
        at: Segment,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.path.push(at);
        let r = value.serialize(&mut *self);
        self.path.pop();
        r
    }
}

type Result<T, E = serde_json::Error> = std::result::Result<T, E>;

impl<'a, 'f> Serializer for &'a mut Strings<'f> {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = Seq<'a, 'f>;
    type SerializeTuple = Seq<'a, 'f>;
    type SerializeTupleStruct = Seq<'a, 'f>;
    type SerializeTupleVariant = Seq<'a, 'f>;
    type SerializeMap = Map<'a, 'f>;
    type SerializeStruct = Map<'a, 'f>;
    type SerializeStructVariant = Map<'a, 'f>;

    fn serialize_bool(self, _: bool) -> Result<()> {
        Ok(())
    }
    fn serialize_i8(self, _: i8) -> Result<()> {
        Ok(())
    }
    fn serialize_i16(self, _: i16) -> Result<()> {
        Ok(())
    }
    fn serialize_i32(self, _: i32) -> Result<()> {
        Ok(())
    }
    fn serialize_i64(self, _: i64) -> Result<()> {
        Ok(())
    }
    fn serialize_i128(self, _: i128) -> Result<()> {
        Ok(())
    }
    fn serialize_u8(self, _: u8) -> Result<()> {
        Ok(())
    }
    fn serialize_u16(self, _: u16) -> Result<()> {
        Ok(())
    }
    fn serialize_u32(self, _: u32) -> Result<()> {
        Ok(())
    }
    fn serialize_u64(self, _: u64) -> Result<()> {
        Ok(())
    }
    fn serialize_u128(self, _: u128) -> Result<()> {
        Ok(())
    }
    fn serialize_f32(self, _: f32) -> Result<()> {
        Ok(())
    }
    fn serialize_f64(self, _: f64) -> Result<()> {
        Ok(())
    }
    fn serialize_char(self, c: char) -> Result<()> {
        self.string(c.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, s: &str) -> Result<()> {
        self.string(s);
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<()> {
        Ok(())
    }
    fn serialize_none(self) -> Result<()> {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<()> {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<()> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result<()> {
        self.string(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<()> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        self.nested(Segment::Field(variant), value)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Seq<'a, 'f>> {
        Ok(Seq::new(self, None))
    }
    fn serialize_tuple(self, _: usize) -> Result<Seq<'a, 'f>> {
        Ok(Seq::new(self, None))
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Seq<'a, 'f>> {
        Ok(Seq::new(self, None))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Seq<'a, 'f>> {
        Ok(Seq::new(self, Some(variant)))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Map<'a, 'f>> {
        Ok(Map::new(self, None))
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Map<'a, 'f>> {
        Ok(Map::new(self, None))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Map<'a, 'f>> {
        Ok(Map::new(self, Some(variant)))
    }
}

/// A list (or tuple): elements are paths `…/0`, `…/1`, under the variant's name if it is one.
struct Seq<'a, 'f> {
    s: &'a mut Strings<'f>,
    next: usize,
    variant: bool,
}

impl<'a, 'f> Seq<'a, 'f> {
    fn new(s: &'a mut Strings<'f>, variant: Option<&'static str>) -> Self {
        if let Some(v) = variant {
            s.path.push(Segment::Field(v));
        }
        Seq {
            s,
            next: 0,
            variant: variant.is_some(),
        }
    }
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let i = self.next;
        self.next += 1;
        self.s.nested(Segment::Index(i), value)
    }
    fn end(self) -> Result<()> {
        if self.variant {
            self.s.path.pop();
        }
        Ok(())
    }
}

/// serde's four list-like traits, all one thing here.
macro_rules! elements {
    ($($name:ident :: $method:ident),*) => {$(
        impl ser::$name for Seq<'_, '_> {
            type Ok = ();
            type Error = serde_json::Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
                self.element(value)
            }
            fn end(self) -> Result<()> {
                Seq::end(self)
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

/// A map, struct or struct variant: entries are paths `…/key`.
struct Map<'a, 'f> {
    s: &'a mut Strings<'f>,
    key: Option<String>,
    variant: bool,
}

impl<'a, 'f> Map<'a, 'f> {
    fn new(s: &'a mut Strings<'f>, variant: Option<&'static str>) -> Self {
        if let Some(v) = variant {
            s.path.push(Segment::Field(v));
        }
        Map {
            s,
            key: None,
            variant: variant.is_some(),
        }
    }
    fn end(self) -> Result<()> {
        if self.variant {
            self.s.path.pop();
        }
        Ok(())
    }
}

impl ser::SerializeMap for Map<'_, '_> {
    type Ok = ();
    type Error = serde_json::Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        // serde_json's own rules for a key: strings as they are, numbers and bools as text.
        let serde_json::Value::Object(entry) = serde_json::to_value(MapKey(key))? else {
            return Err(ser::Error::custom("a map key must be a string or a number"));
        };
        self.key = entry.into_iter().next().map(|(k, _)| k);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let key = self.key.take().unwrap_or_default();
        self.s.nested(Segment::Key(key), value)
    }
    fn end(self) -> Result<()> {
        Map::end(self)
    }
}

/// serde's two struct-like traits, the same here: fields are named by the type.
macro_rules! fields {
    ($($name:ident),*) => {$(
        impl ser::$name for Map<'_, '_> {
            type Ok = ();
            type Error = serde_json::Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<()> {
                self.s.nested(Segment::Field(key), value)
            }
            fn end(self) -> Result<()> {
                Map::end(self)
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

/// A map key as `serde_json` writes it into an object.
struct MapKey<'k, T: ?Sized>(&'k T);

impl<T: Serialize + ?Sized> Serialize for MapKey<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use ser::SerializeMap;
        // A one-entry map: serde_json turns its key into the object key it would use.
        let mut m = serializer.serialize_map(Some(1))?;
        m.serialize_entry(self.0, &())?;
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Serialize;
    use serde_json::{json, Value};

    /// What walking `serde_json::to_value` finds: the definition this module must match.
    fn by_value(v: &Value, path: &mut Vec<String>, out: &mut Vec<(String, String)>) {
        match v {
            Value::String(s) => out.push((path.join("."), s.clone())),
            Value::Object(o) => {
                for (k, x) in o {
                    path.push(k.clone());
                    by_value(x, path, out);
                    path.pop();
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    path.push(i.to_string());
                    by_value(x, path, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    fn by_serializer<T: Serialize>(v: &T) -> Vec<(String, String)> {
        let mut out = Vec::new();
        visit(v, &mut |p, s| {
            let p: Vec<String> = p.iter().map(Segment::to_string).collect();
            out.push((p.join("."), s.to_owned()));
        })
        .unwrap();
        out
    }

    fn agree<T: Serialize>(v: &T) {
        let mut expected = Vec::new();
        by_value(
            &serde_json::to_value(v).unwrap(),
            &mut Vec::new(),
            &mut expected,
        );
        assert_eq!(by_serializer(v), expected);
    }

    #[derive(Serialize)]
    enum Shape {
        Unit,
        Newtype(String),
        Tuple(u8, String),
        Struct { name: String, n: u32 },
    }

    #[derive(Serialize)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    enum Tagged {
        First { text: String },
    }

    #[derive(Serialize)]
    struct Outer {
        title: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        skipped: Option<String>,
        some: Option<String>,
        list: Vec<String>,
        by_name: indexmap::IndexMap<String, Shape>,
        by_number: indexmap::IndexMap<u32, String>,
        tagged: Tagged,
        #[serde(flatten)]
        flat: indexmap::IndexMap<String, String>,
        letter: char,
    }

    #[test]
    fn finds_what_a_walk_of_the_json_value_finds() {
        let mut by_name = indexmap::IndexMap::new();
        by_name.insert("u".to_owned(), Shape::Unit);
        by_name.insert("n".to_owned(), Shape::Newtype("inner".into()));
        by_name.insert("t".to_owned(), Shape::Tuple(1, "second".into()));
        by_name.insert(
            "s".to_owned(),
            Shape::Struct {
                name: "named".into(),
                n: 3,
            },
        );
        let v = Outer {
            title: "t".into(),
            skipped: None,
            some: Some("here".into()),
            list: vec!["a".into(), "b".into()],
            by_name,
            by_number: [(7, "seven".to_owned())].into_iter().collect(),
            tagged: Tagged::First {
                text: "tagged".into(),
            },
            flat: [("extra".to_owned(), "flattened".to_owned())]
                .into_iter()
                .collect(),
            letter: 'x',
        };
        agree(&v);
        assert!(by_serializer(&v).contains(&("by_name.s.Struct.name".into(), "named".into())));
        assert!(by_serializer(&v).contains(&("by_number.7".into(), "seven".into())));
        agree(&json!({"a": [{"b": "c"}, "d", null, 1], "e": {"f": "g"}}));
    }

    /// The real model: every environment of every example spec, string for string.
    #[test]
    fn finds_every_string_of_every_fixture_environment() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures");
        let mut specs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "hcl"))
            .collect();
        specs.sort();
        assert!(specs.len() >= 5, "the seed fixtures are there");
        for spec in specs {
            let model = crate::Model::load(&spec).unwrap();
            for id in model.environments() {
                agree(&model.resolve(&id).unwrap().app);
            }
        }
    }
}
