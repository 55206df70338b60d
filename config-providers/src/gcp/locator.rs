//! What a `${gcp-sm:..}` reference names: a secret (short, in the default project, or a
//! full `projects/P/secrets/S` name) and a version (`latest` or a number).

use config_runtime::{ProviderError, ProviderErrorKind};

/// A secret version as Secret Manager names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum VersionPick {
    /// The newest enabled version (`latest`, the default).
    Latest,
    /// A fixed version number.
    Number(u64),
}

impl std::fmt::Display for VersionPick {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            VersionPick::Latest => f.write_str("latest"),
            VersionPick::Number(n) => write!(f, "{n}"),
        }
    }
}

/// One secret version, fully named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Locator {
    pub(super) project: String,
    pub(super) secret: String,
    pub(super) version: VersionPick,
}

impl Locator {
    /// Parses `name`, `name@version`, `projects/P/secrets/S[@version]` or
    /// `projects/P/secrets/S/versions/V`; a short name needs `default_project`.
    pub(super) fn parse(path: &str, default_project: Option<&str>) -> Result<Self, ProviderError> {
        let invalid = |why: &str| {
            ProviderError::new(
                ProviderErrorKind::Invalid,
                format!("GCP Secret Manager reference `{path}`: {why}"),
            )
        };
        let (name, version) = match path.rsplit_once('@') {
            Some((name, version)) => (name, Some(version)),
            None => (path, None),
        };
        let segments: Vec<&str> = name.split('/').collect();
        let (project, secret, named_version) = match segments.as_slice() {
            [secret] => {
                let project = default_project.ok_or_else(|| {
                    invalid(
                        "a short name needs a project: set GOOGLE_CLOUD_PROJECT, or write \
                         projects/<project>/secrets/<name>",
                    )
                })?;
                (project, *secret, None)
            }
            ["projects", project, "secrets", secret] => (*project, *secret, None),
            ["projects", project, "secrets", secret, "versions", version] => {
                (*project, *secret, Some(*version))
            }
            _ => {
                return Err(invalid(
                    "expected `name`, `name@version` or `projects/<project>/secrets/<name>`",
                ));
            }
        };
        let is_id = |text: &str| {
            !text.is_empty()
                && text
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
        };
        if !is_id(project) || !is_id(secret) {
            return Err(invalid(
                "project and secret names hold letters, digits, `-`, `_` and `.` only",
            ));
        }
        let version = match (version, named_version) {
            (Some(_), Some(_)) => return Err(invalid("the version is given twice")),
            (Some(text), None) | (None, Some(text)) => match text {
                "latest" => VersionPick::Latest,
                number => number
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n > 0)
                    .map(VersionPick::Number)
                    .ok_or_else(|| invalid("a version is `latest` or a number from 1"))?,
            },
            (None, None) => VersionPick::Latest,
        };
        Ok(Locator {
            project: project.to_owned(),
            secret: secret.to_owned(),
            version,
        })
    }

    /// The version's resource path, under `/v1/`.
    pub(super) fn resource(&self) -> String {
        format!(
            "projects/{}/secrets/{}/versions/{}",
            self.project, self.secret, self.version
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(path: &str) -> Result<Locator, ProviderError> {
        Locator::parse(path, Some("p1"))
    }

    #[test]
    fn short_and_full_names_with_versions() {
        assert_eq!(
            parse("db").unwrap().resource(),
            "projects/p1/secrets/db/versions/latest"
        );
        assert_eq!(parse("db@3").unwrap().version, VersionPick::Number(3));
        assert_eq!(parse("db@latest").unwrap().version, VersionPick::Latest);
        assert_eq!(
            parse("projects/other/secrets/db@2").unwrap().resource(),
            "projects/other/secrets/db/versions/2"
        );
        assert_eq!(
            parse("projects/other/secrets/db/versions/4")
                .unwrap()
                .resource(),
            "projects/other/secrets/db/versions/4"
        );
    }

    #[test]
    fn malformed_references_are_refused() {
        for bad in [
            "db@0",
            "db@first",
            "db@",
            "a/b",
            "projects/p/secrets/db/versions/1@2",
            "projects//secrets/db",
            "d b",
        ] {
            let error = parse(bad).unwrap_err();
            assert_eq!(error.kind, ProviderErrorKind::Invalid, "{bad}");
        }
        let error = Locator::parse("db", None).unwrap_err();
        assert!(error.message.contains("GOOGLE_CLOUD_PROJECT"), "{error}");
    }
}
