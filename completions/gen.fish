# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_gen_global_optspecs
    string join \n v/verbose h/help V/version
end

function __fish_gen_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_gen_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_gen_using_subcommand
    set -l cmd (__fish_gen_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c gen -n "__fish_gen_needs_command" -s v -l verbose -d 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
complete -c gen -n "__fish_gen_needs_command" -s h -l help -d 'Print help'
complete -c gen -n "__fish_gen_needs_command" -s V -l version -d 'Print version'
complete -c gen -n "__fish_gen_needs_command" -f -a "seo" -d 'SEO metadata per row: JSON {title, meta_description, slug}, validated'
complete -c gen -n "__fish_gen_needs_command" -f -a "outline" -d 'A markdown article outline per row (at least three `##` sections)'
complete -c gen -n "__fish_gen_needs_command" -f -a "draft" -d 'A full article per row: research, outline, draft, humanize and optional images'
complete -c gen -n "__fish_gen_needs_command" -f -a "run" -d 'Any task per row: a built-in one, a profile\'s [tasks.NAME], or a one-off from --schema or --format with --template or --prompt'
complete -c gen -n "__fish_gen_needs_command" -f -a "tasks" -d 'The tasks a profile can run (built-in and its own), with their output fields'
complete -c gen -n "__fish_gen_needs_command" -f -a "batch" -d 'Provider Batch APIs (about half the price, minutes to 24 h): submit, status, fetch, cancel, list, run'
complete -c gen -n "__fish_gen_needs_command" -f -a "models" -d 'The known models of each provider, with prices where known; --live asks the providers'
complete -c gen -n "__fish_gen_needs_command" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c gen -n "__fish_gen_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gen -n "__fish_gen_using_subcommand seo" -l pool -d 'Lanes as NAME=WEIGHT,... where NAME is a provider, a model id or PROVIDER:MODEL and weight = lanes; a NAME without a weight gets automatic lanes' -r
complete -c gen -n "__fish_gen_using_subcommand seo" -l profile -d 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path' -r
complete -c gen -n "__fish_gen_using_subcommand seo" -s o -l out -d 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]' -r
complete -c gen -n "__fish_gen_using_subcommand seo" -l failed -d 'Failed-rows manifest, in the input\'s format plus error columns. [default: <out stem>.failed.<input ext>]' -r -F
complete -c gen -n "__fish_gen_using_subcommand seo" -l id-column -d 'Column holding the row id [default: `id` when present, else the 1-based row number]' -r
complete -c gen -n "__fish_gen_using_subcommand seo" -l template -d 'Prompt template (minijinja) over the row\'s columns, replacing the built-in one' -r -F
complete -c gen -n "__fish_gen_using_subcommand seo" -l subject-column -d 'The column the built-in templates write about [default: `keyword`, in any case, or the profile\'s `subject_column`]' -r
complete -c gen -n "__fish_gen_using_subcommand seo" -l input-format -d 'Read the input as this format whatever its extension' -r -f -a "csv\t''
jsonl\t''"
complete -c gen -n "__fish_gen_using_subcommand seo" -l delimiter -d 'CSV field delimiter: `,` `;` `tab` (or `\\t`) or `|` [default: tab for .tsv, else sniffed from the header line]' -r
complete -c gen -n "__fish_gen_using_subcommand seo" -l encoding -d 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark\'s]' -r
complete -c gen -n "__fish_gen_using_subcommand seo" -l sheet -d 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]' -r
complete -c gen -n "__fish_gen_using_subcommand seo" -l max-attempts -d 'Attempts per row before it goes to the manifest (rate-limit answers do not count) [default: 5]' -r
complete -c gen -n "__fish_gen_using_subcommand seo" -l max-cost -d 'Stop dispatching once spend plus the estimate of requests in flight would pass USD (every model the run sends to, a draft\'s research and image models included, needs a known price); with --batch, submit nothing when the estimate at batch prices passes it' -r
complete -c gen -n "__fish_gen_using_subcommand seo" -l max-inflight -d 'At most N requests in flight over the whole run (bounds automatic lanes)' -r
complete -c gen -n "__fish_gen_using_subcommand seo" -l reasoning -d 'How much the models reason before answering, for every task and provider of the run, mapped to each model\'s nearest accepted value: off, low, medium or high [default: each task\'s own (off for seo and outline), or the profile\'s]' -r
complete -c gen -n "__fish_gen_using_subcommand seo" -l timeout -d 'Timeout of one request, e.g. 90s or 2m [default: the profile\'s, else 120s]' -r
complete -c gen -n "__fish_gen_using_subcommand seo" -l connect-timeout -d 'How long setting up a connection to a provider may take (TCP, a proxy\'s tunnel, TLS)' -r
complete -c gen -n "__fish_gen_using_subcommand seo" -l log -d 'Append a JSON line per request sent (row, attempt, provider, model, key label, status, outcome, latency, tokens, cost) to FILE' -r -F
complete -c gen -n "__fish_gen_using_subcommand seo" -l progress -d 'Progress on stderr: auto is the live display on a terminal, a plain line every 30 s off one [default: auto]' -r -f -a "auto\t'A live display on a terminal, nothing otherwise'
bar\t'The live display even when stderr is not a terminal'
plain\t'A status line every --progress-interval, for CI logs'
json\t'A JSON object per line every --progress-interval, for machines'
none\t'Only the final summary'"
complete -c gen -n "__fish_gen_using_subcommand seo" -l progress-interval -d 'How often plain and json progress lines are written [default: 5s]' -r
complete -c gen -n "__fish_gen_using_subcommand seo" -l batch -d 'Run as a provider batch job instead (about half the price, minutes to 24 h): gemini, openai, anthropic or mock, optionally PROVIDER:MODEL; the same as `gen batch run --task TASK --provider PROVIDER`' -r
complete -c gen -n "__fish_gen_using_subcommand seo" -l poll -d 'With --batch: how often to ask the provider whether the job is done' -r
complete -c gen -n "__fish_gen_using_subcommand seo" -l state-dir -d 'With --batch: where job state files live [default: $XDG_DATA_HOME/gen/batches]' -r -F
complete -c gen -n "__fish_gen_using_subcommand seo" -l no-profile -d 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)'
complete -c gen -n "__fish_gen_using_subcommand seo" -l resume -d 'Skip rows whose id already has a result in --out and append the rest'
complete -c gen -n "__fish_gen_using_subcommand seo" -l force -d 'Overwrite an existing results file and manifest'
complete -c gen -n "__fish_gen_using_subcommand seo" -l keep-order -d 'Write results in input order; at most 2,048 finished rows wait behind an unfinished one, then lanes take no new rows until it is written'
complete -c gen -n "__fish_gen_using_subcommand seo" -l bom -d 'Start CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact'
complete -c gen -n "__fish_gen_using_subcommand seo" -l dry-run -d 'Show the lanes, the first prompt, the row count, estimated tokens and cost, and the keys the run needs; send nothing (no key needed)'
complete -c gen -n "__fish_gen_using_subcommand seo" -s v -l verbose -d 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
complete -c gen -n "__fish_gen_using_subcommand seo" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gen -n "__fish_gen_using_subcommand seo" -s V -l version -d 'Print version'
complete -c gen -n "__fish_gen_using_subcommand outline" -l pool -d 'Lanes as NAME=WEIGHT,... where NAME is a provider, a model id or PROVIDER:MODEL and weight = lanes; a NAME without a weight gets automatic lanes' -r
complete -c gen -n "__fish_gen_using_subcommand outline" -l profile -d 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path' -r
complete -c gen -n "__fish_gen_using_subcommand outline" -s o -l out -d 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]' -r
complete -c gen -n "__fish_gen_using_subcommand outline" -l failed -d 'Failed-rows manifest, in the input\'s format plus error columns. [default: <out stem>.failed.<input ext>]' -r -F
complete -c gen -n "__fish_gen_using_subcommand outline" -l id-column -d 'Column holding the row id [default: `id` when present, else the 1-based row number]' -r
complete -c gen -n "__fish_gen_using_subcommand outline" -l template -d 'Prompt template (minijinja) over the row\'s columns, replacing the built-in one' -r -F
complete -c gen -n "__fish_gen_using_subcommand outline" -l subject-column -d 'The column the built-in templates write about [default: `keyword`, in any case, or the profile\'s `subject_column`]' -r
complete -c gen -n "__fish_gen_using_subcommand outline" -l input-format -d 'Read the input as this format whatever its extension' -r -f -a "csv\t''
jsonl\t''"
complete -c gen -n "__fish_gen_using_subcommand outline" -l delimiter -d 'CSV field delimiter: `,` `;` `tab` (or `\\t`) or `|` [default: tab for .tsv, else sniffed from the header line]' -r
complete -c gen -n "__fish_gen_using_subcommand outline" -l encoding -d 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark\'s]' -r
complete -c gen -n "__fish_gen_using_subcommand outline" -l sheet -d 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]' -r
complete -c gen -n "__fish_gen_using_subcommand outline" -l max-attempts -d 'Attempts per row before it goes to the manifest (rate-limit answers do not count) [default: 5]' -r
complete -c gen -n "__fish_gen_using_subcommand outline" -l max-cost -d 'Stop dispatching once spend plus the estimate of requests in flight would pass USD (every model the run sends to, a draft\'s research and image models included, needs a known price); with --batch, submit nothing when the estimate at batch prices passes it' -r
complete -c gen -n "__fish_gen_using_subcommand outline" -l max-inflight -d 'At most N requests in flight over the whole run (bounds automatic lanes)' -r
complete -c gen -n "__fish_gen_using_subcommand outline" -l reasoning -d 'How much the models reason before answering, for every task and provider of the run, mapped to each model\'s nearest accepted value: off, low, medium or high [default: each task\'s own (off for seo and outline), or the profile\'s]' -r
complete -c gen -n "__fish_gen_using_subcommand outline" -l timeout -d 'Timeout of one request, e.g. 90s or 2m [default: the profile\'s, else 120s]' -r
complete -c gen -n "__fish_gen_using_subcommand outline" -l connect-timeout -d 'How long setting up a connection to a provider may take (TCP, a proxy\'s tunnel, TLS)' -r
complete -c gen -n "__fish_gen_using_subcommand outline" -l log -d 'Append a JSON line per request sent (row, attempt, provider, model, key label, status, outcome, latency, tokens, cost) to FILE' -r -F
complete -c gen -n "__fish_gen_using_subcommand outline" -l progress -d 'Progress on stderr: auto is the live display on a terminal, a plain line every 30 s off one [default: auto]' -r -f -a "auto\t'A live display on a terminal, nothing otherwise'
bar\t'The live display even when stderr is not a terminal'
plain\t'A status line every --progress-interval, for CI logs'
json\t'A JSON object per line every --progress-interval, for machines'
none\t'Only the final summary'"
complete -c gen -n "__fish_gen_using_subcommand outline" -l progress-interval -d 'How often plain and json progress lines are written [default: 5s]' -r
complete -c gen -n "__fish_gen_using_subcommand outline" -l batch -d 'Run as a provider batch job instead (about half the price, minutes to 24 h): gemini, openai, anthropic or mock, optionally PROVIDER:MODEL; the same as `gen batch run --task TASK --provider PROVIDER`' -r
complete -c gen -n "__fish_gen_using_subcommand outline" -l poll -d 'With --batch: how often to ask the provider whether the job is done' -r
complete -c gen -n "__fish_gen_using_subcommand outline" -l state-dir -d 'With --batch: where job state files live [default: $XDG_DATA_HOME/gen/batches]' -r -F
complete -c gen -n "__fish_gen_using_subcommand outline" -l no-profile -d 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)'
complete -c gen -n "__fish_gen_using_subcommand outline" -l resume -d 'Skip rows whose id already has a result in --out and append the rest'
complete -c gen -n "__fish_gen_using_subcommand outline" -l force -d 'Overwrite an existing results file and manifest'
complete -c gen -n "__fish_gen_using_subcommand outline" -l keep-order -d 'Write results in input order; at most 2,048 finished rows wait behind an unfinished one, then lanes take no new rows until it is written'
complete -c gen -n "__fish_gen_using_subcommand outline" -l bom -d 'Start CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact'
complete -c gen -n "__fish_gen_using_subcommand outline" -l dry-run -d 'Show the lanes, the first prompt, the row count, estimated tokens and cost, and the keys the run needs; send nothing (no key needed)'
complete -c gen -n "__fish_gen_using_subcommand outline" -s v -l verbose -d 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
complete -c gen -n "__fish_gen_using_subcommand outline" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gen -n "__fish_gen_using_subcommand outline" -s V -l version -d 'Print version'
complete -c gen -n "__fish_gen_using_subcommand draft" -l pool -d 'Lanes as NAME=WEIGHT,... where NAME is a provider, a model id or PROVIDER:MODEL and weight = lanes; a NAME without a weight gets automatic lanes' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l profile -d 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -s o -l out -d 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l failed -d 'Failed-rows manifest, in the input\'s format plus error columns. [default: <out stem>.failed.<input ext>]' -r -F
complete -c gen -n "__fish_gen_using_subcommand draft" -l id-column -d 'Column holding the row id [default: `id` when present, else the 1-based row number]' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l template -d 'Prompt template (minijinja) over the row\'s columns, replacing the built-in one' -r -F
complete -c gen -n "__fish_gen_using_subcommand draft" -l subject-column -d 'The column the built-in templates write about [default: `keyword`, in any case, or the profile\'s `subject_column`]' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l input-format -d 'Read the input as this format whatever its extension' -r -f -a "csv\t''
jsonl\t''"
complete -c gen -n "__fish_gen_using_subcommand draft" -l delimiter -d 'CSV field delimiter: `,` `;` `tab` (or `\\t`) or `|` [default: tab for .tsv, else sniffed from the header line]' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l encoding -d 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark\'s]' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l sheet -d 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l max-attempts -d 'Attempts per row before it goes to the manifest (rate-limit answers do not count) [default: 5]' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l max-cost -d 'Stop dispatching once spend plus the estimate of requests in flight would pass USD (every model the run sends to, a draft\'s research and image models included, needs a known price); with --batch, submit nothing when the estimate at batch prices passes it' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l max-inflight -d 'At most N requests in flight over the whole run (bounds automatic lanes)' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l reasoning -d 'How much the models reason before answering, for every task and provider of the run, mapped to each model\'s nearest accepted value: off, low, medium or high [default: each task\'s own (off for seo and outline), or the profile\'s]' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l timeout -d 'Timeout of one request, e.g. 90s or 2m [default: the profile\'s, else 120s]' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l connect-timeout -d 'How long setting up a connection to a provider may take (TCP, a proxy\'s tunnel, TLS)' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l log -d 'Append a JSON line per request sent (row, attempt, provider, model, key label, status, outcome, latency, tokens, cost) to FILE' -r -F
complete -c gen -n "__fish_gen_using_subcommand draft" -l progress -d 'Progress on stderr: auto is the live display on a terminal, a plain line every 30 s off one [default: auto]' -r -f -a "auto\t'A live display on a terminal, nothing otherwise'
bar\t'The live display even when stderr is not a terminal'
plain\t'A status line every --progress-interval, for CI logs'
json\t'A JSON object per line every --progress-interval, for machines'
none\t'Only the final summary'"
complete -c gen -n "__fish_gen_using_subcommand draft" -l progress-interval -d 'How often plain and json progress lines are written [default: 5s]' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l research -d 'Provider (and model) for the research stage [default: each lane\'s own provider]' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l stages -d 'Stages to run, comma-separated: research, outline, draft, humanize, images' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l skip -d 'Stages to leave out, comma-separated' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l images -d 'Pictures per article, drawn by --image-model [default: 0]' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l image-model -d 'Provider (and model) that draws pictures [default: gemini:gemini-2.5-flash-image; the mock when the pool has only mock providers]' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l assets -d 'Where pictures are saved as <row id>-<n>.png [default: <out stem>.assets]' -r -F
complete -c gen -n "__fish_gen_using_subcommand draft" -l articles-dir -d 'Also write each article as <slug>.md with YAML front matter into DIR' -r -F
complete -c gen -n "__fish_gen_using_subcommand draft" -l words -d 'Target length in words (a `words` column wins) [default: the profile\'s, else 1200]' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l audience -d 'Who the articles are for (an `audience` column wins)' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l tone -d 'The voice to write in (a `tone` column wins)' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l stage-template -d 'A stage\'s prompt template, replacing the built-in one; repeatable' -r
complete -c gen -n "__fish_gen_using_subcommand draft" -l no-profile -d 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)'
complete -c gen -n "__fish_gen_using_subcommand draft" -l resume -d 'Skip rows whose id already has a result in --out and append the rest'
complete -c gen -n "__fish_gen_using_subcommand draft" -l force -d 'Overwrite an existing results file and manifest'
complete -c gen -n "__fish_gen_using_subcommand draft" -l keep-order -d 'Write results in input order; at most 2,048 finished rows wait behind an unfinished one, then lanes take no new rows until it is written'
complete -c gen -n "__fish_gen_using_subcommand draft" -l bom -d 'Start CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact'
complete -c gen -n "__fish_gen_using_subcommand draft" -l dry-run -d 'Show the lanes, the first prompt, the row count, estimated tokens and cost, and the keys the run needs; send nothing (no key needed)'
complete -c gen -n "__fish_gen_using_subcommand draft" -s y -l yes -d 'Go on without asking when the pool spans several providers (articles will differ in voice)'
complete -c gen -n "__fish_gen_using_subcommand draft" -s v -l verbose -d 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
complete -c gen -n "__fish_gen_using_subcommand draft" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gen -n "__fish_gen_using_subcommand draft" -s V -l version -d 'Print version'
complete -c gen -n "__fish_gen_using_subcommand run" -l schema -d 'The answer is a JSON object matching this JSON Schema file; its top-level properties are the result columns. With --template FILE or --prompt TEXT' -r -F
complete -c gen -n "__fish_gen_using_subcommand run" -l format -d 'The answer is markdown or plain text, in the column --field (default: text)' -r -f -a "markdown\t''
text\t''"
complete -c gen -n "__fish_gen_using_subcommand run" -l prompt -d 'The user prompt, inline (a minijinja template over the row\'s columns)' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l system -d 'The system prompt' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l field -d 'A text answer\'s result column' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l min-words -d 'A text answer\'s fewest words' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l max-words -d 'A text answer\'s most words' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l min-headings -d 'A text answer\'s fewest `##` headings' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l answer-tokens -d 'The answer\'s output budget in tokens (room for reasoning is added per model)' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l pool -d 'Lanes as NAME=WEIGHT,... where NAME is a provider, a model id or PROVIDER:MODEL and weight = lanes; a NAME without a weight gets automatic lanes' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l profile -d 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path' -r
complete -c gen -n "__fish_gen_using_subcommand run" -s o -l out -d 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l failed -d 'Failed-rows manifest, in the input\'s format plus error columns. [default: <out stem>.failed.<input ext>]' -r -F
complete -c gen -n "__fish_gen_using_subcommand run" -l id-column -d 'Column holding the row id [default: `id` when present, else the 1-based row number]' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l template -d 'Prompt template (minijinja) over the row\'s columns, replacing the built-in one' -r -F
complete -c gen -n "__fish_gen_using_subcommand run" -l subject-column -d 'The column the built-in templates write about [default: `keyword`, in any case, or the profile\'s `subject_column`]' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l input-format -d 'Read the input as this format whatever its extension' -r -f -a "csv\t''
jsonl\t''"
complete -c gen -n "__fish_gen_using_subcommand run" -l delimiter -d 'CSV field delimiter: `,` `;` `tab` (or `\\t`) or `|` [default: tab for .tsv, else sniffed from the header line]' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l encoding -d 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark\'s]' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l sheet -d 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l max-attempts -d 'Attempts per row before it goes to the manifest (rate-limit answers do not count) [default: 5]' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l max-cost -d 'Stop dispatching once spend plus the estimate of requests in flight would pass USD (every model the run sends to, a draft\'s research and image models included, needs a known price); with --batch, submit nothing when the estimate at batch prices passes it' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l max-inflight -d 'At most N requests in flight over the whole run (bounds automatic lanes)' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l reasoning -d 'How much the models reason before answering, for every task and provider of the run, mapped to each model\'s nearest accepted value: off, low, medium or high [default: each task\'s own (off for seo and outline), or the profile\'s]' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l timeout -d 'Timeout of one request, e.g. 90s or 2m [default: the profile\'s, else 120s]' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l connect-timeout -d 'How long setting up a connection to a provider may take (TCP, a proxy\'s tunnel, TLS)' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l log -d 'Append a JSON line per request sent (row, attempt, provider, model, key label, status, outcome, latency, tokens, cost) to FILE' -r -F
complete -c gen -n "__fish_gen_using_subcommand run" -l progress -d 'Progress on stderr: auto is the live display on a terminal, a plain line every 30 s off one [default: auto]' -r -f -a "auto\t'A live display on a terminal, nothing otherwise'
bar\t'The live display even when stderr is not a terminal'
plain\t'A status line every --progress-interval, for CI logs'
json\t'A JSON object per line every --progress-interval, for machines'
none\t'Only the final summary'"
complete -c gen -n "__fish_gen_using_subcommand run" -l progress-interval -d 'How often plain and json progress lines are written [default: 5s]' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l batch -d 'Run as a provider batch job instead (about half the price, minutes to 24 h): gemini, openai, anthropic or mock, optionally PROVIDER:MODEL; the same as `gen batch run --task TASK --provider PROVIDER`' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l poll -d 'With --batch: how often to ask the provider whether the job is done' -r
complete -c gen -n "__fish_gen_using_subcommand run" -l state-dir -d 'With --batch: where job state files live [default: $XDG_DATA_HOME/gen/batches]' -r -F
complete -c gen -n "__fish_gen_using_subcommand run" -l no-profile -d 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)'
complete -c gen -n "__fish_gen_using_subcommand run" -l resume -d 'Skip rows whose id already has a result in --out and append the rest'
complete -c gen -n "__fish_gen_using_subcommand run" -l force -d 'Overwrite an existing results file and manifest'
complete -c gen -n "__fish_gen_using_subcommand run" -l keep-order -d 'Write results in input order; at most 2,048 finished rows wait behind an unfinished one, then lanes take no new rows until it is written'
complete -c gen -n "__fish_gen_using_subcommand run" -l bom -d 'Start CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact'
complete -c gen -n "__fish_gen_using_subcommand run" -l dry-run -d 'Show the lanes, the first prompt, the row count, estimated tokens and cost, and the keys the run needs; send nothing (no key needed)'
complete -c gen -n "__fish_gen_using_subcommand run" -s v -l verbose -d 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
complete -c gen -n "__fish_gen_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c gen -n "__fish_gen_using_subcommand run" -s V -l version -d 'Print version'
complete -c gen -n "__fish_gen_using_subcommand tasks" -l profile -d 'Profile to read: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path' -r
complete -c gen -n "__fish_gen_using_subcommand tasks" -l no-profile -d 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)'
complete -c gen -n "__fish_gen_using_subcommand tasks" -s v -l verbose -d 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
complete -c gen -n "__fish_gen_using_subcommand tasks" -s h -l help -d 'Print help'
complete -c gen -n "__fish_gen_using_subcommand tasks" -s V -l version -d 'Print version'
complete -c gen -n "__fish_gen_using_subcommand batch; and not __fish_seen_subcommand_from submit status fetch cancel list run help" -s v -l verbose -d 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
complete -c gen -n "__fish_gen_using_subcommand batch; and not __fish_seen_subcommand_from submit status fetch cancel list run help" -s h -l help -d 'Print help'
complete -c gen -n "__fish_gen_using_subcommand batch; and not __fish_seen_subcommand_from submit status fetch cancel list run help" -s V -l version -d 'Print version'
complete -c gen -n "__fish_gen_using_subcommand batch; and not __fish_seen_subcommand_from submit status fetch cancel list run help" -f -a "submit" -d 'Render every row like the live run and submit it as batch job(s); prints the job id'
complete -c gen -n "__fish_gen_using_subcommand batch; and not __fish_seen_subcommand_from submit status fetch cancel list run help" -f -a "status" -d 'A job\'s state, counts, age and provider (every local job without JOB)'
complete -c gen -n "__fish_gen_using_subcommand batch; and not __fish_seen_subcommand_from submit status fetch cancel list run help" -f -a "fetch" -d 'Download a job\'s results into the same result and manifest files as a live run'
complete -c gen -n "__fish_gen_using_subcommand batch; and not __fish_seen_subcommand_from submit status fetch cancel list run help" -f -a "cancel" -d 'Cancel a job (rows not done come back as cancelled when fetched)'
complete -c gen -n "__fish_gen_using_subcommand batch; and not __fish_seen_subcommand_from submit status fetch cancel list run help" -f -a "list" -d 'The jobs this machine submitted'
complete -c gen -n "__fish_gen_using_subcommand batch; and not __fish_seen_subcommand_from submit status fetch cancel list run help" -f -a "run" -d 'Submit, wait, fetch: one command for CI'
complete -c gen -n "__fish_gen_using_subcommand batch; and not __fish_seen_subcommand_from submit status fetch cancel list run help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l task -d 'The task every row is rendered for: seo, outline or a profile\'s [tasks.NAME] (`gen tasks` lists them) [with --retry-failed: the job\'s]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l provider -d 'gemini, openai, anthropic (or an alias such as claude), or the offline mock [with --retry-failed: the job\'s]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l model -d 'The model [default: the provider\'s default]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l retry-failed -d 'Submit only the rows that errored or expired in JOB (after `gen batch fetch JOB`)' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l pool -d 'With --live: the live pool (a batch job itself runs on one provider)' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l id-column -d 'Column holding the row id [default: `id` when present, else the 1-based row number]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l template -d 'Prompt template (minijinja) over the row\'s columns, replacing the built-in one' -r -F
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l subject-column -d 'The column the built-in templates write about [default: `keyword`, in any case]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l input-format -d 'Read the input as this format whatever its extension' -r -f -a "csv\t''
jsonl\t''"
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l delimiter -d 'CSV field delimiter: `,` `;` `tab` (or `\\t`) or `|` [default: tab for .tsv, else sniffed from the header line]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l encoding -d 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark\'s]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l sheet -d 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l profile -d 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l reasoning -d 'How much the model reasons: off, low, medium or high [default: the task\'s own, or the profile\'s] (as for a live run)' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l max-cost -d 'Submit nothing when the estimated cost at batch prices passes USD (the model needs a known price)' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l timeout -d 'Timeout of each request to the Batch API (uploads, polls, downloads), e.g. 90s [default: the profile\'s, else 120s]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l state-dir -d 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]' -r -F
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l log -d 'Append a JSON line per call to the Batch API (upload, create, poll, cancel, download: job id, status, outcome, latency) to FILE, the same file a live run\'s --log writes' -r -F
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l live -d 'With --retry-failed: send those rows through the live pool now instead of a new batch'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l no-profile -d 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -l dry-run -d 'Show the job split (jobs, rows, bytes), the first request, estimated tokens, the cost at batch prices and the key the submission needs; send nothing, create nothing (no key needed)'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -s v -l verbose -d 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -s h -l help -d 'Print help'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from submit" -s V -l version -d 'Print version'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from status" -l state-dir -d 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]' -r -F
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from status" -l log -d 'Append a JSON line per call to the Batch API (upload, create, poll, cancel, download: job id, status, outcome, latency) to FILE, the same file a live run\'s --log writes' -r -F
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from status" -s v -l verbose -d 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from status" -s h -l help -d 'Print help'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from status" -s V -l version -d 'Print version'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from fetch" -s o -l out -d 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout [default: the job\'s earlier results file, else <input stem>.<task>.jsonl]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from fetch" -l failed -d 'Failed-rows manifest [default: <out stem>.failed.<input ext>]' -r -F
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from fetch" -l poll -d 'How often to ask while waiting' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from fetch" -l state-dir -d 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]' -r -F
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from fetch" -l log -d 'Append a JSON line per call to the Batch API (upload, create, poll, cancel, download: job id, status, outcome, latency) to FILE, the same file a live run\'s --log writes' -r -F
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from fetch" -l resume -d 'Add to a results file that another run wrote, skipping the rows already in it'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from fetch" -l force -d 'Replace a results file and manifest that another run wrote'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from fetch" -l bom -d 'Start new CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from fetch" -l wait -d 'Wait until the job ends instead of fetching what is ready'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from fetch" -s v -l verbose -d 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from fetch" -s h -l help -d 'Print help'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from fetch" -s V -l version -d 'Print version'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from cancel" -l state-dir -d 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]' -r -F
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from cancel" -l log -d 'Append a JSON line per call to the Batch API (upload, create, poll, cancel, download: job id, status, outcome, latency) to FILE, the same file a live run\'s --log writes' -r -F
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from cancel" -s v -l verbose -d 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from cancel" -s h -l help -d 'Print help'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from cancel" -s V -l version -d 'Print version'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from list" -l state-dir -d 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]' -r -F
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l task -d 'The task every row is rendered for: seo, outline or a profile\'s [tasks.NAME] (`gen tasks` lists them) [with --retry-failed: the job\'s]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l provider -d 'gemini, openai, anthropic (or an alias such as claude), or the offline mock [with --retry-failed: the job\'s]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l model -d 'The model [default: the provider\'s default]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l retry-failed -d 'Submit only the rows that errored or expired in JOB (after `gen batch fetch JOB`)' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l pool -d 'With --live: the live pool (a batch job itself runs on one provider)' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l id-column -d 'Column holding the row id [default: `id` when present, else the 1-based row number]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l template -d 'Prompt template (minijinja) over the row\'s columns, replacing the built-in one' -r -F
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l subject-column -d 'The column the built-in templates write about [default: `keyword`, in any case]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l input-format -d 'Read the input as this format whatever its extension' -r -f -a "csv\t''
jsonl\t''"
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l delimiter -d 'CSV field delimiter: `,` `;` `tab` (or `\\t`) or `|` [default: tab for .tsv, else sniffed from the header line]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l encoding -d 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark\'s]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l sheet -d 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l profile -d 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l reasoning -d 'How much the model reasons: off, low, medium or high [default: the task\'s own, or the profile\'s] (as for a live run)' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l max-cost -d 'Submit nothing when the estimated cost at batch prices passes USD (the model needs a known price)' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l timeout -d 'Timeout of each request to the Batch API (uploads, polls, downloads), e.g. 90s [default: the profile\'s, else 120s]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l state-dir -d 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]' -r -F
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l log -d 'Append a JSON line per call to the Batch API (upload, create, poll, cancel, download: job id, status, outcome, latency) to FILE, the same file a live run\'s --log writes' -r -F
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -s o -l out -d 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout [default: the job\'s earlier results file, else <input stem>.<task>.jsonl]' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l failed -d 'Failed-rows manifest [default: <out stem>.failed.<input ext>]' -r -F
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l poll -d 'How often to ask the provider whether the job is done' -r
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l live -d 'With --retry-failed: send those rows through the live pool now instead of a new batch'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l no-profile -d 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l dry-run -d 'Show the job split (jobs, rows, bytes), the first request, estimated tokens, the cost at batch prices and the key the submission needs; send nothing, create nothing (no key needed)'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l resume -d 'Add to a results file that another run wrote, skipping the rows already in it'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l force -d 'Replace a results file and manifest that another run wrote'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -l bom -d 'Start new CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -s v -l verbose -d 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -s h -l help -d 'Print help'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from run" -s V -l version -d 'Print version'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from help" -f -a "submit" -d 'Render every row like the live run and submit it as batch job(s); prints the job id'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from help" -f -a "status" -d 'A job\'s state, counts, age and provider (every local job without JOB)'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from help" -f -a "fetch" -d 'Download a job\'s results into the same result and manifest files as a live run'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from help" -f -a "cancel" -d 'Cancel a job (rows not done come back as cancelled when fetched)'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from help" -f -a "list" -d 'The jobs this machine submitted'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from help" -f -a "run" -d 'Submit, wait, fetch: one command for CI'
complete -c gen -n "__fish_gen_using_subcommand batch; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gen -n "__fish_gen_using_subcommand models" -l profile -d 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path' -r
complete -c gen -n "__fish_gen_using_subcommand models" -l live -d 'Ask each provider with a key for its model list instead of showing the built-in one'
complete -c gen -n "__fish_gen_using_subcommand models" -l no-profile -d 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)'
complete -c gen -n "__fish_gen_using_subcommand models" -l json -d 'One JSON object per provider per line instead of the table'
complete -c gen -n "__fish_gen_using_subcommand models" -s v -l verbose -d 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
complete -c gen -n "__fish_gen_using_subcommand models" -s h -l help -d 'Print help'
complete -c gen -n "__fish_gen_using_subcommand models" -s V -l version -d 'Print version'
complete -c gen -n "__fish_gen_using_subcommand completions" -s v -l verbose -d 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
complete -c gen -n "__fish_gen_using_subcommand completions" -s h -l help -d 'Print help'
complete -c gen -n "__fish_gen_using_subcommand completions" -s V -l version -d 'Print version'
complete -c gen -n "__fish_gen_using_subcommand help; and not __fish_seen_subcommand_from seo outline draft run tasks batch models completions help" -f -a "seo" -d 'SEO metadata per row: JSON {title, meta_description, slug}, validated'
complete -c gen -n "__fish_gen_using_subcommand help; and not __fish_seen_subcommand_from seo outline draft run tasks batch models completions help" -f -a "outline" -d 'A markdown article outline per row (at least three `##` sections)'
complete -c gen -n "__fish_gen_using_subcommand help; and not __fish_seen_subcommand_from seo outline draft run tasks batch models completions help" -f -a "draft" -d 'A full article per row: research, outline, draft, humanize and optional images'
complete -c gen -n "__fish_gen_using_subcommand help; and not __fish_seen_subcommand_from seo outline draft run tasks batch models completions help" -f -a "run" -d 'Any task per row: a built-in one, a profile\'s [tasks.NAME], or a one-off from --schema or --format with --template or --prompt'
complete -c gen -n "__fish_gen_using_subcommand help; and not __fish_seen_subcommand_from seo outline draft run tasks batch models completions help" -f -a "tasks" -d 'The tasks a profile can run (built-in and its own), with their output fields'
complete -c gen -n "__fish_gen_using_subcommand help; and not __fish_seen_subcommand_from seo outline draft run tasks batch models completions help" -f -a "batch" -d 'Provider Batch APIs (about half the price, minutes to 24 h): submit, status, fetch, cancel, list, run'
complete -c gen -n "__fish_gen_using_subcommand help; and not __fish_seen_subcommand_from seo outline draft run tasks batch models completions help" -f -a "models" -d 'The known models of each provider, with prices where known; --live asks the providers'
complete -c gen -n "__fish_gen_using_subcommand help; and not __fish_seen_subcommand_from seo outline draft run tasks batch models completions help" -f -a "completions" -d 'Print a shell completion script to stdout'
complete -c gen -n "__fish_gen_using_subcommand help; and not __fish_seen_subcommand_from seo outline draft run tasks batch models completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c gen -n "__fish_gen_using_subcommand help; and __fish_seen_subcommand_from batch" -f -a "submit" -d 'Render every row like the live run and submit it as batch job(s); prints the job id'
complete -c gen -n "__fish_gen_using_subcommand help; and __fish_seen_subcommand_from batch" -f -a "status" -d 'A job\'s state, counts, age and provider (every local job without JOB)'
complete -c gen -n "__fish_gen_using_subcommand help; and __fish_seen_subcommand_from batch" -f -a "fetch" -d 'Download a job\'s results into the same result and manifest files as a live run'
complete -c gen -n "__fish_gen_using_subcommand help; and __fish_seen_subcommand_from batch" -f -a "cancel" -d 'Cancel a job (rows not done come back as cancelled when fetched)'
complete -c gen -n "__fish_gen_using_subcommand help; and __fish_seen_subcommand_from batch" -f -a "list" -d 'The jobs this machine submitted'
complete -c gen -n "__fish_gen_using_subcommand help; and __fish_seen_subcommand_from batch" -f -a "run" -d 'Submit, wait, fetch: one command for CI'
