//! Who may do what: the README's role × action table, one request per cell
//! and role, on both backends.
//!
//! Each table row names a case (what request, on which records) and the
//! status every role must get, in the order rep, manager, marketing, legal,
//! admin. A case builds its own fresh records as the admin (owned by the
//! acting user, by another rep or by the manager), so rows never depend on
//! each other. Every mismatching cell is collected and printed as one table
//! before the test fails; a refused write must also leave its record (or
//! list) exactly as it was.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::{Res, TestApp, both_backends, id_of, new_id};
use reqwest::Method;
use serde_json::{Value, json};

const ACCOUNTS: &str = "/api/v1/accounts";
const CONTACTS: &str = "/api/v1/contacts";
const DEALS: &str = "/api/v1/deals";
const ACTIVITIES: &str = "/api/v1/activities";
const QUESTIONS: &str = "/api/v1/profile-questions";
const USERS: &str = "/api/v1/users";
const SETTINGS: &str = "/api/v1/settings";
const AUDIT: &str = "/api/v1/audit";
const ME: &str = "/api/v1/me";

/// The roles, in the order of every row's expected statuses.
const ROLES: [&str; 5] = ["rep", "manager", "marketing", "legal", "admin"];

// ---- fixtures --------------------------------------------------------------

/// One signed-in user per role, another rep who owns "someone else's"
/// records, and a few records that only get read.
struct Fixture {
    /// Ids and tokens by the index of [`ROLES`] (the admin is the app's).
    ids: Vec<String>,
    tokens: Vec<String>,
    other_rep: String,
    /// Owned by the other rep; never written by the table.
    read_account: String,
    read_contact: String,
    read_deal: String,
    read_activity: String,
    seq: AtomicUsize,
}

impl Fixture {
    async fn new(app: &TestApp) -> Fixture {
        let mut ids = Vec::new();
        let mut tokens = Vec::new();
        for role in ROLES {
            if role == "admin" {
                ids.push(app.admin_id.clone());
                tokens.push(app.admin_token.clone());
                continue;
            }
            let (id, email, password) = app.new_user(role).await;
            let signed_in = app.login(&email, &password).await.expect(200);
            let token = signed_in["token"]
                .as_str()
                .unwrap_or_else(|| panic!("no token for {role}: {signed_in}"))
                .to_string();
            ids.push(id);
            tokens.push(token);
        }
        let (other_rep, _, _) = app.new_user("rep").await;

        // Questions every answers case uses.
        for (key, applies_to) in [
            ("acct_q", "account"),
            ("acct_q2", "account"),
            ("contact_q", "contact"),
            ("contact_q2", "contact"),
            ("deal_q", "deal"),
        ] {
            app.new_question(key, "text", applies_to).await;
        }

        // Records that are only read: owned by the other rep.
        let read_account = id_of(
            &app.create(
                ACCOUNTS,
                json!({ "name": "Read Only AG", "domain": "read-only.example", "owner_id": other_rep }),
            )
            .await,
        );
        let read_contact = id_of(
            &app.create(
                CONTACTS,
                json!({ "last_name": "Reader", "account_id": read_account, "owner_id": other_rep }),
            )
            .await,
        );
        let second_contact = id_of(
            &app.create(
                CONTACTS,
                json!({ "last_name": "Boss", "account_id": read_account, "owner_id": other_rep }),
            )
            .await,
        );
        let read_deal = id_of(
            &app.create(
                DEALS,
                json!({ "name": "Read deal", "account_id": read_account, "owner_id": other_rep }),
            )
            .await,
        );
        let read_activity = id_of(
            &app.create(
                ACTIVITIES,
                json!({ "kind": "note", "subject": "Read me", "account_id": read_account, "owner_id": other_rep }),
            )
            .await,
        );
        app.create(
            &format!("{CONTACTS}/{read_contact}/relationships"),
            json!({ "kind": "reports_to", "to_contact_id": second_contact }),
        )
        .await;
        app.put_json(
            &format!("{DEALS}/{read_deal}/contacts"),
            &json!({ "contacts": [{ "contact_id": read_contact, "role": "decision_maker" }] }),
        )
        .await
        .expect(200);
        app.put_json(
            &format!("{ACCOUNTS}/{read_account}/answers"),
            &json!({ "acct_q": "read" }),
        )
        .await
        .expect(200);

        Fixture {
            ids,
            tokens,
            other_rep,
            read_account,
            read_contact,
            read_deal,
            read_activity,
            seq: AtomicUsize::new(0),
        }
    }

    fn next(&self) -> usize {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }
}

#[derive(Clone, Copy, Debug)]
enum Coll {
    Accounts,
    Contacts,
    Deals,
    Activities,
}

impl Coll {
    fn path(self) -> &'static str {
        match self {
            Coll::Accounts => ACCOUNTS,
            Coll::Contacts => CONTACTS,
            Coll::Deals => DEALS,
            Coll::Activities => ACTIVITIES,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Coll::Accounts => "account",
            Coll::Contacts => "contact",
            Coll::Deals => "deal",
            Coll::Activities => "activity",
        }
    }
}

/// Whose record a case works on.
#[derive(Clone, Copy, Debug)]
enum Owner {
    /// The acting user's own.
    Actor,
    /// Another rep's.
    OtherRep,
    /// The manager's (own for the manager).
    Manager,
}

/// Which `owner_id` a create sends.
#[derive(Clone, Copy, Debug)]
enum NewOwner {
    Absent,
    Own,
    OtherRep,
}

/// What a case does, on which records.
#[derive(Clone, Copy, Debug)]
enum Case {
    // Reads of the other rep's records.
    List(Coll),
    Item(Coll),
    ReadAnswers(Coll),
    ReadRelationships,
    ReadDealContacts,
    ReadStageHistory,
    // Creates.
    Create(Coll, NewOwner),
    /// A contact, deal or activity on another rep's account.
    CreateOnOthersAccount(Coll),
    // Changes.
    Patch(Coll, Owner),
    Delete(Coll, Owner),
    /// Overwrites an answered key (so filling a blank never applies).
    PutAnswers(Coll, Owner),
    AddRelationship(Owner),
    DeleteRelationship(Owner),
    PutDealContacts(Owner),
    // Filling blanks: another rep's account A, a deal on it owned by the
    // actor (unless said otherwise), contacts of A, a contact listed on the
    // deal, and a contact of another account.
    FillAccount(Fill),
    FillContactOfAccount(Fill),
    FillListedContact(Fill),
    FillContactElsewhere,
    /// `owner_id` (never blank) of A or its contact set to the actor.
    TakeOverAccount,
    TakeOverContact,
    FillAccountAnswers(Fill),
    FillContactAnswers(Fill),
    FillListedContactAnswers(Fill),
    // Profile questions.
    ListQuestions,
    ReadQuestion,
    CreateQuestion,
    PatchQuestion,
    DeleteQuestion,
    // Audit, users, settings, me.
    ReadAudit,
    ListUsers,
    ReadUser,
    CreateUser,
    PatchUser,
    ReassignUser,
    ReadSettings,
    PatchSettings,
    ReadMe,
}

/// Which fields a fill-a-blank case names.
#[derive(Clone, Copy, Debug)]
enum Fill {
    /// Only blank ones, the actor owning a deal on the account.
    Blank,
    /// A field that has a value.
    Filled,
    /// A blank one and one with a value.
    Mixed,
    /// A value cleared with `null`.
    Clear,
    /// Only blank ones, but the deal on the account is someone else's.
    BlankWithoutOwnDeal,
}

/// The request a case sends, and what must not change when it is refused.
struct Prepared {
    method: Method,
    path: String,
    body: Option<Value>,
    watch: Watch,
}

enum Watch {
    Nothing,
    /// GET as the admin answers exactly this again.
    Unchanged {
        path: String,
        before: (u16, Value),
    },
    /// GET as the admin is still 404.
    Absent(String),
    /// No user with this email exists.
    NoUser(String),
}

struct Ctx<'a> {
    app: &'a TestApp,
    fx: &'a Fixture,
    /// Index into [`ROLES`].
    actor: usize,
}

impl Ctx<'_> {
    fn actor_id(&self) -> String {
        self.fx.ids[self.actor].clone()
    }

    fn owner(&self, owner: Owner) -> String {
        match owner {
            Owner::Actor => self.actor_id(),
            Owner::OtherRep => self.fx.other_rep.clone(),
            Owner::Manager => self.fx.ids[1].clone(),
        }
    }

    /// Creates as the admin; panics unless 201 (fixtures must exist).
    async fn make(&self, collection: &str, body: Value) -> String {
        id_of(&self.app.create(collection, body).await)
    }

    async fn account(&self, owner: &str) -> String {
        let n = self.fx.next();
        self.make(
            ACCOUNTS,
            json!({ "name": format!("Fixture {n}"), "domain": format!("fixture-{n}.example"), "owner_id": owner }),
        )
        .await
    }

    async fn contact(&self, owner: &str, account: Option<&str>) -> String {
        self.make(
            CONTACTS,
            json!({ "last_name": "Fixture", "title": "Buyer", "owner_id": owner, "account_id": account }),
        )
        .await
    }

    async fn deal(&self, owner: &str, account: &str) -> String {
        self.make(
            DEALS,
            json!({ "name": "Fixture deal", "account_id": account, "owner_id": owner }),
        )
        .await
    }

    /// A fresh record of `coll` owned by `owner` (deals and activities on a
    /// fresh account of the same owner).
    async fn record(&self, coll: Coll, owner: &str) -> String {
        match coll {
            Coll::Accounts => self.account(owner).await,
            Coll::Contacts => self.contact(owner, None).await,
            Coll::Deals => {
                let account = self.account(owner).await;
                self.deal(owner, &account).await
            }
            Coll::Activities => {
                let account = self.account(owner).await;
                self.make(
                    ACTIVITIES,
                    json!({ "kind": "call", "subject": "Fixture call", "account_id": account, "owner_id": owner }),
                )
                .await
            }
        }
    }

    async fn unchanged(&self, path: String) -> Watch {
        let res = self.app.get(&path).await;
        Watch::Unchanged {
            path,
            before: (res.status, res.body),
        }
    }

    async fn answer(&self, coll: Coll, id: &str, answers: Value) {
        self.app
            .put_json(&format!("{}/{id}/answers", coll.path()), &answers)
            .await
            .expect(200);
    }

    /// Another rep's account with `industry` blank and `domain` set, its
    /// contact (`phone` blank, `title` set), a contact listed on the deal,
    /// and the deal, owned by the actor unless `own_deal` is false.
    async fn fill_setup(&self, own_deal: bool) -> FillSetup {
        let other = self.fx.other_rep.clone();
        let account = self.account(&other).await;
        let deal_owner = if own_deal {
            self.actor_id()
        } else {
            other.clone()
        };
        let deal = self.deal(&deal_owner, &account).await;
        let contact = self.contact(&other, Some(&account)).await;
        let listed = self.contact(&other, None).await;
        self.app
            .put_json(
                &format!("{DEALS}/{deal}/contacts"),
                &json!({ "contacts": [{ "contact_id": listed, "role": "champion" }] }),
            )
            .await
            .expect(200);
        self.answer(Coll::Accounts, &account, json!({ "acct_q2": "known" }))
            .await;
        self.answer(Coll::Contacts, &contact, json!({ "contact_q2": "known" }))
            .await;
        self.answer(Coll::Contacts, &listed, json!({ "contact_q2": "known" }))
            .await;
        FillSetup {
            account,
            contact,
            listed,
        }
    }

    async fn patch(&self, coll: Coll, id: &str, mut body: Value) -> Prepared {
        let path = format!("{}/{id}", coll.path());
        let current = self.app.fetch(&path).await;
        body["version"] = current["version"].clone();
        Prepared {
            method: Method::PATCH,
            watch: self.unchanged(path.clone()).await,
            path,
            body: Some(body),
        }
    }

    async fn put_answers(&self, coll: Coll, id: &str, body: Value) -> Prepared {
        let path = format!("{}/{id}/answers", coll.path());
        Prepared {
            method: Method::PUT,
            watch: self.unchanged(path.clone()).await,
            path,
            body: Some(body),
        }
    }

    async fn prepare(&self, case: Case) -> Prepared {
        let get = |path: String| Prepared {
            method: Method::GET,
            path,
            body: None,
            watch: Watch::Nothing,
        };
        let fx = self.fx;
        match case {
            Case::List(coll) => get(coll.path().to_string()),
            Case::Item(coll) => {
                let id = match coll {
                    Coll::Accounts => &fx.read_account,
                    Coll::Contacts => &fx.read_contact,
                    Coll::Deals => &fx.read_deal,
                    Coll::Activities => &fx.read_activity,
                };
                get(format!("{}/{id}", coll.path()))
            }
            Case::ReadAnswers(coll) => {
                let id = match coll {
                    Coll::Accounts => &fx.read_account,
                    Coll::Contacts => &fx.read_contact,
                    _ => &fx.read_deal,
                };
                get(format!("{}/{id}/answers", coll.path()))
            }
            Case::ReadRelationships => get(format!("{CONTACTS}/{}/relationships", fx.read_contact)),
            Case::ReadDealContacts => get(format!("{DEALS}/{}/contacts", fx.read_deal)),
            Case::ReadStageHistory => get(format!("{DEALS}/{}/stage-history", fx.read_deal)),

            Case::Create(coll, new_owner) => {
                let id = new_id();
                let n = fx.next();
                let mut body = match coll {
                    Coll::Accounts => json!({ "name": format!("Created {n}") }),
                    Coll::Contacts => json!({ "last_name": format!("Created {n}") }),
                    Coll::Deals => {
                        let account = self.account(&self.actor_id()).await;
                        json!({ "name": format!("Created {n}"), "account_id": account })
                    }
                    Coll::Activities => {
                        let account = self.account(&self.actor_id()).await;
                        json!({ "kind": "note", "subject": format!("Created {n}"), "account_id": account })
                    }
                };
                body["id"] = json!(id);
                match new_owner {
                    NewOwner::Absent => {}
                    NewOwner::Own => body["owner_id"] = json!(self.actor_id()),
                    NewOwner::OtherRep => body["owner_id"] = json!(fx.other_rep),
                }
                Prepared {
                    method: Method::POST,
                    path: coll.path().to_string(),
                    body: Some(body),
                    watch: Watch::Absent(format!("{}/{id}", coll.path())),
                }
            }
            Case::CreateOnOthersAccount(coll) => {
                let account = self.account(&fx.other_rep).await;
                let id = new_id();
                let body = match coll {
                    Coll::Contacts => {
                        json!({ "id": id, "last_name": "On another's", "account_id": account })
                    }
                    Coll::Deals => {
                        json!({ "id": id, "name": "On another's", "account_id": account })
                    }
                    Coll::Activities => {
                        json!({ "id": id, "kind": "note", "subject": "On another's", "account_id": account })
                    }
                    Coll::Accounts => unreachable!("an account is on no account"),
                };
                Prepared {
                    method: Method::POST,
                    path: coll.path().to_string(),
                    body: Some(body),
                    watch: Watch::Absent(format!("{}/{id}", coll.path())),
                }
            }

            Case::Patch(coll, owner) => {
                let id = self.record(coll, &self.owner(owner)).await;
                let body = match coll {
                    Coll::Accounts => json!({ "name": "Renamed" }),
                    Coll::Contacts => json!({ "last_name": "Renamed" }),
                    Coll::Deals => json!({ "name": "Renamed" }),
                    Coll::Activities => json!({ "subject": "Renamed" }),
                };
                self.patch(coll, &id, body).await
            }
            Case::Delete(coll, owner) => {
                let id = self.record(coll, &self.owner(owner)).await;
                let path = format!("{}/{id}", coll.path());
                Prepared {
                    method: Method::DELETE,
                    watch: self.unchanged(path.clone()).await,
                    path,
                    body: None,
                }
            }
            Case::PutAnswers(coll, owner) => {
                let id = self.record(coll, &self.owner(owner)).await;
                let key = match coll {
                    Coll::Accounts => "acct_q",
                    Coll::Contacts => "contact_q",
                    _ => "deal_q",
                };
                self.answer(coll, &id, json!({ key: "before" })).await;
                self.put_answers(coll, &id, json!({ key: "after" })).await
            }
            Case::AddRelationship(owner) => {
                let from = self.contact(&self.owner(owner), None).await;
                let to = self.contact(&fx.other_rep, None).await;
                let path = format!("{CONTACTS}/{from}/relationships");
                Prepared {
                    method: Method::POST,
                    watch: self.unchanged(path.clone()).await,
                    path,
                    body: Some(json!({ "kind": "reports_to", "to_contact_id": to })),
                }
            }
            Case::DeleteRelationship(owner) => {
                let from = self.contact(&self.owner(owner), None).await;
                let to = self.contact(&fx.other_rep, None).await;
                let list = format!("{CONTACTS}/{from}/relationships");
                let rel = self
                    .make(&list, json!({ "kind": "influences", "to_contact_id": to }))
                    .await;
                Prepared {
                    method: Method::DELETE,
                    watch: self.unchanged(list.clone()).await,
                    path: format!("{list}/{rel}"),
                    body: None,
                }
            }
            Case::PutDealContacts(owner) => {
                let deal = self.record(Coll::Deals, &self.owner(owner)).await;
                let contact = self.contact(&fx.other_rep, None).await;
                let path = format!("{DEALS}/{deal}/contacts");
                Prepared {
                    method: Method::PUT,
                    watch: self.unchanged(path.clone()).await,
                    path,
                    body: Some(
                        json!({ "contacts": [{ "contact_id": contact, "role": "decision_maker" }] }),
                    ),
                }
            }

            Case::FillAccount(fill) => {
                let s = self
                    .fill_setup(!matches!(fill, Fill::BlankWithoutOwnDeal))
                    .await;
                let body = match fill {
                    Fill::Blank | Fill::BlankWithoutOwnDeal => {
                        json!({ "industry": "Logistics", "employee_count": 40 })
                    }
                    Fill::Filled => json!({ "domain": "changed.example" }),
                    Fill::Mixed => json!({ "industry": "Logistics", "domain": "changed.example" }),
                    Fill::Clear => json!({ "domain": null }),
                };
                self.patch(Coll::Accounts, &s.account, body).await
            }
            Case::FillContactOfAccount(fill) => {
                let s = self
                    .fill_setup(!matches!(fill, Fill::BlankWithoutOwnDeal))
                    .await;
                self.patch(Coll::Contacts, &s.contact, contact_fill_body(fill))
                    .await
            }
            Case::FillListedContact(fill) => {
                let s = self
                    .fill_setup(!matches!(fill, Fill::BlankWithoutOwnDeal))
                    .await;
                self.patch(Coll::Contacts, &s.listed, contact_fill_body(fill))
                    .await
            }
            Case::FillContactElsewhere => {
                // The actor owns a deal on A, but this contact is of another
                // account and not on the deal.
                self.fill_setup(true).await;
                let elsewhere = self.account(&fx.other_rep).await;
                let contact = self.contact(&fx.other_rep, Some(&elsewhere)).await;
                self.patch(Coll::Contacts, &contact, contact_fill_body(Fill::Blank))
                    .await
            }
            Case::TakeOverAccount => {
                let s = self.fill_setup(true).await;
                self.patch(
                    Coll::Accounts,
                    &s.account,
                    json!({ "owner_id": self.actor_id() }),
                )
                .await
            }
            Case::TakeOverContact => {
                let s = self.fill_setup(true).await;
                self.patch(
                    Coll::Contacts,
                    &s.contact,
                    json!({ "owner_id": self.actor_id() }),
                )
                .await
            }
            Case::FillAccountAnswers(fill) => {
                let s = self
                    .fill_setup(!matches!(fill, Fill::BlankWithoutOwnDeal))
                    .await;
                self.put_answers(Coll::Accounts, &s.account, answers_fill_body(fill, "acct"))
                    .await
            }
            Case::FillContactAnswers(fill) => {
                let s = self
                    .fill_setup(!matches!(fill, Fill::BlankWithoutOwnDeal))
                    .await;
                self.put_answers(
                    Coll::Contacts,
                    &s.contact,
                    answers_fill_body(fill, "contact"),
                )
                .await
            }
            Case::FillListedContactAnswers(fill) => {
                let s = self
                    .fill_setup(!matches!(fill, Fill::BlankWithoutOwnDeal))
                    .await;
                self.put_answers(
                    Coll::Contacts,
                    &s.listed,
                    answers_fill_body(fill, "contact"),
                )
                .await
            }

            Case::ListQuestions => get(QUESTIONS.to_string()),
            Case::ReadQuestion => {
                let q = self.question().await;
                get(format!("{QUESTIONS}/{q}"))
            }
            Case::CreateQuestion => {
                let id = new_id();
                let key = format!("created_q_{}", fx.next());
                Prepared {
                    method: Method::POST,
                    path: QUESTIONS.to_string(),
                    body: Some(
                        json!({ "id": id, "key": key, "label": "Created", "kind": "text", "applies_to": "account" }),
                    ),
                    watch: Watch::Absent(format!("{QUESTIONS}/{id}")),
                }
            }
            Case::PatchQuestion => {
                let q = self.question().await;
                let path = format!("{QUESTIONS}/{q}");
                Prepared {
                    method: Method::PATCH,
                    watch: self.unchanged(path.clone()).await,
                    path,
                    body: Some(json!({ "version": 1, "label": "Relabelled" })),
                }
            }
            Case::DeleteQuestion => {
                let q = self.question().await;
                let path = format!("{QUESTIONS}/{q}");
                Prepared {
                    method: Method::DELETE,
                    watch: self.unchanged(path.clone()).await,
                    path,
                    body: None,
                }
            }

            Case::ReadAudit => get(AUDIT.to_string()),
            Case::ListUsers => get(USERS.to_string()),
            Case::ReadUser => get(format!("{USERS}/{}", fx.other_rep)),
            Case::CreateUser => {
                let email = format!("made-{}@example.com", new_id());
                Prepared {
                    method: Method::POST,
                    path: USERS.to_string(),
                    body: Some(json!({
                        "email": email, "name": "Made", "role": "rep", "password": "made-password-1",
                    })),
                    watch: Watch::NoUser(email),
                }
            }
            Case::PatchUser => {
                let (id, _, _) = self.app.new_user("rep").await;
                let path = format!("{USERS}/{id}");
                Prepared {
                    method: Method::PATCH,
                    watch: self.unchanged(path.clone()).await,
                    path,
                    body: Some(json!({ "version": 1, "name": "Renamed" })),
                }
            }
            Case::ReassignUser => {
                let (id, _, _) = self.app.new_user("rep").await;
                self.account(&id).await;
                Prepared {
                    method: Method::POST,
                    watch: self.unchanged(format!("{ACCOUNTS}?owner_id={id}")).await,
                    path: format!("{USERS}/{id}/reassign"),
                    body: Some(json!({ "to_user_id": fx.other_rep })),
                }
            }
            Case::ReadSettings => get(SETTINGS.to_string()),
            Case::PatchSettings => {
                let version = self.app.get(SETTINGS).await.body["version"].clone();
                let version = if version.is_null() { json!(1) } else { version };
                Prepared {
                    method: Method::PATCH,
                    watch: self.unchanged(SETTINGS.to_string()).await,
                    path: SETTINGS.to_string(),
                    body: Some(json!({
                        "version": version,
                        "company": { "phone": format!("+49 30 {}", fx.next()) },
                    })),
                }
            }
            Case::ReadMe => get(ME.to_string()),
        }
    }

    /// A fresh profile question (id).
    async fn question(&self) -> String {
        let key = format!("fixture_q_{}", self.fx.next());
        id_of(&self.app.new_question(&key, "text", "account").await)
    }
}

struct FillSetup {
    account: String,
    contact: String,
    listed: String,
}

/// Contacts: `phone` and `email` are blank, `title` and `last_name` set.
fn contact_fill_body(fill: Fill) -> Value {
    match fill {
        Fill::Blank | Fill::BlankWithoutOwnDeal => {
            json!({ "phone": "+49 30 555", "email": "filled@example.com" })
        }
        Fill::Filled => json!({ "title": "CFO" }),
        Fill::Mixed => json!({ "phone": "+49 30 555", "title": "CFO" }),
        Fill::Clear => json!({ "title": null }),
    }
}

/// Answers: `{prefix}_q` is unanswered, `{prefix}_q2` answered.
fn answers_fill_body(fill: Fill, prefix: &str) -> Value {
    let blank = format!("{prefix}_q");
    let answered = format!("{prefix}_q2");
    match fill {
        Fill::Blank | Fill::BlankWithoutOwnDeal => json!({ blank: "filled in" }),
        Fill::Filled => json!({ answered: "overwritten" }),
        Fill::Mixed => json!({ blank: "filled in", answered: "overwritten" }),
        Fill::Clear => json!({ answered: null }),
    }
}

// ---- the table -------------------------------------------------------------

/// Expected status per role: rep, manager, marketing, legal, admin.
type Expect = [u16; 5];

const READ: Expect = [200, 200, 200, 200, 200];
/// Create: rep, manager, admin.
const CREATE: Expect = [201, 201, 403, 403, 201];
/// Create for another user: manager, admin.
const CREATE_FOR_OTHERS: Expect = [403, 201, 403, 403, 201];
const CHANGE_OWN: Expect = [200, 200, 403, 403, 200];
const CHANGE_OTHERS: Expect = [403, 200, 403, 403, 200];
const DELETE_OWN: Expect = [204, 204, 403, 403, 204];
const DELETE_OTHERS: Expect = [403, 204, 403, 403, 204];

struct Row {
    describe: String,
    case: Case,
    expect: Expect,
}

fn row(describe: impl Into<String>, case: Case, expect: Expect) -> Row {
    Row {
        describe: describe.into(),
        case,
        expect,
    }
}

const COLLS: [Coll; 4] = [
    Coll::Accounts,
    Coll::Contacts,
    Coll::Deals,
    Coll::Activities,
];

/// read and create, change and delete accounts, contacts, deals, activities.
fn crm_rows() -> Vec<Row> {
    let mut rows = Vec::new();
    for coll in COLLS {
        let n = coll.name();
        rows.push(row(format!("GET the {n} list"), Case::List(coll), READ));
        rows.push(row(
            format!("GET another rep's {n}"),
            Case::Item(coll),
            READ,
        ));
        rows.push(row(
            format!("POST a {n} without owner_id"),
            Case::Create(coll, NewOwner::Absent),
            CREATE,
        ));
        rows.push(row(
            format!("POST a {n} with owner_id = self"),
            Case::Create(coll, NewOwner::Own),
            CREATE,
        ));
        rows.push(row(
            format!("POST a {n} with owner_id = another rep"),
            Case::Create(coll, NewOwner::OtherRep),
            CREATE_FOR_OTHERS,
        ));
        if !matches!(coll, Coll::Accounts) {
            rows.push(row(
                format!("POST a {n} on another rep's account"),
                Case::CreateOnOthersAccount(coll),
                CREATE,
            ));
        }
        rows.push(row(
            format!("PATCH own {n}"),
            Case::Patch(coll, Owner::Actor),
            CHANGE_OWN,
        ));
        rows.push(row(
            format!("PATCH another rep's {n}"),
            Case::Patch(coll, Owner::OtherRep),
            CHANGE_OTHERS,
        ));
        rows.push(row(
            format!("PATCH the manager's {n}"),
            Case::Patch(coll, Owner::Manager),
            CHANGE_OTHERS,
        ));
        rows.push(row(
            format!("DELETE own {n}"),
            Case::Delete(coll, Owner::Actor),
            DELETE_OWN,
        ));
        rows.push(row(
            format!("DELETE another rep's {n}"),
            Case::Delete(coll, Owner::OtherRep),
            DELETE_OTHERS,
        ));
    }
    for coll in [Coll::Accounts, Coll::Contacts, Coll::Deals] {
        let n = coll.name();
        rows.push(row(
            format!("GET another rep's {n} answers"),
            Case::ReadAnswers(coll),
            READ,
        ));
        rows.push(row(
            format!("PUT answers (overwrite) on own {n}"),
            Case::PutAnswers(coll, Owner::Actor),
            CHANGE_OWN,
        ));
        rows.push(row(
            format!("PUT answers (overwrite) on another rep's {n}"),
            Case::PutAnswers(coll, Owner::OtherRep),
            CHANGE_OTHERS,
        ));
    }
    rows.extend([
        row(
            "GET another rep's contact relationships",
            Case::ReadRelationships,
            READ,
        ),
        row(
            "GET another rep's deal contacts",
            Case::ReadDealContacts,
            READ,
        ),
        row(
            "GET another rep's deal stage history",
            Case::ReadStageHistory,
            READ,
        ),
        row(
            "POST a relationship from own contact",
            Case::AddRelationship(Owner::Actor),
            [201, 201, 403, 403, 201],
        ),
        row(
            "POST a relationship from another rep's contact",
            Case::AddRelationship(Owner::OtherRep),
            [403, 201, 403, 403, 201],
        ),
        row(
            "DELETE a relationship of own contact",
            Case::DeleteRelationship(Owner::Actor),
            DELETE_OWN,
        ),
        row(
            "DELETE a relationship of another rep's contact",
            Case::DeleteRelationship(Owner::OtherRep),
            DELETE_OTHERS,
        ),
        row(
            "PUT contacts of own deal",
            Case::PutDealContacts(Owner::Actor),
            CHANGE_OWN,
        ),
        row(
            "PUT contacts of another rep's deal",
            Case::PutDealContacts(Owner::OtherRep),
            CHANGE_OTHERS,
        ),
    ]);
    rows
}

/// Fill a blank field on the account or contacts of one's own deal.
fn fill_rows() -> Vec<Row> {
    let fills = [
        ("only blank fields", Fill::Blank, CHANGE_OWN),
        ("a field that has a value", Fill::Filled, CHANGE_OTHERS),
        (
            "a blank field and one with a value",
            Fill::Mixed,
            CHANGE_OTHERS,
        ),
        (
            "null for a field that has a value",
            Fill::Clear,
            CHANGE_OTHERS,
        ),
        (
            "only blank fields, without an own deal on the account",
            Fill::BlankWithoutOwnDeal,
            CHANGE_OTHERS,
        ),
    ];
    let mut rows = Vec::new();
    for (what, fill, expect) in fills {
        rows.push(row(
            format!("PATCH {what} of another rep's account of own deal"),
            Case::FillAccount(fill),
            expect,
        ));
        rows.push(row(
            format!("PATCH {what} of another rep's contact of the account of own deal"),
            Case::FillContactOfAccount(fill),
            expect,
        ));
        rows.push(row(
            format!("PATCH {what} of another rep's contact listed on own deal"),
            Case::FillListedContact(fill),
            expect,
        ));
        rows.push(row(
            format!("PUT answers naming {what} of the account of own deal"),
            Case::FillAccountAnswers(fill),
            expect,
        ));
        rows.push(row(
            format!("PUT answers naming {what} of a contact of the account of own deal"),
            Case::FillContactAnswers(fill),
            expect,
        ));
        rows.push(row(
            format!("PUT answers naming {what} of a contact listed on own deal"),
            Case::FillListedContactAnswers(fill),
            expect,
        ));
    }
    rows.push(row(
        "PATCH blank fields of another rep's contact of another account, not on own deal",
        Case::FillContactElsewhere,
        CHANGE_OTHERS,
    ));
    rows.push(row(
        "PATCH owner_id (to self) of another rep's account of own deal",
        Case::TakeOverAccount,
        CHANGE_OTHERS,
    ));
    rows.push(row(
        "PATCH owner_id (to self) of another rep's contact of the account of own deal",
        Case::TakeOverContact,
        CHANGE_OTHERS,
    ));
    rows
}

/// Profile questions, the audit log, users, settings, /me.
fn admin_area_rows() -> Vec<Row> {
    vec![
        row("GET profile questions", Case::ListQuestions, READ),
        row("GET a profile question", Case::ReadQuestion, READ),
        row(
            "POST a profile question",
            Case::CreateQuestion,
            [403, 201, 201, 403, 201],
        ),
        row(
            "PATCH a profile question",
            Case::PatchQuestion,
            [403, 200, 200, 403, 200],
        ),
        row(
            "DELETE a profile question",
            Case::DeleteQuestion,
            [403, 204, 204, 403, 204],
        ),
        row(
            "GET the audit log",
            Case::ReadAudit,
            [403, 200, 403, 200, 200],
        ),
        row("GET users", Case::ListUsers, [403, 403, 403, 403, 200]),
        row(
            "GET another user",
            Case::ReadUser,
            [403, 403, 403, 403, 200],
        ),
        row("POST a user", Case::CreateUser, [403, 403, 403, 403, 201]),
        row("PATCH a user", Case::PatchUser, [403, 403, 403, 403, 200]),
        row(
            "POST reassign a user's records",
            Case::ReassignUser,
            [403, 403, 403, 403, 200],
        ),
        row("GET settings", Case::ReadSettings, READ),
        row(
            "PATCH settings",
            Case::PatchSettings,
            [403, 403, 403, 403, 200],
        ),
        row("GET /me", Case::ReadMe, READ),
    ]
}

/// Runs every row for every role; returns one line per mismatching cell.
async fn run_table(app: &TestApp, fx: &Fixture, rows: &[Row]) -> Vec<String> {
    let mut problems = Vec::new();
    for row in rows {
        for (actor, role) in ROLES.iter().enumerate() {
            let ctx = Ctx { app, fx, actor };
            let prepared = ctx.prepare(row.case).await;
            let expected = row.expect[actor];
            let res = app
                .request_as(
                    Some(&fx.tokens[actor]),
                    prepared.method.clone(),
                    &prepared.path,
                    prepared.body.as_ref(),
                )
                .await;
            let cell = format!("{role:<9} | {:<80}", row.describe);
            if let Some(problem) = check_status(&res, expected) {
                problems.push(format!("{cell} | {problem}"));
            }
            if !(200..300).contains(&res.status) {
                if let Some(problem) = check_unchanged(app, &prepared.watch).await {
                    problems.push(format!("{cell} | refused ({}) but {problem}", res.status));
                }
            }
        }
    }
    problems
}

fn check_status(res: &Res, expected: u16) -> Option<String> {
    let snippet: String = res.text.chars().take(200).collect();
    if res.status != expected {
        return Some(format!(
            "expected {expected}, got {} — {} {} -> {snippet}",
            res.status, res.method, res.path
        ));
    }
    if expected == 403 {
        if let Some(problem) = res.error_mismatch(403, "forbidden", &[]) {
            return Some(format!("403 without the forbidden error shape: {problem}"));
        }
    }
    None
}

async fn check_unchanged(app: &TestApp, watch: &Watch) -> Option<String> {
    match watch {
        Watch::Nothing => None,
        Watch::Unchanged { path, before } => {
            let after = app.get(path).await;
            (after.status != before.0 || after.body != before.1).then(|| {
                format!(
                    "GET {path} changed: before {} {}, after {} {}",
                    before.0, before.1, after.status, after.body
                )
            })
        }
        Watch::Absent(path) => {
            let after = app.get(path).await;
            (after.status != 404).then(|| format!("GET {path} exists: {after}"))
        }
        Watch::NoUser(email) => {
            let users = app.list_all(USERS).await;
            users
                .iter()
                .any(|u| u["email"] == email.as_str())
                .then(|| format!("user {email} was created"))
        }
    }
}

#[track_caller]
fn assert_no_problems(app: &TestApp, table: &str, problems: &[String]) {
    assert!(
        problems.is_empty(),
        "{} cell(s) of the {table} table disagree with the policy ({:?}):\n\
         role      | case {:<75} | problem\n{}",
        problems.len(),
        app.backend,
        "",
        problems.join("\n")
    );
}

// ---- scenarios -------------------------------------------------------------

async fn records_are_read_by_everyone_and_written_by_reps_on_their_own_and_managers_and_admins_on_any(
    app: &mut TestApp,
) {
    let fx = Fixture::new(app).await;
    let problems = run_table(app, &fx, &crm_rows()).await;
    assert_no_problems(app, "records", &problems);
}
both_backends!(
    records_are_read_by_everyone_and_written_by_reps_on_their_own_and_managers_and_admins_on_any
);

async fn a_rep_may_fill_only_blank_fields_of_the_account_and_contacts_of_their_own_deal(
    app: &mut TestApp,
) {
    let fx = Fixture::new(app).await;
    let problems = run_table(app, &fx, &fill_rows()).await;
    assert_no_problems(app, "fill-a-blank", &problems);

    // And a filled blank is really stored.
    let rep = Ctx {
        app,
        fx: &fx,
        actor: 0,
    };
    let s = rep.fill_setup(true).await;
    let path = format!("{ACCOUNTS}/{}", s.account);
    let version = app.fetch(&path).await["version"].clone();
    let patched = app
        .request_as(
            Some(&fx.tokens[0]),
            Method::PATCH,
            &path,
            Some(&json!({ "version": version, "industry": "Logistics" })),
        )
        .await
        .expect(200);
    assert_eq!(patched["industry"], "Logistics", "{patched}");
    assert_eq!(
        patched["owner_id"],
        fx.other_rep.as_str(),
        "owner stays: {patched}"
    );
    assert_eq!(app.fetch(&path).await["industry"], "Logistics");
    // Once filled, the same rep may not change it again.
    let version = patched["version"].clone();
    app.request_as(
        Some(&fx.tokens[0]),
        Method::PATCH,
        &path,
        Some(&json!({ "version": version, "industry": "Retail" })),
    )
    .await
    .assert_error(403, "forbidden", &[]);
    assert_eq!(app.fetch(&path).await["industry"], "Logistics");
}
both_backends!(a_rep_may_fill_only_blank_fields_of_the_account_and_contacts_of_their_own_deal);

async fn questions_audit_users_and_settings_follow_the_roles_table(app: &mut TestApp) {
    let fx = Fixture::new(app).await;
    let problems = run_table(app, &fx, &admin_area_rows()).await;
    assert_no_problems(app, "questions/audit/users/settings", &problems);

    // Without a token: 401, whatever the route.
    for path in [ACCOUNTS, SETTINGS, AUDIT] {
        app.request_as(None, Method::GET, path, None)
            .await
            .assert_error(401, "unauthorized", &[]);
    }
}
both_backends!(questions_audit_users_and_settings_follow_the_roles_table);
