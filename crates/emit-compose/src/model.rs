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
    /// Local development: the folder compose builds `image` from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
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
    /// Empty for compose's default, `"no"` (a one-shot container).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub restart: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deploy: Option<Deploy>,
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub labels: IndexMap<String, String>,
}

/// How many copies run, and their CPU and memory.
#[derive(Debug, Serialize)]
pub(crate) struct Deploy {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    pub resources: Resources,
}

/// CPU and memory: reservations are the spec's requests, limits its limits (or the requests).
#[derive(Debug, Serialize)]
pub(crate) struct Resources {
    pub limits: Size,
    pub reservations: Size,
}

/// A size in compose's units: CPUs as a decimal, memory with a unit (`512M`).
#[derive(Debug, Serialize)]
pub(crate) struct Size {
    pub cpus: String,
    pub memory: String,
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
    /// A one-shot service that must have exited with status 0.
    pub fn completed() -> Dependency {
        Dependency {
            condition: "service_completed_successfully".to_owned(),
        }
    }
}
