//! The command line, run as a user would: the real binary in a child process.

mod tools;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

fn dealdraft() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dealdraft"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("DEALDRAFT_ADDR")
        .env("RUST_LOG", "warn");
    cmd
}

#[test]
fn migrate_creates_the_sqlite_file_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/new.db", dir.path().display());
    let out = dealdraft()
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("migrations applied"));
    assert!(dir.path().join("new.db").exists());
    // Running it again is harmless.
    let again = dealdraft()
        .args(["migrate", "--database-url", &url])
        .output()
        .unwrap();
    assert!(again.status.success());
}

#[test]
fn an_unsupported_database_url_is_a_clear_error_and_a_failing_exit() {
    let out = dealdraft()
        .args(["migrate", "--database-url", "mysql://localhost/x"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sqlite://") && err.contains("postgres://"),
        "{err}"
    );
}

#[test]
fn a_bad_listen_address_is_refused_before_anything_starts() {
    let out = dealdraft()
        .args(["serve", "--addr", "not-an-address"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--addr"));
}

/// Kills the process `pid` if the test fails before stopping it.
struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", &self.0.to_string()])
            .status();
    }
}

#[test]
fn demo_seeds_serves_and_stops_cleanly_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/demo.db", dir.path().display());
    let mut child = dealdraft()
        .args(["demo", "--addr", "127.0.0.1:0", "--database-url", &url])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let guard = KillOnDrop(child.id());
    let mut printed = Vec::new();
    let base = loop {
        let line = lines.next().expect("the demo printed its address").unwrap();
        if let Some(rest) = line.split("serving on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
        printed.push(line);
    };
    assert!(
        printed.iter().any(|l| l.contains("Müller Maschinenbau")),
        "{printed:?}"
    );
    // The sample proposal, with the first deal's quote, is written where
    // the demo runs.
    assert!(
        printed
            .iter()
            .any(|l| l.starts_with("Sample proposal with its quote written to")),
        "{printed:?}"
    );
    let sample = std::fs::read(dir.path().join("dealdraft-sample-proposal.pdf")).unwrap();
    if let Some(text) = tools::pdf_text(&sample) {
        let text = tools::squeeze(&text);
        for expected in [
            "Shop-floor analytics rollout",
            "€42,959.00",
            "Subtotal Software",
        ] {
            assert!(text.contains(expected), "`{expected}` missing:\n{text}");
        }
    }

    let login = printed
        .iter()
        .find(|l| l.trim_start().starts_with("rep "))
        .unwrap_or_else(|| panic!("no rep login printed: {printed:?}"));
    let words: Vec<&str> = login.split_whitespace().collect();
    let (email, password) = (words[1], words[2]);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let body: serde_json::Value = runtime.block_on(async {
        let client = reqwest::Client::new();
        let session: serde_json::Value = client
            .post(format!("{base}/api/v1/session"))
            .json(&serde_json::json!({"email": email, "password": password}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let token = session["token"].as_str().expect("signed in").to_owned();
        client
            .get(format!("{base}/api/v1/accounts?q=muller"))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    });
    assert_eq!(body["items"].as_array().map(Vec::len), Some(1), "{body}");

    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    std::mem::forget(guard);
    assert!(status.success(), "graceful shutdown exits 0, got {status}");
}

/// `dealdraft user add` on the SQLite database at `url`, with `password` on
/// standard input when given (for `--password -`).
fn user_add(url: &str, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    use std::io::Write;
    let mut cmd = dealdraft();
    cmd.env("DATABASE_URL", url)
        .args(["user", "add"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
    let mut child = cmd.spawn().unwrap();
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(text.as_bytes()).unwrap();
    }
    child.wait_with_output().unwrap()
}

/// The UUID `user add` printed.
fn printed_id(out: &std::process::Output) -> uuid::Uuid {
    let stdout = String::from_utf8_lossy(&out.stdout);
    stdout
        .split(|c: char| c.is_whitespace() || c == '`' || c == '"' || c == '\'')
        .find_map(|word| uuid::Uuid::parse_str(word).ok())
        .unwrap_or_else(|| panic!("no user id printed: {stdout:?}"))
}

#[test]
fn user_add_creates_a_user_and_prints_its_id() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/users.db", dir.path().display());
    let out = user_add(
        &url,
        &[
            "--email",
            "cli.rep@example.com",
            "--name",
            "Cli Rep",
            "--role",
            "rep",
            "--password",
            "cli-password-12",
            "--title",
            "Account Executive",
            "--phone",
            "+49 30 1234",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let first = printed_id(&out);

    // Another user gets another id.
    let out = user_add(
        &url,
        &[
            "--email",
            "cli.admin@example.com",
            "--name",
            "Cli Admin",
            "--role",
            "admin",
            "--password",
            "cli-password-34",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_ne!(printed_id(&out), first);

    // The email is unique.
    let again = user_add(
        &url,
        &[
            "--email",
            "cli.rep@example.com",
            "--name",
            "Cli Rep Again",
            "--role",
            "rep",
            "--password",
            "cli-password-56",
        ],
        None,
    );
    assert!(!again.status.success(), "a second user with the same email");
}

#[test]
fn user_add_refuses_a_bad_role_or_a_short_password_and_says_which() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/users.db", dir.path().display());
    let bad_role = user_add(
        &url,
        &[
            "--email",
            "boss@example.com",
            "--name",
            "Boss",
            "--role",
            "boss",
            "--password",
            "cli-password-12",
        ],
        None,
    );
    assert!(!bad_role.status.success(), "role `boss` accepted");
    let err = String::from_utf8_lossy(&bad_role.stderr).to_lowercase();
    assert!(
        err.contains("role"),
        "the error should name the role: {err}"
    );

    let short = user_add(
        &url,
        &[
            "--email",
            "short@example.com",
            "--name",
            "Short",
            "--role",
            "rep",
            "--password",
            "nine-char",
        ],
        None,
    );
    assert!(!short.status.success(), "a 9-character password accepted");
    let err = String::from_utf8_lossy(&short.stderr).to_lowercase();
    assert!(
        err.contains("password"),
        "the error should name the password: {err}"
    );
    assert!(
        !err.contains("nine-char"),
        "the error repeats the password: {err}"
    );

    // Neither refusal wrote a user: both emails are still free.
    for email in ["boss@example.com", "short@example.com"] {
        let out = user_add(
            &url,
            &[
                "--email",
                email,
                "--name",
                "Fine",
                "--role",
                "manager",
                "--password",
                "cli-password-12",
            ],
            None,
        );
        assert!(
            out.status.success(),
            "{email}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        printed_id(&out);
    }
}

/// The server child, stopped with SIGKILL if a test fails before stopping it.
struct Server(Option<std::process::Child>);

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[test]
fn passwords_never_appear_in_the_output_or_trace_log_of_the_server() {
    const FLAG_PASSWORD: &str = "flag-secret-pass-1";
    const STDIN_PASSWORD: &str = "stdin-secret-pass-2";
    const WRONG_PASSWORD: &str = "wrong-secret-pass-3";
    const CHANGED_PASSWORD: &str = "changed-secret-pass-4";
    const CREATED_PASSWORD: &str = "created-secret-pass-5";
    let secrets = [
        FLAG_PASSWORD,
        STDIN_PASSWORD,
        WRONG_PASSWORD,
        CHANGED_PASSWORD,
        CREATED_PASSWORD,
    ];

    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/serve.db", dir.path().display());
    let mut cli_output = Vec::new();
    let out = user_add(
        &url,
        &[
            "--email",
            "boss@example.com",
            "--name",
            "Boss",
            "--role",
            "admin",
            "--password",
            FLAG_PASSWORD,
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    cli_output.extend_from_slice(&out.stdout);
    cli_output.extend_from_slice(&out.stderr);
    // `--password -` reads it from standard input.
    let out = user_add(
        &url,
        &[
            "--email",
            "piped@example.com",
            "--name",
            "Piped",
            "--role",
            "rep",
            "--password",
            "-",
        ],
        Some(STDIN_PASSWORD),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    cli_output.extend_from_slice(&out.stdout);
    cli_output.extend_from_slice(&out.stderr);

    let stderr_path = dir.path().join("stderr.log");
    let mut child = dealdraft()
        .env("RUST_LOG", "trace")
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", &url])
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&stderr_path).unwrap())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut server = Server(Some(child));
    let mut lines = BufReader::new(stdout).lines();
    let mut stdout_text = String::new();
    let base = loop {
        let line = lines
            .next()
            .expect("the server printed its address")
            .unwrap();
        stdout_text.push_str(&line);
        stdout_text.push('\n');
        if let Some(rest) = line.split("serving on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    // Keep reading stdout so the server never blocks on a full pipe.
    let rest_of_stdout = std::thread::spawn(move || {
        let mut text = String::new();
        for line in lines.map_while(Result::ok) {
            text.push_str(&line);
            text.push('\n');
        }
        text
    });

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let statuses = runtime.block_on(async {
        let client = reqwest::Client::new();
        let sign_in = |email: &'static str, password: &'static str| {
            client
                .post(format!("{base}/api/v1/session"))
                .json(&serde_json::json!({ "email": email, "password": password }))
                .send()
        };
        let mut statuses = Vec::new();
        let admin = sign_in("boss@example.com", FLAG_PASSWORD).await.unwrap();
        statuses.push(("admin sign-in", admin.status().as_u16()));
        let admin: serde_json::Value = admin.json().await.unwrap();
        let admin_token = admin["token"].as_str().unwrap_or_default().to_string();
        let wrong = sign_in("boss@example.com", WRONG_PASSWORD).await.unwrap();
        statuses.push(("wrong password", wrong.status().as_u16()));
        let piped = sign_in("piped@example.com", STDIN_PASSWORD).await.unwrap();
        statuses.push(("piped sign-in", piped.status().as_u16()));
        let piped: serde_json::Value = piped.json().await.unwrap();
        let piped_token = piped["token"].as_str().unwrap_or_default().to_string();
        let changed = client
            .put(format!("{base}/api/v1/me/password"))
            .bearer_auth(&piped_token)
            .json(&serde_json::json!({
                "old_password": STDIN_PASSWORD,
                "new_password": CHANGED_PASSWORD,
            }))
            .send()
            .await
            .unwrap();
        statuses.push(("password change", changed.status().as_u16()));
        let created = client
            .post(format!("{base}/api/v1/users"))
            .bearer_auth(&admin_token)
            .json(&serde_json::json!({
                "email": "made@example.com",
                "name": "Made",
                "role": "rep",
                "password": CREATED_PASSWORD,
            }))
            .send()
            .await
            .unwrap();
        statuses.push(("user created", created.status().as_u16()));
        let made = sign_in("made@example.com", CREATED_PASSWORD).await.unwrap();
        statuses.push(("created user's sign-in", made.status().as_u16()));
        statuses
    });
    drop(runtime);

    let mut child = server.0.take().unwrap();
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    stdout_text.push_str(&rest_of_stdout.join().unwrap());
    let stderr_text = std::fs::read_to_string(&stderr_path).unwrap();
    assert!(status.success(), "graceful shutdown exits 0, got {status}");

    assert_eq!(
        statuses,
        vec![
            ("admin sign-in", 200),
            ("wrong password", 401),
            ("piped sign-in", 200),
            ("password change", 204),
            ("user created", 201),
            ("created user's sign-in", 200),
        ]
    );
    assert!(
        stderr_text.contains("/api/v1/session"),
        "the trace log shows no requests; was it captured? {} bytes",
        stderr_text.len()
    );
    let cli_text = String::from_utf8_lossy(&cli_output);
    for secret in secrets {
        assert!(
            !stderr_text.contains(secret),
            "the server's stderr contains the password {secret:?}"
        );
        assert!(
            !stdout_text.contains(secret),
            "the server's stdout contains the password {secret:?}"
        );
        assert!(
            !cli_text.contains(secret),
            "`user add` printed the password {secret:?}"
        );
    }

    // Nor are they in the database files, which keep only hashes.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path == stderr_path {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        for secret in secrets {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} contains the password {secret:?}",
                path.display()
            );
        }
    }
}

#[test]
fn session_hours_out_of_range_are_refused() {
    let out = dealdraft()
        .args(["serve", "--session-hours", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--session-hours"));
}

/// Starts `dealdraft serve` on `url` with `args` and `env`; returns the
/// running server and its base URL. Its stdout is drained in the background.
fn serve(url: &str, args: &[&str], env: &[(&str, &str)]) -> (Server, String) {
    let mut cmd = dealdraft();
    cmd.env_remove("DEALDRAFT_SESSION_HOURS")
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", url])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    for (key, value) in env {
        cmd.env(key, value);
    }
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(Some(child));
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("the server printed its address")
            .unwrap();
        if let Some(rest) = line.split("serving on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
    };
    std::thread::spawn(move || lines.map_while(Result::ok).for_each(drop));
    (server, base)
}

/// Hours from now until the `expires_at` of a fresh sign-in at `base`.
fn session_hours_at(base: &str, email: &str, password: &str) -> f64 {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let body: serde_json::Value = runtime.block_on(async {
        let res = reqwest::Client::new()
            .post(format!("{base}/api/v1/session"))
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200, "sign-in at {base}");
        res.json().await.unwrap()
    });
    let expires_at = body["expires_at"]
        .as_str()
        .unwrap_or_else(|| panic!("no expires_at: {body}"));
    let expires_at = chrono::DateTime::parse_from_rfc3339(expires_at)
        .unwrap_or_else(|e| panic!("{expires_at:?}: {e}"))
        .with_timezone(&chrono::Utc);
    (expires_at - chrono::Utc::now()).num_seconds() as f64 / 3600.0
}

#[test]
fn sessions_last_the_hours_of_the_flag_or_else_of_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/hours.db", dir.path().display());
    let out = user_add(
        &url,
        &[
            "--email",
            "hours@example.com",
            "--name",
            "Hours",
            "--role",
            "rep",
            "--password",
            "hours-password-1",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for (args, env, expected) in [
        (&[][..], &[][..], 12.0),
        (&[][..], &[("DEALDRAFT_SESSION_HOURS", "3")][..], 3.0),
        (
            &["--session-hours", "1"][..],
            &[("DEALDRAFT_SESSION_HOURS", "3")][..],
            1.0,
        ),
        (&["--session-hours", "8760"][..], &[][..], 8760.0),
    ] {
        let (server, base) = serve(&url, args, env);
        let hours = session_hours_at(&base, "hours@example.com", "hours-password-1");
        drop(server);
        assert!(
            (hours - expected).abs() < 0.05,
            "{args:?} {env:?}: a session lasts {hours:.3} h, expected {expected} h"
        );
    }

    let out = dealdraft()
        .args(["serve", "--session-hours", "8761"])
        .output()
        .unwrap();
    assert!(!out.status.success(), "8761 session hours accepted");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--session-hours"));
}

/// A database with one account and a deal on it, made through the library;
/// the deal's id.
fn database_with_a_deal(url: &str) -> String {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        use dealdraft::auth::Actor;
        use dealdraft::crm::{self, accounts::Account, deals::Deal};
        let store = dealdraft::open(url).await.unwrap();
        let actor = Actor::system();
        let account: Account = crm::create(
            &store,
            &actor,
            dealdraft::input::from_json_value(serde_json::json!({"name": "Acme"})).unwrap(),
        )
        .await
        .unwrap();
        let deal: Deal = crm::create(
            &store,
            &actor,
            dealdraft::input::from_json_value(
                serde_json::json!({"name": "Rollout", "account_id": account.meta.id}),
            )
            .unwrap(),
        )
        .await
        .unwrap();
        store.close().await;
        deal.meta.id.to_string()
    })
}

#[test]
fn readiness_lists_what_the_proposal_lacks_and_fails_until_it_is_ready() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/ready.db", dir.path().display());
    let deal = database_with_a_deal(&url);
    let out = dealdraft()
        .args([
            "readiness",
            "--template",
            "proposal",
            "--deal",
            &deal,
            "--database-url",
            &url,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("not ready: `proposal` version 1"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("deal {deal} amount (Amount)")),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("/api/v1/deals/{deal}")),
        "{stdout}"
    );

    let json = dealdraft()
        .args([
            "readiness",
            "--template",
            "proposal",
            "--deal",
            &deal,
            "--json",
            "--database-url",
            &url,
        ])
        .output()
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(body["ready"], false);
    assert!(
        body["missing"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["field"] == "amount")
    );

    // No subject, or an unknown template: a clear error and a failing exit.
    let none = dealdraft()
        .args([
            "readiness",
            "--template",
            "proposal",
            "--database-url",
            &url,
        ])
        .output()
        .unwrap();
    assert!(!none.status.success());
    assert!(String::from_utf8_lossy(&none.stderr).contains("--deal"));
    let unknown = dealdraft()
        .args([
            "readiness",
            "--template",
            "nope",
            "--deal",
            &deal,
            "--database-url",
            &url,
        ])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("there is no template `nope`"));
}

#[test]
fn generate_keeps_the_document_and_writes_its_file_or_lists_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/generate.db", dir.path().display());
    let deal = database_with_a_deal(&url);
    // A template everything is known for.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use dealdraft::auth::Actor;
        use dealdraft::templates::store::{self, Template};
        let store = dealdraft::open(&url).await.unwrap();
        let actor = Actor::system();
        let _: Template = dealdraft::crm::create(
            &store,
            &actor,
            dealdraft::input::from_json_value(serde_json::json!({
                "key": "note", "kind": "proposal", "name": "Short note",
                "draft": "# {{ deal.name }}\n\nFor {{ account.name }}.\n"
            }))
            .unwrap(),
        )
        .await
        .unwrap();
        store::publish(&store, &actor, "note").await.unwrap();
        store.close().await;
    });
    let output = dir.path().join("note.pdf");
    let args = |template: &str, format: &str| {
        let mut command = dealdraft();
        command.args([
            "generate",
            "--template",
            template,
            "--deal",
            &deal,
            "--format",
            format,
            "-o",
            output.to_str().unwrap(),
            "--database-url",
            &url,
        ]);
        command
    };
    let out = args("note", "pdf").output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.starts_with("document "), "{stdout}");
    assert!(stdout.contains("Short note - Rollout.pdf"), "{stdout}");
    let stdout_of_note = stdout.to_string();
    let pdf = std::fs::read(&output).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let sha = dealdraft::digest::sha256_hex(&pdf);
    assert!(
        stdout.contains(&sha),
        "the printed SHA-256 is the file's: {stdout}"
    );

    // The proposal needs more than the deal has: listed, exit 1, no file.
    std::fs::remove_file(&output).unwrap();
    let out = args("proposal", "pdf").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("not ready: "), "{stdout}");
    assert!(
        stdout.contains(&format!("deal {deal} amount (Amount)")),
        "{stdout}"
    );
    assert!(!output.exists());

    // As a draft it is made anyway, marked.
    let out = args("proposal", "pdf").arg("--draft").output().unwrap();
    let drafted = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{drafted}");
    assert!(
        drafted.contains("Sales proposal - Rollout (DRAFT).pdf"),
        "{drafted}"
    );
    assert!(std::fs::read(&output).unwrap().starts_with(b"%PDF-"));

    // Sending: a draft never goes, and nothing goes before a mail server
    // is set.
    let id_in = |printed: &str| printed.split_whitespace().nth(1).unwrap().to_owned();
    let send = |document: &str| {
        dealdraft()
            .args(["send", "--document", document, "--database-url", &url])
            .output()
            .unwrap()
    };
    let out = send(&id_in(&drafted));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is a draft, which never goes to a customer")
    );
    let out = send(&id_in(&stdout_of_note));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("sending is not set up"));

    let out = args("note", "odt").output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown --format `odt`"));
}
