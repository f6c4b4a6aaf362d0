//! The `gen` binary: parse the command line, run, map the outcome to an exit code.

use clap::Parser;

// Every result is built on a lane's thread and freed on the sink's. glibc's malloc takes the
// owning arena's lock for such a free, so the two threads met on a futex for nearly every row;
// mimalloc hands a foreign free back to its owner without a lock.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    gen_core::run(gen_core::cli::Cli::parse().settle())
}
