//! Tokens from an identity provider (OIDC / JWKS; docs/decisions.md, "Identity from a provider"): the
//! key is found by the token's `kid` and fixes the algorithm; `iss`, `aud`, `exp` and `nbf` are checked
//! here (expiry against the service clock), then the claims name the caller.

mod cache;
mod claims;
mod fetch;
mod keys;

use std::time::Duration;

use jsonwebtoken::{Header, Validation};
use serde_json::{Map, Value};

pub use cache::KeySource;
pub use fetch::FetchFailure;

use super::{AuthError, Caller};
use crate::config::{AuthConfig, ClaimsConfig};
use crate::time::Timestamp;

/// A token used before its `nbf` is refused only beyond this much clock difference.
const NOT_BEFORE_LEEWAY: Duration = Duration::from_secs(60);

/// Verifies the tokens of the configured identity provider.
pub struct IdentityProvider {
    cache: cache::KeyCache,
    /// `[auth] issuer`; empty: the discovered issuer (with `oidc_issuer`), else any.
    issuer: String,
    audience: String,
    claims: ClaimsConfig,
}

impl IdentityProvider {
    /// The provider `[auth]` configures, if any; `client` is the service's general HTTP client.
    pub fn from_config(auth: &AuthConfig, client: reqwest::Client) -> Option<IdentityProvider> {
        let source = if !auth.jwks_url.is_empty() {
            KeySource::Jwks(auth.jwks_url.clone())
        } else if !auth.oidc_issuer.is_empty() {
            KeySource::Discovery(fetch::discovery_url(&auth.oidc_issuer))
        } else {
            return None;
        };
        Some(IdentityProvider {
            cache: cache::KeyCache::new(source, client, auth.key_refetch_interval),
            issuer: auth.issuer.clone(),
            audience: auth.audience.clone(),
            claims: auth.claims.clone(),
        })
    }

    /// Fetches the keys now (at start), so the log says whether the provider answers; how many keys.
    pub async fn prefetch(&self) -> Result<usize, FetchFailure> {
        self.cache.prefetch().await
    }

    /// Checks a token whose header was read (and is not HS512): its key, signature, dates, issuer,
    /// audience and type; then maps its claims to the caller.
    pub async fn verify(
        &self,
        token: &str,
        header: &Header,
        now: Timestamp,
    ) -> Result<Caller, AuthError> {
        let kid = header.kid.as_deref().ok_or_else(|| {
            AuthError::Invalid("the token names no key (kid) of the identity provider".into())
        })?;
        let resolved = self.cache.resolve(kid).await?;
        let key = resolved.keys.get(kid).ok_or_else(|| {
            AuthError::Invalid(format!("the identity provider has no key {kid:?}"))
        })?;
        if header.alg != key.algorithm {
            return Err(AuthError::Invalid(format!(
                "the token is signed with {:?} but key {kid:?} is for {:?}",
                header.alg, key.algorithm
            )));
        }
        let mut validation = Validation::new(key.algorithm);
        // Dates, issuer and audience are checked below, with messages saying which is wrong.
        validation.validate_exp = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &validation)
            .map_err(|error| AuthError::Invalid(describe(&error)))?
            .claims;
        check_dates(&claims, now)?;
        let issuer = Some(self.issuer.clone())
            .filter(|issuer| !issuer.is_empty())
            .or(resolved.discovered_issuer);
        check_issuer(&claims, issuer.as_deref())?;
        check_audience(&claims, &self.audience)?;
        if claims.get("typ").and_then(Value::as_str) == Some("order") {
            return Err(AuthError::Invalid("not an access token".into()));
        }
        claims::caller_from_claims(&claims, &self.claims)
    }
}

fn check_dates(claims: &Map<String, Value>, now: Timestamp) -> Result<(), AuthError> {
    let seconds = |name: &str| match claims.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => value
            .as_f64()
            .map(|s| Some((s * 1000.0) as i64))
            .ok_or_else(|| AuthError::Invalid(format!("the {name:?} claim is not a number"))),
    };
    let Some(expires) = seconds("exp")? else {
        return Err(AuthError::Invalid(
            "the token has no expiry (exp claim)".into(),
        ));
    };
    if expires <= now.millis() {
        return Err(AuthError::Expired);
    }
    let leeway = NOT_BEFORE_LEEWAY.as_millis() as i64;
    if seconds("nbf")?.is_some_and(|not_before| not_before > now.millis() + leeway) {
        return Err(AuthError::Invalid(
            "the token is not valid yet (nbf)".into(),
        ));
    }
    Ok(())
}

fn check_issuer(claims: &Map<String, Value>, expected: Option<&str>) -> Result<(), AuthError> {
    let Some(expected) = expected else {
        return Ok(());
    };
    match claims.get("iss").and_then(Value::as_str) {
        Some(issuer) if issuer == expected => Ok(()),
        Some(issuer) => Err(AuthError::Invalid(format!(
            "issuer {issuer:?} is not the expected {expected:?}"
        ))),
        None => Err(AuthError::Invalid(format!(
            "the token has no issuer (iss claim); {expected:?} is expected"
        ))),
    }
}

/// `aud` is one name or a list; with an audience configured it must hold it.
fn check_audience(claims: &Map<String, Value>, expected: &str) -> Result<(), AuthError> {
    if expected.is_empty() {
        return Ok(());
    }
    let audiences: Vec<&str> = match claims.get("aud") {
        None | Some(Value::Null) => {
            return Err(AuthError::Invalid(format!(
                "the token has no audience (aud claim); {expected:?} is required"
            )));
        }
        Some(Value::String(one)) => vec![one.as_str()],
        Some(Value::Array(list)) => list.iter().filter_map(Value::as_str).collect(),
        Some(other) => {
            return Err(AuthError::Invalid(format!(
                "the aud claim is not an audience: {other}"
            )));
        }
    };
    if audiences.contains(&expected) {
        Ok(())
    } else {
        Err(AuthError::Invalid(format!(
            "the token's audience {audiences:?} does not include {expected:?}"
        )))
    }
}

fn describe(error: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::InvalidSignature => "signature does not match".into(),
        ErrorKind::InvalidToken
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_) => "malformed token".into(),
        _ => format!("cannot verify the token: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn expiry_is_required_and_read_against_the_given_clock() {
        let now = Timestamp(1_700_000_000_000);
        assert_eq!(
            check_dates(&claims(json!({"exp": 1_700_000_001})), now),
            Ok(())
        );
        assert_eq!(
            check_dates(&claims(json!({"exp": 1_700_000_000})), now),
            Err(AuthError::Expired)
        );
        let missing = check_dates(&claims(json!({})), now).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "Invalid token: the token has no expiry (exp claim)"
        );
        let early = json!({"exp": 1_700_009_000, "nbf": 1_700_000_061});
        assert!(check_dates(&claims(early), now).is_err());
        let skewed = json!({"exp": 1_700_009_000, "nbf": 1_700_000_059});
        assert_eq!(check_dates(&claims(skewed), now), Ok(()));
    }

    #[test]
    fn issuer_and_audience_are_checked_only_when_expected() {
        let token = claims(json!({"iss": "https://a/realms/x", "aud": ["account", "orders"]}));
        assert_eq!(check_issuer(&token, None), Ok(()));
        assert_eq!(check_issuer(&token, Some("https://a/realms/x")), Ok(()));
        let error = check_issuer(&token, Some("https://b")).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Invalid token: issuer \"https://a/realms/x\" is not the expected \"https://b\""
        );
        assert_eq!(check_audience(&token, ""), Ok(()));
        assert_eq!(check_audience(&token, "orders"), Ok(()));
        assert_eq!(
            check_audience(&claims(json!({"aud": "orders"})), "orders"),
            Ok(())
        );
        let error = check_audience(&token, "basket").unwrap_err();
        assert!(
            error.to_string().contains("does not include \"basket\""),
            "{error}"
        );
        let error = check_audience(&claims(json!({})), "orders").unwrap_err();
        assert!(
            error.to_string().contains("no audience (aud claim)"),
            "{error}"
        );
        assert!(check_issuer(&claims(json!({})), Some("https://b")).is_err());
    }
}
