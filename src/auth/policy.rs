//! The permission policy: who may do what, as one table of role × action,
//! and the checks every handler and domain write goes through.
//!
//! The table is the contract: the README prints it and a test holds the two
//! equal. A grant of [`Grant::Own`] or [`Grant::NotOwn`] depends on the
//! record, so [`require`] tells the caller which one to check with
//! [`Scope::check_owner`].

use super::{Actor, Role};
use crate::error::Error;
use crate::store::Id;

/// Something a user may or may not do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    ReadCrm,
    CreateCrm,
    ChangeCrm,
    FillBlank,
    ReadCatalog,
    WriteQuestions,
    WriteCatalog,
    WriteQuotes,
    ApproveQuotes,
    WriteTemplates,
    DraftClauses,
    ApproveClauses,
    WriteSegments,
    GenerateDocuments,
    ReadDocuments,
    ReadForecast,
    ReadAudit,
    Administer,
}

impl Action {
    /// Every action, in the order of the README's table.
    pub const ALL: [Action; 18] = [
        Action::ReadCrm,
        Action::CreateCrm,
        Action::ChangeCrm,
        Action::FillBlank,
        Action::ReadCatalog,
        Action::WriteQuestions,
        Action::WriteCatalog,
        Action::WriteQuotes,
        Action::ApproveQuotes,
        Action::WriteTemplates,
        Action::DraftClauses,
        Action::ApproveClauses,
        Action::WriteSegments,
        Action::GenerateDocuments,
        Action::ReadDocuments,
        Action::ReadForecast,
        Action::ReadAudit,
        Action::Administer,
    ];

    /// The action as the README's table names it.
    pub fn describe(self) -> &'static str {
        match self {
            Action::ReadCrm => "read accounts, contacts, deals, activities",
            Action::CreateCrm => "create accounts, contacts, deals, activities",
            Action::ChangeCrm => "change or delete accounts, contacts, deals, activities",
            Action::FillBlank => "fill a blank field of the account or contacts of a deal",
            Action::ReadCatalog => {
                "read profile questions, products, price books, templates, clauses"
            }
            Action::WriteQuestions => "write profile questions",
            Action::WriteCatalog => "write products, price books",
            Action::WriteQuotes => "create, change and submit quotes",
            Action::ApproveQuotes => "approve or reject a quote",
            Action::WriteTemplates => "write and publish templates, content blocks, themes, assets",
            Action::DraftClauses => "draft and submit clauses",
            Action::ApproveClauses => "approve, reject or retire a clause version",
            Action::WriteSegments => "write segments",
            Action::GenerateDocuments => "generate and send documents, one or a batch",
            Action::ReadDocuments => "read documents",
            Action::ReadForecast => "read the forecast",
            Action::ReadAudit => "read the audit log",
            Action::Administer => "manage users and change settings",
        }
    }
}

/// How far a role may do an action.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grant {
    No,
    /// Only on records the user owns (for quotes and documents: of deals
    /// the user owns).
    Own,
    /// Only on records the user does not own: nobody approves their own.
    NotOwn,
    /// Only drafts that never reach a customer.
    Previews,
    Yes,
}

impl Grant {
    /// The grant as the README's table prints it.
    pub fn describe(self) -> &'static str {
        match self {
            Grant::No => "–",
            Grant::Own => "own",
            Grant::NotOwn => "yes, not own",
            Grant::Previews => "previews only",
            Grant::Yes => "yes",
        }
    }
}

/// The table.
pub fn grant(role: Role, action: Action) -> Grant {
    use Action::*;
    use Grant::*;
    use Role::*;
    match (action, role) {
        (ReadCrm | ReadCatalog, _) => Yes,
        (CreateCrm, Rep | Manager | Admin) => Yes,
        (ChangeCrm | FillBlank | WriteQuotes | ReadForecast, Rep) => Own,
        (ChangeCrm | FillBlank | WriteQuotes | ReadForecast, Manager | Admin) => Yes,
        (WriteQuestions, Manager | Marketing | Admin) => Yes,
        (WriteCatalog, Manager | Admin) => Yes,
        (ApproveQuotes, Manager) => NotOwn,
        (ApproveQuotes, Admin) => Yes,
        (WriteTemplates, Marketing | Admin) => Yes,
        (DraftClauses, Marketing | Legal) => Yes,
        (ApproveClauses, Legal) => Yes,
        (WriteSegments, Manager | Marketing | Admin) => Yes,
        (GenerateDocuments, Rep) => Own,
        (GenerateDocuments, Manager | Admin) => Yes,
        (GenerateDocuments, Marketing) => Previews,
        (ReadDocuments, Rep) => Own,
        (ReadDocuments, Manager | Legal | Admin) => Yes,
        (ReadAudit, Manager | Legal | Admin) => Yes,
        (Administer, Admin) => Yes,
        _ => No,
    }
}

/// What a granted action still depends on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "an ownership-bound grant must be checked against the record"]
pub struct Scope {
    grant: Grant,
    action: Action,
    role: Role,
}

impl Scope {
    /// The grant, for callers that treat previews or ownership themselves.
    pub fn grant(self) -> Grant {
        self.grant
    }

    /// Whether the grant covers a record owned by `owner`.
    pub fn covers(self, actor: &Actor, owner: Option<Id>) -> bool {
        match self.grant {
            Grant::Own => owner == Some(actor.user_id),
            Grant::NotOwn => owner != Some(actor.user_id),
            Grant::Yes | Grant::Previews => true,
            Grant::No => false,
        }
    }

    /// Refuses unless the grant covers a record owned by `owner`.
    pub fn check_owner(self, actor: &Actor, owner: Option<Id>) -> Result<(), Error> {
        if self.covers(actor, owner) {
            return Ok(());
        }
        let role = self.role.as_str();
        let action = self.action.describe();
        Err(Error::Forbidden(match self.grant {
            Grant::NotOwn => format!("your role ({role}) may not {action} on records you own"),
            _ => format!("your role ({role}) may {action} only on records you own"),
        }))
    }
}

/// Refuses with 403 unless the actor's role may do `action` at all.
pub fn require(actor: &Actor, action: Action) -> Result<Scope, Error> {
    let grant = grant(actor.role, action);
    if grant == Grant::No {
        return Err(Error::Forbidden(format!(
            "your role ({}) may not {}",
            actor.role.as_str(),
            action.describe()
        )));
    }
    Ok(Scope {
        grant,
        action,
        role: actor.role,
    })
}

/// Refuses unless the actor's role may do `action` whoever owns what it
/// is done to.
pub fn allow(actor: &Actor, action: Action) -> Result<(), Error> {
    let scope = require(actor, action)?;
    match scope.grant {
        Grant::Yes => Ok(()),
        _ => Err(Error::Forbidden(format!(
            "your role ({}) may {} only on records you own",
            actor.role.as_str(),
            action.describe()
        ))),
    }
}

/// Refuses unless the actor may do `action` on a record owned by `owner`.
pub fn require_on(actor: &Actor, action: Action, owner: Option<Id>) -> Result<(), Error> {
    require(actor, action)?.check_owner(actor, owner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor(role: Role) -> Actor {
        Actor {
            user_id: Id::new(),
            role,
            session: None,
            request_id: None,
            batch: false,
        }
    }

    #[test]
    fn a_manager_approves_others_quotes_but_not_their_own() {
        let manager = actor(Role::Manager);
        let scope = require(&manager, Action::ApproveQuotes).unwrap();
        assert!(scope.check_owner(&manager, Some(Id::new())).is_ok());
        let own = scope.check_owner(&manager, Some(manager.user_id));
        assert!(matches!(own, Err(Error::Forbidden(m)) if m.contains("records you own")));
    }

    #[test]
    fn a_rep_changes_only_their_own_records() {
        let rep = actor(Role::Rep);
        assert!(require_on(&rep, Action::ChangeCrm, Some(rep.user_id)).is_ok());
        assert!(require_on(&rep, Action::ChangeCrm, Some(Id::new())).is_err());
        assert!(require_on(&rep, Action::ChangeCrm, None).is_err());
    }

    #[test]
    fn a_refusal_names_the_role_and_the_action() {
        let Err(Error::Forbidden(message)) = require(&actor(Role::Legal), Action::CreateCrm) else {
            panic!("legal may not create CRM records");
        };
        assert_eq!(
            message,
            "your role (legal) may not create accounts, contacts, deals, activities"
        );
    }
}
