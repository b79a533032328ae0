//! Settings from flags and the environment (flags win).

use std::net::SocketAddr;

use clap::Args;

pub const DEFAULT_DATABASE_URL: &str = "sqlite://dealdraft.db";
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// Where the data lives.
#[derive(Args, Clone, Debug)]
pub struct DatabaseArgs {
    /// `sqlite://PATH` (created if missing) or `postgres://user@host/db`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

/// Where to listen.
#[derive(Args, Clone, Debug)]
pub struct ServeArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// Address and port to listen on.
    #[arg(long, env = "DEALDRAFT_ADDR", default_value = DEFAULT_ADDR)]
    pub addr: SocketAddr,
    /// How many hours a sign-in lasts.
    #[arg(long, env = "DEALDRAFT_SESSION_HOURS", default_value_t = 12,
          value_parser = clap::value_parser!(u32).range(1..=8760))]
    pub session_hours: u32,
    /// How many batch documents this server makes at once (default: two
    /// per core); 0 leaves batches to other instances.
    #[arg(long, env = "DEALDRAFT_BATCH_JOBS", value_parser = clap::value_parser!(u16).range(0..=256))]
    pub batch_jobs: Option<u16>,
    #[command(flatten)]
    pub smtp: SmtpArgs,
}

/// The mail server's sign-in, if it asks for one. Give it in the
/// environment: a flag would show the password in the process list.
#[derive(Args, Clone, Debug)]
pub struct SmtpArgs {
    #[arg(long, env = "DEALDRAFT_SMTP_USERNAME", requires = "smtp_password")]
    pub smtp_username: Option<String>,
    #[arg(long, env = "DEALDRAFT_SMTP_PASSWORD", hide_env_values = true)]
    pub smtp_password: Option<String>,
}

impl SmtpArgs {
    pub fn credentials(&self) -> Option<crate::mail::Credentials> {
        Some(crate::mail::Credentials {
            username: self.smtp_username.clone()?,
            password: self.smtp_password.clone().unwrap_or_default(),
        })
    }
}
