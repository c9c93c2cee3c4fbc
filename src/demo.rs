//! `serve --demo`: what a newcomer needs to try the service at once.

use std::time::Duration;

use crate::app::AppState;
use crate::auth::Role;

pub const DEMO_USER: &str = "demo-user@regards.local";
pub const DEMO_ADMIN: &str = "demo-admin@regards.local";
const TOKEN_TTL: Duration = Duration::from_secs(30 * 86_400);

/// Prints a REGISTERED_USER token, an ADMIN token and curl lines to paste.
pub fn print_welcome(state: &AppState) {
    let now = state.clock.now();
    let user = state
        .keys
        .access_token(DEMO_USER, Role::RegisteredUser, TOKEN_TTL, now);
    let admin = state
        .keys
        .access_token(DEMO_ADMIN, Role::Admin, TOKEN_TTL, now);
    let base = &state.public_url;
    println!(
        "\nDemo tokens (valid 30 days):\n\
         \x20 export USER_TOKEN={user}\n\
         \x20 export ADMIN_TOKEN={admin}\n\n\
         Try:\n\
         \x20 curl -s {base}/health\n\
         \x20 curl -s {base}/metrics | head\n\
         \x20 curl -s {base}/openapi.json | head\n"
    );
}
