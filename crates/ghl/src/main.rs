//! `ghl`: the GoHumanLoop command line.
//!
//! Exit codes of `ghl ask` (scripts rely on them): 0 approved or answered, 1 rejected,
//! 2 expired or cancelled, 3 error (a usage error included).

#![warn(missing_docs)]

mod ask;
mod outcome;

use clap::{Parser, Subcommand};

/// Ask a human from the command line: approvals, information, conversations.
#[derive(Parser)]
#[command(name = "ghl", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Ask a human and exit with the outcome: 0 approved/answered, 1 rejected,
    /// 2 expired/cancelled, 3 error.
    Ask(ask::AskArgs),
}

fn main() {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { outcome::ERROR } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    let code = match cli.command {
        Command::Ask(args) => ask::run(args),
    };
    // Exit at once: a terminal reader thread may still be blocked on stdin.
    std::process::exit(code);
}
