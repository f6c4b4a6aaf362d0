//! The completion scripts committed in completions/ match what the CLI generates today.

use crate::support::{Workspace, repo_file};

#[test]
fn committed_completion_scripts_match_the_cli() {
    let ws = Workspace::new();
    for (shell, file) in [
        ("bash", "gen.bash"),
        ("zsh", "_gen"),
        ("fish", "gen.fish"),
        ("powershell", "_gen.ps1"),
        ("elvish", "gen.elv"),
    ] {
        let run = ws.run(&["completions", shell]);
        run.expect_code(0);
        let committed = std::fs::read_to_string(repo_file(&format!("completions/{file}")))
            .unwrap_or_else(|e| panic!("completions/{file}: {e}; run `just completions`"));
        assert!(
            committed == run.stdout,
            "completions/{file} is stale: run `just completions` (or `cargo run -- completions {shell} > completions/{file}`)"
        );
    }
}
