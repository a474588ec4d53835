//! The engine versions RDS and ElastiCache offer, as shipped with this build of tierform: one
//! data file, `crates/model/data/engine-versions.json`, with the day it was checked and how to
//! refresh it (`scripts/refresh-engine-versions.sh`, from `aws rds
//! describe-db-engine-versions` and `aws elasticache describe-cache-engine-versions`).
//!
//! The list goes stale the day AWS ships a minor version, so it does not decide alone: any
//! well-formed version of the engine is accepted, a version newer than the list is a warning
//! (check that AWS offers it), and only versions older than what AWS still offers (or not of
//! the engine's form) are refused. Versions past their end of standard support are refused by
//! the lifecycle table (`crate::aws::LIFECYCLE`).

use std::sync::OnceLock;

use serde::Deserialize;

use crate::spec::{CacheEngine, Engine};

/// The shipped list, as the data file holds it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineVersions {
    /// The day the list was checked against AWS (`YYYY-MM-DD`).
    pub checked: String,
    /// How to refresh the file.
    pub refresh: String,
    /// Where the versions come from, per service.
    pub sources: serde_json::Map<String, serde_json::Value>,
    /// RDS for PostgreSQL: (major, lowest minor, highest minor) still offered.
    pub postgres: Vec<(String, u32, u32)>,
    /// RDS for MySQL: the same, majors as `8.0`, minors as the patch level.
    pub mysql: Vec<(String, u32, u32)>,
    /// ElastiCache Redis OSS versions (`7.1`).
    pub redis: Vec<String>,
    /// ElastiCache Valkey versions.
    pub valkey: Vec<String>,
}

/// The data file, compiled in.
pub const DATA_FILE: &str = "crates/model/data/engine-versions.json";

/// The shipped list (parsed once; a unit test proves the file parses).
pub fn shipped() -> &'static EngineVersions {
    static LIST: OnceLock<EngineVersions> = OnceLock::new();
    LIST.get_or_init(|| {
        serde_json::from_str(include_str!("../data/engine-versions.json"))
            .expect("crates/model/data/engine-versions.json is valid (tested)")
    })
}

/// What the shipped list says of a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Offered {
    /// In the list.
    Listed,
    /// Well-formed and newer than anything in the list: probably released since it was
    /// checked. Accepted with a warning naming the newest listed version.
    Newer {
        /// The newest listed version of the same line (major, or the engine).
        newest: String,
    },
    /// Older than what AWS still offers, or of a major it never offered: refused.
    NotOffered {
        /// What AWS offers instead, for the message.
        offered: String,
    },
    /// Not of the engine's form (`15.15`, `8.4.7`, `7.1`): refused.
    Malformed {
        /// The form expected, with an example.
        form: &'static str,
    },
}

fn numbers(version: &str) -> Option<Vec<u32>> {
    version
        .split('.')
        .map(|p| {
            (!p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_digit()))
                .then(|| p.parse().ok())
                .flatten()
        })
        .collect()
}

/// An RDS engine version against the shipped list.
pub fn rds(engine: Engine, version: &str) -> Offered {
    let (table, parts, form) = match engine {
        Engine::Postgres => (&shipped().postgres, 2, "`major.minor`, such as `16.11`"),
        Engine::Mysql => (&shipped().mysql, 3, "`major.minor.patch`, such as `8.4.7`"),
    };
    let Some(n) = numbers(version).filter(|n| n.len() == parts) else {
        return Offered::Malformed { form };
    };
    let (major, minor) = (&n[..parts - 1], n[parts - 1]);
    let major_of = |m: &str| numbers(m).unwrap_or_default();
    if let Some((m, lo, hi)) = table.iter().find(|(m, _, _)| major_of(m) == major) {
        return if minor < *lo {
            Offered::NotOffered {
                offered: format!(
                    "{m}.{lo} to {m}.{hi} (the oldest {m} minor RDS still offers is {m}.{lo})"
                ),
            }
        } else if minor > *hi {
            Offered::Newer {
                newest: format!("{m}.{hi}"),
            }
        } else {
            Offered::Listed
        };
    }
    match table.iter().max_by_key(|(m, _, _)| major_of(m)) {
        Some((m, _, hi)) if major_of(m).as_slice() < major => Offered::Newer {
            newest: format!("{m}.{hi}"),
        },
        _ => Offered::NotOffered {
            offered: rds_listed(engine),
        },
    }
}

/// The listed RDS versions, as ranges (`15.2-15.15, …`).
pub fn rds_listed(engine: Engine) -> String {
    let table = match engine {
        Engine::Postgres => &shipped().postgres,
        Engine::Mysql => &shipped().mysql,
    };
    table
        .iter()
        .map(|(m, lo, hi)| format!("{m}.{lo}-{m}.{hi}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The listed ElastiCache versions of an engine.
pub fn elasticache_listed(engine: CacheEngine) -> &'static [String] {
    match engine {
        CacheEngine::Redis => &shipped().redis,
        CacheEngine::Valkey => &shipped().valkey,
    }
}

/// An ElastiCache engine version against the shipped list.
pub fn elasticache(engine: CacheEngine, version: &str) -> Offered {
    let listed = elasticache_listed(engine);
    let Some(n) = numbers(version).filter(|n| n.len() == 2) else {
        return Offered::Malformed {
            form: "`major.minor`, such as `7.1`",
        };
    };
    if listed.iter().any(|v| v == version) {
        return Offered::Listed;
    }
    match listed.iter().max_by_key(|v| numbers(v).unwrap_or_default()) {
        Some(newest) if numbers(newest).unwrap_or_default() < n => Offered::Newer {
            newest: newest.clone(),
        },
        _ => Offered::NotOffered {
            offered: listed.join(", "),
        },
    }
}

/// The major version of an ElastiCache version (`7` of `7.1`), when well-formed.
pub fn elasticache_major(version: &str) -> Option<u32> {
    numbers(version).and_then(|n| n.first().copied())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Date;

    #[test]
    fn the_data_file_parses_and_is_dated() {
        let list = shipped();
        assert!(Date::parse(&list.checked).is_some(), "{}", list.checked);
        assert!(list.refresh.contains("scripts/refresh-engine-versions.sh"));
        assert!(!list.postgres.is_empty() && !list.mysql.is_empty());
        for (m, lo, hi) in list.postgres.iter().chain(&list.mysql) {
            assert!(lo <= hi, "{m}");
        }
    }

    #[test]
    fn rds_versions() {
        assert_eq!(rds(Engine::Postgres, "15.15"), Offered::Listed);
        assert_eq!(rds(Engine::Mysql, "8.4.7"), Offered::Listed);
        // Newer minors and majors than the list: accepted, with a warning.
        assert!(
            matches!(rds(Engine::Postgres, "17.9"), Offered::Newer { newest } if newest == "17.7")
        );
        assert!(matches!(
            rds(Engine::Postgres, "18.1"),
            Offered::Newer { .. }
        ));
        assert!(matches!(rds(Engine::Mysql, "9.1.0"), Offered::Newer { .. }));
        // Older than what RDS offers, or a major it never had: refused.
        assert!(matches!(
            rds(Engine::Postgres, "15.1"),
            Offered::NotOffered { .. }
        ));
        assert!(matches!(
            rds(Engine::Postgres, "11.22"),
            Offered::NotOffered { .. }
        ));
        assert!(matches!(
            rds(Engine::Mysql, "8.2.0"),
            Offered::NotOffered { .. }
        ));
        // Not of the engine's form.
        for (e, v) in [
            (Engine::Postgres, "15"),
            (Engine::Postgres, "8.4.7"),
            (Engine::Mysql, "8.0"),
            (Engine::Postgres, "15.x"),
            (Engine::Postgres, "15.01a"),
            (Engine::Postgres, ""),
        ] {
            assert!(matches!(rds(e, v), Offered::Malformed { .. }), "{v}");
        }
    }

    #[test]
    fn elasticache_versions() {
        assert_eq!(elasticache(CacheEngine::Redis, "7.1"), Offered::Listed);
        assert!(matches!(
            elasticache(CacheEngine::Valkey, "8.2"),
            Offered::Newer { .. }
        ));
        assert!(matches!(
            elasticache(CacheEngine::Redis, "5.0"),
            Offered::NotOffered { .. }
        ));
        assert!(matches!(
            elasticache(CacheEngine::Redis, "7"),
            Offered::Malformed { .. }
        ));
        assert_eq!(elasticache_major("6.2"), Some(6));
    }
}
