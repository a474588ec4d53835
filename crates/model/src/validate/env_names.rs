//! `service.env_names`: the application's own names for wired variables. Each entry renames a
//! variable this environment wires into the service (or asks for an on-request form, such as
//! `MAIN_DB_URL`), to a valid name no other variable of the service has.

use super::names::is_env_name;
use super::Rules;
use crate::diagnostic::did_you_mean;
use crate::spec::{App, Name, Service};
use crate::wiring::{on_request, wired_names};

pub(super) fn rules(r: &mut Rules<'_>, app: &App, local: bool) {
    for (name, s) in &app.services {
        service(r, app, local, name, s);
    }
}

fn service(r: &mut Rules<'_>, app: &App, local: bool, name: &Name, s: &Service) {
    if s.env_names.is_empty() {
        return;
    }
    let wired = wired_names(app, s, local);
    let optional = on_request(s);
    let config = app.service_config(s);
    // Every final name, with what it is, to find the first holder of a name.
    let mut taken: Vec<(String, String)> = config
        .keys()
        .map(|k| {
            (
                k.clone(),
                format!("`{k}` (set by `env` or tierform's configuration)"),
            )
        })
        .collect();
    taken.extend(
        wired
            .iter()
            .filter(|w| !s.env_names.contains_key(*w))
            .map(|w| (w.clone(), format!("the wired variable `{w}`"))),
    );
    for (from, to) in &s.env_names {
        let at = ["service", name.as_str(), "env_names", from.as_str()];
        if !wired.contains(from) && !optional.contains(from) {
            let other_runtime = wired_names(app, s, !local);
            let help = if other_runtime.contains(from) {
                format!("`{from}` is wired in {} tiers only (a password with IAM authentication off, or the cloud's cache login): rename it in the tier that wires it", if local { "cloud" } else { "local" })
            } else {
                match did_you_mean(from, wired.iter().chain(&optional).map(String::as_str)) {
                    Some(k) => format!("did you mean `{k}`?"),
                    None => format!(
                        "wired here: {}",
                        wired
                            .iter()
                            .chain(&optional)
                            .cloned()
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }
            };
            r.err(
                "unknown-reference",
                &at,
                format!("service `{name}` is not wired a variable `{from}` here"),
                help,
            );
            continue;
        }
        if !is_env_name(to) {
            r.err(
                "invalid-env-name",
                &at,
                format!("`{to}` is not an environment variable name"),
                "use letters, digits and underscores, not starting with a digit (`ConnectionStrings__Default` is one)",
            );
            continue;
        }
        match taken.iter().find(|(n, _)| n == to) {
            Some((_, holder)) => r.err(
                "env-collision",
                &at,
                format!("`{from}` would be named `{to}`, the name of {holder}"),
                "give each variable its own name",
            ),
            None => taken.push((to.clone(), format!("the renamed `{from}`"))),
        }
    }
}
