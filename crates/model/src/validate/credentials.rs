//! Credentials: names and values shaped like secrets, and the scan of every string of the
//! resolved model for one pasted as a literal.

use crate::diagnostic::{Diagnostic, FieldPath};

/// Secret-looking names and values: a literal here is almost certainly a leaked credential.
pub(super) fn looks_secret(name: &str, value: &str) -> bool {
    let n = name.to_ascii_uppercase();
    let by_name = [
        "PASSWORD",
        "PASSWD",
        "SECRET",
        "TOKEN",
        "PRIVATE_KEY",
        "API_KEY",
        "ACCESS_KEY",
        "CREDENTIAL",
    ]
    .iter()
    .any(|w| n.contains(w));
    (by_name && !value.is_empty()) || looks_secret_value(value)
}

/// Values shaped like well-known credentials (Stripe, AWS access keys, PEM keys, Slack, GitHub).
pub(super) fn looks_secret_value(value: &str) -> bool {
    const PREFIXES: &[&str] = &[
        "sk_live_",
        "sk_test_",
        "rk_live_",
        "whsec_",
        "AKIA",
        "-----BEGIN",
        "xoxb-",
        "ghp_",
    ];
    let token = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    // A credential is its prefix and a body (`sk_live_` alone is just a word in a description).
    let credential = |part: &str| {
        PREFIXES
            .iter()
            .any(|p| part.starts_with(p) && (part.len() >= p.len() + 8 || *p == "-----BEGIN"))
    };
    value.split(|c: char| !token(c)).any(credential) || has_url_password(value)
}

/// `scheme://user:password@host`: a credential inside a URL.
fn has_url_password(value: &str) -> bool {
    value.match_indices("://").any(|(i, _)| {
        let authority = value[i + 3..]
            .split(['/', '?', '#', ' '])
            .next()
            .unwrap_or("");
        authority
            .rsplit_once('@')
            .is_some_and(|(userinfo, _)| userinfo.contains(':'))
    })
}

/// Every string of the resolved model, with its path: the last line of defence against a
/// credential pasted anywhere (a description, a tag, a health-check path), since every string
/// of the model can reach a generated file. Findings are rare, so a path becomes text only
/// for one.
pub(super) fn scan_for_credentials(app: &crate::spec::App, out: &mut Vec<Diagnostic>) {
    crate::strings::visit(app, &mut |path, s| {
        if !looks_secret_value(s) {
            return;
        }
        let path = FieldPath(path.iter().map(ToString::to_string).collect());
        if !out
            .iter()
            .any(|d| d.code == "secret-literal" && d.path == path)
        {
            out.push(
                Diagnostic::error("secret-literal", path.clone(), format!("`{path}` holds a value shaped like a credential"))
                    .with_help("secret values never go in a spec: declare a `secret` and reference it by name; its value lives in Secrets Manager"),
            );
        }
    })
    .expect("the model serialises");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_found_inside_other_text() {
        assert!(looks_secret_value(
            "Bearer:sk_live_4eC39HqLyjWDarjtT1zdp7dc"
        ));
        assert!(looks_secret_value("postgres://app:hunter2@db:5432/x"));
        assert!(!looks_secret_value("https://example.com/a?b=c"));
        assert!(!looks_secret_value("user@example.com"));
    }

    #[test]
    fn secrets_by_name_or_shape() {
        assert!(looks_secret("DB_PASSWORD", "hunter2"));
        assert!(looks_secret("STRIPE", "sk_live_4eC39HqLyjWDarjtT1zdp7dc"));
        assert!(!looks_secret("NODE_ENV", "production"));
    }

    #[test]
    fn secret_shaped_arguments() {
        assert!(looks_secret_value("--key=sk_live_4eC39HqLyjWDarjtT1zdp7dc"));
        assert!(looks_secret_value("AKIAIOSFODNN7EXAMPLE"));
        assert!(!looks_secret_value("--port=8080"));
    }
}
