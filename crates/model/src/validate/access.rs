//! Access: the IAM principals that may read or change the environment's resources.

use super::{quoted, Rules};
use crate::spec::App;

/// Every principal of `access.read` and `access.write`.
pub(super) fn rules(r: &mut Rules<'_>, app: &App) {
    for (kind, list) in [("read", &app.access.read), ("write", &app.access.write)] {
        for (i, arn) in list.iter().enumerate() {
            let parts: Vec<&str> = arn.split(':').collect();
            let ok = parts.len() >= 6
                && parts[0] == "arn"
                && parts[2] == "iam"
                && parts[4].len() == 12
                && parts[4].bytes().all(|b| b.is_ascii_digit());
            if !ok {
                r.err(
                    "invalid-arn",
                    &["access", kind, &i.to_string()],
                    format!("{} is not an IAM principal ARN", quoted(arn)),
                    "such as `arn:aws:iam::123456789012:role/developers`",
                );
            } else if arn.contains('*') {
                r.err(
                    "wildcard-principal",
                    &["access", kind, &i.to_string()],
                    format!(
                        "{} grants {kind} access to every matching principal",
                        quoted(arn)
                    ),
                    "name each role or user: least privilege means no wildcard principals",
                );
            }
        }
    }
}
