//! `nightdesk check` on each kind of bad config, through the real binary:
//! every problem is `file:line:column: what is wrong` with how to fix it,
//! the exit code is 1, and the bundled config is clean (exit 0).

use std::path::Path;
use std::process::Command;

use super::helpers::copy_data;

/// Runs `check` on the bundled config with one edit to birchline.toml;
/// its exit code and output.
fn check_with(from: &str, to: &str) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    copy_data(dir.path());
    let toml = dir.path().join("businesses/birchline.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    if !from.is_empty() {
        assert!(
            text.contains(from),
            "the edit's anchor {from:?} is in the file"
        );
    }
    std::fs::write(&toml, text.replacen(from, to, 1)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_nightdesk"))
        .args(["check", "--config"])
        .arg(dir.path().join("businesses"))
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), text)
}

/// The line (1-based) of the first occurrence of `needle` after the edit.
fn line_of(from: &str, to: &str, needle: &str) -> usize {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("data/businesses/birchline.toml"),
    )
    .unwrap()
    .replacen(from, to, 1);
    let at = text.find(needle).unwrap();
    text[..at].matches('\n').count() + 1
}

#[test]
fn the_bundled_config_checks_clean() {
    let (code, out) = check_with("", "");
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("ok: 2 business(es) checked"), "{out}");
    // The one coverage alarm: Ahmed's number is a landline.
    assert!(
        out.contains("warning: Ahmed Yusuf cannot take texts"),
        "{out}"
    );
    assert_eq!(out.matches("Ahmed Yusuf").count(), 1, "said once: {out}");
}

#[test]
fn each_kind_of_bad_config_is_named_where_it_is() {
    // (edit from, edit to, the text the problem's line holds, what the
    // message says)
    let table: &[(&str, &str, &str, &str)] = &[
        (
            "weather_station = \"KMSP\"",
            "weather_station = \"KMSP\"\nwether = 1",
            "wether",
            "unknown field",
        ),
        (
            "timezone = \"America/Chicago\"",
            "timezone = \"America/Chicag\"",
            "America/Chicag",
            "America/Chicag",
        ),
        (
            "owner = { name = \"Karen Birch\", phone = \"+16125550101\" }",
            "owner = { name = \"Karen Birch\", phone = \"612-555-01\" }",
            "612-555-01",
            "phone",
        ),
        (
            "offered = [\"hvac\", \"plumbing\", \"electrical\"]",
            "offered = [\"hvac\", \"plumbing\", \"electrcal\"]",
            "electrcal",
            "electrcal",
        ),
        (
            "when = \"angry\"",
            "when = \"angry &&\"",
            "angry &&",
            "",
        ),
        (
            "when = \"angry\"",
            "when = \"angry_caller\"",
            "angry_caller",
            "angry_caller",
        ),
        (
            "order = [\"sam\", \"renee\"]",
            "order = []",
            "order = []",
            "",
        ),
        (
            "order = [\"sam\", \"renee\"]",
            "order = [\"sam\", \"rene\"]",
            "\"rene\"",
            "rene",
        ),
        (
            "[escalation]",
            "[[overrides]]\ntechnician = \"bob\"\nfrom = \"2026-02-01T07:00\"\nuntil = \"2026-02-02T07:00\"\n\n[escalation]",
            "\"bob\"",
            "bob",
        ),
        (
            "when = \"spam\"",
            "when = \"true\"",
            "name = \"angry\"",
            "route \"angry\" can never match",
        ),
        (
            "emergency_bar = 70",
            "emergency_bar = 700",
            "emergency_bar = 700",
            "can never be reached",
        ),
        (
            "[[technicians]]\nid = \"dana\"",
            "[booking.calendar]\nid = \"x\"\nkeyfile = \"k.json\"\n\n[[technicians]]\nid = \"dana\"",
            "keyfile",
            "unknown field",
        ),
    ];
    let mut failures = Vec::new();
    for &(from, to, at, says) in table {
        let (code, out) = check_with(from, to);
        let line = line_of(from, to, at);
        let wanted = format!("birchline.toml:{line}:");
        let problem = out
            .lines()
            .find(|l| l.contains(&wanted) && l.contains(says));
        if code != 1 || problem.is_none() {
            failures.push(format!(
                "{to:?}: exit {code}, wanted a problem at {wanted} saying {says:?}, got:\n{out}"
            ));
            continue;
        }
        // Each problem says how to fix it, on the line after.
        let lines: Vec<&str> = out.lines().collect();
        let i = lines.iter().position(|l| Some(*l) == problem).unwrap();
        let help = lines.get(i + 1).copied().unwrap_or("");
        if help.trim().is_empty() || help.contains("birchline.toml:") {
            failures.push(format!(
                "{to:?}: no help after {:?}:\n{out}",
                problem.unwrap()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_zip_that_does_not_exist_is_named_in_its_list() {
    let dir = tempfile::tempdir().unwrap();
    copy_data(dir.path());
    let list = dir.path().join("geo/msp-service-zips.txt");
    let mut text = std::fs::read_to_string(&list).unwrap();
    text.push_str("55999\n");
    std::fs::write(&list, &text).unwrap();
    let line = text.lines().count();
    let out = Command::new(env!("CARGO_BIN_EXE_nightdesk"))
        .args(["check", "--config"])
        .arg(dir.path().join("businesses"))
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{printed}");
    assert!(
        printed
            .lines()
            .any(|l| l.contains(&format!("msp-service-zips.txt:{line}:")) && l.contains("55999")),
        "{printed}"
    );
}

#[test]
fn a_week_with_nobody_on_call_at_night_is_a_warning_not_an_error() {
    let (code, out) = check_with(
        "order = [\"dana\", \"luis\", \"priya\"]",
        "order = [\"dana\", \"luis\", \"priya\"]\nhours = \"07:00-18:00\"",
    );
    assert_eq!(code, 0, "{out}");
    let gaps: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("birchline: warning: nobody is on call for hvac from "))
        .collect();
    // One night a day for the coming week (the first may have begun).
    assert!((7..=8).contains(&gaps.len()), "{out}");
    assert!(
        gaps[1].contains(" 18:00 to ") && gaps[1].ends_with(" 07:00"),
        "{}",
        gaps[1]
    );
}
