# Recipes for working on gen. `just ci` runs exactly what CI runs (.ci/run).

# Formatting, lints and tests, as CI runs them.
ci:
    bash .ci/run

# The test suite.
test:
    cargo test --locked

# Throughput, memory, rate-limit and cost benchmarks (prints figures).
bench:
    cargo bench --bench throughput
    cargo bench --bench providers
    cargo bench --bench adaptive
    cargo bench --bench reasoning
    cargo bench --bench workbook

# Regenerate the committed shell completion scripts.
completions:
    cargo build --quiet
    ./target/debug/gen completions bash > completions/gen.bash
    ./target/debug/gen completions zsh > completions/_gen
    ./target/debug/gen completions fish > completions/gen.fish
    ./target/debug/gen completions powershell > completions/_gen.ps1
    ./target/debug/gen completions elvish > completions/gen.elv
