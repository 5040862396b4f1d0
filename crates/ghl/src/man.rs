//! `ghl man`: the man pages, generated from the CLI definition.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, CommandFactory};

/// Arguments of `ghl man`.
#[derive(Args)]
pub struct ManArgs {
    /// Write `ghl.1` and one page per subcommand (`ghl-serve.1`, …) into this folder instead of
    /// printing `ghl(1)` on stdout.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Prints `ghl(1)`, or writes every page into `--dir`.
pub fn run(args: ManArgs) -> anyhow::Result<()> {
    let command = crate::Cli::command();
    match args.dir {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(command, &dir)
                .with_context(|| format!("cannot write the man pages into {}", dir.display()))?;
            eprintln!("ghl man: pages written to {}", dir.display());
        }
        None => {
            let mut page = Vec::new();
            clap_mangen::Man::new(command).render(&mut page)?;
            std::io::stdout()
                .write_all(&page)
                .context("cannot write the man page")?;
        }
    }
    Ok(())
}
