//! `dealdraft render --format pdf`, run as a user would: the real binary in
//! a child process, its files read back with poppler.

mod tools;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tools::{POPPLER, all_text, run, squeeze, tool};

const OFFER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/examples/offer.md");
const OFFER_DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/examples/offer.json");
const LOGO: &[u8] = include_bytes!("../assets/themes/classic-logo.png");

fn dealdraft() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_dealdraft"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("DEALDRAFT_ADDR")
        .env("RUST_LOG", "warn");
    cmd
}

/// `dealdraft render INPUT --format pdf -o OUTPUT` and `extra`.
fn render_pdf(input: &Path, output: &Path, extra: &[&OsStr]) -> Output {
    dealdraft()
        .arg("render")
        .arg(input)
        .args(["--format", "pdf", "-o"])
        .arg(output)
        .args(extra)
        .output()
        .expect("the binary runs")
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

/// The example offer rendered into `dir` as `name`.
fn render_offer(dir: &Path, name: &str) -> PathBuf {
    let output = dir.join(name);
    let out = render_pdf(
        Path::new(OFFER),
        &output,
        &[OsStr::new("--data"), OsStr::new(OFFER_DATA)],
    );
    assert_success(&out);
    assert!(out.stdout.is_empty(), "the document went to the file");
    output
}

#[test]
fn the_example_offer_renders_as_a_pdf_with_the_account_and_page_numbers() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = render_offer(dir.path(), "offer.pdf");
    let bytes = std::fs::read(&path).expect("written");
    assert!(
        bytes.starts_with(b"%PDF-"),
        "{:?}",
        &bytes[..bytes.len().min(16)]
    );
    let Some(pdftotext) = tool("pdftotext", POPPLER) else {
        return;
    };
    let text = squeeze(&all_text(&pdftotext, &path));
    assert!(text.contains("Müller & Söhne GmbH"), "{text}");
    assert!(text.contains("Page 1 of"), "{text}");
    assert!(text.contains("€48,250.00"), "the total, en-GB: {text}");
}

#[test]
fn rendering_the_example_offer_twice_gives_identical_bytes() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let first = std::fs::read(render_offer(dir.path(), "first.pdf")).expect("written");
    let second = std::fs::read(render_offer(dir.path(), "second.pdf")).expect("written");
    assert!(first == second, "two renders of one input differ");
}

#[test]
fn a_pdf_written_to_standard_output_is_the_same_file() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = std::fs::read(render_offer(dir.path(), "offer.pdf")).expect("written");
    let out = render_pdf(
        Path::new(OFFER),
        Path::new("-"),
        &[OsStr::new("--data"), OsStr::new(OFFER_DATA)],
    );
    assert_success(&out);
    assert!(out.stdout == file, "stdout differs from the file");
}

const WITH_IMAGE: &str = "---\ntitle: Site visit\ndate: 2026-11-23\n---\n# Site visit\n\n![Site plan](site-plan.png \"width=80mm\")\n\nThe plan above shows the three loading bays.\n";

#[test]
fn strict_with_a_missing_image_exits_non_zero() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let input = dir.path().join("visit.md");
    std::fs::write(&input, WITH_IMAGE).expect("written");
    let output = dir.path().join("visit.pdf");
    let out = render_pdf(&input, &output, &[OsStr::new("--strict")]);
    assert!(
        !out.status.success(),
        "--strict with a missing image succeeded; stderr:\n{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("site-plan.png"), "{}", stderr(&out));
    assert!(!output.exists(), "no file is written when rendering fails");
}

#[test]
fn without_strict_a_missing_image_is_a_warning_and_its_alt_text_is_printed() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let input = dir.path().join("visit.md");
    std::fs::write(&input, WITH_IMAGE).expect("written");
    let output = dir.path().join("visit.pdf");
    let out = render_pdf(&input, &output, &[]);
    assert_success(&out);
    assert!(
        stderr(&out).contains("warning:") && stderr(&out).contains("site-plan.png"),
        "{}",
        stderr(&out)
    );
    let Some(pdftotext) = tool("pdftotext", POPPLER) else {
        return;
    };
    let text = squeeze(&all_text(&pdftotext, &output));
    assert!(text.contains("[Site plan]"), "{text}");
}

#[test]
fn an_image_from_the_assets_folder_is_embedded() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let input = dir.path().join("visit.md");
    std::fs::write(&input, WITH_IMAGE).expect("written");
    let assets = dir.path().join("images");
    std::fs::create_dir(&assets).expect("created");
    std::fs::write(assets.join("site-plan.png"), LOGO).expect("written");
    let output = dir.path().join("visit.pdf");
    let out = render_pdf(
        &input,
        &output,
        &[
            OsStr::new("--strict"),
            OsStr::new("--assets"),
            assets.as_os_str(),
        ],
    );
    assert_success(&out);
    assert!(stderr(&out).trim().is_empty(), "{}", stderr(&out));
    let Some(pdfimages) = tool("pdfimages", POPPLER) else {
        return;
    };
    let listing = run(&pdfimages, &[OsStr::new("-list"), output.as_os_str()]);
    let images = listing
        .lines()
        .skip_while(|l| !l.starts_with("---"))
        .skip(1)
        .filter(|l| l.split_whitespace().nth(2) == Some("image"))
        .count();
    // The theme's logo and the site plan (the same pixels, drawn twice).
    assert_eq!(images, 2, "{listing}");
}
