use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::Role;
use crate::time::Timestamp;

/// Who is calling: the user (owner of baskets and orders) and their role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The token's `email` claim, else its `sub`.
    pub user: String,
    pub role: Role,
    /// The access groups the token names (`accessGroups`; for a provider token the claim
    /// `[auth.claims] groups` names, else `groups`), before `[access] public_groups` are added.
    pub groups: Vec<String>,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role.is_admin()
    }
}

/// Claims of an access token, REGARDS shape.
#[derive(Debug, Serialize, Deserialize)]
struct AccessClaims {
    sub: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    role: String,
    /// Seconds since the epoch.
    exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tenant: Option<String>,
    /// `"access"`; tokens issued by REGARDS itself carry none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    typ: Option<String>,
    /// REGARDS' name for the user's access groups.
    #[serde(
        rename = "accessGroups",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    access_groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("Authentication required: send an 'Authorization: Bearer <token>' header")]
    Missing,
    #[error("Invalid token: {0}")]
    Invalid(String),
    #[error("Token expired")]
    Expired,
    #[error("Invalid token: unknown role {0:?}")]
    UnknownRole(String),
    /// The identity provider's keys could not be fetched: `<url>: <error>`.
    #[error("Identity provider keys unavailable: {0}")]
    ProviderUnavailable(String),
    #[error("Access denied: role {actual} is below the {required} role this endpoint needs")]
    RoleTooLow { actual: Role, required: Role },
}

/// Claims of a public order token (sent by email, carried by metalink URLs).
#[derive(Debug, Serialize, Deserialize)]
struct OrderClaims {
    sub: String,
    #[serde(rename = "orderId")]
    order_id: i64,
    typ: String,
    /// None for an order that never expires: the token then opens files as long as the order has them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    exp: Option<i64>,
}

/// What a valid order token grants: the files of this order of this owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderGrant {
    pub owner: String,
    pub order_id: i64,
}

/// Signs and checks tokens with the service secret.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    tenant: String,
}

impl TokenKeys {
    pub fn new(secret: &str, tenant: &str) -> TokenKeys {
        TokenKeys {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            tenant: tenant.to_owned(),
        }
    }

    /// An access token for `email` with `role`, valid for `ttl` from `now`.
    pub fn access_token(&self, email: &str, role: Role, ttl: Duration, now: Timestamp) -> String {
        self.access_token_in_groups(email, role, &[], ttl, now)
    }

    /// An access token for `email` with `role` and the access groups `groups`.
    pub fn access_token_in_groups(
        &self,
        email: &str,
        role: Role,
        groups: &[String],
        ttl: Duration,
        now: Timestamp,
    ) -> String {
        let claims = AccessClaims {
            sub: email.to_owned(),
            email: Some(email.to_owned()),
            role: role.as_str().to_owned(),
            exp: now.plus(ttl).millis() / 1000,
            tenant: Some(self.tenant.clone()),
            typ: Some("access".to_owned()),
            access_groups: groups.to_vec(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims, &self.encoding)
            .expect("HS512 signing with an in-memory key cannot fail")
    }

    /// A public token for one order of `owner`, valid until the order expires (if it ever does).
    pub fn order_token(&self, owner: &str, order_id: i64, expires: Option<Timestamp>) -> String {
        let claims = OrderClaims {
            sub: owner.to_owned(),
            order_id,
            typ: "order".to_owned(),
            exp: expires.map(|at| at.millis() / 1000),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS512), &claims, &self.encoding)
            .expect("HS512 signing with an in-memory key cannot fail")
    }

    /// Checks an order token: signature, expiry, type. Stateless.
    pub fn verify_order(&self, token: &str, now: Timestamp) -> Result<OrderGrant, AuthError> {
        let mut validation = Validation::new(Algorithm::HS512);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<OrderClaims>(token, &self.decoding, &validation)
            .map_err(|error| match error.kind() {
                jsonwebtoken::errors::ErrorKind::Json(_) => {
                    AuthError::Invalid("not an order token".into())
                }
                _ => AuthError::Invalid(describe(&error)),
            })?
            .claims;
        if claims.typ != "order" {
            return Err(AuthError::Invalid("not an order token".into()));
        }
        if claims.exp.is_some_and(|exp| exp * 1000 <= now.millis()) {
            return Err(AuthError::Expired);
        }
        Ok(OrderGrant {
            owner: claims.sub,
            order_id: claims.order_id,
        })
    }

    /// Checks a bearer token's signature, expiry (against `now`), type and role.
    pub fn verify_access(&self, token: &str, now: Timestamp) -> Result<Caller, AuthError> {
        let mut validation = Validation::new(Algorithm::HS512);
        // Expiry is checked below against the service clock.
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &validation)
            .map_err(|error| AuthError::Invalid(describe(&error)))?
            .claims;
        if claims.exp * 1000 <= now.millis() {
            return Err(AuthError::Expired);
        }
        if claims.typ.as_deref().is_some_and(|typ| typ != "access") {
            return Err(AuthError::Invalid("not an access token".into()));
        }
        let role: Role = claims
            .role
            .parse()
            .map_err(|_| AuthError::UnknownRole(claims.role.clone()))?;
        let user = claims
            .email
            .filter(|email| !email.is_empty())
            .unwrap_or(claims.sub);
        Ok(Caller {
            user,
            role,
            groups: claims.access_groups,
        })
    }
}

fn describe(error: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match error.kind() {
        ErrorKind::InvalidSignature => "signature does not match".into(),
        ErrorKind::InvalidAlgorithm => "algorithm must be HS512".into(),
        ErrorKind::InvalidToken
        | ErrorKind::Base64(_)
        | ErrorKind::Json(_)
        | ErrorKind::Utf8(_) => "malformed token".into(),
        _ => error.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn keys() -> TokenKeys {
        TokenKeys::new(SECRET, "PROJECT")
    }

    #[test]
    fn a_minted_token_verifies_to_its_user_and_role() {
        let now = Timestamp(1_700_000_000_000);
        let token = keys().access_token("a@b.c", Role::Exploit, Duration::from_secs(60), now);
        let caller = keys().verify_access(&token, now).unwrap();
        assert_eq!(
            caller,
            Caller {
                user: "a@b.c".into(),
                role: Role::Exploit,
                groups: vec![],
            }
        );
    }

    #[test]
    fn expired_forged_and_garbage_tokens_are_refused() {
        let now = Timestamp(1_700_000_000_000);
        let token = keys().access_token("a@b.c", Role::Admin, Duration::from_secs(60), now);
        assert_eq!(
            keys().verify_access(&token, now.plus(Duration::from_secs(61))),
            Err(AuthError::Expired)
        );
        let other = TokenKeys::new("another secret of at least 32 bytes!", "PROJECT");
        assert_eq!(
            other.verify_access(&token, now),
            Err(AuthError::Invalid("signature does not match".into()))
        );
        assert_eq!(
            keys().verify_access("not.a.token", now),
            Err(AuthError::Invalid("malformed token".into()))
        );
    }

    #[test]
    fn order_tokens_open_one_order_and_are_not_access_tokens() {
        let now = Timestamp(1_700_000_000_000);
        let token = keys().order_token("a@b.c", 42, Some(now.plus(Duration::from_secs(60))));
        assert_eq!(
            keys().verify_order(&token, now),
            Ok(OrderGrant {
                owner: "a@b.c".into(),
                order_id: 42
            })
        );
        assert_eq!(
            keys().verify_order(&token, now.plus(Duration::from_secs(61))),
            Err(AuthError::Expired)
        );
        assert!(
            keys().verify_access(&token, now).is_err(),
            "never a bearer token"
        );
        let access = keys().access_token("a@b.c", Role::Admin, Duration::from_secs(60), now);
        assert_eq!(
            keys().verify_order(&access, now),
            Err(AuthError::Invalid("not an order token".into()))
        );
    }

    #[test]
    fn the_user_is_the_email_claim_else_sub() {
        let claims = AccessClaims {
            sub: "login".into(),
            email: None,
            role: "REGISTERED_USER".into(),
            exp: i64::MAX / 2000,
            tenant: None,
            typ: None,
            access_groups: vec![],
        };
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims,
            &EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .unwrap();
        let caller = keys().verify_access(&token, Timestamp(0)).unwrap();
        assert_eq!(caller.user, "login");
    }
}
