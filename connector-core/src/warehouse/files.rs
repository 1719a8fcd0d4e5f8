//! The local run's files: `files/warehouse.db` and `files/state.json` (or the `--state` file),
//! and the atomic rewrite of the state after each committed checkpoint.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// Where the local run keeps its warehouse and its state.
#[derive(Debug, Clone)]
pub struct Files {
    /// The folder (`files/` by default).
    pub dir: PathBuf,
    /// The DuckDB file, `<dir>/warehouse.db`.
    pub warehouse: PathBuf,
    /// The state file, `<dir>/state.json` unless `--state` names another.
    pub state: PathBuf,
    /// Whether `state` was named with `--state` (it must then exist).
    pub state_given: bool,
}

impl Files {
    /// The layout under `dir`, with the state in `dir/state.json` unless `state` names another.
    pub fn new(dir: &Path, state: Option<&Path>) -> Files {
        Files {
            dir: dir.to_path_buf(),
            warehouse: dir.join("warehouse.db"),
            state: state.map_or_else(|| dir.join("state.json"), Path::to_path_buf),
            state_given: state.is_some(),
        }
    }

    /// The state to start from: the state file, or `{}` when the default one is absent.
    pub fn read_state(&self) -> anyhow::Result<String> {
        match std::fs::read_to_string(&self.state) {
            Ok(text) => {
                let value: serde_json::Value = serde_json::from_str(&text).with_context(|| {
                    format!("the state file {} is not JSON", self.state.display())
                })?;
                if !value.is_object() {
                    bail!(
                        "the state file {} must hold a JSON object",
                        self.state.display()
                    );
                }
                Ok(value.to_string())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !self.state_given => {
                Ok("{}".to_string())
            }
            Err(e) => Err(e)
                .with_context(|| format!("cannot read the state file {}", self.state.display())),
        }
    }

    /// Replaces the state file with `state_json` (compact JSON): written to a temporary file,
    /// synced, then renamed over the old one, so a reader sees the old state or the new one.
    pub fn write_state(&self, state_json: &str) -> anyhow::Result<()> {
        let dir = self
            .state
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let temporary = self.state.with_extension("json.tmp");
        let mut file = std::fs::File::create(&temporary)
            .with_context(|| format!("cannot write {}", temporary.display()))?;
        crate::crash::point("state-temp-created");
        file.write_all(state_json.as_bytes())?;
        file.sync_all()?;
        crate::crash::point("state-temp-synced");
        std::fs::rename(&temporary, &self.state)
            .with_context(|| format!("cannot replace the state file {}", self.state.display()))?;
        crate::crash::point("state-renamed");
        Ok(())
    }
}
