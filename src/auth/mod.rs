//! Who is acting and what they may do: users and roles, password hashing,
//! sign-in sessions and their throttling, and the permission policy.

pub mod password;
pub mod policy;
pub mod sessions;
pub mod throttle;
pub mod users;

use crate::store::Id;

crate::text_enum! {
    /// What a user does, and so what they may do.
    Role {
        Rep = "rep",
        Manager = "manager",
        Marketing = "marketing",
        Legal = "legal",
        Admin = "admin",
    }
}

/// The id of the built-in `system` user, seeded by the first migration.
pub const SYSTEM_USER_ID: Id = Id(uuid::uuid!("00000000-0000-0000-0000-000000000001"));

/// The user a request or command acts as.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Id,
    pub role: Role,
    /// The SHA-256 of the session token the request came with; `None` for
    /// command-line actions.
    pub session: Option<String>,
    /// The `x-request-id` of the request, recorded in the audit log.
    pub request_id: Option<String>,
}

impl Actor {
    /// The built-in actor of command-line actions.
    pub fn system() -> Self {
        Actor {
            user_id: SYSTEM_USER_ID,
            role: Role::Admin,
            session: None,
            request_id: None,
        }
    }

    /// A command-line action taken in `user`'s name.
    pub fn cli(user_id: Id, role: Role) -> Self {
        Actor {
            user_id,
            role,
            session: None,
            request_id: None,
        }
    }

    /// Where the action came from, as the audit log records it.
    pub fn via(&self) -> &'static str {
        if self.session.is_some() { "api" } else { "cli" }
    }
}
