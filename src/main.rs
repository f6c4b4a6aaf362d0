//! The `gen` binary: parse the command line, run, map the outcome to an exit code.

use clap::Parser;

fn main() -> std::process::ExitCode {
    gen_core::run(gen_core::cli::Cli::parse().settle())
}
