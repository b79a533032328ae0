//! A real SMTP server on loopback for the tests that send mail: aiosmtpd
//! (Debian's `python3-aiosmtpd`) with its `Mailbox` handler, which keeps
//! every message it accepts as a file in a Maildir the test reads back.
//!
//! Like the other tools, a missing `aiosmtpd` skips the check with the
//! reason printed, and fails it in CI (`CI=true`).
//!
//! What the stored file holds is not quite what was sent: the handler
//! parses the message with Python's `email` package and writes it out
//! again, so
//! - lines end in `\n`, not `\r\n`;
//! - three headers are appended after the sender's own, at the end of the
//!   header block: `X-Peer` (the client's address as a Python tuple, e.g.
//!   `('127.0.0.1', 60988)`), `X-MailFrom` (the envelope sender, `MAIL
//!   FROM`) and `X-RcptTo` (the envelope recipients, `RCPT TO`, joined
//!   with `", "`). They are added, not replaced: a message that already
//!   carries one of them keeps its own, first, so [`header`] returns the
//!   sender's value rather than the server's;
//! - headers are not refolded and an 8-bit body is kept as it was.
//!
//! The server offers neither AUTH nor STARTTLS nor SMTPUTF8 (EHLO answers
//! `8BITMIME` and `HELP`), so the mail is sent in plain to it.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// The Debian package `aiosmtpd` comes from.
pub const AIOSMTPD: &str = "python3-aiosmtpd";

/// How long the server may take to come up, and a message to arrive:
/// generous, as a loaded CI machine starts Python slowly.
const PATIENCE: Duration = Duration::from_secs(10);
/// How often to look again while waiting.
const POLL: Duration = Duration::from_millis(50);

/// A running aiosmtpd storing every accepted message in a Maildir; killed
/// on drop.
pub struct SmtpSink {
    child: Child,
    /// The loopback port it listens on, at 127.0.0.1.
    pub port: u16,
    /// Holds the Maildir (`maildir/`) and the server's standard error
    /// (`aiosmtpd.stderr`); removed after the server is killed.
    dir: tempfile::TempDir,
}

impl SmtpSink {
    /// Starts one on a free loopback port; `None` (after printing why the
    /// check is skipped) when aiosmtpd is missing outside CI.
    ///
    /// It is ready when this returns: a connection to it has been greeted
    /// with `220`. Standard error goes to a file rather than a pipe, so a
    /// chatty server never blocks on a full pipe, and the file can be shown
    /// when something goes wrong.
    pub fn start() -> Option<SmtpSink> {
        let aiosmtpd = super::tool("aiosmtpd", AIOSMTPD)?;
        let dir = tempfile::tempdir().expect("a folder");
        let stderr = File::create(dir.path().join("aiosmtpd.stderr")).expect("a file");
        let port = closed_port();
        // The handler creates the Maildir (and its `new`, `cur`, `tmp`) at
        // start-up, but only its last level, which the folder provides.
        let child = Command::new(&aiosmtpd)
            // `-n`: stay the user the tests run as rather than try to
            // become `nobody`.
            .arg("-n")
            .arg("-l")
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(dir.path().join("maildir"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", aiosmtpd.display()));
        let mut sink = SmtpSink { child, port, dir };
        sink.await_greeting();
        Some(sink)
    }

    /// Waits until the server greets a connection with `220`; panics with
    /// its standard error if it exits first or takes too long.
    fn await_greeting(&mut self) {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(status) = self.child.try_wait().expect("the server's status") {
                panic!(
                    "aiosmtpd on port {} exited with {status} before it was ready:\n{}",
                    self.port,
                    self.stderr()
                );
            }
            let last = match greeting(address) {
                Ok(line) if line.starts_with("220") => return,
                Ok(line) => format!("greeted with {line:?}"),
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                panic!(
                    "aiosmtpd on port {} was not ready within {PATIENCE:?} ({last}):\n{}",
                    self.port,
                    self.stderr()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    /// The messages accepted so far, raw bytes (as stored: see the module's
    /// documentation), oldest first (by file modification time, then name).
    ///
    /// Only `new/` is read: the Maildir writes each message into `tmp/` and
    /// renames it there when complete, so no message is seen half written,
    /// and nothing here moves messages on to `cur/`. The handler stores a
    /// message before it answers the `DATA` with `250`, so a message a
    /// client has sent successfully is already here.
    pub fn messages(&self) -> Vec<Vec<u8>> {
        let new = self.maildir().join("new");
        let Ok(entries) = std::fs::read_dir(&new) else {
            return Vec::new();
        };
        let mut files: Vec<(SystemTime, PathBuf)> = entries
            .map(|entry| entry.expect("a Maildir entry").path())
            .filter(|path| path.is_file())
            .map(|path| {
                let modified = path
                    .metadata()
                    .and_then(|m| m.modified())
                    .expect("a modification time");
                (modified, path)
            })
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, path)| {
                std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
            })
            .collect()
    }

    /// Waits (looking every 50 ms, up to 10 s) until at least `n` messages
    /// are there, and returns them; panics with the server's standard error
    /// if they do not come.
    pub fn wait_for(&self, n: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            if Instant::now() >= deadline {
                panic!(
                    "{} message(s) reached aiosmtpd on port {} within {PATIENCE:?}, not {n}:\n{}",
                    messages.len(),
                    self.port,
                    self.stderr()
                );
            }
            std::thread::sleep(POLL);
        }
    }

    fn maildir(&self) -> PathBuf {
        self.dir.path().join("maildir")
    }

    /// What the server has written to standard error so far.
    fn stderr(&self) -> String {
        std::fs::read(self.dir.path().join("aiosmtpd.stderr"))
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_else(|e| format!("(its standard error cannot be read: {e})"))
    }
}

impl Drop for SmtpSink {
    /// Kills the server and reaps it, so no test leaves one running; the
    /// folder goes after, with the fields.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first line the server at `address` sends on a new connection; the
/// connection is closed with a `QUIT` after.
fn greeting(address: SocketAddr) -> std::io::Result<String> {
    let stream = TcpStream::connect_timeout(&address, Duration::from_secs(1))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut line = String::new();
    BufReader::new(&stream).read_line(&mut line)?;
    let _ = (&stream).write_all(b"QUIT\r\n");
    Ok(line.trim_end().to_owned())
}

/// A loopback port nothing listens on: one the system has just handed out
/// and taken back, for a "connection refused" test (and for the server to
/// listen on).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("a free loopback port");
    listener.local_addr().expect("its address").port()
}

/// The value of the first header called `name` (in any case) in `message`,
/// unfolded and trimmed; `None` when there is none. The headers end at the
/// first empty line; lines may end in `\r\n` or `\n`.
pub fn header(message: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(message);
    let mut lines = text
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
        .take_while(|line| !line.is_empty())
        .peekable();
    while let Some(line) = lines.next() {
        if line.starts_with([' ', '\t']) {
            continue; // the rest of a header not asked for
        }
        let Some((field, value)) = line.split_once(':') else {
            continue;
        };
        if !field.trim_end().eq_ignore_ascii_case(name) {
            continue;
        }
        let mut value = value.to_owned();
        // Unfolding takes out the line break and keeps the white space
        // that starts the next line.
        while let Some(more) = lines.next_if(|l| l.starts_with([' ', '\t'])) {
            value.push_str(more);
        }
        return Some(value.trim().to_owned());
    }
    None
}
