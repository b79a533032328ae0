//! Who is acting. Every domain function that changes data takes an [`Actor`],
//! so the record of who changed what, and the permission checks that come
//! with users and roles, have one place to attach to.

use crate::store::Id;

/// The id of the built-in `system` user, seeded by the first migration.
pub const SYSTEM_USER_ID: Id = Id(uuid::uuid!("00000000-0000-0000-0000-000000000001"));

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Actor {
    pub user_id: Id,
}

impl Actor {
    /// The built-in actor of command-line actions.
    pub fn system() -> Self {
        Actor {
            user_id: SYSTEM_USER_ID,
        }
    }
}
