//! Who is acting and what they may do: users and roles, password hashing,
//! sign-in sessions and their throttling, and the permission policy.

pub mod invite;
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
    /// The `x-request-id` of the request, recorded in the audit log; for
    /// a batch, the batch's id.
    pub request_id: Option<String>,
    /// Whether a batch acts: it works in the name of whoever started it,
    /// in the background.
    pub batch: bool,
}

impl Actor {
    /// The built-in actor of command-line actions.
    pub fn system() -> Self {
        Actor::cli(SYSTEM_USER_ID, Role::Admin)
    }

    /// A command-line action taken in `user`'s name.
    pub fn cli(user_id: Id, role: Role) -> Self {
        Actor {
            user_id,
            role,
            session: None,
            request_id: None,
            batch: false,
        }
    }

    /// Batch `batch_id` at work for `user`, who started it.
    pub fn batch(user_id: Id, role: Role, batch_id: Id) -> Self {
        Actor {
            request_id: Some(batch_id.to_string()),
            batch: true,
            ..Actor::cli(user_id, role)
        }
    }

    /// Where the action came from, as the audit log records it.
    pub fn via(&self) -> &'static str {
        match (self.batch, &self.session) {
            (true, _) => "batch",
            (false, Some(_)) => "api",
            (false, None) => "cli",
        }
    }
}
