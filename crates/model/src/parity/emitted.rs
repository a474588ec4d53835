//! One side's emitted objects as parity reads them: by id, compared whole first and walked
//! field by field only where they differ (most objects of two environments are equal, and
//! flattening every one of them was most of parity's cost).

use std::sync::OnceLock;

use serde_json::Value;

use super::fast::{entry_name, same, FastMap};
use super::EmittedObject;

/// (object id, field path): the field path is empty for the object's presence.
pub(super) type Key = (String, String);

/// An object's fields: path -> value, lists of named entries keyed by name.
pub(super) type Leaves = FastMap<String, Value>;

/// The objects of one side, by id: (component, data).
#[derive(Debug, Default)]
pub(super) struct Emitted {
    pub(super) objects: FastMap<String, (String, Value)>,
    /// Each object's data as compact JSON, in the order of `objects`, written the first time
    /// it is asked for: a reference environment's texts serve every pair it is part of.
    texts: OnceLock<Vec<String>>,
}

impl Emitted {
    pub(super) fn new(objects: Vec<EmittedObject>) -> Emitted {
        Emitted {
            objects: objects
                .into_iter()
                .map(|o| (o.id, (o.component, o.data)))
                .collect(),
            texts: OnceLock::new(),
        }
    }

    /// The data of the object at `index` as compact JSON.
    pub(super) fn text(&self, index: usize) -> &str {
        let texts = self.texts.get_or_init(|| {
            self.objects
                .values()
                .map(|(_, data)| serde_json::to_string(data).expect("JSON values serialise"))
                .collect()
        });
        &texts[index]
    }

    /// The fields of one object, if present.
    pub(super) fn leaves(&self, id: &str) -> Option<Leaves> {
        self.objects.get(id).map(|(_, data)| leaves_of(data))
    }

    /// The value at `key` (presence reads `true`).
    pub(super) fn get(&self, key: &Key) -> Option<Value> {
        let (_, data) = self.objects.get(&key.0)?;
        if key.1.is_empty() {
            return Some(Value::Bool(true));
        }
        leaves_of(data).shift_remove(&key.1)
    }

    pub(super) fn component(&self, id: &str) -> Option<&str> {
        self.objects.get(id).map(|(c, _)| c.as_str())
    }
}

/// The fields of one object.
pub(super) fn leaves_of(data: &Value) -> Leaves {
    let mut out = Leaves::default();
    walk(data, &mut String::new(), &mut |p, v| {
        out.insert(p.to_owned(), v.clone());
    });
    out
}

/// The fields of one object, borrowing its values (as [`leaves_of`]).
fn borrowed_leaves(data: &Value) -> FastMap<String, &Value> {
    let mut out = FastMap::default();
    walk(data, &mut String::new(), &mut |p, v| {
        out.insert(p.to_owned(), v);
    });
    out
}

/// Calls `f` with every leaf of `v` and its path.
pub(super) fn walk<'v>(v: &'v Value, path: &mut String, f: &mut dyn FnMut(&str, &'v Value)) {
    match v {
        Value::Object(o) if !o.is_empty() => {
            for (k, x) in o {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                walk(x, path, f);
                path.truncate(len);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            // Lists of named entries (container environments, ports) are keyed by name, so one
            // inserted entry is one difference rather than a shift of every later index.
            let names: Option<Vec<&str>> = a.iter().map(entry_name).collect();
            let names = names
                .filter(|n| n.iter().collect::<std::collections::BTreeSet<_>>().len() == n.len());
            for (i, x) in a.iter().enumerate() {
                let len = path.len();
                path.push('[');
                match &names {
                    Some(n) => path.push_str(n[i]),
                    None => push_index(path, i),
                }
                path.push(']');
                walk(x, path, f);
                path.truncate(len);
            }
        }
        other => f(path, other),
    }
}

/// Appends `i` in decimal (as `write!` would, without its formatting machinery: paths are
/// built for every leaf of every object parity walks).
fn push_index(path: &mut String, i: usize) {
    let mut digits = [0u8; 20];
    let mut n = i;
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    path.extend(digits[at..].iter().map(|&d| char::from(d)));
}

/// One raw difference: where, the component, and the value on each side.
pub(super) type RawDifference = (Key, String, Option<Value>, Option<Value>);

/// Every difference between two sides: an object on one side only is one difference; an
/// object on both is walked only if its data differ.
pub(super) fn diff(a: &Emitted, b: &Emitted) -> Vec<RawDifference> {
    let mut out = Vec::new();
    for (id, (component, da)) in &a.objects {
        match b.objects.get(id) {
            None => out.push((
                (id.clone(), String::new()),
                component.clone(),
                Some(Value::Bool(true)),
                None,
            )),
            Some((_, db)) if same(da, db) => {}
            Some((_, db)) => {
                let (la, lb) = (borrowed_leaves(da), borrowed_leaves(db));
                let mut matched = vec![false; lb.len()];
                for (path, va) in la {
                    let vb = lb.get_full(&path).map(|(i, _, vb)| {
                        matched[i] = true;
                        *vb
                    });
                    if vb != Some(va) {
                        out.push((
                            (id.clone(), path),
                            component.clone(),
                            Some(va.clone()),
                            vb.cloned(),
                        ));
                    }
                }
                for ((path, vb), _) in lb.into_iter().zip(matched).filter(|(_, m)| !m) {
                    out.push((
                        (id.clone(), path),
                        component.clone(),
                        None,
                        Some(vb.clone()),
                    ));
                }
            }
        }
    }
    for (id, (component, _)) in &b.objects {
        if !a.objects.contains_key(id) {
            out.push((
                (id.clone(), String::new()),
                component.clone(),
                None,
                Some(Value::Bool(true)),
            ));
        }
    }
    out
}

/// The fields of the objects named by `ids`, for answering many questions about one twin.
#[derive(Debug, Default)]
pub(super) struct Probe {
    present: FastMap<String, Leaves>,
}

impl Probe {
    pub(super) fn new<'k>(side: &Emitted, ids: impl IntoIterator<Item = &'k str>) -> Probe {
        let mut present = FastMap::default();
        for id in ids {
            if !present.contains_key(id) {
                if let Some(l) = side.leaves(id) {
                    present.insert(id.to_owned(), l);
                }
            }
        }
        Probe { present }
    }

    /// The value at `key` on this side (presence: `Some(true)`).
    pub(super) fn get(&self, key: &Key) -> Option<&Value> {
        const PRESENT: Value = Value::Bool(true);
        let leaves = self.present.get(&key.0)?;
        if key.1.is_empty() {
            Some(&PRESENT)
        } else {
            leaves.get(&key.1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn side(objects: &[(&str, Value)]) -> Emitted {
        Emitted::new(
            objects
                .iter()
                .map(|(id, data)| EmittedObject {
                    id: (*id).into(),
                    component: "c".into(),
                    data: data.clone(),
                })
                .collect(),
        )
    }

    #[test]
    fn named_list_entries_are_keyed_by_name() {
        let l = leaves_of(&json!({ "env": [{ "name": "A", "value": 1 }] }));
        assert!(l.contains_key("env[A].value"));
        // Unnamed or repeated names: by index.
        let l = leaves_of(
            &json!({ "p": [{ "name": "A" }, { "name": "A" }], "q": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10] }),
        );
        let paths: Vec<&str> = l.keys().map(String::as_str).collect();
        assert_eq!(paths[..2], ["p[0].name", "p[1].name"]);
        assert_eq!(paths[12], "q[10]");
    }

    #[test]
    fn equal_objects_are_not_walked_and_missing_ones_are_one_difference() {
        let a = side(&[
            ("x", json!({"a": 1, "b": [1, 2]})),
            ("gone", json!({"k": 1})),
        ]);
        let b = side(&[
            ("x", json!({"a": 2, "b": [1, 2]})),
            ("new", json!({"k": 1})),
        ]);
        let keys: Vec<Key> = diff(&a, &b).into_iter().map(|d| d.0).collect();
        assert_eq!(
            keys,
            [
                ("x".into(), "a".into()),
                ("gone".into(), String::new()),
                ("new".into(), String::new())
            ]
        );
    }
}
