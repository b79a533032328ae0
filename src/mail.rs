//! Handing a message to the workspace's mail server (SMTP, set in the
//! settings; the sign-in from the environment) and reporting what it said.

use std::time::Duration;

use lettre::address::Envelope;
use lettre::transport::smtp::authentication::Credentials as SmtpCredentials;
use lettre::transport::smtp::client::Tls;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::settings::{Smtp, SmtpSecurity};

/// How long a mail server may take to answer at each step.
const TIMEOUT: Duration = Duration::from_secs(30);

/// The user name and password the mail server is signed in to with; from
/// the environment, never stored in the database.
#[derive(Clone, Default)]
pub struct Credentials {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &"…")
            .finish()
    }
}

/// Why a message did not go.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    /// An address the server could not be given.
    #[error("the {role} address `{address}` is not an e-mail address")]
    Address { role: &'static str, address: String },
    /// The server refused the message, or could not be reached.
    #[error("the mail server {server} did not take the message: {reason}")]
    Refused { server: String, reason: String },
}

/// What the server answered on accepting a message: its code and text.
pub struct Accepted {
    pub reply: String,
}

/// Sends `message` (a whole RFC 5322 message) from `from` to `to` through
/// the server `smtp` names; `Ok` only once the server has accepted it.
pub async fn send(
    smtp: &Smtp,
    host: &str,
    credentials: Option<&Credentials>,
    from: &str,
    to: &str,
    message: &[u8],
) -> Result<Accepted, MailError> {
    let address = |role, address: &str| {
        address.parse::<Address>().map_err(|_| MailError::Address {
            role,
            address: address.to_owned(),
        })
    };
    let envelope = Envelope::new(
        Some(address("sender's", from)?),
        vec![address("recipient's", to)?],
    )
    .map_err(|_| MailError::Address {
        role: "recipient's",
        address: to.to_owned(),
    })?;
    let port = smtp.port();
    let server = format!("{host}:{port}");
    let refused = |reason: String| MailError::Refused {
        server: server.clone(),
        reason,
    };
    let builder = match smtp.security {
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host),
        SmtpSecurity::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host),
        SmtpSecurity::None => {
            Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host).tls(Tls::None))
        }
    }
    .map_err(|e| refused(e.to_string()))?;
    let mut builder = builder.port(port).timeout(Some(TIMEOUT));
    if let Some(c) = credentials {
        builder = builder.credentials(SmtpCredentials::new(c.username.clone(), c.password.clone()));
    }
    let response = builder
        .build()
        .send_raw(&envelope, message)
        .await
        .map_err(|e| refused(error_chain(&e)))?;
    let text: Vec<&str> = response.message().collect();
    Ok(Accepted {
        reply: format!("{} {}", response.code(), text.join(" ")),
    })
}

/// An error and its causes on one line: lettre's own says only "Connection
/// error", its source says which.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
