//! `[auth]`: the service secret (HS512 tokens) and the identity provider whose tokens are accepted
//! beside them (docs/decisions.md, "Identity from a provider"), with `[auth.claims]`, the names of the
//! claims that carry the user, the role and the access groups.

use std::time::Duration;

use serde::Deserialize;

use super::redact_url;

/// How long after an unknown key id (or a failed fetch) the provider's keys may be fetched again.
pub const KEY_REFETCH_INTERVAL: Duration = Duration::from_secs(30);

#[derive(Clone, Deserialize)]
pub struct AuthConfig {
    /// Empty: generated once and kept in `<data_dir>/secret`.
    pub secret: String,
    pub tenant: String,
    /// The identity provider's JWK set. Empty: no provider (unless `oidc_issuer`).
    pub jwks_url: String,
    /// The provider's issuer URL: `<oidc_issuer>/.well-known/openid-configuration` gives the JWK set.
    pub oidc_issuer: String,
    /// Set: a provider token's `iss` must equal it. Empty with `oidc_issuer`: the discovered issuer.
    pub issuer: String,
    /// Set: a provider token's `aud` must contain it (a token without `aud` is refused).
    pub audience: String,
    pub claims: ClaimsConfig,
    /// Not a configuration key: tests shorten it (`KEY_REFETCH_INTERVAL` otherwise).
    #[serde(skip_deserializing, default = "refetch_interval")]
    pub key_refetch_interval: Duration,
}

/// The claims of a provider token that carry the user, the role and the access groups.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ClaimsConfig {
    /// The user; `sub` when the token has no such claim.
    pub email: String,
    /// A REGARDS role name; absent: the highest found in `realm_access.roles`, else REGISTERED_USER.
    pub role: String,
    /// The access groups; absent: the `groups` claim.
    pub groups: String,
}

fn refetch_interval() -> Duration {
    KEY_REFETCH_INTERVAL
}

impl AuthConfig {
    /// Whether tokens from an identity provider are accepted.
    pub fn has_provider(&self) -> bool {
        !self.jwks_url.is_empty() || !self.oidc_issuer.is_empty()
    }

    /// Trims the URLs and names (an environment value often ends with a space or a newline).
    pub(super) fn normalize(&mut self) {
        for value in [
            &mut self.jwks_url,
            &mut self.oidc_issuer,
            &mut self.issuer,
            &mut self.audience,
            &mut self.claims.email,
            &mut self.claims.role,
            &mut self.claims.groups,
        ] {
            *value = value.trim().to_owned();
        }
    }

    pub(super) fn validate(&self) -> Result<(), String> {
        if !self.jwks_url.is_empty() && !self.oidc_issuer.is_empty() {
            return Err(
                "set auth.jwks_url or auth.oidc_issuer, not both (the issuer's discovery document names its JWK set)"
                    .into(),
            );
        }
        for (key, value) in [
            ("jwks_url", &self.jwks_url),
            ("oidc_issuer", &self.oidc_issuer),
        ] {
            if !value.is_empty() && !is_http_url(value) {
                return Err(format!(
                    "auth.{key} must be an http:// or https:// URL, got {:?}",
                    redact_url(value)
                ));
            }
        }
        if !self.has_provider() && (!self.issuer.is_empty() || !self.audience.is_empty()) {
            return Err("auth.issuer and auth.audience check the tokens of an identity provider: set auth.jwks_url or auth.oidc_issuer too".into());
        }
        let claims = &self.claims;
        for (key, value) in [
            ("email", &claims.email),
            ("role", &claims.role),
            ("groups", &claims.groups),
        ] {
            if value.is_empty() {
                return Err(format!("auth.claims.{key} must name a claim"));
            }
        }
        Ok(())
    }
}

fn is_http_url(value: &str) -> bool {
    url::Url::parse(value).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https") && url.host_str().is_some_and(|h| !h.is_empty())
    })
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthConfig")
            .field("secret", &"<redacted>")
            .field("tenant", &self.tenant)
            .field("jwks_url", &redact_url(&self.jwks_url))
            .field("oidc_issuer", &redact_url(&self.oidc_issuer))
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("claims", &self.claims)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Config, ConfigError, Flags, Loaded, Sources};

    fn load(file: &str, env: &[(&str, &str)]) -> Result<Loaded, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, file).unwrap();
        Config::load(&Sources {
            file: Some(path),
            env: env
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            flags: Flags::default(),
        })
    }

    #[test]
    fn no_provider_and_the_claim_names_by_default() {
        let auth = load("", &[]).unwrap().config.auth;
        assert!(!auth.has_provider());
        assert_eq!((auth.jwks_url.as_str(), auth.issuer.as_str()), ("", ""));
        assert_eq!(
            auth.claims,
            ClaimsConfig {
                email: "email".into(),
                role: "role".into(),
                groups: "accessGroups".into(),
            }
        );
        assert_eq!(auth.key_refetch_interval, Duration::from_secs(30));
    }

    #[test]
    fn provider_keys_come_from_the_file_and_the_environment() {
        let file = "[auth]\noidc_issuer = \"https://sso.example.org/realms/archive\"\n\
                    audience = \"regards-order\"\n[auth.claims]\ngroups = \"groups\"\n";
        let env = [
            (
                "REGARDS_ORDER__AUTH__ISSUER",
                " https://sso.example.org/realms/archive\n",
            ),
            ("REGARDS_ORDER__AUTH__CLAIMS__EMAIL", "preferred_username"),
        ];
        let auth = load(file, &env).unwrap().config.auth;
        assert!(auth.has_provider());
        assert_eq!(auth.oidc_issuer, "https://sso.example.org/realms/archive");
        assert_eq!(auth.issuer, "https://sso.example.org/realms/archive");
        assert_eq!(auth.audience, "regards-order");
        assert_eq!(auth.claims.email, "preferred_username");
        assert_eq!(auth.claims.groups, "groups");
        assert_eq!(auth.claims.role, "role");
    }

    #[test]
    fn unknown_keys_of_the_auth_sections_are_reported() {
        let file = "[auth]\njwks_uri = \"x\"\nkey_refetch_interval = \"1s\"\n[auth.claims]\nmail = \"m\"\n";
        let env = [("REGARDS_ORDER__AUTH__CLAIMS__ROLES", "r")];
        let loaded = load(file, &env).unwrap();
        let mut unknown = loaded.unknown_keys;
        unknown.sort();
        assert_eq!(
            unknown,
            [
                "auth.claims.mail",
                "auth.claims.roles",
                "auth.jwks_uri",
                "auth.key_refetch_interval"
            ]
        );
        assert_eq!(
            loaded.config.auth.key_refetch_interval,
            KEY_REFETCH_INTERVAL
        );
    }

    #[test]
    fn inconsistent_provider_settings_stop_the_start_naming_the_key() {
        let cases = [
            (
                "[auth]\njwks_url = \"https://a/certs\"\noidc_issuer = \"https://a\"",
                "not both",
            ),
            (
                "[auth]\njwks_url = \"file:///etc/keys\"",
                "auth.jwks_url must be an http",
            ),
            (
                "[auth]\noidc_issuer = \"sso.example.org\"",
                "auth.oidc_issuer must be",
            ),
            (
                "[auth]\naudience = \"regards-order\"",
                "set auth.jwks_url or auth.oidc_issuer too",
            ),
            (
                "[auth]\njwks_url = \"https://a/certs\"\n[auth.claims]\nrole = \" \"",
                "auth.claims.role",
            ),
        ];
        for (file, expected) in cases {
            let error = load(file, &[]).unwrap_err().to_string();
            assert!(error.contains(expected), "{file}: {error}");
        }
    }

    #[test]
    fn provider_urls_hide_their_passwords_in_debug_output() {
        let file = "[auth]\njwks_url = \"https://reader:pw-secret@sso.example.org/certs\"";
        let shown = format!("{:?}", load(file, &[]).unwrap().config.auth);
        assert!(!shown.contains("pw-secret"), "{shown}");
        assert!(shown.contains("sso.example.org/certs"), "{shown}");
    }
}
