//! Authentication: REGARDS bearer JWTs (HS512) with a role, and the extractors that let a handler's
//! signature say which role it needs.

mod extract;
mod role;
mod secret;
mod token;

pub use extract::{Admin, Exploit, RegisteredUser};
pub use role::Role;
pub use secret::load_or_create_secret;
pub use token::{AuthError, Caller, OrderGrant, TokenKeys};
