//! Key Vault's 401 bearer challenge: `WWW-Authenticate: Bearer authorization="<authority>/<tenant>",
//! resource="<audience>"` (or `scope="<audience>/.default"`). The audience is the scope the
//! token must be asked for; it is only accepted when the vault's own host lies under the
//! audience's host, so a vault (or something posing as one) cannot make the provider fetch
//! tokens for another service.

/// What a challenge asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Challenge {
    /// The scope to ask the token for (`https://vault.azure.net/.default`).
    pub(super) scope: String,
}

impl Challenge {
    /// Parses a `WWW-Authenticate` value; `None` when it is not a usable bearer challenge
    /// for `vault_host`.
    pub(super) fn parse(header: &str, vault_host: &str) -> Option<Challenge> {
        let rest = header.trim().strip_prefix("Bearer")?;
        let mut resource = None;
        let mut scope = None;
        for part in rest.split(',') {
            let (name, value) = part.trim().split_once('=')?;
            let value = value.trim().trim_matches('"');
            match name.trim() {
                "resource" => resource = Some(value.to_owned()),
                "scope" => scope = Some(value.to_owned()),
                _ => {}
            }
        }
        let scope = match (scope, resource) {
            (Some(scope), _) => scope,
            (None, Some(resource)) => format!("{}/.default", resource.trim_end_matches('/')),
            (None, None) => return None,
        };
        let audience = url::Url::parse(scope.trim_end_matches("/.default")).ok()?;
        let audience_host = audience.host_str()?;
        let trusted =
            vault_host == audience_host || vault_host.ends_with(&format!(".{audience_host}"));
        trusted.then_some(Challenge { scope })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_name_the_scope_of_the_vaults_audience() {
        let header = r#"Bearer authorization="https://login.microsoftonline.com/t1", resource="https://vault.azure.net""#;
        assert_eq!(
            Challenge::parse(header, "myvault.vault.azure.net")
                .unwrap()
                .scope,
            "https://vault.azure.net/.default"
        );
        let header = r#"Bearer authorization="https://login.microsoftonline.com/t1", scope="https://vault.azure.net/.default""#;
        assert!(Challenge::parse(header, "myvault.vault.azure.net").is_some());
        // An audience the vault does not belong to is refused.
        let header =
            r#"Bearer authorization="https://x/t1", resource="https://management.azure.com""#;
        assert_eq!(Challenge::parse(header, "myvault.vault.azure.net"), None);
        assert_eq!(
            Challenge::parse("Basic realm=x", "myvault.vault.azure.net"),
            None
        );
        let local =
            r#"Bearer authorization="http://127.0.0.1:9/t1", resource="http://127.0.0.1:8""#;
        assert!(Challenge::parse(local, "127.0.0.1").is_some());
    }
}
