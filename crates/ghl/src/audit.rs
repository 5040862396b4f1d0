//! `ghl audit verify`: checks the audit log's hash chain.

use anyhow::Context;
use clap::Subcommand;
use gohumanloop_hub::audit::ChainCheck;
use gohumanloop_hub::store;

use crate::serve::DbArgs;

/// Subcommands of `ghl audit`.
#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check that no entry was changed, removed or reordered (exit 0 intact, 1 broken).
    Verify(DbArgs),
}

/// Runs a `ghl audit` subcommand; returns whether the log is intact.
pub async fn run(command: AuditCommand) -> anyhow::Result<bool> {
    let AuditCommand::Verify(db) = command;
    let url = db.url();
    // Opening a SQLite file makes it when it is missing: a mistyped path would be "intact".
    if let Some(path) = sqlite_file(&url) {
        anyhow::ensure!(
            std::path::Path::new(path).exists(),
            "cannot open the database: there is no file {path}"
        );
    }
    let db = store::open(&url)
        .await
        .context("cannot open the database")?;
    match db.verify_audit().await? {
        ChainCheck::Intact(n) => {
            println!("audit log intact: {n} entries");
            Ok(true)
        }
        ChainCheck::Broken { seq, reason } => {
            println!("audit log BROKEN at entry {seq}: {reason}");
            Ok(false)
        }
    }
}

/// The file of a `sqlite://PATH` URL (without its `?options`), unless it is in memory.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then_some(path)
}

#[cfg(test)]
mod tests {
    use super::sqlite_file;

    #[test]
    fn the_file_of_a_sqlite_url() {
        assert_eq!(sqlite_file("sqlite:///tmp/a.db"), Some("/tmp/a.db"));
        assert_eq!(sqlite_file("sqlite://ghl.db?mode=ro"), Some("ghl.db"));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://h/db"), None);
    }
}
