//! Inviting someone: an admin creates their user with a temporary password
//! made here, which the admin sees once and, when the workspace has a mail
//! server, the new user receives by e-mail with where to sign in.
//!
//! The user exists once created, whatever the mail server says: a message
//! that does not go is reported, never a reason to lose the user or the
//! password the admin still has to pass on.

use lettre::Message;
use lettre::message::Mailbox;

use super::users::{User, UserInput};
use super::{Actor, password};
use crate::crm;
use crate::error::Error;
use crate::mail::{self, Credentials};
use crate::settings::{self, Smtp};

/// What became of the invitation e-mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mailed {
    /// No mail server is set in the settings: the admin passes the
    /// password on.
    NotSetUp,
    /// The mail server accepted the message.
    Sent,
    /// The message did not go, and why.
    Failed(String),
}

/// A user just invited, with the password they sign in with first. The
/// password is kept nowhere else: only its hash is stored.
pub struct Invitation {
    pub user: User,
    pub password: String,
    pub mailed: Mailed,
}

/// Creates the user `input` describes (without a password: one is made)
/// and e-mails them the invitation to sign in at `sign_in_url` when a
/// mail server is set up.
pub async fn invite(
    store: &crate::store::Store,
    actor: &Actor,
    credentials: Option<&Credentials>,
    mut input: UserInput,
    sign_in_url: &str,
) -> Result<Invitation, Error> {
    if input.password.is_some() {
        return Err(Error::invalid(
            "password",
            "is made by the invitation, not given",
        ));
    }
    let password = password::temporary();
    input.password = Some(password.clone());
    let user = crm::create::<User>(store, actor, input).await?;
    // From here on the user exists: every failure is the e-mail's.
    let mailed = match settings::get(store).await {
        Ok(settings) => {
            let company = settings.document.company.name.clone();
            let letter = Letter {
                user: &user,
                password: &password,
                sign_in_url,
                company: company.as_deref(),
            };
            mail_it(&settings.document.smtp, credentials, &letter).await
        }
        Err(e) => {
            tracing::error!(error = %e, "reading the mail settings for an invitation failed");
            Mailed::Failed("the mail settings could not be read".to_owned())
        }
    };
    Ok(Invitation {
        user,
        password,
        mailed,
    })
}

/// What the invitation says.
struct Letter<'a> {
    user: &'a User,
    password: &'a str,
    sign_in_url: &'a str,
    company: Option<&'a str>,
}

impl Letter<'_> {
    fn body(&self) -> String {
        let at = self
            .company
            .map_or_else(String::new, |c| format!(" at {c}"));
        // Short lines: the message goes as plain 7-bit text, as written.
        format!(
            "Hello {name},\n\n\
             an account has been made for you on dealdraft{at}.\n\n\
             Sign in at: {url}\n\
             E-mail: {email}\n\
             Temporary password: {password}\n\n\
             Keep this password to yourself. If you did not expect\n\
             this message, tell your administrator.\n",
            name = self.user.name,
            url = self.sign_in_url,
            email = self.user.email,
            password = self.password,
        )
    }
}

async fn mail_it(smtp: &Smtp, credentials: Option<&Credentials>, letter: &Letter<'_>) -> Mailed {
    let (Some(host), Some(from)) = (smtp.host.as_deref(), smtp.from_email.as_deref()) else {
        return Mailed::NotSetUp;
    };
    let to = letter.user.email.as_str();
    let message = match message(smtp, from, letter) {
        Ok(message) => message,
        Err(reason) => return Mailed::Failed(reason),
    };
    match mail::send(smtp, host, credentials, from, to, &message).await {
        Ok(_) => Mailed::Sent,
        Err(e) => Mailed::Failed(e.to_string()),
    }
}

/// The message as the mail server takes it; why not, as text.
fn message(smtp: &Smtp, from: &str, letter: &Letter<'_>) -> Result<Vec<u8>, String> {
    let mailbox = |name: Option<&str>, email: &str| {
        email
            .parse()
            .map(|address| Mailbox::new(name.map(str::to_owned), address))
            .map_err(|_| format!("`{email}` is not an e-mail address"))
    };
    let message = Message::builder()
        .from(mailbox(smtp.from_name.as_deref(), from)?)
        .to(mailbox(Some(&letter.user.name), &letter.user.email)?)
        .subject("Your dealdraft account")
        .body(letter.body())
        .map_err(|e| format!("the message could not be made: {e}"))?;
    Ok(message.formatted())
}
