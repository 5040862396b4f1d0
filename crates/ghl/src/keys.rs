//! `ghl keys create | list | revoke`: API keys, written straight into the hub's database.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use gohumanloop_hub::{keys, store};

use crate::serve::DbArgs;

/// Subcommands of `ghl keys`.
#[derive(Subcommand)]
pub enum KeysCommand {
    /// Make a key; the key alone is printed on the last line (it is not shown again).
    Create(CreateArgs),
    /// List keys (their prefixes, never the keys).
    List(DbArgs),
    /// Revoke a key by id or prefix; it stops working within two seconds.
    Revoke(RevokeArgs),
}

/// Arguments of `ghl keys create`.
#[derive(Args)]
pub struct CreateArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The key's name: answers given with it are `responded_by` this name.
    #[arg(long, default_value = "default")]
    name: String,
    /// The tenant the key opens (created if new). Tenants never see each other's data.
    #[arg(long, default_value = "default")]
    tenant: String,
    /// Use this key instead of a random one (e.g. `gohumanloop`, the original examples' key).
    #[arg(long, value_name = "KEY")]
    key: Option<String>,
}

/// Arguments of `ghl keys revoke`.
#[derive(Args)]
pub struct RevokeArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The key's id or prefix, as `ghl keys list` shows them.
    key: String,
}

/// Runs a `ghl keys` subcommand.
pub async fn run(command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Create(args) => {
            let key = match args.key {
                Some(k) if k.trim().is_empty() || k.chars().any(char::is_whitespace) => {
                    bail!("a key must be non-empty and have no spaces")
                }
                Some(k) => k,
                None => keys::generate(),
            };
            let db = store::open(&args.db.url())
                .await
                .context("cannot open the database")?;
            let info = db
                .add_key(
                    &args.tenant,
                    &args.name,
                    &keys::prefix(&key),
                    &keys::hash(&key),
                )
                .await
                .context("cannot store the key (is it already in use?)")?;
            eprintln!(
                "key {} created for tenant '{}' (name '{}'); store it now, it is not shown again:",
                info.id, info.tenant, info.name
            );
            println!("{key}");
        }
        KeysCommand::List(db) => {
            let db = store::open(&db.url())
                .await
                .context("cannot open the database")?;
            println!(
                "{:<4} {:<16} {:<16} {:<14} {:<26} REVOKED",
                "ID", "TENANT", "NAME", "PREFIX", "CREATED"
            );
            for k in db.keys().await? {
                println!(
                    "{:<4} {:<16} {:<16} {:<14} {:<26} {}",
                    k.id,
                    k.tenant,
                    k.name,
                    k.prefix,
                    k.created_at,
                    k.revoked_at.as_deref().unwrap_or("-")
                );
            }
        }
        KeysCommand::Revoke(args) => {
            let db = store::open(&args.db.url())
                .await
                .context("cannot open the database")?;
            if !db.revoke_key(&args.key).await? {
                bail!("no live key has id or prefix '{}'", args.key);
            }
            println!("revoked {}", args.key);
        }
    }
    Ok(())
}
