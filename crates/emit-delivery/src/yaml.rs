//! YAML files: the generated-code marker, then one document written by serde_norway (libyaml's
//! emitter: keys in insertion order, multi-line strings as literal blocks), so output is
//! byte-stable.

use serde_json::Value;

/// A file of one document, headed by the marker and `note` (comment lines, for readers).
pub(crate) fn file(note: &[&str], doc: &Value) -> String {
    let mut out = String::with_capacity(4096);
    out.push_str(tierform_model::GENERATED_MARKER);
    out.push('\n');
    for line in note {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(&serde_norway::to_string(doc).expect("plain data serialises to YAML"));
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn scripts_are_literal_blocks() {
        let doc = serde_json::json!({"on": {"push": null}, "run": "a\nb\n"});
        let text = super::file(&[], &doc);
        assert!(text.contains("run: |\n  a\n  b\n"), "{text}");
    }
}
