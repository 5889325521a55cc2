//! The dispatch log: one receipt version a line, as JSON, under the data
//! folder. A write first looks for the version's id, so a retry after a
//! crash never writes a line twice.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// The JSON Lines dispatch log.
#[derive(Debug, Clone)]
pub struct DispatchLog {
    path: PathBuf,
}

use super::Error;

impl DispatchLog {
    pub fn new(dir: &Path) -> DispatchLog {
        DispatchLog {
            path: dir.join("dispatch-log.jsonl"),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends the receipt unless a line with its id is already there.
    ///
    /// # Errors
    ///
    /// When the file cannot be read or written; the job retries.
    pub fn write(&self, receipt_id: &str, json: &str) -> Result<bool, Error> {
        let io = |source| Error::io(&self.path, source);
        let _held = super::local_file_lock();
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let needle = format!("\"receipt_id\":\"{receipt_id}\"");
        if let Ok(file) = std::fs::File::open(&self.path) {
            for line in std::io::BufReader::new(file).lines() {
                if line.map_err(io)?.contains(&needle) {
                    return Ok(false);
                }
            }
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        // One write of the whole line: with O_APPEND it lands in one piece.
        file.write_all(format!("{json}\n").as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_each_receipt_version_once() {
        let dir = tempfile::tempdir().unwrap();
        let log = DispatchLog::new(dir.path());
        let line = r#"{"receipt_id":"c_1:1","lane":"booking"}"#;
        assert!(log.write("c_1:1", line).unwrap());
        assert!(!log.write("c_1:1", line).unwrap());
        assert!(log.write("c_1:2", r#"{"receipt_id":"c_1:2"}"#).unwrap());
        assert_eq!(
            std::fs::read_to_string(log.path()).unwrap().lines().count(),
            2
        );
    }
}
