//! The outside tools the renderers' tests read files back with: poppler's
//! for PDF, LibreOffice for DOCX.
//!
//! On a machine without them a check is skipped with the reason printed;
//! in CI (`CI=true`), where they are guaranteed, a missing tool fails the
//! test instead.

#![allow(dead_code)]

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

pub mod pages;
pub mod smtp;

/// The Debian packages the tools come from.
pub const POPPLER: &str = "poppler-utils";
pub const LIBREOFFICE: &str = "libreoffice-writer-nogui";

/// Whether this run is CI's (`CI=true`).
fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The tool `name` (from the Debian package `package`) on `PATH`; `None`
/// (after printing why the check is skipped) when it is missing, except in
/// CI, where that fails the test.
pub fn tool(name: &str, package: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| is_executable(candidate))
    });
    if found.is_none() {
        assert!(
            !in_ci(),
            "`{name}` is not installed, and with CI=true every check must run: install {package}"
        );
        eprintln!("skipped: `{name}` is not installed ({package}); this check needs it");
    }
    found
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file() || path.with_extension("exe").is_file()
}

/// Runs `tool` with `args`; its standard output, which must be UTF-8, on
/// success.
pub fn run(tool: &Path, args: &[&OsStr]) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", tool.display()));
    assert!(
        out.status.success(),
        "{} {:?} failed with {:?}:\n{}",
        tool.display(),
        args,
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("the tool writes UTF-8")
}

/// The text of pages `first` to `last` (1-based), `pdftotext`'s reading
/// order.
pub fn text(pdftotext: &Path, pdf: &Path, first: usize, last: usize) -> String {
    let (first, last) = (first.to_string(), last.to_string());
    run(
        pdftotext,
        &[
            OsStr::new("-enc"),
            OsStr::new("UTF-8"),
            OsStr::new("-f"),
            OsStr::new(&first),
            OsStr::new("-l"),
            OsStr::new(&last),
            pdf.as_os_str(),
            OsStr::new("-"),
        ],
    )
}

/// The whole file's text.
pub fn all_text(pdftotext: &Path, pdf: &Path) -> String {
    run(
        pdftotext,
        &[
            OsStr::new("-enc"),
            OsStr::new("UTF-8"),
            pdf.as_os_str(),
            OsStr::new("-"),
        ],
    )
}

/// The page count `pdfinfo` reports.
pub fn page_count(pdfinfo: &Path, pdf: &Path) -> usize {
    let info = run(pdfinfo, &[pdf.as_os_str()]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count in:\n{info}"))
}

/// Runs of whitespace as one space, so text can be compared across the
/// line breaks and column gaps a tool puts in.
pub fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A DOCX file converted to PDF by LibreOffice (`soffice`, with a
/// profile of its own): the folder holding it, and the PDF's path.
pub fn docx_as_pdf(soffice: &Path, docx: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a folder");
    let input = dir.path().join("document.docx");
    std::fs::write(&input, docx).expect("written");
    let profile = format!(
        "-env:UserInstallation=file://{}",
        dir.path().join("profile").display()
    );
    let out = Command::new(soffice)
        .arg(&profile)
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "pdf",
            "--outdir",
        ])
        .arg(dir.path())
        .arg(&input)
        .output()
        .expect("LibreOffice runs");
    let pdf = dir.path().join("document.pdf");
    assert!(
        out.status.success() && pdf.exists(),
        "LibreOffice could not convert the file: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (dir, pdf)
}

/// The text of a DOCX file as LibreOffice reads it.
pub fn docx_text(soffice: &Path, pdftotext: &Path, docx: &[u8]) -> String {
    let (_dir, pdf) = docx_as_pdf(soffice, docx);
    all_text(pdftotext, &pdf)
}

/// The text of a document as a reader sees it: poppler's for a PDF,
/// LibreOffice's then poppler's for a DOCX, the source of anything else;
/// `None` when a tool is missing (outside CI).
pub fn document_text(format: &str, bytes: &[u8]) -> Option<String> {
    match format {
        "pdf" => pdf_text(bytes),
        "docx" => match (tool("soffice", LIBREOFFICE), tool("pdftotext", POPPLER)) {
            (Some(soffice), Some(pdftotext)) => Some(docx_text(&soffice, &pdftotext, bytes)),
            _ => None,
        },
        _ => Some(String::from_utf8(bytes.to_vec()).expect("UTF-8")),
    }
}

/// The text poppler reads from PDF `bytes`; `None` without poppler (outside
/// CI).
pub fn pdf_text(bytes: &[u8]) -> Option<String> {
    let pdftotext = tool("pdftotext", POPPLER)?;
    let dir = tempfile::tempdir().expect("a folder");
    let path = dir.path().join("document.pdf");
    std::fs::write(&path, bytes).expect("written");
    Some(all_text(&pdftotext, &path))
}
