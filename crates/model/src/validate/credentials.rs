//! Credentials: names and values shaped like secrets, and the scan of every string of the
//! resolved model for one pasted as a literal.

use crate::diagnostic::{Diagnostic, FieldPath};

/// Secret-looking names and values: a literal here is almost certainly a leaked credential.
pub(super) fn looks_secret(name: &str, value: &str) -> bool {
    (name_reads_secret(name) && !value.is_empty()) || looks_secret_value(value)
}

/// Names that read as a secret's (`DB_PASSWORD`, `GITHUB_TOKEN`): a literal under such a name
/// is refused unless the service marks it `not_secret` with a reason.
pub(super) fn name_reads_secret(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    [
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
    .any(|w| n.contains(w))
}

/// A string that reads as randomly generated key material: long, one unbroken token, with
/// upper case, lower case and digits, and close to the entropy of random base64 (an id in hex
/// or a UUID, at 4 bits a character or less, is not). Checked for values marked `not_secret`,
/// so that marking a name cannot let a real key through.
pub(super) fn looks_random(value: &str) -> bool {
    let v = value.trim();
    if v.len() < 20 || v.contains(char::is_whitespace) {
        return false;
    }
    let has = |f: fn(&u8) -> bool| v.as_bytes().iter().any(f);
    if !(has(u8::is_ascii_uppercase) && has(u8::is_ascii_lowercase) && has(u8::is_ascii_digit)) {
        return false;
    }
    let mut counts = [0u32; 256];
    for b in v.bytes() {
        counts[usize::from(b)] += 1;
    }
    let n = v.len() as f64;
    let bits: f64 = counts
        .iter()
        .filter(|c| **c > 0)
        .map(|c| {
            let p = f64::from(*c) / n;
            -p * p.log2()
        })
        .sum();
    // Random base64 of 20+ characters measures above 4.0 bits (its ceiling is log2(len) for
    // short strings); words and identifiers measure well below.
    bits > 4.0 && bits > 0.85 * n.log2().min(6.0)
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
    fn random_looking_values() {
        assert!(looks_random("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"));
        assert!(looks_random("q8Zr2Lk9Xv4Tn7Bw1Hs6Jd3Pm5"));
        assert!(
            !looks_random("d-4f2a9c1e8b7d4a6f9e3c2b1a0d9e8f7c"),
            "a hex template id"
        );
        assert!(
            !looks_random("0f8fad5b-d9cb-469f-a165-70867728950e"),
            "a UUID"
        );
        assert!(!looks_random("WelcomeEmailTemplate2024"));
        assert!(!looks_random("short1A"));
    }

    #[test]
    fn secret_shaped_arguments() {
        assert!(looks_secret_value("--key=sk_live_4eC39HqLyjWDarjtT1zdp7dc"));
        assert!(looks_secret_value("AKIAIOSFODNN7EXAMPLE"));
        assert!(!looks_secret_value("--port=8080"));
    }
}
