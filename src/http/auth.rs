//! Extractors: `RegisteredUser(caller)`, `Exploit(caller)`, `Admin(caller)` in a handler's signature
//! admit a caller with at least that role. No, invalid or expired token → 401; role too low → 403.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::app::AppState;
use crate::auth::{AuthError, Caller, Role, verify_bearer};
use crate::error::AppError;

/// HS512 tokens are checked with the service secret, others with the identity provider (whose keys
/// may have to be fetched first: docs/decisions.md, "Identity from a provider").
async fn authenticate(
    parts: &Parts,
    state: &AppState,
    required: Role,
) -> Result<Caller, AuthError> {
    bearer(&parts.headers, state, required).await
}

/// The caller of a request's `Authorization: Bearer` header, with at least `required` (for handlers that
/// accept either a bearer token or an order token).
pub async fn bearer(
    headers: &axum::http::HeaderMap,
    state: &AppState,
    required: Role,
) -> Result<Caller, AuthError> {
    let header = headers.get(AUTHORIZATION).ok_or(AuthError::Missing)?;
    let value = header
        .to_str()
        .map_err(|_| AuthError::Invalid("the Authorization header is not text".into()))?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .map(str::trim)
        .filter(|token| !token.is_empty())
        .ok_or(AuthError::Missing)?;
    let caller = verify_bearer(
        &state.keys,
        state.identity.as_deref(),
        token,
        state.clock.now(),
    )
    .await?;
    if caller.role < required {
        return Err(AuthError::RoleTooLow {
            actual: caller.role,
            required,
        });
    }
    Ok(caller)
}

macro_rules! role_extractor {
    ($(#[$doc:meta])* $name:ident, $role:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name(pub Caller);

        impl FromRequestParts<AppState> for $name {
            type Rejection = AppError;

            async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
                Ok($name(authenticate(parts, state, $role).await?))
            }
        }
    };
}

role_extractor!(
    /// A caller with REGISTERED_USER or above.
    RegisteredUser,
    Role::RegisteredUser
);
role_extractor!(
    /// A caller with EXPLOIT or above.
    Exploit,
    Role::Exploit
);
role_extractor!(
    /// A caller with ADMIN or above.
    Admin,
    Role::Admin
);
