//! Authentication: REGARDS bearer JWTs (HS512) with a role, tokens of an identity provider (`provider`),
//! order tokens, the signing secret. The extractors that let a handler's signature say which role it
//! needs are in `http::auth`.

mod provider;
mod role;
mod secret;
mod token;

pub use provider::{FetchFailure, IdentityProvider, KeySource};
pub use role::Role;
pub use secret::load_or_create_secret;
pub use token::{AuthError, Caller, OrderGrant, TokenKeys};

use jsonwebtoken::Algorithm;

use crate::time::Timestamp;

/// Checks a bearer token: HS512 ones with the service secret, any other algorithm with the identity
/// provider (docs/decisions.md, "Identity from a provider"). The header decides which, never more:
/// the provider's key then fixes the algorithm.
pub async fn verify_bearer(
    keys: &TokenKeys,
    provider: Option<&IdentityProvider>,
    token: &str,
    now: Timestamp,
) -> Result<Caller, AuthError> {
    // An algorithm jsonwebtoken does not know (`none` among them) fails here too.
    let header = jsonwebtoken::decode_header(token)
        .map_err(|_| AuthError::Invalid("malformed token".into()))?;
    if header.alg == Algorithm::HS512 {
        return keys.verify_access(token, now);
    }
    match provider {
        Some(provider) => provider.verify(token, &header, now).await,
        None => Err(AuthError::Invalid(format!(
            "a token signed with {:?} needs an identity provider, and none is configured ([auth] jwks_url or oidc_issuer); this service signs its own tokens with HS512",
            header.alg
        ))),
    }
}
