//! Who a provider token names: the user, the role and the access groups, read from the claims that
//! `[auth.claims]` names, with Keycloak's shapes as fallbacks (docs/decisions.md, "Identity from a
//! provider").

use serde_json::{Map, Value};

use crate::auth::{AuthError, Caller, Role};
use crate::config::ClaimsConfig;

/// The caller a provider token's claims describe.
pub fn caller_from_claims(
    claims: &Map<String, Value>,
    names: &ClaimsConfig,
) -> Result<Caller, AuthError> {
    Ok(Caller {
        user: user(claims, names)?,
        role: role(claims, names)?,
        groups: groups(claims, names)?,
    })
}

/// The `email` claim (as named), else `sub`.
fn user(claims: &Map<String, Value>, names: &ClaimsConfig) -> Result<String, AuthError> {
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|text| !text.is_empty())
    };
    text(&names.email)
        .or_else(|| text("sub"))
        .map(str::to_owned)
        .ok_or_else(|| {
            AuthError::Invalid(format!(
                "the token names no user: it has neither a {:?} nor a \"sub\" claim",
                names.email
            ))
        })
}

/// The role claim when present (a REGARDS role name, else refused); absent: the highest REGARDS role
/// among Keycloak's realm roles, else REGISTERED_USER.
fn role(claims: &Map<String, Value>, names: &ClaimsConfig) -> Result<Role, AuthError> {
    match claims.get(&names.role) {
        None | Some(Value::Null) => Ok(realm_role(claims).unwrap_or(Role::RegisteredUser)),
        Some(Value::String(name)) => name
            .parse()
            .map_err(|_| AuthError::UnknownRole(name.clone())),
        Some(other) => Err(AuthError::Invalid(format!(
            "the {:?} claim must be a role name, not {other}",
            names.role
        ))),
    }
}

/// The highest REGARDS role name in `realm_access.roles`; other names (Keycloak's `offline_access`,
/// `default-roles-<realm>`…) are not roles of this service and are skipped.
fn realm_role(claims: &Map<String, Value>) -> Option<Role> {
    claims
        .get("realm_access")?
        .get("roles")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .filter_map(|name| name.parse::<Role>().ok())
        .max()
}

/// The groups claim (as named), else `groups`: a list of names or one name. Keycloak's group paths
/// (`/archive-team`) lose their leading `/`.
fn groups(claims: &Map<String, Value>, names: &ClaimsConfig) -> Result<Vec<String>, AuthError> {
    let present = |name: &str| claims.get(name).filter(|value| !value.is_null());
    let (name, value) = match present(&names.groups) {
        Some(value) => (names.groups.as_str(), value),
        None => match present("groups") {
            Some(value) => ("groups", value),
            None => return Ok(Vec::new()),
        },
    };
    let not_names =
        || AuthError::Invalid(format!("the {name:?} claim must be a list of group names"));
    let listed: Vec<&str> = match value {
        Value::String(one) => vec![one.as_str()],
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().ok_or_else(not_names))
            .collect::<Result<_, _>>()?,
        _ => return Err(not_names()),
    };
    Ok(listed
        .into_iter()
        .map(|group| group.trim().strip_prefix('/').unwrap_or(group.trim()))
        .filter(|group| !group.is_empty())
        .map(str::to_owned)
        .collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn names() -> ClaimsConfig {
        ClaimsConfig {
            email: "email".into(),
            role: "role".into(),
            groups: "accessGroups".into(),
        }
    }

    fn caller(claims: Value) -> Result<Caller, AuthError> {
        caller_from_claims(claims.as_object().unwrap(), &names())
    }

    #[test]
    fn the_configured_claims_name_the_user_role_and_groups() {
        let claims = json!({"sub": "f3a9", "email": "ann@example.org", "role": "EXPLOIT",
                            "accessGroups": ["alpha", "beta"]});
        assert_eq!(
            caller(claims).unwrap(),
            Caller {
                user: "ann@example.org".into(),
                role: Role::Exploit,
                groups: vec!["alpha".into(), "beta".into()],
            }
        );
        let custom = ClaimsConfig {
            email: "preferred_username".into(),
            role: "regards_role".into(),
            groups: "teams".into(),
        };
        let claims = json!({"sub": "f3a9", "email": "x@y", "preferred_username": "ann",
                            "regards_role": "ADMIN", "teams": "alpha", "role": "KING"});
        let found = caller_from_claims(claims.as_object().unwrap(), &custom).unwrap();
        assert_eq!(
            (found.user.as_str(), found.role, found.groups),
            ("ann", Role::Admin, vec!["alpha".to_owned()])
        );
    }

    #[test]
    fn without_an_email_the_user_is_the_subject() {
        let found = caller(json!({"sub": "f3a9", "email": " "})).unwrap();
        assert_eq!(found.user, "f3a9");
        let error = caller(json!({"email": null})).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Invalid token: the token names no user: it has neither a \"email\" nor a \"sub\" claim"
        );
    }

    #[test]
    fn without_a_role_claim_the_highest_realm_role_counts_else_registered_user() {
        let keycloak = json!({"sub": "s", "realm_access": {"roles":
            ["offline_access", "EXPLOIT", "default-roles-archive", "ADMIN", "uma_authorization"]}});
        assert_eq!(caller(keycloak).unwrap().role, Role::Admin);
        let none = json!({"sub": "s", "realm_access": {"roles": ["offline_access", "admin"]}});
        assert_eq!(caller(none).unwrap().role, Role::RegisteredUser);
        assert_eq!(
            caller(json!({"sub": "s"})).unwrap().role,
            Role::RegisteredUser
        );
        let both = json!({"sub": "s", "role": "PUBLIC", "realm_access": {"roles": ["ADMIN"]}});
        assert_eq!(caller(both).unwrap().role, Role::Public, "the claim wins");
    }

    #[test]
    fn an_unknown_or_malformed_role_is_refused() {
        assert_eq!(
            caller(json!({"sub": "s", "role": "KING"})).unwrap_err(),
            AuthError::UnknownRole("KING".into())
        );
        let error = caller(json!({"sub": "s", "role": ["ADMIN"]})).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Invalid token: the \"role\" claim must be a role name, not [\"ADMIN\"]"
        );
    }

    #[test]
    fn groups_fall_back_to_the_groups_claim_and_lose_their_leading_slash() {
        let keycloak =
            json!({"sub": "s", "groups": ["/archive-team", "/parents/child", "plain", "/"]});
        assert_eq!(
            caller(keycloak).unwrap().groups,
            ["archive-team", "parents/child", "plain"]
        );
        let both = json!({"sub": "s", "accessGroups": ["/a"], "groups": ["b"]});
        assert_eq!(caller(both).unwrap().groups, ["a"]);
        assert!(caller(json!({"sub": "s"})).unwrap().groups.is_empty());
        let error = caller(json!({"sub": "s", "groups": [1, 2]})).unwrap_err();
        assert_eq!(
            error.to_string(),
            "Invalid token: the \"groups\" claim must be a list of group names"
        );
    }
}
