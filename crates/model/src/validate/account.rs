//! What an environment's account decides beyond its tier block: image repositories that name
//! `{account}`, the state bucket derived per account, and a data refresh across accounts.

use super::Rules;
use crate::account::ACCOUNT_PLACEHOLDER;
use crate::environment::Environment;
use crate::resolve::Tier;

pub(super) fn rules(r: &mut Rules<'_>, env: &Environment, tiers: &[Tier]) {
    let app = &env.app;
    if env.account.is_none() {
        let images = app
            .services
            .iter()
            .filter(|(_, s)| s.build.is_none() || env.runtime == crate::Runtime::Cloud)
            .map(|(n, s)| (vec!["service", n.as_str(), "image"], &s.image))
            .chain(
                app.data_refresh
                    .iter()
                    .map(|d| (vec!["data_refresh", "image"], &d.image)),
            );
        for (path, image) in images {
            if image.contains(ACCOUNT_PLACEHOLDER) {
                r.err(
                    "account-placeholder-without-account",
                    &path,
                    format!(
                        "the image names `{ACCOUNT_PLACEHOLDER}`, but tier `{}` declares no account",
                        env.tier
                    ),
                    format!(
                        "declare the tier's account (`account {{ id = \"123456789012\" }}` in tier `{}`), or write the registry's account id",
                        env.tier
                    ),
                );
            }
        }
    }
    if let Some(a) = &env.account {
        if a.state_bucket.is_none() && !super::is_bucket_name(&env.state_bucket()) {
            r.err(
                "invalid-bucket",
                &["state", "bucket"],
                format!(
                    "with the account id appended, the state bucket of tier `{}` would be `{}`, which is not an S3 bucket name",
                    env.tier,
                    env.state_bucket()
                ),
                "shorten `state.bucket` (the account id adds 13 characters), or give the account's `state_bucket`",
            );
        }
    }
    if let Some(d) = &app.data_refresh {
        let source = tiers.iter().find(|t| t.name == d.from);
        let ids = (
            env.account.as_ref().map(|a| a.id.as_str()),
            source
                .and_then(|t| t.account.as_ref())
                .map(|a| a.id.as_str()),
        );
        if source.is_some() && ids.0 != ids.1 {
            let name = |id: Option<&str>| {
                id.map_or("no declared account".to_owned(), |i| format!("account {i}"))
            };
            r.err(
                "refresh-across-accounts",
                &["data_refresh", "from"],
                format!(
                    "tier `{}` runs in {} but refreshes from tier `{}` in {}: the refresh copies the source's snapshots with a role of this account, which cannot read another account's",
                    env.tier,
                    name(ids.0),
                    d.from,
                    name(ids.1)
                ),
                "refresh from a tier of the same account, or share the snapshots across accounts outside tierform",
            );
        }
    }
}
