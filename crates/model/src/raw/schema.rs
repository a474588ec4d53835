//! The AWS provider's resource and data source types, their arguments and nested blocks: the
//! extract raw blocks are checked against (`crates/model/data/aws-provider-schema.json`,
//! written by `tools/validate/lib/raw_schema_extract.py` from the validators' own extract;
//! regenerate both together when the provider is upgraded). Parsed once, on first use.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

const EXTRACT: &str = include_str!("../../data/aws-provider-schema.json");

/// The provider's schema, as far as raw blocks need it.
#[derive(Debug, Deserialize)]
pub struct ProviderSchema {
    /// The provider version the extract was taken from.
    pub provider_version: String,
    /// Resource types.
    pub resources: BTreeMap<String, BlockSchema>,
    /// Data source types.
    pub data_sources: BTreeMap<String, BlockSchema>,
}

/// One block type: its argument names and nested block types.
#[derive(Debug, Deserialize)]
pub struct BlockSchema {
    /// Argument names (configurable ones).
    #[serde(rename = "a")]
    pub attributes: Vec<String>,
    /// Nested block types.
    #[serde(rename = "b", default)]
    pub blocks: BTreeMap<String, BlockSchema>,
    /// `single` or `map` when the block may appear at most once; list or set otherwise.
    #[serde(rename = "n", default)]
    pub nesting: Option<String>,
    /// Required arguments and blocks.
    #[serde(rename = "r", default)]
    pub required: Vec<String>,
    /// The content is unknown to the extract (huge untyped blocks): not checked inside.
    #[serde(rename = "o", default)]
    pub opaque: bool,
}

impl BlockSchema {
    /// Whether `name` is a nested block type (written as one or more blocks, not `name = …`).
    pub fn is_block(&self, name: &str) -> bool {
        self.blocks.contains_key(name)
    }
    /// Every argument and block name, for "did you mean".
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.attributes
            .iter()
            .map(String::as_str)
            .chain(self.blocks.keys().map(String::as_str))
    }
}

/// The extract.
pub fn aws() -> &'static ProviderSchema {
    static SCHEMA: OnceLock<ProviderSchema> = OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::from_str(EXTRACT).expect("the shipped extract parses"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_extract_knows_queues_and_their_blocks() {
        let s = aws();
        let q = &s.resources["aws_sqs_queue"];
        assert!(q
            .attributes
            .iter()
            .any(|a| a == "visibility_timeout_seconds"));
        let l = &s.resources["aws_lambda_function"];
        assert!(l.is_block("vpc_config") && !l.is_block("memory_size"));
        assert!(l.required.iter().any(|r| r == "role"));
        assert!(s.data_sources.contains_key("aws_iam_policy_document"));
        assert!(!s.resources.contains_key("aws_sqs_queues"));
    }
}
