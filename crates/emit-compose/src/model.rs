//! The subset of the Compose Specification tierform writes, as typed structs.

use indexmap::IndexMap;
use serde::Serialize;

/// A compose file.
#[derive(Debug, Serialize)]
pub(crate) struct Project {
    /// The project name: `<app>-<env>`.
    pub name: String,
    pub services: IndexMap<String, ComposeService>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub volumes: IndexMap<String, Volume>,
}

/// A named volume with default settings.
#[derive(Debug, Default, Serialize)]
pub(crate) struct Volume {}

/// One container.
#[derive(Debug, Default, Serialize)]
pub(crate) struct ComposeService {
    pub image: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env_file: Vec<EnvFile>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub environment: IndexMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub volumes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub read_only: Option<bool>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tmpfs: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub cap_drop: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_opt: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub healthcheck: Option<Healthcheck>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub depends_on: IndexMap<String, Dependency>,
    pub restart: String,
}

/// An `env_file` entry in the long syntax: `required: false` lets `docker compose config` (and
/// a first `up`) work before the developer has created `.env`.
#[derive(Debug, Serialize)]
pub(crate) struct EnvFile {
    pub path: String,
    pub required: bool,
}

/// A container health check.
#[derive(Debug, Serialize)]
pub(crate) struct Healthcheck {
    pub test: Vec<String>,
    pub interval: String,
    pub timeout: String,
    pub retries: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_period: Option<String>,
}

/// A `depends_on` entry.
#[derive(Debug, Serialize)]
pub(crate) struct Dependency {
    pub condition: String,
}

impl Dependency {
    pub fn healthy() -> Dependency {
        Dependency {
            condition: "service_healthy".to_owned(),
        }
    }
}
