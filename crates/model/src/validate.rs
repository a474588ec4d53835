//! Semantic rules over a resolved environment. Each rule reports the field path it is about;
//! the resolver turns the path into the position of whichever layer set that value.
//!
//! One submodule per domain of the spec: `names` (names, regions, buckets, host names),
//! `network` (CIDR blocks, and the subnets derived from them), `platform`, `database`, `cache`,
//! `service`, `observability`, `access`, `data_refresh`, and `credentials`, the scan for
//! secrets pasted as literals. What AWS offers (versions, sizes, quotas) is in `crate::aws`.

mod access;
mod account;
mod cache;
mod credentials;
mod data_refresh;
mod database;
mod env_names;
mod existing_network;
mod internal;
mod lifecycle;
mod names;
mod network;
mod observability;
mod platform;
mod production;
mod raw;
mod service;
mod storage;

use crate::date::Date;
use crate::diagnostic::{did_you_mean, Diagnostic, FieldPath};
use crate::environment::{Environment, Runtime};
use crate::resolve::Tier;

pub(crate) use names::is_bucket_name;
use names::quoted;
pub use names::{check_name, is_name};
pub use network::derive_subnets;

struct Rules<'a> {
    out: &'a mut Vec<Diagnostic>,
}

impl Rules<'_> {
    fn err(&mut self, code: &'static str, path: &[&str], message: String, help: impl Into<String>) {
        let path = FieldPath(path.iter().map(|s| (*s).to_owned()).collect());
        self.out
            .push(Diagnostic::error(code, path, message).with_help(help));
    }
    fn warn(
        &mut self,
        code: &'static str,
        path: &[&str],
        message: String,
        help: impl Into<String>,
    ) {
        let path = FieldPath(path.iter().map(|s| (*s).to_owned()).collect());
        self.out
            .push(Diagnostic::warning(code, path, message).with_help(help));
    }
    fn name(&mut self, path: &[&str], s: &str, max: usize) {
        let path = FieldPath(path.iter().map(|s| (*s).to_owned()).collect());
        check_name(&path, s, max, None, self.out);
    }
    /// Checks an image repository and tag; false when either is invalid (and reported).
    fn image(&mut self, image_path: &[&str], tag_path: &[&str], image: &str, tag: &str) -> bool {
        let image_ok = !image.is_empty()
            && !image.contains(char::is_whitespace)
            && !image.contains('@')
            && !image.rsplit('/').next().is_some_and(|l| l.contains(':'));
        if !image_ok {
            self.err(
                "invalid-image",
                image_path,
                format!("{} is not an image repository", quoted(image)),
                "give the repository without tag or digest; the tag goes in `tag`",
            );
        }
        let tag_ok = !tag.is_empty()
            && tag.len() <= 128
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !tag_ok {
            self.err(
                "invalid-tag",
                tag_path,
                format!("{} is not an image tag", quoted(tag)),
                "tags are up to 128 letters, digits, `.`, `_` and `-`, such as `1.4.2`",
            );
        }
        image_ok && tag_ok
    }
    /// Reports names listed twice in a list of references.
    fn unique(&mut self, path: &[&str], what: &str, names: &[String]) {
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                let idx = i.to_string();
                let mut at = path.to_vec();
                at.push(&idx);
                self.err(
                    "duplicate-reference",
                    &at,
                    format!("{what} `{n}` is listed twice"),
                    format!("remove the second `{n}`"),
                );
            }
        }
    }
    fn reference(&mut self, path: &[&str], what: &str, name: &str, known: &[&str]) {
        if !known.contains(&name) {
            let help = match did_you_mean(name, known.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if known.is_empty() => {
                    format!("declare it with a `{what} \"{name}\" {{ … }}` block")
                }
                None => format!("declared: {}", known.join(", ")),
            };
            self.err(
                "unknown-reference",
                path,
                format!("`{name}` is not a declared {what}"),
                help,
            );
        }
    }
}

/// Every semantic rule, over one resolved environment.
pub fn environment(env: &Environment, tiers: &[Tier], today: Date, out: &mut Vec<Diagnostic>) {
    let first = out.len();
    rules(env, tiers, out);
    if env.runtime != Runtime::Local {
        lifecycle::rules(&mut Rules { out }, env, today);
        production::rules(&mut Rules { out }, env);
    }
    credentials::scan_for_credentials(&env.app, out);
    // `strict` turns this environment's warnings of the codes it lists into errors.
    let mut unknown = Vec::new();
    production::strict(&env.app, &mut out[first..], &mut unknown);
    out.extend(unknown);
}

fn rules(env: &Environment, tiers: &[Tier], out: &mut Vec<Diagnostic>) {
    let mut r = Rules { out };
    let app = &env.app;
    let local = env.runtime == Runtime::Local;
    names::app(&mut r, app, local);
    network::rules(&mut r, &app.network);
    existing_network::rules(&mut r, app, local);
    platform::rules(&mut r, &app.platform, local);
    database::rules(&mut r, env, local);
    cache::rules(&mut r, app, local);
    names::secrets(&mut r, app);
    service::rules(&mut r, env, local);
    internal::rules(&mut r, app, local);
    env_names::rules(&mut r, app, local);
    observability::rules(&mut r, app, local);
    names::external_services_and_flags(&mut r, app);
    access::rules(&mut r, app);
    data_refresh::rules(&mut r, env, tiers);
    raw::rules(&mut r, env);
    account::rules(&mut r, env, tiers);
    storage::rules(&mut r, env);
}
