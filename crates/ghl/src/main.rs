//! `ghl`: the GoHumanLoop command line.
//!
//! - `ghl serve` runs the hub and its web inbox; `ghl keys create|list|revoke` manages its API
//!   keys; `ghl users create|list|grant|passwd|disable|enable` the inbox's accounts;
//!   `ghl audit verify` checks its audit log; `ghl db migrate` copies a SQLite hub into
//!   PostgreSQL.
//! - `ghl ask` asks a human (in this terminal or through a hub) and exits with the outcome:
//!   0 approved or answered, 1 rejected, 2 expired or cancelled, 3 error (usage errors included).
//! - `ghl inbox` lists what waits on a hub; `ghl respond` answers (0 recorded, 1 someone answered
//!   first, 3 error).
//! - `ghl completions bash|zsh|fish` and `ghl man` generate shell completions and man pages from
//!   this definition.

mod ask;
mod ask_hub;
mod audit;
mod bench;
mod client;
mod completions;
mod config;
mod db;
mod inbox;
mod keys;
mod man;
mod mcp;
mod mcp_local;
mod outcome;
mod respond;
mod serve;
mod serve_chat;
mod serve_email;
mod serve_mcp;
mod telemetry;
mod users;

use std::ffi::OsString;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// The hub allocates many small, short-lived objects on several threads; mimalloc handles that
/// with less contention than the system allocator (creates/s in the benchmark: see README).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Ask a human from the command line, and run the hub that keeps the questions.
#[derive(Parser)]
#[command(name = "ghl", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the hub: the original wire protocol, the answering API and event stream, on SQLite.
    Serve(Box<serve::ServeArgs>),
    /// Manage the hub's API keys (written straight into its database).
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Ask a human and exit with the outcome: 0 approved/answered, 1 rejected,
    /// 2 expired/cancelled, 3 error.
    Ask(ask::AskArgs),
    /// List the requests waiting for a human on a hub.
    Inbox(inbox::InboxArgs),
    /// Answer a request on a hub: 0 recorded, 1 someone answered first, 3 error.
    Respond(respond::RespondArgs),
    /// Manage the accounts that sign in to the web inbox (written straight into its database).
    #[command(subcommand)]
    Users(users::UsersCommand),
    /// Check the hub's hash-chained audit log.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Move the hub's data: `ghl db migrate` copies a SQLite hub into PostgreSQL.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Measure a running hub: answer → waiting agent latency, and many agents waiting at once.
    Bench(bench::BenchArgs),
    /// Serve MCP clients over stdio: ask-a-human tools, or (`ghl mcp gateway`) an approval
    /// gateway in front of another MCP server.
    Mcp(mcp::McpArgs),
    /// Print a shell completion script (bash, zsh or fish) on stdout.
    Completions(completions::CompletionsArgs),
    /// Print the man page of `ghl` on stdout, or write every page into a folder.
    Man(man::ManArgs),
}

impl Cli {
    /// Parses a command line, only to check it.
    fn try_parse_args(args: Vec<OsString>) -> Result<(), clap::Error> {
        Self::try_parse_from(args).map(drop)
    }
}

/// Prints a command-line error (or help) and gives the exit code.
fn clap_exit(e: clap::Error) -> i32 {
    let code = if e.use_stderr() { outcome::ERROR } else { 0 };
    let _ = e.print();
    code
}

/// The command line, with `ghl serve --config FILE`'s settings under its flags.
fn parse(args: Vec<OsString>) -> Result<Cli, i32> {
    let matches = Cli::command()
        .try_get_matches_from(&args)
        .map_err(clap_exit)?;
    let cli = Cli::from_arg_matches(&matches).map_err(clap_exit)?;
    let (Command::Serve(serve), Some(("serve", given))) = (&cli.command, matches.subcommand())
    else {
        return Ok(cli);
    };
    let Some(path) = serve.config.clone() else {
        return Ok(cli);
    };
    let file = config::load(&path, given).map_err(|problems| {
        for problem in problems {
            eprintln!("ghl: {problem}");
        }
        outcome::ERROR
    })?;
    let mut all = args;
    all.extend(file.arguments);
    let mut cli = Cli::try_parse_from(all).map_err(clap_exit)?;
    if let Command::Serve(serve) = &mut cli.command {
        serve.webhooks = file.webhooks;
        serve.chat = file.chat;
        serve.policy = file.policy;
    }
    Ok(cli)
}

fn main() {
    let cli = match parse(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(code) => std::process::exit(code),
    };
    let code = match cli.command {
        Command::Ask(args) => ask::run(args),
        Command::Serve(args) => {
            let threads = Threads::Workers(args.workers.map(usize::from));
            on_runtime(threads, || serve::run(*args), |()| 0)
        }
        Command::Keys(command) => on_runtime(Threads::One, || keys::run(command), |()| 0),
        Command::Users(command) => on_runtime(Threads::One, || users::run(command), |()| 0),
        Command::Inbox(args) => on_runtime(Threads::One, || inbox::run(args), |()| 0),
        Command::Respond(args) => on_runtime(
            Threads::One,
            || async { Ok(respond::run(args).await) },
            |c| c,
        ),
        Command::Bench(args) => on_runtime(Threads::Workers(None), || bench::run(args), |()| 0),
        Command::Audit(command) => on_runtime(
            Threads::One,
            || audit::run(command),
            |intact| i32::from(!intact),
        ),
        Command::Db(command) => on_runtime(Threads::One, || db::run(command), |ok| i32::from(!ok)),
        Command::Mcp(args) => on_runtime(Threads::Workers(Some(2)), || mcp::run(args), |()| 0),
        Command::Completions(args) => exit_code(completions::run(args)),
        Command::Man(args) => exit_code(man::run(args)),
    };
    // Exit at once: a terminal reader thread may still be blocked on stdin.
    std::process::exit(code);
}

/// Lets this process hold as many connections as the system allows (one per waiting agent).
fn raise_open_files_limit() {
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("ghl: cannot raise the open-files limit: {e}");
    }
}

/// The threads a command runs on.
enum Threads {
    /// The calling thread only.
    One,
    /// Worker threads (`None`: one per core).
    Workers(Option<usize>),
}

/// Runs `task` on a Tokio runtime and maps its result to an exit code; an error is printed
/// and exits with 3.
fn on_runtime<T, F, Fut>(threads: Threads, task: F, code: impl FnOnce(T) -> i32) -> i32
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    let runtime = match threads {
        Threads::One => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build(),
        Threads::Workers(n) => {
            let mut builder = tokio::runtime::Builder::new_multi_thread();
            if let Some(n) = n {
                builder.worker_threads(n);
            }
            builder.enable_all().build()
        }
    };
    let result = match runtime {
        Ok(rt) => rt.block_on(task()),
        Err(e) => Err(anyhow::anyhow!("cannot start the runtime: {e}")),
    };
    match result {
        Ok(value) => code(value),
        Err(e) => report_error(&e),
    }
}

/// 0 for `Ok`; an error is printed and gives 3.
fn exit_code(result: anyhow::Result<()>) -> i32 {
    match result {
        Ok(()) => 0,
        Err(e) => report_error(&e),
    }
}

/// Prints an error as a message (with its causes) and returns the error exit code.
fn report_error(e: &anyhow::Error) -> i32 {
    eprintln!("ghl: {e:#}");
    outcome::ERROR
}
