//! `dealdraft render`, run as a user would: the real binary in a child
//! process, on files in a temporary folder.

use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn dealdraft() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dealdraft"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("DEALDRAFT_ADDR")
        .env("RUST_LOG", "warn");
    cmd
}

struct Folder {
    dir: tempfile::TempDir,
}

impl Folder {
    fn new() -> Folder {
        Folder {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, contents).unwrap();
        path
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }
}

/// `dealdraft render INPUT --format html -o OUTPUT` and `extra`.
fn render(input: &Path, output: &Path, extra: &[&dyn AsRef<OsStr>]) -> Output {
    let mut cmd = dealdraft();
    cmd.arg("render")
        .arg(input)
        .args(["--format", "html", "-o"])
        .arg(output);
    for arg in extra {
        cmd.arg(arg);
    }
    cmd.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}; stderr:\n{}",
        out.status,
        stderr(out)
    );
}

fn assert_failure(out: &Output) {
    assert!(
        !out.status.success(),
        "expected a failing exit; stderr:\n{}",
        stderr(out)
    );
    assert!(!stderr(out).trim().is_empty(), "a failure explains itself");
}

const LOGO: &[u8] = include_bytes!("../assets/themes/classic-logo.png");

const TEMPLATE: &str = "---\ntitle: Proposal for {{ account.name }}\nlocale: de\n---\n# Proposal for {{ account.name }}\n\nTotal: **{{ money(amount=deal.amount, currency=\"EUR\") }}** on {{ date(value=\"2026-11-23\") }}.\n\n| Item | Price |\n|---|--:|\n{% for l in lines %}| {{ l.name }} | {{ money(amount=l.price, currency=\"EUR\") }} |\n{% endfor %}";

const DATA: &str = r#"{"account": {"name": "ACME <b>&</b>"}, "deal": {"amount": "12345.675"}, "lines": [{"name": "Server | rack", "price": 1000.5}, {"name": "Switch", "price": "99.99"}]}"#;

#[test]
fn a_template_with_data_renders_to_an_html_file() {
    let f = Folder::new();
    let input = f.write("offer.md", TEMPLATE);
    let data = f.write("data.json", DATA);
    let output = f.path("offer.html");
    let out = render(&input, &output, &[&"--data", &data]);
    assert_success(&out);
    assert!(out.stdout.is_empty(), "the document went to the file");
    let page = f.read("offer.html");
    assert!(
        page.contains("<title>Proposal for ACME &lt;b&gt;&amp;&lt;/b&gt;</title>"),
        "{page}"
    );
    assert!(
        page.contains("<h1>Proposal for ACME &lt;b&gt;&amp;&lt;/b&gt;</h1>"),
        "{page}"
    );
    assert!(
        page.contains("<strong>12.345,68\u{a0}€</strong> on 23. November 2026."),
        "{page}"
    );
    assert!(
        page.contains("<td>Server | rack</td><td class=\"right\">1.000,50\u{a0}€</td>"),
        "{page}"
    );
    assert!(
        page.contains("<td>Switch</td><td class=\"right\">99,99\u{a0}€</td>"),
        "{page}"
    );
    assert!(page.contains("<html lang=\"de\">"), "{page}");
}

#[test]
fn clauses_print_from_the_data_as_markdown_and_a_missing_one_is_named() {
    let f = Folder::new();
    let input = f.write(
        "terms.md",
        "# Terms\n\n{{ clause(key=\"liability\") }}\n\n{{ clauses.liability.title }}\n",
    );
    let data = f.write(
        "data.json",
        r#"{"clauses": {"liability": {"title": "Limits", "text": "Liability is **capped**."}}}"#,
    );
    let output = f.path("terms.html");
    assert_success(&render(&input, &output, &[&"--data", &data]));
    let page = f.read("terms.html");
    assert!(
        page.contains("<p>Liability is <strong>capped</strong>.</p>"),
        "{page}"
    );
    assert!(page.contains("<p>Limits</p>"), "{page}");

    let empty = f.write("empty.json", "{}");
    let out = render(&input, &f.path("no.html"), &[&"--data", &empty]);
    assert_failure(&out);
    assert!(
        stderr(&out).contains("clauses.liability.text"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn data_gets_today_unless_it_has_its_own() {
    let f = Folder::new();
    let input = f.write("t.md", "Today is {{ today }}.\n");
    let output = f.path("t.html");
    let data = f.write("d.json", "{}");
    assert_success(&render(&input, &output, &[&"--data", &data]));
    let page = f.read("t.html");
    let year = page
        .split("Today is ")
        .nth(1)
        .expect("rendered")
        .get(..4)
        .unwrap()
        .to_owned();
    assert!(
        year.chars().all(|c| c.is_ascii_digit()) && year.starts_with("20"),
        "{page}"
    );

    f.write("d.json", r#"{"today": "1999-12-31"}"#);
    assert_success(&render(&input, &output, &[&"--data", &data]));
    assert!(f.read("t.html").contains("Today is 1999-12-31."));
}

#[test]
fn plain_markdown_without_data_keeps_template_syntax_literal() {
    let f = Folder::new();
    let input = f.write(
        "plain.md",
        "---\ntitle: Plain {{ x }}\n---\n# Hello {{ name }}\n\n{% for i in range(end=3) %}x{% endfor %} {{ get_env(name=\"PATH\") }}\n",
    );
    let output = f.path("plain.html");
    let out = render(&input, &output, &[]);
    assert_success(&out);
    let page = f.read("plain.html");
    assert!(page.contains("<h1>Hello {{ name }}</h1>"), "{page}");
    assert!(
        page.contains("{% for i in range(end=3) %}x{% endfor %}"),
        "{page}"
    );
    assert!(page.contains("<title>Plain {{ x }}</title>"), "{page}");
    assert!(!page.contains("/usr/bin"), "nothing was evaluated");
}

#[test]
fn the_modern_theme_has_other_colours_than_classic() {
    let f = Folder::new();
    let input = f.write("a.md", "# Hi\n");
    let classic = f.path("classic.html");
    let modern = f.path("modern.html");
    assert_success(&render(&input, &classic, &[&"--theme", &"classic"]));
    assert_success(&render(&input, &modern, &[&"--theme", &"modern"]));
    let classic = f.read("classic.html");
    let modern = f.read("modern.html");
    assert!(classic.contains("#1f3a5f") && !classic.contains("#0e7c86"));
    assert!(modern.contains("#0e7c86") && !modern.contains("#1f3a5f"));
    assert!(classic.contains("size: A4;") && modern.contains("size: letter;"));
}

#[test]
fn the_default_theme_is_classic_unless_the_front_matter_names_one() {
    let f = Folder::new();
    let out_path = f.path("o.html");
    let plain = f.write("plain.md", "# Hi\n");
    assert_success(&render(&plain, &out_path, &[]));
    assert!(f.read("o.html").contains("#1f3a5f"));
    let fm = f.write("fm.md", "---\ntheme: modern\n---\n# Hi\n");
    assert_success(&render(&fm, &out_path, &[]));
    assert!(f.read("o.html").contains("#0e7c86"));
    // The command line wins over the front matter.
    assert_success(&render(&fm, &out_path, &[&"--theme", &"classic"]));
    assert!(f.read("o.html").contains("#1f3a5f"));
}

#[test]
fn an_unknown_theme_fails_naming_it() {
    let f = Folder::new();
    let input = f.write("a.md", "# Hi\n");
    let output = f.path("a.html");
    let out = render(&input, &output, &[&"--theme", &"baroque"]);
    assert_failure(&out);
    assert!(stderr(&out).contains("baroque"), "{}", stderr(&out));
    assert!(!output.exists(), "nothing is written on failure");
}

#[test]
fn an_unknown_theme_in_the_front_matter_fails_naming_it() {
    let f = Folder::new();
    let input = f.write("a.md", "---\ntheme: rococo\n---\n# Hi\n");
    let out = render(&input, &f.path("a.html"), &[]);
    assert_failure(&out);
    assert!(stderr(&out).contains("rococo"), "{}", stderr(&out));
}

#[test]
fn an_unknown_format_fails_naming_it() {
    let f = Folder::new();
    let input = f.write("a.md", "# Hi\n");
    let output = f.path("a.out");
    let out = dealdraft()
        .arg("render")
        .arg(&input)
        .args(["--format", "odt", "-o"])
        .arg(&output)
        .output()
        .unwrap();
    assert_failure(&out);
    assert!(
        stderr(&out).contains("odt") && stderr(&out).contains("html, pdf, docx"),
        "{}",
        stderr(&out)
    );
    assert!(!output.exists());
}

#[test]
fn a_missing_image_is_a_warning_and_the_page_still_renders() {
    let f = Folder::new();
    let input = f.write("a.md", "Hello.\n\n![Team photo](team.png)\n");
    let output = f.path("a.html");
    let out = render(&input, &output, &[]);
    assert_success(&out);
    let err = stderr(&out);
    assert!(
        err.lines()
            .any(|l| l.starts_with("warning: ") && l.contains("team.png")),
        "{err}"
    );
    assert!(f.read("a.html").contains("[Team photo]"));
}

#[test]
fn a_missing_image_fails_when_strict() {
    let f = Folder::new();
    let input = f.write("a.md", "Hello.\n\n![Team photo](team.png)\n");
    let output = f.path("a.html");
    let out = render(&input, &output, &[&"--strict"]);
    assert_failure(&out);
    assert!(stderr(&out).contains("team.png"), "{}", stderr(&out));
    assert!(!output.exists());
}

#[test]
fn reader_warnings_reach_stderr_too() {
    let f = Folder::new();
    let input = f.write("a.md", "<!-- /keep -->\n\n![x](x.png \"width=huge\")\n");
    let out = render(&input, &f.path("a.html"), &[]);
    assert_success(&out);
    let err = stderr(&out);
    assert!(
        err.contains("warning: ") && err.contains("/keep") && err.contains("huge"),
        "{err}"
    );
}

#[test]
fn images_from_an_assets_folder_are_embedded() {
    let f = Folder::new();
    f.write("assets/photo.png", LOGO);
    f.write("assets/notes.txt", "not an image, and not named like one");
    let input = f.write("a.md", "![Photo](photo.png \"width=30mm\")\n");
    let output = f.path("a.html");
    let assets = f.path("assets");
    let out = render(&input, &output, &[&"--assets", &assets, &"--strict"]);
    assert_success(&out);
    assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
    let page = f.read("a.html");
    assert!(
        page.contains("<img src=\"data:image/png;base64,iVBORw0KGgo"),
        "{page}"
    );
    assert!(
        page.contains("alt=\"Photo\" style=\"width:30mm\""),
        "{page}"
    );
}

#[test]
fn a_corrupt_png_in_the_assets_folder_fails_naming_it() {
    let f = Folder::new();
    f.write("assets/good.png", LOGO);
    f.write("assets/x.png", "this is not a PNG");
    let input = f.write("a.md", "![Good](good.png)\n");
    let assets = f.path("assets");
    let out = render(&input, &f.path("a.html"), &[&"--assets", &assets]);
    assert_failure(&out);
    assert!(stderr(&out).contains("x.png"), "{}", stderr(&out));
}

#[test]
fn a_missing_assets_folder_fails_naming_it() {
    let f = Folder::new();
    let input = f.write("a.md", "Hi\n");
    let assets = f.path("no-such-folder");
    let out = render(&input, &f.path("a.html"), &[&"--assets", &assets]);
    assert_failure(&out);
    assert!(stderr(&out).contains("no-such-folder"), "{}", stderr(&out));
}

#[test]
fn a_template_syntax_error_fails_with_file_line_and_column() {
    let f = Folder::new();
    let input = f.write(
        "broken.md",
        "---\ntitle: x\n---\n# Offer\n\nTotal: {{ total | }}\n",
    );
    let data = f.write("d.json", "{}");
    let out = render(&input, &f.path("a.html"), &[&"--data", &data]);
    assert_failure(&out);
    let err = stderr(&out);
    assert!(err.contains("broken.md"), "{err}");
    assert!(err.contains("line 6"), "{err}");
    assert!(err.contains("column"), "{err}");
}

#[test]
fn a_template_runtime_error_fails_naming_the_variable() {
    let f = Folder::new();
    let input = f.write("t.md", "Dear {{ contact.first_name }}\n");
    let data = f.write("d.json", "{}");
    let out = render(&input, &f.path("a.html"), &[&"--data", &data]);
    assert_failure(&out);
    assert!(
        stderr(&out).contains("contact.first_name"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn stdin_and_stdout_are_used_for_a_dash() {
    let mut child = dealdraft()
        .args(["render", "-", "--format", "html", "-o", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"# From stdin\n\nText & more.\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_success(&out);
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
    assert!(
        page.contains("<h1>From stdin</h1>") && page.contains("<p>Text &amp; more.</p>"),
        "{page}"
    );
}

#[test]
fn a_template_from_stdin_renders_with_data() {
    let f = Folder::new();
    let data = f.write("d.json", r#"{"name": "*Jane*"}"#);
    let mut child = dealdraft()
        .args(["render", "-", "--format", "html", "-o", "-", "--data"])
        .arg(&data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"Hi {{ name }}\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_success(&out);
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("<p>Hi *Jane*</p>")
    );
}

#[test]
fn data_that_is_not_an_object_fails() {
    let f = Folder::new();
    let input = f.write("t.md", "Hi\n");
    for (i, json) in ["[1, 2, 3]", "\"text\"", "42", "null"].iter().enumerate() {
        let name = format!("d{i}.json");
        let data = f.write(&name, json);
        let out = render(&input, &f.path("a.html"), &[&"--data", &data]);
        assert_failure(&out);
        assert!(
            stderr(&out).contains(&name) && stderr(&out).contains("object"),
            "{json}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn data_that_is_not_json_fails_naming_the_file() {
    let f = Folder::new();
    let input = f.write("t.md", "Hi\n");
    let data = f.write("bad.json", "{not json");
    let out = render(&input, &f.path("a.html"), &[&"--data", &data]);
    assert_failure(&out);
    assert!(stderr(&out).contains("bad.json"), "{}", stderr(&out));
}

#[test]
fn a_missing_input_file_fails_naming_it() {
    let f = Folder::new();
    let out = render(&f.path("nowhere.md"), &f.path("a.html"), &[]);
    assert_failure(&out);
    assert!(stderr(&out).contains("nowhere.md"), "{}", stderr(&out));
}

#[test]
fn a_sandbox_violation_fails_quickly() {
    let f = Folder::new();
    let input = f.write("t.md", "{% for i in range(end=10000000000) %}x{% endfor %}");
    let data = f.write("d.json", "{}");
    let started = std::time::Instant::now();
    let out = render(&input, &f.path("a.html"), &[&"--data", &data]);
    assert_failure(&out);
    assert!(
        started.elapsed().as_secs() < 10,
        "took {:?}",
        started.elapsed()
    );
    assert!(stderr(&out).contains("range"), "{}", stderr(&out));
}
