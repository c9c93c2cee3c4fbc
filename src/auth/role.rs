use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// REGARDS roles, each including every role below it.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    Public,
    RegisteredUser,
    Exploit,
    Admin,
    ProjectAdmin,
    InstanceAdmin,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Public,
        Role::RegisteredUser,
        Role::Exploit,
        Role::Admin,
        Role::ProjectAdmin,
        Role::InstanceAdmin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Public => "PUBLIC",
            Role::RegisteredUser => "REGISTERED_USER",
            Role::Exploit => "EXPLOIT",
            Role::Admin => "ADMIN",
            Role::ProjectAdmin => "PROJECT_ADMIN",
            Role::InstanceAdmin => "INSTANCE_ADMIN",
        }
    }

    /// "Admin" everywhere in this service means ADMIN or above.
    pub fn is_admin(self) -> bool {
        self >= Role::Admin
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(text: &str) -> Result<Role, String> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == text)
            .ok_or_else(|| {
                let names: Vec<_> = Role::ALL.iter().map(|r| r.as_str()).collect();
                format!(
                    "unknown role {text:?}; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_ordered_as_regards_orders_them() {
        assert!(Role::Public < Role::RegisteredUser);
        assert!(Role::RegisteredUser < Role::Exploit);
        assert!(Role::Exploit < Role::Admin);
        assert!(Role::Admin < Role::ProjectAdmin);
        assert!(Role::ProjectAdmin < Role::InstanceAdmin);
        assert!(!Role::Exploit.is_admin());
        assert!(Role::Admin.is_admin() && Role::InstanceAdmin.is_admin());
    }

    #[test]
    fn roles_parse_from_their_names_only() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
        assert!(
            "admin"
                .parse::<Role>()
                .unwrap_err()
                .contains("unknown role \"admin\"")
        );
    }
}
