//! From a local environment to compose services: the application's services, and its
//! databases and caches as containers.

use indexmap::{IndexMap, IndexSet};
use tierform_model::env_var_name;
use tierform_model::wiring;
use tierform_model::{
    App, Cache, CacheEngine, Database, Engine, Environment, HealthCheck, Service,
};

use crate::model::{
    ComposeService, Dependency, Deploy, Healthcheck, Project, Resources, Size, Volume,
};
/// The user services run as, as in Kubernetes (`runAsUser`/`runAsGroup` 10001), so that an image
/// that needs root fails on the laptop first.
const RUN_AS: &str = "10001:10001";

/// The compose service of a database.
pub(crate) fn db_host(name: &str) -> String {
    format!("db-{name}")
}

/// The compose service of a cache.
pub(crate) fn cache_host(name: &str) -> String {
    format!("cache-{name}")
}

/// The variable holding a database's password, in `.env`: the name services read in the cloud.
fn db_password_var(name: &str) -> String {
    format!("{}_DB_PASSWORD", env_var_name(name))
}

/// The whole compose project.
pub(crate) fn project(env: &Environment) -> Project {
    let app = &env.app;
    let mut services = IndexMap::new();
    let mut volumes = IndexMap::new();
    let mut taken_ports = IndexSet::new();
    for (name, s) in &app.services {
        services.insert(name.clone(), app_service(env, s, &mut taken_ports));
    }
    if crate::aws_local::needed(app) {
        services.extend(crate::aws_local::services(env));
    }
    for (name, db) in &app.databases {
        let volume = format!("{}-data", db_host(name));
        services.insert(db_host(name), database(app, name, db, &volume));
        volumes.insert(volume, Volume {});
    }
    for (name, cache) in &app.caches {
        let volume = format!("{}-data", cache_host(name));
        services.insert(cache_host(name), cache_service(cache, &volume));
        volumes.insert(volume, Volume {});
    }
    Project {
        name: env.prefix(),
        services,
        volumes,
    }
}

/// The knob-valued configuration a service gets from its ConfigMap in Kubernetes.
fn config(app: &App, s: &Service) -> IndexMap<String, String> {
    app.service_config(s)
}

fn app_service(env: &Environment, s: &Service, taken_ports: &mut IndexSet<u16>) -> ComposeService {
    let app = &env.app;
    let mut environment = config(app, s);
    let mut wired: IndexMap<String, String> = IndexMap::new();
    let mut depends_on = IndexMap::new();
    for d in &s.databases {
        let Some(db) = app.databases.get(d) else {
            continue;
        };
        let pre = env_var_name(d);
        wired.insert(format!("{pre}_DB_HOST"), db_host(d));
        wired.insert(format!("{pre}_DB_PORT"), db.engine.port().to_string());
        wired.insert(format!("{pre}_DB_NAME"), db.name_on_instance(&app.app));
        wired.insert(format!("{pre}_DB_USER"), db.user(&app.app));
        // Interpolated from `.env`, which compose reads beside the compose file (under
        // tierform's name there, whatever the service calls it).
        let password = db_password_var(d);
        wired.insert(password.clone(), format!("${{{password}}}"));
        // The URL and connection-string forms the spec names, without the password.
        for form in [wiring::DB_URL, wiring::DB_CONNECTION_STRING] {
            if s.wants_db_form(d, form) {
                let (before, after) =
                    wiring::db_form(db, form, &db.user(&app.app), &db.name_on_instance(&app.app));
                wired.insert(
                    format!("{pre}_DB_{form}"),
                    format!("{before}{}{after}", db_host(d)),
                );
            }
        }
        depends_on.insert(db_host(d), Dependency::healthy());
    }
    for c in &s.caches {
        // Plain redis:// locally: the cloud's URL (rediss://, TLS) comes from the infrastructure.
        wired.insert(
            format!("{}_CACHE_URL", env_var_name(c)),
            format!("redis://{}:{CACHE_PORT}", cache_host(c)),
        );
        depends_on.insert(cache_host(c), Dependency::healthy());
    }
    // The services it calls, by their compose service name.
    wired.extend(wiring::service_urls(app, s));
    // Buckets, queues and topics: the stand-in's, once it has created them.
    let storage = crate::aws_local::variables(env, s);
    if !storage.is_empty() {
        depends_on.insert(crate::aws_local::INIT.to_owned(), Dependency::completed());
    }
    wired.extend(storage);
    // Each service reads the secrets it lists, and no other, interpolated from `.env`.
    for secret in &s.secrets {
        let var = env_var_name(secret);
        wired.insert(var.clone(), format!("${{{var}}}"));
    }
    // The application's own names (`env_names`); validation keeps them unique.
    environment.extend(wired.into_iter().map(|(k, v)| (s.env_name(&k), v)));
    for callee in &s.calls {
        if app.services.contains_key(callee) {
            depends_on.insert(callee.clone(), Dependency::healthy());
        }
    }
    // Copies: `replicas` when not autoscaled (a local tier does not autoscale).
    let copies = if s.autoscaling.is_none() {
        s.replicas.max(1)
    } else {
        1
    };
    // Published on the loopback interface only, one host port per copy; a port another
    // service took moves this one's range to the next free ports on the host (the container
    // port is unchanged).
    let mut host_port = s.port;
    while !(0..copies).all(|i| {
        host_port
            .checked_add(u16::try_from(i).unwrap_or(u16::MAX))
            .is_some_and(|p| !taken_ports.contains(&p))
    }) {
        host_port = host_port.checked_add(1).unwrap_or(1024);
    }
    let last_port = host_port.saturating_add(u16::try_from(copies - 1).unwrap_or(0));
    taken_ports.extend(host_port..=last_port);
    let published = if copies > 1 {
        format!("127.0.0.1:{host_port}-{last_port}:{}", s.port)
    } else {
        format!("127.0.0.1:{host_port}:{}", s.port)
    };
    let image = match &s.digest {
        Some(digest) => format!("{}:{}@{digest}", s.image, s.tag),
        None => format!("{}:{}", s.image, s.tag),
    };
    ComposeService {
        image,
        build: s.build.as_deref().map(spec_relative),
        command: s.command.clone(),
        user: Some(RUN_AS.to_owned()),
        ports: vec![published],
        environment,
        read_only: Some(true),
        tmpfs: vec!["/tmp".to_owned()],
        cap_drop: vec!["ALL".to_owned()],
        security_opt: vec!["no-new-privileges:true".to_owned()],
        healthcheck: Some(app_healthcheck(&s.health_check, s.port)),
        depends_on,
        restart: "unless-stopped".to_owned(),
        deploy: Some(Deploy {
            replicas: (copies > 1).then_some(copies),
            resources: Resources {
                limits: size(
                    s.cpu_limit.unwrap_or(s.cpu),
                    s.memory_limit.unwrap_or(s.memory),
                ),
                reservations: size(s.cpu, s.memory),
            },
        }),
        labels: IndexMap::from([(
            "tierform.health-check".to_owned(),
            health_statement(&s.health_check),
        )]),
        ..Default::default()
    }
}

/// Millicores and MiB in compose's units.
fn size(millicores: u32, mib: u32) -> Size {
    Size {
        cpus: format!("{}.{:03}", millicores / 1000, millicores % 1000)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned(),
        memory: format!("{mib}M"),
    }
}

/// What the service's health check needs from its image, and how compose applies the
/// thresholds, stated on the service: compose runs the check inside the container, and
/// marks it healthy on the first passing check.
fn health_statement(hc: &HealthCheck) -> String {
    let needs = if hc.command.is_some() {
        "runs health_check.command inside the image"
    } else {
        "needs /bin/sh and wget inside the image (otherwise set health_check.command)"
    };
    format!(
        "{needs}; unhealthy after {} failures; healthy on the first success (compose has no healthy_threshold; the cloud platforms wait for {})",
        hc.unhealthy_threshold, hc.healthy_threshold
    )
}

/// The service's health check: its command when it has one; otherwise an HTTP GET of its path
/// with `wget`, which assumes the image ships `wget` (busybox and Alpine-based images do; an
/// image without it should declare `health_check.command`).
fn app_healthcheck(hc: &HealthCheck, port: u16) -> Healthcheck {
    let test = match (&hc.command, &hc.path) {
        (Some(command), _) => std::iter::once("CMD".to_owned())
            .chain(command.iter().cloned())
            .collect(),
        (None, path) => vec![
            "CMD-SHELL".to_owned(),
            format!(
                "wget -q -O /dev/null http://127.0.0.1:{port}{} || exit 1",
                path.as_deref().unwrap_or("/")
            ),
        ],
    };
    Healthcheck {
        test,
        interval: format!("{}s", hc.interval()),
        timeout: format!("{}s", hc.timeout),
        retries: hc.unhealthy_threshold,
        start_period: None,
    }
}

/// Health checks of local data stores: quick, so that services start soon after them.
fn store_healthcheck(test: Vec<String>) -> Healthcheck {
    Healthcheck {
        test,
        interval: "5s".to_owned(),
        timeout: "3s".to_owned(),
        retries: 10,
        start_period: Some("10s".to_owned()),
    }
}

/// The container image of a database: the engine at the environment's exact version, so that
/// local never drifts from the cloud (`postgres:15.15`, `mysql:8.4.7`).
pub(crate) fn database_image(db: &Database) -> String {
    format!("{}:{}", db.engine.as_str(), db.engine_version)
}

fn database(app: &App, name: &str, db: &Database, volume: &str) -> ComposeService {
    let (user, dbname) = (db.user(&app.app), db.name_on_instance(&app.app));
    // Interpolated from `.env` (which compose reads for interpolation); never a literal.
    let password = format!("${{{}}}", db_password_var(name));
    let (environment, data_dir, test) = match db.engine {
        Engine::Postgres => (
            IndexMap::from([
                ("POSTGRES_DB".to_owned(), dbname.clone()),
                ("POSTGRES_USER".to_owned(), user.clone()),
                ("POSTGRES_PASSWORD".to_owned(), password),
            ]),
            "/var/lib/postgresql/data",
            vec![
                "CMD-SHELL".to_owned(),
                format!("pg_isready -U {user} -d {dbname}"),
            ],
        ),
        Engine::Mysql => (
            IndexMap::from([
                ("MYSQL_DATABASE".to_owned(), dbname),
                ("MYSQL_USER".to_owned(), user),
                ("MYSQL_PASSWORD".to_owned(), password),
                // No root password to manage: the application user owns its database.
                ("MYSQL_RANDOM_ROOT_PASSWORD".to_owned(), "yes".to_owned()),
            ]),
            "/var/lib/mysql",
            vec![
                "CMD".to_owned(),
                "mysqladmin".to_owned(),
                "ping".to_owned(),
                "-h".to_owned(),
                "127.0.0.1".to_owned(),
                "--silent".to_owned(),
            ],
        ),
    };
    let mut volumes = vec![format!("{volume}:{data_dir}")];
    if let Some(seed) = &db.seed_data {
        volumes.push(format!(
            "{}:/docker-entrypoint-initdb.d:ro",
            spec_relative(seed)
        ));
    }
    ComposeService {
        image: database_image(db),
        environment,
        volumes,
        healthcheck: Some(store_healthcheck(test)),
        restart: "unless-stopped".to_owned(),
        ..Default::default()
    }
}

/// A folder of the spec (seed data, a build context) as the compose file sees it. The spec's
/// relative paths are relative to the spec's folder; the compose file is written to
/// `<out>/compose/<env>/`, and `<out>` is the spec's folder by default, so a relative path
/// gains `../../`.
fn spec_relative(path: &str) -> String {
    if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("../../{}", path.trim_start_matches("./"))
    }
}

/// The port of Redis and Valkey.
const CACHE_PORT: u16 = 6379;

/// The upstream image tag of each ElastiCache minor version: a pinned patch release that
/// exists on Docker Hub. ElastiCache's Redis OSS 7.1 has no upstream release (AWS built it on
/// Redis OSS 7.0, and says it is compatible with it): it runs as 7.0 locally.
const CACHE_TAGS: &[(CacheEngine, &str, &str)] = &[
    (CacheEngine::Redis, "6.0", "6.0.20"),
    (CacheEngine::Redis, "6.2", "6.2.14"),
    (CacheEngine::Redis, "7.0", "7.0.15"),
    (CacheEngine::Redis, "7.1", "7.0.15"),
    (CacheEngine::Valkey, "7.2", "7.2.5"),
    (CacheEngine::Valkey, "8.0", "8.0.1"),
    (CacheEngine::Valkey, "8.1", "8.1.0"),
];

/// The container image of a cache: the pinned upstream release of the environment's
/// major.minor version (`redis:7.0.15`, `valkey/valkey:8.0.1`).
pub(crate) fn cache_image(cache: &Cache) -> String {
    let minor: Vec<&str> = cache.engine_version.split('.').take(2).collect();
    let minor = minor.join(".");
    let repo = match cache.engine {
        CacheEngine::Redis => "redis",
        CacheEngine::Valkey => "valkey/valkey",
    };
    let tag = CACHE_TAGS
        .iter()
        .find(|(e, v, _)| *e == cache.engine && *v == minor)
        .map_or(minor.as_str(), |(_, _, tag)| tag);
    format!("{repo}:{tag}")
}

fn cache_service(cache: &Cache, volume: &str) -> ComposeService {
    let cli = match cache.engine {
        CacheEngine::Redis => "redis-cli",
        CacheEngine::Valkey => "valkey-cli",
    };
    ComposeService {
        image: cache_image(cache),
        // Which cloud version the image stands for (not always its own: Redis OSS 7.1).
        labels: IndexMap::from([(
            "tierform.engine".to_owned(),
            format!(
                "ElastiCache {} {}",
                cache.engine.as_str(),
                cache.engine_version
            ),
        )]),
        volumes: vec![format!("{volume}:/data")],
        healthcheck: Some(store_healthcheck(vec![
            "CMD".to_owned(),
            cli.to_owned(),
            "ping".to_owned(),
        ])),
        restart: "unless-stopped".to_owned(),
        ..Default::default()
    }
}

/// `.env.example`: every variable `.env` must define, without values: the database passwords,
/// then each secret the services read, with the secret's description.
pub(crate) fn env_example(env: &Environment) -> String {
    let app = &env.app;
    let mut names: IndexMap<String, Option<String>> = app
        .databases
        .keys()
        .map(|d| {
            (
                db_password_var(d),
                Some(format!("password of database {d}")),
            )
        })
        .collect();
    for s in app.services.values() {
        for x in &s.secrets {
            let description = app.secrets.get(x).and_then(|d| d.description.clone());
            names.entry(env_var_name(x)).or_insert(description);
        }
    }
    let mut out = String::from(tierform_model::GENERATED_MARKER);
    out.push('\n');
    out.push_str("# Copy to .env and fill in; tierform never writes .env. Keep .env out of version control.\n");
    for (n, description) in names {
        if let Some(d) = description {
            out.push_str("# ");
            out.push_str(&d.replace('\n', " "));
            out.push('\n');
        }
        out.push_str(&n);
        out.push_str("=\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tierform_model::CacheEngine;

    fn cache(engine: CacheEngine, v: &str) -> Cache {
        Cache {
            engine,
            engine_version: v.into(),
            node_type: "cache.t3.micro".into(),
            nodes: 1,
            automatic_failover: false,
            at_rest_encryption: true,
            transit_encryption: true,
            snapshot_retention_days: 0,
        }
    }

    #[test]
    fn caches_run_a_pinned_upstream_release_of_their_minor() {
        assert_eq!(
            cache_image(&cache(CacheEngine::Redis, "7.0")),
            "redis:7.0.15"
        );
        // Docker Hub has no redis:7.1.
        assert_eq!(
            cache_image(&cache(CacheEngine::Redis, "7.1")),
            "redis:7.0.15"
        );
        assert_eq!(
            cache_image(&cache(CacheEngine::Valkey, "8.0")),
            "valkey/valkey:8.0.1"
        );
        // Every version ElastiCache offers (tierform-model's aws table) has a tag.
        for (engine, versions) in [
            (CacheEngine::Redis, &["6.0", "6.2", "7.0", "7.1"][..]),
            (CacheEngine::Valkey, &["7.2", "8.0", "8.1"][..]),
        ] {
            for v in versions {
                assert!(
                    CACHE_TAGS.iter().any(|(e, m, _)| *e == engine && m == v),
                    "{v}"
                );
            }
        }
    }

    #[test]
    fn http_health_checks_use_wget_and_commands_run_as_given() {
        let hc = HealthCheck {
            path: Some("/health".into()),
            command: None,
            interval: Some(30),
            timeout: 5,
            healthy_threshold: 2,
            unhealthy_threshold: 3,
        };
        let h = app_healthcheck(&hc, 3000);
        assert_eq!(
            h.test,
            [
                "CMD-SHELL",
                "wget -q -O /dev/null http://127.0.0.1:3000/health || exit 1"
            ]
        );
        assert_eq!(
            (h.interval.as_str(), h.timeout.as_str(), h.retries),
            ("30s", "5s", 3)
        );
        let hc = HealthCheck {
            path: None,
            command: Some(vec!["/bin/check".into()]),
            ..hc
        };
        assert_eq!(app_healthcheck(&hc, 1).test, ["CMD", "/bin/check"]);
    }

    #[test]
    fn seed_paths_are_relative_to_the_spec_folder() {
        assert_eq!(spec_relative("./db/seed"), "../../db/seed");
        assert_eq!(spec_relative("/srv/seed"), "/srv/seed");
    }
}
