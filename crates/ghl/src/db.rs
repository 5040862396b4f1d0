//! `ghl db migrate`: copies a SQLite hub's data into an empty PostgreSQL database.

use clap::{Args, Subcommand};

/// Subcommands of `ghl db`.
#[derive(Subcommand)]
pub enum DbCommand {
    /// Copy a SQLite hub (keys, accounts, sessions, requests, the audit log, tasks,
    /// deliveries) into an empty PostgreSQL database, then verify the copy (exit 0 done, 1 not).
    Migrate(MigrateArgs),
}

/// Arguments of `ghl db migrate`.
#[derive(Args)]
pub struct MigrateArgs {
    /// The hub's SQLite database (`sqlite://PATH` or a plain path); only read. Stop the hub
    /// first: what it writes later is not copied.
    #[arg(long, value_name = "URL")]
    from: String,
    /// The PostgreSQL database to copy into (`postgres://…`): its schema is created, and it
    /// must hold no data.
    #[arg(long, value_name = "URL")]
    to: String,
}

/// Runs a `ghl db` subcommand; returns whether it succeeded (failures are printed here).
pub async fn run(command: DbCommand) -> anyhow::Result<bool> {
    let DbCommand::Migrate(args) = command;
    let from = if args.from.contains(':') {
        args.from
    } else {
        format!("sqlite://{}", args.from)
    };
    Ok(migrate(&from, &args.to).await)
}

#[cfg(feature = "postgres")]
async fn migrate(from: &str, to: &str) -> bool {
    use gohumanloop_hub::audit::ChainCheck;
    use gohumanloop_hub::store::{copy, redacted};

    let (shown_from, shown_to) = (redacted(from), redacted(to));
    eprintln!("ghl: copying {shown_from} into {shown_to}");
    let report = match copy::copy(from, to).await {
        Ok(report) => report,
        Err(e) => {
            eprintln!("ghl: cannot copy {shown_from} into {shown_to}: {e}");
            return false;
        }
    };
    let width = report
        .tables
        .iter()
        .map(|(t, _)| t.len())
        .max()
        .unwrap_or(0);
    for (table, rows) in &report.tables {
        let unit = if *rows == 1 { "row" } else { "rows" };
        println!("{table:<width$}  {rows} {unit}");
    }
    match &report.source_audit {
        ChainCheck::Intact(n) => {
            println!("audit log intact: {n} entries");
            eprintln!("ghl: done: start the hub with --db {shown_to}");
            true
        }
        ChainCheck::Broken { seq, reason } => {
            println!("audit log BROKEN at entry {seq}: {reason}");
            eprintln!(
                "ghl: the source's audit log was already broken; it was copied as it is (the \
                 copy's chain breaks at the same entry, see `ghl audit verify --db …`)"
            );
            false
        }
    }
}

#[cfg(not(feature = "postgres"))]
async fn migrate(_from: &str, _to: &str) -> bool {
    eprintln!("ghl: this ghl was built without PostgreSQL (the `postgres` feature)");
    false
}
