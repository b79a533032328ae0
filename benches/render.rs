//! Rendering benchmark: the proposal fixture (tests/fixtures/proposal.md and
//! its data) to PDF, DOCX and HTML, in process and as a whole `dealdraft render`
//! process. `cargo bench --bench render` measures; under `cargo test` it
//! renders once as a smoke test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use dealdraft::document::Assets;
use dealdraft::pipeline::{Job, run};
use dealdraft::render::Format;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn render(source: &str, data: &serde_json::Value, format: Format) -> usize {
    let produced = run(Job {
        name: "proposal.md",
        source,
        data: Some(data),
        theme: None,
        format,
        assets: Assets::default(),
        strict: true,
    })
    .expect("the fixture renders");
    produced.bytes.len()
}

/// Median, 95th percentile and minimum.
fn summary(mut times: Vec<Duration>) -> (Duration, Duration, Duration) {
    times.sort();
    let median = times[times.len() / 2];
    let p95 = times[(times.len() * 95 / 100).min(times.len() - 1)];
    (median, p95, times[0])
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn main() {
    let source = std::fs::read_to_string(fixture("proposal.md")).expect("fixture");
    let data: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("proposal.json")).expect("data"))
            .expect("json");
    let measuring = std::env::args().any(|a| a == "--bench");
    if !measuring {
        assert!(render(&source, &data, Format::Pdf) > 0);
        assert!(render(&source, &data, Format::Docx) > 0);
        return;
    }
    for (label, format) in [
        ("PDF", Format::Pdf),
        ("DOCX", Format::Docx),
        ("HTML", Format::Html),
    ] {
        // The first render parses the fonts; the rest is what a server sees.
        let first = Instant::now();
        let size = render(&source, &data, format);
        let first = first.elapsed();
        let times: Vec<Duration> = (0..50)
            .map(|_| {
                let start = Instant::now();
                render(&source, &data, format);
                start.elapsed()
            })
            .collect();
        let (median, p95, min) = summary(times);
        println!(
            "in-process {label}: first {}, then median {}, p95 {}, min {} ({size} bytes)",
            ms(first),
            ms(median),
            ms(p95),
            ms(min)
        );
    }
    let binary = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/dealdraft");
    if !binary.exists() {
        println!("whole process: build it first with `cargo build --release`");
        return;
    }
    let out = std::env::temp_dir().join("dealdraft-bench.pdf");
    let mut times = Vec::new();
    let mut peak_kb = 0u64;
    for _ in 0..20 {
        let start = Instant::now();
        let status = Command::new("/usr/bin/time")
            .args(["-f", "%M"])
            .arg(&binary)
            .arg("render")
            .arg(fixture("proposal.md"))
            .arg("--data")
            .arg(fixture("proposal.json"))
            .args(["--format", "pdf", "-o"])
            .arg(&out)
            .output()
            .expect("/usr/bin/time runs (Debian package `time`)");
        times.push(start.elapsed());
        let stderr = String::from_utf8_lossy(&status.stderr);
        if let Some(kb) = stderr
            .lines()
            .last()
            .and_then(|l| l.trim().parse::<u64>().ok())
        {
            peak_kb = peak_kb.max(kb);
        }
        assert!(status.status.success(), "{stderr}");
    }
    let (median, p95, min) = summary(times);
    println!(
        "whole process `dealdraft render --format pdf`: median {}, p95 {}, min {}, peak memory {:.1} MB",
        ms(median),
        ms(p95),
        ms(min),
        peak_kb as f64 / 1024.0
    );
}
