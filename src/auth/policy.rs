//! The permission policy: what each role may do. Every handler asks here.

use super::{Actor, Role};
use crate::error::Error;

/// Users and settings are the admins' to manage.
pub fn manage_users(actor: &Actor) -> Result<(), Error> {
    if actor.role == Role::Admin {
        Ok(())
    } else {
        Err(Error::Forbidden("only admins manage users".to_owned()))
    }
}
