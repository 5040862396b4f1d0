//! `ghl completions SHELL`: prints a completion script generated from the CLI definition.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

/// Arguments of `ghl completions`.
#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

/// Writes the script for `args.shell` to stdout.
pub fn run(args: CompletionsArgs) -> anyhow::Result<()> {
    let mut command = crate::Cli::command();
    clap_complete::generate(args.shell, &mut command, "ghl", &mut std::io::stdout());
    Ok(())
}
