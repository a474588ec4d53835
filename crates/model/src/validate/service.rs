//! Services: images, sizes, autoscaling, health checks, references to databases, caches,
//! secrets and other services, the variables tierform wires, and public hosts.

use super::credentials::{looks_random, looks_secret, looks_secret_value, name_reads_secret};
use super::names::{is_env_name, is_hostname};
use super::Rules;
use crate::aws::{app_runner_size, fargate_size};
use crate::diagnostic::did_you_mean;
use crate::environment::Environment;
use crate::resolve::is_judgeable_reason;
use crate::spec::{App, Name, Platform, Service};

/// Branch and environment names CI pipelines re-push on every build: a production image by one
/// of these names changes without a spec change, unless a digest pins it.
const MOVING_TAGS: &[&str] = &[
    "main",
    "master",
    "develop",
    "dev",
    "staging",
    "prod",
    "production",
    "stable",
    "edge",
    "nightly",
    "release",
];

/// The names a service may reference.
struct Declared<'a> {
    secret_names: Vec<&'a str>,
    db_names: Vec<&'a str>,
    cache_names: Vec<&'a str>,
    service_names: Vec<&'a str>,
}

/// Every service, then the hosts they are published at.
pub(super) fn rules(r: &mut Rules<'_>, env: &Environment, local: bool) {
    let app = &env.app;
    let declared = Declared {
        secret_names: app.secrets.keys().map(String::as_str).collect(),
        db_names: app.databases.keys().map(String::as_str).collect(),
        cache_names: app.caches.keys().map(String::as_str).collect(),
        service_names: app.services.keys().map(String::as_str).collect(),
    };
    if app.services.is_empty() {
        r.err(
            "no-service",
            &["service"],
            "the spec declares no service".into(),
            "add `service \"api\" { … }`",
        );
    }
    for (name, s) in &app.services {
        r.name(&["service", name], name, 24);
        image(r, env, name, s);
        sizes(r, app, local, name, s);
        health_check(r, app, local, name, s);
        r.unique(&["service", name, "databases"], "database", &s.databases);
        r.unique(&["service", name, "caches"], "cache", &s.caches);
        r.unique(&["service", name, "secrets"], "secret", &s.secrets);
        r.unique(&["service", name, "calls"], "service", &s.calls);
        r.unique(
            &["service", name, "external_services"],
            "external service",
            &s.external_services,
        );
        let external: Vec<&str> = app.external_services.keys().map(String::as_str).collect();
        for (i, e) in s.external_services.iter().enumerate() {
            r.reference(
                &["service", name, "external_services", &i.to_string()],
                "external_service",
                e,
                &external,
            );
        }
        arguments(r, name, s);
        wiring(r, &declared, name, s);
        env_collisions(r, app, local, name, s);
        not_secret(r, name, s);
        public(r, name, s);
    }
    hosts(r, app);
    if !local && matches!(app.platform, Platform::AppRunner(_)) {
        app_runner_call_cycles(r, app);
    }
}

/// On App Runner a caller is given its callees' URLs, which App Runner assigns when it creates
/// them: services that call each other in a cycle could never be created.
fn app_runner_call_cycles(r: &mut Rules<'_>, app: &App) {
    fn reaches(app: &App, from: &str, to: &str, seen: &mut Vec<String>) -> bool {
        let Some(s) = app.services.get(from) else {
            return false;
        };
        s.calls.iter().any(|c| {
            if c == to {
                return true;
            }
            if seen.contains(c) {
                return false;
            }
            seen.push(c.clone());
            reaches(app, c, to, seen)
        })
    }
    for (name, s) in &app.services {
        for (i, callee) in s.calls.iter().enumerate() {
            if reaches(app, callee, name, &mut Vec::new()) || callee == name {
                r.err(
                    "call-cycle",
                    &["service", name, "calls", &i.to_string()],
                    format!("on App Runner service `{name}` is given the URL of `{callee}`, which calls `{name}` back: neither could be created first"),
                    "break the cycle (one side learns the other's URL from configuration), or use ECS Fargate or EKS, where services call each other by name",
                );
            }
        }
    }
}

/// The image, its tag (pinned in production) and digest.
fn image(r: &mut Rules<'_>, env: &Environment, name: &Name, s: &Service) {
    let p = |f: &'static str| ["service", name.as_str(), f];
    if r.image(&p("image"), &p("tag"), &s.image, &s.tag) && env.production {
        if s.tag == "latest" {
            r.err(
                "unpinned-image",
                &p("tag"),
                format!("production runs service `{name}` from the mutable tag `latest`"),
                "pin a release tag such as `1.4.2` (and a `digest`) in the production tier",
            );
        } else if s.digest.is_none() && MOVING_TAGS.contains(&s.tag.as_str()) {
            r.err(
                "unpinned-image",
                &p("tag"),
                format!("production runs service `{name}` from `{}`, a tag that moves with every push", s.tag),
                "pin a release tag such as `1.4.2`, or pin the content with `digest = \"sha256:…\"`",
            );
        }
    }
    if let Some(d) = &s.digest {
        let ok = d
            .strip_prefix("sha256:")
            .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        if !ok {
            r.err(
                "invalid-digest",
                &p("digest"),
                format!("`{d}` is not an image digest"),
                "write it as `sha256:` followed by 64 hex digits",
            );
        }
    }
}

/// The port, CPU and memory (requests, limits, the platform's sizes) and autoscaling.
fn sizes(r: &mut Rules<'_>, app: &App, local: bool, name: &Name, s: &Service) {
    let p = |f: &'static str| ["service", name.as_str(), f];
    if s.port == 0 {
        r.err(
            "invalid-port",
            &p("port"),
            "port 0 is not a port".into(),
            "use the port the container listens on, 1-65535",
        );
    }
    if s.cpu == 0 || s.memory < 64 {
        r.err(
            "invalid-size",
            &p("cpu"),
            format!(
                "service `{name}` asks for {} millicores and {} MiB",
                s.cpu, s.memory
            ),
            "give real sizes, such as cpu = 250 and memory = 512",
        );
    }
    for (field, limit, request, unit) in [
        ("cpu_limit", s.cpu_limit, s.cpu, "millicores"),
        ("memory_limit", s.memory_limit, s.memory, "MiB"),
    ] {
        if let Some(limit) = limit.filter(|l| *l < request) {
            r.err(
                "limit-below-request",
                &p(field),
                format!("service `{name}` has {field} {limit} {unit}, below its request of {request} {unit}"),
                format!("raise `{field}` to at least {request}, or remove it to use the request"),
            );
        }
    }
    if let (Some(_), false) = (&s.build, local) {
        r.err(
            "unsupported-on-platform",
            &p("build"),
            format!(
                "{} runs service `{name}` from its image in a registry: it builds nothing",
                app.platform.display()
            ),
            "move `build` into the local tier (docker-compose builds it there); CI pushes the image cloud tiers run",
        );
    }
    if !local && !matches!(app.platform, Platform::Eks(_)) {
        let platform = app.platform.display();
        for (field, limit, request) in [
            ("cpu_limit", s.cpu_limit, "cpu"),
            ("memory_limit", s.memory_limit, "memory"),
        ] {
            if limit.is_some() {
                r.err(
                    "unsupported-on-platform",
                    &p(field),
                    format!("{platform} sizes service `{name}` as a whole: its `{request}` is both request and limit"),
                    format!("remove `{field}` (limits apply on EKS and in local tiers), or raise `{request}`"),
                );
            }
        }
    }
    if !local {
        platform_size(r, &app.platform, name, s);
    }
    if let Some(a) = &s.autoscaling {
        if a.min == 0 || a.min > a.max || a.max > 1000 {
            r.err(
                "invalid-range",
                &["service", name, "autoscaling", "max"],
                format!(
                    "autoscaling needs 1 <= min <= max <= 1000 (found {} and {})",
                    a.min, a.max
                ),
                "adjust min and max",
            );
        }
        if !(1..=100).contains(&a.target_cpu()) {
            r.err(
                "invalid-range",
                &["service", name, "autoscaling", "target_cpu"],
                format!("target CPU {}%: use 1 to 100", a.target_cpu()),
                "70 is a common choice",
            );
        }
        if let (Some(_), Platform::AppRunner(_), false) = (a.target_cpu, &app.platform, local) {
            r.err(
                "unsupported-on-platform",
                &["service", name, "autoscaling", "target_cpu"],
                format!("App Runner scales service `{name}` on concurrent requests, not on CPU"),
                "remove `target_cpu`: App Runner adds instances between `min` and `max` as requests queue",
            );
        }
    } else if s.replicas > 1000 {
        r.err(
            "invalid-range",
            &p("replicas"),
            format!("{} replicas; tierform allows up to 1000", s.replicas),
            "use autoscaling for large fleets",
        );
    }
}

/// The health check: one of path and command, timings and thresholds.
fn health_check(r: &mut Rules<'_>, app: &App, local: bool, name: &Name, s: &Service) {
    let hc = &s.health_check;
    let hp = |f: &'static str| ["service", name.as_str(), "health_check", f];
    match (&hc.path, &hc.command) {
        (Some(_), Some(_)) | (None, None) => r.err(
            "health-check",
            &["service", name, "health_check"],
            format!("the health check of `{name}` needs exactly one of `path` and `command`"),
            "an HTTP service usually sets `path = \"/health\"`",
        ),
        (Some(path), None) if !path.starts_with('/') || path.contains(char::is_whitespace) => {
            r.err(
                "health-check",
                &hp("path"),
                format!("`{path}` is not an HTTP path"),
                "start it with `/`, such as `/health`",
            );
        }
        (None, Some(c)) if c.is_empty() => r.err(
            "health-check",
            &hp("command"),
            "the health-check command is empty".into(),
            "such as `[\"/bin/healthcheck\"]`",
        ),
        (None, Some(_)) if s.public.is_some() || matches!(app.platform, Platform::AppRunner(_)) => {
            r.err(
                "health-check",
                &hp("command"),
                format!(
                    "service `{name}` is behind a load balancer, which checks health over HTTP"
                ),
                "set `path` instead of `command`",
            )
        }
        _ => {}
    }
    let app_runner = matches!(app.platform, Platform::AppRunner(_)) && !local;
    let interval = if app_runner {
        hc.interval_on(&app.platform)
    } else {
        hc.interval()
    };
    if app_runner {
        app_runner_health_check(r, &app.platform, name, s);
    }
    if hc.timeout == 0 || interval == 0 || hc.timeout >= interval {
        r.err(
            "health-check",
            &hp("timeout"),
            format!(
                "the timeout ({}s) must be shorter than the interval ({interval}s)",
                hc.timeout
            ),
            "such as interval = 30 and timeout = 5",
        );
    }
    for (field, value, range) in [
        ("healthy_threshold", hc.healthy_threshold, 1..=10),
        ("unhealthy_threshold", hc.unhealthy_threshold, 2..=10),
    ] {
        if !range.contains(&value) {
            r.err(
                "health-check",
                &hp(field),
                format!("{field} {value}: health-check thresholds must be 1-10 (healthy) and 2-10 (unhealthy)"),
                "such as healthy_threshold = 2 and unhealthy_threshold = 3",
            );
        }
    }
}

/// App Runner accepts 1-20 for each timing and threshold of a health check.
fn app_runner_health_check(r: &mut Rules<'_>, platform: &Platform, name: &Name, s: &Service) {
    let hc = &s.health_check;
    for (field, value) in [
        ("interval", hc.interval_on(platform)),
        ("timeout", hc.timeout),
        ("healthy_threshold", hc.healthy_threshold),
        ("unhealthy_threshold", hc.unhealthy_threshold),
    ] {
        if !(1..=20).contains(&value) {
            r.err(
                "unsupported-on-platform",
                &["service", name, "health_check", field],
                format!("App Runner accepts a health-check {} of 1 to 20, not {value}", field.replace('_', " ")),
                format!("set `{field}` to at most 20 (without `interval`, App Runner checks every 10 seconds)"),
            );
        }
    }
}

/// Arguments of the command and of the health-check command that look like secrets.
fn arguments(r: &mut Rules<'_>, name: &Name, s: &Service) {
    let hc = &s.health_check;
    for (field, command) in [("command", &s.command), ("health_check", &hc.command)] {
        for (i, arg) in command.iter().flatten().enumerate() {
            if looks_secret_value(arg) || arg.to_ascii_uppercase().contains("PASSWORD=") {
                let idx = i.to_string();
                let path: Vec<&str> = match field {
                    "command" => vec!["service", name, "command", &idx],
                    _ => vec!["service", name, "health_check", "command", &idx],
                };
                r.err(
                    "secret-literal",
                    &path,
                    format!("an argument of the {} of service `{name}` looks like a secret given as a literal value", field.replace('_', " ")),
                    "read the secret from the environment instead: declare a `secret` block, list it in `secrets`, and refer to its variable",
                );
            }
        }
    }
}

/// References to databases, caches, secrets and services, and the service's own `env`'s names
/// and values.
fn wiring(r: &mut Rules<'_>, declared: &Declared<'_>, name: &Name, s: &Service) {
    let Declared {
        secret_names,
        db_names,
        cache_names,
        service_names,
    } = declared;
    for (i, d) in s.databases.iter().enumerate() {
        r.reference(
            &["service", name, "databases", &i.to_string()],
            "database",
            d,
            db_names,
        );
    }
    for (i, c) in s.caches.iter().enumerate() {
        r.reference(
            &["service", name, "caches", &i.to_string()],
            "cache",
            c,
            cache_names,
        );
    }
    for (i, sec) in s.secrets.iter().enumerate() {
        r.reference(
            &["service", name, "secrets", &i.to_string()],
            "secret",
            sec,
            secret_names,
        );
    }
    for (i, c) in s.calls.iter().enumerate() {
        r.reference(
            &["service", name, "calls", &i.to_string()],
            "service",
            c,
            service_names,
        );
        if c == name {
            r.err(
                "self-call",
                &["service", name, "calls", &i.to_string()],
                format!("service `{name}` lists itself in `calls`"),
                format!("remove `{name}` from `calls`: `calls` opens traffic to other services"),
            );
        }
    }
    for (k, v) in &s.env {
        if !is_env_name(k) {
            r.err(
                "invalid-env-name",
                &["service", name, "env", k],
                format!("`{k}` is not an environment variable name"),
                "use letters, digits and underscores, not starting with a digit",
            );
        } else if s.not_secret.contains_key(k) && (looks_secret_value(v) || looks_random(v)) {
            r.err(
                "secret-literal",
                &["service", name, "env", k],
                format!("`{k}` is marked `not_secret`, but its value looks like a credential"),
                "a value shaped like a key stays refused whatever its name: declare a `secret`, list it in `secrets`, and remove the `not_secret` entry",
            );
        } else if looks_secret(k, v) && !s.not_secret.contains_key(k) {
            r.err(
                "secret-literal",
                &["service", name, "env", k],
                format!("`{k}` looks like a secret given as a literal value"),
                format!("declare `secret \"{}\" {{}}` and list it in `secrets`; its value then lives in Secrets Manager (if the value is public, such as a template id, mark it with `not_secret = {{ {k} = \"why it is not secret\" }}`)", k.to_ascii_lowercase().replace('_', "-")),
            );
        }
    }
}

/// The service's own `env` must not set a variable tierform wires into it (every one the
/// emitters write, from `wiring::wired_names`): the container would get the name twice.
fn env_collisions(r: &mut Rules<'_>, app: &App, local: bool, name: &Name, s: &Service) {
    let wired = crate::wiring::wired_names(app, s, local);
    for k in s.env.keys() {
        if is_env_name(k) && wired.contains(k) {
            r.err(
                "env-collision",
                &["service", name, "env", k],
                format!("`{k}` is set by tierform's wiring of this service's dependencies"),
                "remove it: tierform sets it from the database, cache, secret, bucket, queue, topic or called service",
            );
        }
    }
}

/// The public host, inside its zone.
fn public(r: &mut Rules<'_>, name: &Name, s: &Service) {
    if let Some(pubc) = &s.public {
        if !is_hostname(&pubc.host) {
            r.err(
                "invalid-host",
                &["service", name, "public", "host"],
                format!("`{}` is not a host name", pubc.host),
                "such as `api.example.com` (lower case)",
            );
        } else if !(pubc.host == pubc.zone || pubc.host.ends_with(&format!(".{}", pubc.zone))) {
            r.err(
                "host-outside-zone",
                &["service", name, "public", "host"],
                format!("`{}` is not inside the zone `{}`", pubc.host, pubc.zone),
                "the host must be the zone or a name under it",
            );
        }
    }
}

/// No two services published at one host.
fn hosts(r: &mut Rules<'_>, app: &App) {
    let mut hosts: Vec<(&str, &str)> = Vec::new();
    for (name, s) in &app.services {
        let Some(host) = s.public.as_ref().map(|p| p.host.as_str()) else {
            continue;
        };
        match hosts.iter().find(|(h, _)| *h == host) {
            Some((_, first)) => r.err(
                "duplicate-host",
                &["service", name, "public", "host"],
                format!("services `{first}` and `{name}` are both published at `{host}`"),
                "give each public service its own host name, such as `api.` and `www.` under the zone",
            ),
            None => hosts.push((host, name)),
        }
    }
}

/// `not_secret`: each entry names a variable of the service's `env` whose name reads as a
/// secret's, with a reason a reviewer can judge. An entry that allows nothing is refused, as an
/// unneeded `allow_retired_version` is: it would silently allow the next such variable.
fn not_secret(r: &mut Rules<'_>, name: &Name, s: &Service) {
    for (var, reason) in &s.not_secret {
        let at = ["service", name.as_str(), "not_secret", var.as_str()];
        if !s.env.contains_key(var) {
            let help = match did_you_mean(var, s.env.keys().map(String::as_str)) {
                Some(k) => format!("did you mean `{k}`?"),
                None => "list a variable of this service's `env`".to_owned(),
            };
            r.err(
                "unknown-reference",
                &at,
                format!("`{var}` is not a variable of service `{name}`'s `env`"),
                help,
            );
        } else if !name_reads_secret(var) {
            r.err(
                "allowance-unneeded",
                &at,
                format!("`{var}` does not read as a secret's name, so there is nothing to allow"),
                "remove the entry; `not_secret` is for names containing PASSWORD, SECRET, TOKEN, API_KEY, …",
            );
        } else if !is_judgeable_reason(reason) {
            r.err(
                "weak-reason",
                &at,
                format!("`{reason}` does not say why `{var}` is not a secret"),
                "write a sentence a reviewer can judge (at least 3 words and 12 letters, no placeholder), such as \"a public e-mail template id\"",
            );
        }
    }
}

/// The task or instance size on ECS Fargate and App Runner, reported on the field that is off:
/// `cpu` when no size has that many millicores (with the conversion when the value reads as
/// AWS's CPU units, 1024 per vCPU), else `memory`, with the memory that CPU takes.
fn platform_size(r: &mut Rules<'_>, platform: &Platform, name: &Name, s: &Service) {
    let (what, fits, cpus, mems): (&str, fn(u32, u32) -> bool, _, &str) = match platform {
        Platform::EcsFargate(_) => (
            "Fargate task",
            fargate_size,
            [250, 500, 1000, 2000, 4000],
            "250 with 512-2048, 500 with 1024-4096, 1000 with 2048-8192, 2000 with 4096-16384, 4000 with 8192-30720 (MiB in steps of 1024)",
        ),
        Platform::AppRunner(_) => (
            "App Runner instance",
            app_runner_size,
            [250, 500, 1000, 2000, 4000],
            "250 with 512 or 1024, 500 with 1024, 1000 with 2048-4096, 2000 with 4096 or 6144, 4000 with 8192-12288",
        ),
        Platform::Eks(_) => return,
    };
    if fits(s.cpu, s.memory) {
        return;
    }
    let p = |f: &'static str| ["service", name.as_str(), f];
    if !cpus.contains(&s.cpu) {
        let units = [256, 512, 1024, 2048, 4096];
        let hint = match units.iter().position(|u| *u == s.cpu) {
            Some(i) => format!(
                "`cpu` counts millicores (1000 = one vCPU), not AWS's CPU units (1024 = one vCPU): {} units is `cpu = {}`",
                s.cpu, cpus[i]
            ),
            None => format!(
                "`cpu` counts millicores (1000 = one vCPU); sizes: {mems}"
            ),
        };
        r.err(
            "invalid-size",
            &p("cpu"),
            format!(
                "no {what} has {} millicores: use {}",
                s.cpu,
                cpus.map(|c| c.to_string()).join(", ")
            ),
            hint,
        );
    } else {
        r.err(
            "invalid-size",
            &p("memory"),
            format!("no {what} has {} millicores with {} MiB", s.cpu, s.memory),
            format!("`memory` counts MiB (1024 = 1 GiB); sizes: {mems}"),
        );
    }
}
