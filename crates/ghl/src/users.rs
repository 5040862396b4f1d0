//! `ghl users create | list | grant | passwd | disable | enable`: the people who sign in to the
//! web inbox, written straight into the hub's database.

use std::io::BufRead;

use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use gohumanloop_hub::accounts::{self, Role, MIN_PASSWORD_LEN};
use gohumanloop_hub::store;

use crate::serve::DbArgs;

/// Subcommands of `ghl users`.
#[derive(Subcommand)]
pub enum UsersCommand {
    /// Make an account. Without `--password-stdin` a random password is made and printed once.
    Create(CreateArgs),
    /// List accounts with their roles and tenants.
    List(DbArgs),
    /// Let an account see a tenant's requests (created if new).
    Grant(GrantArgs),
    /// Set a new password (read from stdin, or made at random) and sign the account out.
    Passwd(PasswdArgs),
    /// Disable an account: it is signed out and cannot sign in.
    Disable(NameArgs),
    /// Enable a disabled account.
    Enable(NameArgs),
}

/// `--role`.
#[derive(Clone, Copy, ValueEnum)]
pub enum RoleArg {
    /// Sees and answers the requests of the tenants it is granted.
    Approver,
    /// Sees every tenant and manages API keys.
    Admin,
}

/// Arguments of `ghl users create`.
#[derive(Args)]
pub struct CreateArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The sign-in name (recorded as `responded_by` for this account's answers).
    name: String,
    /// What the account may do.
    #[arg(long, value_enum, default_value = "approver")]
    role: RoleArg,
    /// A tenant the account sees (repeat for several; admins see every tenant).
    #[arg(long = "tenant", value_name = "TENANT")]
    tenants: Vec<String>,
    /// Read the password from the first line of stdin instead of making one.
    #[arg(long)]
    password_stdin: bool,
}

/// Arguments of `ghl users grant`.
#[derive(Args)]
pub struct GrantArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The account.
    name: String,
    /// The tenant.
    #[arg(long)]
    tenant: String,
}

/// Arguments of `ghl users passwd`.
#[derive(Args)]
pub struct PasswdArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The account.
    name: String,
    /// Read the password from the first line of stdin instead of making one.
    #[arg(long)]
    password_stdin: bool,
}

/// An account name.
#[derive(Args)]
pub struct NameArgs {
    #[command(flatten)]
    db: DbArgs,
    /// The account.
    name: String,
}

/// The password to set: from stdin, or a random one (then printed).
fn password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if !from_stdin {
        return Ok((accounts::random_password(), true));
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    let password = line.trim_end_matches(['\r', '\n']).to_owned();
    if password.chars().count() < MIN_PASSWORD_LEN {
        bail!("the password must have at least {MIN_PASSWORD_LEN} characters");
    }
    Ok((password, false))
}

fn check_name(name: &str) -> anyhow::Result<()> {
    if name.trim().is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
        bail!("a name must be 1 to 64 characters with no control characters");
    }
    Ok(())
}

/// Runs a `ghl users` subcommand.
pub async fn run(command: UsersCommand) -> anyhow::Result<()> {
    match command {
        UsersCommand::Create(args) => {
            check_name(&args.name)?;
            let (password, made) = password(args.password_stdin)?;
            let role = match args.role {
                RoleArg::Approver => Role::Approver,
                RoleArg::Admin => Role::Admin,
            };
            let db = open(&args.db).await?;
            let hash = accounts::hash_password(&password)?;
            db.add_user(&args.name, &hash, role)
                .await
                .with_context(|| format!("cannot create '{}' (is the name taken?)", args.name))?;
            for tenant in &args.tenants {
                db.grant(&args.name, tenant).await?;
            }
            eprintln!(
                "{role} '{}' created{}",
                args.name,
                if args.tenants.is_empty() {
                    String::new()
                } else {
                    format!(" for tenant(s) {}", args.tenants.join(", "))
                }
            );
            if made {
                eprintln!("password (shown once):");
                println!("{password}");
            }
        }
        UsersCommand::List(db) => {
            let db = open(&db).await?;
            println!(
                "{:<4} {:<20} {:<9} {:<26} {:<9} TENANTS",
                "ID", "NAME", "ROLE", "CREATED", "STATE"
            );
            for u in db.users().await? {
                let tenants = match u.role {
                    Role::Admin => "(all)".to_owned(),
                    Role::Approver => u.tenants.join(","),
                };
                let state = if u.disabled_at.is_some() {
                    "disabled"
                } else {
                    "active"
                };
                println!(
                    "{:<4} {:<20} {:<9} {:<26} {:<9} {}",
                    u.id, u.name, u.role, u.created_at, state, tenants
                );
            }
        }
        UsersCommand::Grant(args) => {
            let db = open(&args.db).await?;
            if !db.grant(&args.name, &args.tenant).await? {
                bail!("no account named '{}'", args.name);
            }
            println!("'{}' now sees tenant '{}'", args.name, args.tenant);
        }
        UsersCommand::Passwd(args) => {
            let (password, made) = password(args.password_stdin)?;
            let db = open(&args.db).await?;
            if !db
                .set_password(&args.name, &accounts::hash_password(&password)?)
                .await?
            {
                bail!("no account named '{}'", args.name);
            }
            eprintln!("password of '{}' changed; its sessions ended", args.name);
            if made {
                println!("{password}");
            }
        }
        UsersCommand::Disable(args) => set_disabled(args, true).await?,
        UsersCommand::Enable(args) => set_disabled(args, false).await?,
    }
    Ok(())
}

async fn set_disabled(args: NameArgs, disabled: bool) -> anyhow::Result<()> {
    let db = open(&args.db).await?;
    if !db.set_disabled(&args.name, disabled).await? {
        bail!("no account named '{}'", args.name);
    }
    println!(
        "'{}' {}",
        args.name,
        if disabled { "disabled" } else { "enabled" }
    );
    Ok(())
}

async fn open(db: &DbArgs) -> anyhow::Result<std::sync::Arc<dyn store::Store>> {
    store::open(&db.url())
        .await
        .context("cannot open the database")
}
