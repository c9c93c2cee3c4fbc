//! Authentication: REGARDS bearer JWTs (HS512) with a role, order tokens, the signing secret. The
//! extractors that let a handler's signature say which role it needs are in `http::auth`.

mod role;
mod secret;
mod token;

pub use role::Role;
pub use secret::load_or_create_secret;
pub use token::{AuthError, Caller, OrderGrant, TokenKeys};
