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
    let db = store::open(&db.url())
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
