
use builtin;
use str;

set edit:completion:arg-completer[gen] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'gen'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'gen'= {
            cand -v 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand --verbose 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand seo 'SEO metadata per row: JSON {title, meta_description, slug}, validated'
            cand outline 'A markdown article outline per row (at least three `##` sections)'
            cand draft 'A full article per row: research, outline, draft, humanize and optional images'
            cand run 'Any task per row: a built-in one, a profile''s [tasks.NAME], or a one-off from --schema or --format with --template or --prompt'
            cand tasks 'The tasks a profile can run (built-in and its own), with their output fields'
            cand batch 'Provider Batch APIs (about half the price, minutes to 24 h): submit, status, fetch, cancel, list, run'
            cand models 'The known models of each provider, with prices where known; --live asks the providers'
            cand completions 'Print a shell completion script to stdout'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gen;seo'= {
            cand --pool 'Lanes as NAME=WEIGHT,... where NAME is a provider, a model id or PROVIDER:MODEL and weight = lanes; a NAME without a weight gets automatic lanes'
            cand --profile 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path'
            cand -o 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]'
            cand --out 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]'
            cand --failed 'Failed-rows manifest, in the input''s format plus error columns. [default: <out stem>.failed.<input ext>]'
            cand --id-column 'Column holding the row id [default: `id` when present, else the 1-based row number]'
            cand --template 'Prompt template (minijinja) over the row''s columns, replacing the built-in one'
            cand --subject-column 'The column the built-in templates write about [default: `keyword`, in any case, or the profile''s `subject_column`]'
            cand --input-format 'Read the input as this format whatever its extension'
            cand --delimiter 'CSV field delimiter: `,` `;` `tab` (or `\t`) or `|` [default: tab for .tsv, else sniffed from the header line]'
            cand --encoding 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark''s]'
            cand --sheet 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]'
            cand --max-attempts 'Attempts per row before it goes to the manifest (rate-limit answers do not count) [default: 5]'
            cand --max-cost 'Stop dispatching once spend plus the estimate of requests in flight would pass USD (every model the run sends to, a draft''s research and image models included, needs a known price); with --batch, submit nothing when the estimate at batch prices passes it'
            cand --max-inflight 'At most N requests in flight over the whole run (bounds automatic lanes)'
            cand --reasoning 'How much the models reason before answering, for every task and provider of the run, mapped to each model''s nearest accepted value: off, low, medium or high [default: each task''s own (off for seo and outline), or the profile''s]'
            cand --timeout 'Timeout of one request, e.g. 90s or 2m [default: the profile''s, else 120s]'
            cand --connect-timeout 'How long setting up a connection to a provider may take (TCP, a proxy''s tunnel, TLS)'
            cand --log 'Append a JSON line per request sent (row, attempt, provider, model, key label, status, outcome, latency, tokens, cost) to FILE'
            cand --progress 'Progress on stderr: auto is the live display on a terminal, a plain line every 30 s off one [default: auto]'
            cand --progress-interval 'How often plain and json progress lines are written [default: 5s]'
            cand --batch 'Run as a provider batch job instead (about half the price, minutes to 24 h): gemini, openai, anthropic or mock, optionally PROVIDER:MODEL; the same as `gen batch run --task TASK --provider PROVIDER`'
            cand --poll 'With --batch: how often to ask the provider whether the job is done'
            cand --state-dir 'With --batch: where job state files live [default: $XDG_DATA_HOME/gen/batches]'
            cand --no-profile 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)'
            cand --resume 'Skip rows whose id already has a result in --out and append the rest'
            cand --force 'Overwrite an existing results file and manifest'
            cand --keep-order 'Write results in input order; at most 2,048 finished rows wait behind an unfinished one, then lanes take no new rows until it is written'
            cand --bom 'Start CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact'
            cand --dry-run 'Show the lanes, the first prompt, the row count, estimated tokens and cost, and the keys the run needs; send nothing (no key needed)'
            cand -v 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand --verbose 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gen;outline'= {
            cand --pool 'Lanes as NAME=WEIGHT,... where NAME is a provider, a model id or PROVIDER:MODEL and weight = lanes; a NAME without a weight gets automatic lanes'
            cand --profile 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path'
            cand -o 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]'
            cand --out 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]'
            cand --failed 'Failed-rows manifest, in the input''s format plus error columns. [default: <out stem>.failed.<input ext>]'
            cand --id-column 'Column holding the row id [default: `id` when present, else the 1-based row number]'
            cand --template 'Prompt template (minijinja) over the row''s columns, replacing the built-in one'
            cand --subject-column 'The column the built-in templates write about [default: `keyword`, in any case, or the profile''s `subject_column`]'
            cand --input-format 'Read the input as this format whatever its extension'
            cand --delimiter 'CSV field delimiter: `,` `;` `tab` (or `\t`) or `|` [default: tab for .tsv, else sniffed from the header line]'
            cand --encoding 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark''s]'
            cand --sheet 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]'
            cand --max-attempts 'Attempts per row before it goes to the manifest (rate-limit answers do not count) [default: 5]'
            cand --max-cost 'Stop dispatching once spend plus the estimate of requests in flight would pass USD (every model the run sends to, a draft''s research and image models included, needs a known price); with --batch, submit nothing when the estimate at batch prices passes it'
            cand --max-inflight 'At most N requests in flight over the whole run (bounds automatic lanes)'
            cand --reasoning 'How much the models reason before answering, for every task and provider of the run, mapped to each model''s nearest accepted value: off, low, medium or high [default: each task''s own (off for seo and outline), or the profile''s]'
            cand --timeout 'Timeout of one request, e.g. 90s or 2m [default: the profile''s, else 120s]'
            cand --connect-timeout 'How long setting up a connection to a provider may take (TCP, a proxy''s tunnel, TLS)'
            cand --log 'Append a JSON line per request sent (row, attempt, provider, model, key label, status, outcome, latency, tokens, cost) to FILE'
            cand --progress 'Progress on stderr: auto is the live display on a terminal, a plain line every 30 s off one [default: auto]'
            cand --progress-interval 'How often plain and json progress lines are written [default: 5s]'
            cand --batch 'Run as a provider batch job instead (about half the price, minutes to 24 h): gemini, openai, anthropic or mock, optionally PROVIDER:MODEL; the same as `gen batch run --task TASK --provider PROVIDER`'
            cand --poll 'With --batch: how often to ask the provider whether the job is done'
            cand --state-dir 'With --batch: where job state files live [default: $XDG_DATA_HOME/gen/batches]'
            cand --no-profile 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)'
            cand --resume 'Skip rows whose id already has a result in --out and append the rest'
            cand --force 'Overwrite an existing results file and manifest'
            cand --keep-order 'Write results in input order; at most 2,048 finished rows wait behind an unfinished one, then lanes take no new rows until it is written'
            cand --bom 'Start CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact'
            cand --dry-run 'Show the lanes, the first prompt, the row count, estimated tokens and cost, and the keys the run needs; send nothing (no key needed)'
            cand -v 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand --verbose 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gen;draft'= {
            cand --pool 'Lanes as NAME=WEIGHT,... where NAME is a provider, a model id or PROVIDER:MODEL and weight = lanes; a NAME without a weight gets automatic lanes'
            cand --profile 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path'
            cand -o 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]'
            cand --out 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]'
            cand --failed 'Failed-rows manifest, in the input''s format plus error columns. [default: <out stem>.failed.<input ext>]'
            cand --id-column 'Column holding the row id [default: `id` when present, else the 1-based row number]'
            cand --template 'Prompt template (minijinja) over the row''s columns, replacing the built-in one'
            cand --subject-column 'The column the built-in templates write about [default: `keyword`, in any case, or the profile''s `subject_column`]'
            cand --input-format 'Read the input as this format whatever its extension'
            cand --delimiter 'CSV field delimiter: `,` `;` `tab` (or `\t`) or `|` [default: tab for .tsv, else sniffed from the header line]'
            cand --encoding 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark''s]'
            cand --sheet 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]'
            cand --max-attempts 'Attempts per row before it goes to the manifest (rate-limit answers do not count) [default: 5]'
            cand --max-cost 'Stop dispatching once spend plus the estimate of requests in flight would pass USD (every model the run sends to, a draft''s research and image models included, needs a known price); with --batch, submit nothing when the estimate at batch prices passes it'
            cand --max-inflight 'At most N requests in flight over the whole run (bounds automatic lanes)'
            cand --reasoning 'How much the models reason before answering, for every task and provider of the run, mapped to each model''s nearest accepted value: off, low, medium or high [default: each task''s own (off for seo and outline), or the profile''s]'
            cand --timeout 'Timeout of one request, e.g. 90s or 2m [default: the profile''s, else 120s]'
            cand --connect-timeout 'How long setting up a connection to a provider may take (TCP, a proxy''s tunnel, TLS)'
            cand --log 'Append a JSON line per request sent (row, attempt, provider, model, key label, status, outcome, latency, tokens, cost) to FILE'
            cand --progress 'Progress on stderr: auto is the live display on a terminal, a plain line every 30 s off one [default: auto]'
            cand --progress-interval 'How often plain and json progress lines are written [default: 5s]'
            cand --research 'Provider (and model) for the research stage [default: each lane''s own provider]'
            cand --stages 'Stages to run, comma-separated: research, outline, draft, humanize, images'
            cand --skip 'Stages to leave out, comma-separated'
            cand --images 'Pictures per article, drawn by --image-model [default: 0]'
            cand --image-model 'Provider (and model) that draws pictures [default: gemini:gemini-2.5-flash-image; the mock when the pool has only mock providers]'
            cand --assets 'Where pictures are saved as <row id>-<n>.png [default: <out stem>.assets]'
            cand --articles-dir 'Also write each article as <slug>.md with YAML front matter into DIR'
            cand --words 'Target length in words (a `words` column wins) [default: the profile''s, else 1200]'
            cand --audience 'Who the articles are for (an `audience` column wins)'
            cand --tone 'The voice to write in (a `tone` column wins)'
            cand --stage-template 'A stage''s prompt template, replacing the built-in one; repeatable'
            cand --no-profile 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)'
            cand --resume 'Skip rows whose id already has a result in --out and append the rest'
            cand --force 'Overwrite an existing results file and manifest'
            cand --keep-order 'Write results in input order; at most 2,048 finished rows wait behind an unfinished one, then lanes take no new rows until it is written'
            cand --bom 'Start CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact'
            cand --dry-run 'Show the lanes, the first prompt, the row count, estimated tokens and cost, and the keys the run needs; send nothing (no key needed)'
            cand -y 'Go on without asking when the pool spans several providers (articles will differ in voice)'
            cand --yes 'Go on without asking when the pool spans several providers (articles will differ in voice)'
            cand -v 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand --verbose 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gen;run'= {
            cand --schema 'The answer is a JSON object matching this JSON Schema file; its top-level properties are the result columns. With --template FILE or --prompt TEXT'
            cand --format 'The answer is markdown or plain text, in the column --field (default: text)'
            cand --prompt 'The user prompt, inline (a minijinja template over the row''s columns)'
            cand --system 'The system prompt'
            cand --field 'A text answer''s result column'
            cand --min-words 'A text answer''s fewest words'
            cand --max-words 'A text answer''s most words'
            cand --min-headings 'A text answer''s fewest `##` headings'
            cand --answer-tokens 'The answer''s output budget in tokens (room for reasoning is added per model)'
            cand --pool 'Lanes as NAME=WEIGHT,... where NAME is a provider, a model id or PROVIDER:MODEL and weight = lanes; a NAME without a weight gets automatic lanes'
            cand --profile 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path'
            cand -o 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]'
            cand --out 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]'
            cand --failed 'Failed-rows manifest, in the input''s format plus error columns. [default: <out stem>.failed.<input ext>]'
            cand --id-column 'Column holding the row id [default: `id` when present, else the 1-based row number]'
            cand --template 'Prompt template (minijinja) over the row''s columns, replacing the built-in one'
            cand --subject-column 'The column the built-in templates write about [default: `keyword`, in any case, or the profile''s `subject_column`]'
            cand --input-format 'Read the input as this format whatever its extension'
            cand --delimiter 'CSV field delimiter: `,` `;` `tab` (or `\t`) or `|` [default: tab for .tsv, else sniffed from the header line]'
            cand --encoding 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark''s]'
            cand --sheet 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]'
            cand --max-attempts 'Attempts per row before it goes to the manifest (rate-limit answers do not count) [default: 5]'
            cand --max-cost 'Stop dispatching once spend plus the estimate of requests in flight would pass USD (every model the run sends to, a draft''s research and image models included, needs a known price); with --batch, submit nothing when the estimate at batch prices passes it'
            cand --max-inflight 'At most N requests in flight over the whole run (bounds automatic lanes)'
            cand --reasoning 'How much the models reason before answering, for every task and provider of the run, mapped to each model''s nearest accepted value: off, low, medium or high [default: each task''s own (off for seo and outline), or the profile''s]'
            cand --timeout 'Timeout of one request, e.g. 90s or 2m [default: the profile''s, else 120s]'
            cand --connect-timeout 'How long setting up a connection to a provider may take (TCP, a proxy''s tunnel, TLS)'
            cand --log 'Append a JSON line per request sent (row, attempt, provider, model, key label, status, outcome, latency, tokens, cost) to FILE'
            cand --progress 'Progress on stderr: auto is the live display on a terminal, a plain line every 30 s off one [default: auto]'
            cand --progress-interval 'How often plain and json progress lines are written [default: 5s]'
            cand --batch 'Run as a provider batch job instead (about half the price, minutes to 24 h): gemini, openai, anthropic or mock, optionally PROVIDER:MODEL; the same as `gen batch run --task TASK --provider PROVIDER`'
            cand --poll 'With --batch: how often to ask the provider whether the job is done'
            cand --state-dir 'With --batch: where job state files live [default: $XDG_DATA_HOME/gen/batches]'
            cand --no-profile 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)'
            cand --resume 'Skip rows whose id already has a result in --out and append the rest'
            cand --force 'Overwrite an existing results file and manifest'
            cand --keep-order 'Write results in input order; at most 2,048 finished rows wait behind an unfinished one, then lanes take no new rows until it is written'
            cand --bom 'Start CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact'
            cand --dry-run 'Show the lanes, the first prompt, the row count, estimated tokens and cost, and the keys the run needs; send nothing (no key needed)'
            cand -v 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand --verbose 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gen;tasks'= {
            cand --profile 'Profile to read: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path'
            cand --no-profile 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)'
            cand -v 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand --verbose 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gen;batch'= {
            cand -v 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand --verbose 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand submit 'Render every row like the live run and submit it as batch job(s); prints the job id'
            cand status 'A job''s state, counts, age and provider (every local job without JOB)'
            cand fetch 'Download a job''s results into the same result and manifest files as a live run'
            cand cancel 'Cancel a job (rows not done come back as cancelled when fetched)'
            cand list 'The jobs this machine submitted'
            cand run 'Submit, wait, fetch: one command for CI'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gen;batch;submit'= {
            cand --task 'The task every row is rendered for: seo, outline or a profile''s [tasks.NAME] (`gen tasks` lists them) [with --retry-failed: the job''s]'
            cand --provider 'gemini, openai, anthropic (or an alias such as claude), or the offline mock [with --retry-failed: the job''s]'
            cand --model 'The model [default: the provider''s default]'
            cand --retry-failed 'Submit only the rows that errored or expired in JOB (after `gen batch fetch JOB`)'
            cand --pool 'With --live: the live pool (a batch job itself runs on one provider)'
            cand --id-column 'Column holding the row id [default: `id` when present, else the 1-based row number]'
            cand --template 'Prompt template (minijinja) over the row''s columns, replacing the built-in one'
            cand --subject-column 'The column the built-in templates write about [default: `keyword`, in any case]'
            cand --input-format 'Read the input as this format whatever its extension'
            cand --delimiter 'CSV field delimiter: `,` `;` `tab` (or `\t`) or `|` [default: tab for .tsv, else sniffed from the header line]'
            cand --encoding 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark''s]'
            cand --sheet 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]'
            cand --profile 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path'
            cand --reasoning 'How much the model reasons: off, low, medium or high [default: the task''s own, or the profile''s] (as for a live run)'
            cand --max-cost 'Submit nothing when the estimated cost at batch prices passes USD (the model needs a known price)'
            cand --timeout 'Timeout of each request to the Batch API (uploads, polls, downloads), e.g. 90s [default: the profile''s, else 120s]'
            cand --state-dir 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]'
            cand --log 'Append a JSON line per call to the Batch API (upload, create, poll, cancel, download: job id, status, outcome, latency) to FILE, the same file a live run''s --log writes'
            cand --live 'With --retry-failed: send those rows through the live pool now instead of a new batch'
            cand --no-profile 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)'
            cand --dry-run 'Show the job split (jobs, rows, bytes), the first request, estimated tokens, the cost at batch prices and the key the submission needs; send nothing, create nothing (no key needed)'
            cand -v 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand --verbose 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gen;batch;status'= {
            cand --state-dir 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]'
            cand --log 'Append a JSON line per call to the Batch API (upload, create, poll, cancel, download: job id, status, outcome, latency) to FILE, the same file a live run''s --log writes'
            cand -v 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand --verbose 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gen;batch;fetch'= {
            cand -o 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout [default: the job''s earlier results file, else <input stem>.<task>.jsonl]'
            cand --out 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout [default: the job''s earlier results file, else <input stem>.<task>.jsonl]'
            cand --failed 'Failed-rows manifest [default: <out stem>.failed.<input ext>]'
            cand --poll 'How often to ask while waiting'
            cand --state-dir 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]'
            cand --log 'Append a JSON line per call to the Batch API (upload, create, poll, cancel, download: job id, status, outcome, latency) to FILE, the same file a live run''s --log writes'
            cand --resume 'Add to a results file that another run wrote, skipping the rows already in it'
            cand --force 'Replace a results file and manifest that another run wrote'
            cand --bom 'Start new CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact'
            cand --wait 'Wait until the job ends instead of fetching what is ready'
            cand -v 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand --verbose 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gen;batch;cancel'= {
            cand --state-dir 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]'
            cand --log 'Append a JSON line per call to the Batch API (upload, create, poll, cancel, download: job id, status, outcome, latency) to FILE, the same file a live run''s --log writes'
            cand -v 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand --verbose 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gen;batch;list'= {
            cand --state-dir 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]'
            cand -v 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand --verbose 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gen;batch;run'= {
            cand --task 'The task every row is rendered for: seo, outline or a profile''s [tasks.NAME] (`gen tasks` lists them) [with --retry-failed: the job''s]'
            cand --provider 'gemini, openai, anthropic (or an alias such as claude), or the offline mock [with --retry-failed: the job''s]'
            cand --model 'The model [default: the provider''s default]'
            cand --retry-failed 'Submit only the rows that errored or expired in JOB (after `gen batch fetch JOB`)'
            cand --pool 'With --live: the live pool (a batch job itself runs on one provider)'
            cand --id-column 'Column holding the row id [default: `id` when present, else the 1-based row number]'
            cand --template 'Prompt template (minijinja) over the row''s columns, replacing the built-in one'
            cand --subject-column 'The column the built-in templates write about [default: `keyword`, in any case]'
            cand --input-format 'Read the input as this format whatever its extension'
            cand --delimiter 'CSV field delimiter: `,` `;` `tab` (or `\t`) or `|` [default: tab for .tsv, else sniffed from the header line]'
            cand --encoding 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark''s]'
            cand --sheet 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]'
            cand --profile 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path'
            cand --reasoning 'How much the model reasons: off, low, medium or high [default: the task''s own, or the profile''s] (as for a live run)'
            cand --max-cost 'Submit nothing when the estimated cost at batch prices passes USD (the model needs a known price)'
            cand --timeout 'Timeout of each request to the Batch API (uploads, polls, downloads), e.g. 90s [default: the profile''s, else 120s]'
            cand --state-dir 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]'
            cand --log 'Append a JSON line per call to the Batch API (upload, create, poll, cancel, download: job id, status, outcome, latency) to FILE, the same file a live run''s --log writes'
            cand -o 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout [default: the job''s earlier results file, else <input stem>.<task>.jsonl]'
            cand --out 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout [default: the job''s earlier results file, else <input stem>.<task>.jsonl]'
            cand --failed 'Failed-rows manifest [default: <out stem>.failed.<input ext>]'
            cand --poll 'How often to ask the provider whether the job is done'
            cand --live 'With --retry-failed: send those rows through the live pool now instead of a new batch'
            cand --no-profile 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)'
            cand --dry-run 'Show the job split (jobs, rows, bytes), the first request, estimated tokens, the cost at batch prices and the key the submission needs; send nothing, create nothing (no key needed)'
            cand --resume 'Add to a results file that another run wrote, skipping the rows already in it'
            cand --force 'Replace a results file and manifest that another run wrote'
            cand --bom 'Start new CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact'
            cand -v 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand --verbose 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gen;batch;help'= {
            cand submit 'Render every row like the live run and submit it as batch job(s); prints the job id'
            cand status 'A job''s state, counts, age and provider (every local job without JOB)'
            cand fetch 'Download a job''s results into the same result and manifest files as a live run'
            cand cancel 'Cancel a job (rows not done come back as cancelled when fetched)'
            cand list 'The jobs this machine submitted'
            cand run 'Submit, wait, fetch: one command for CI'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gen;batch;help;submit'= {
        }
        &'gen;batch;help;status'= {
        }
        &'gen;batch;help;fetch'= {
        }
        &'gen;batch;help;cancel'= {
        }
        &'gen;batch;help;list'= {
        }
        &'gen;batch;help;run'= {
        }
        &'gen;batch;help;help'= {
        }
        &'gen;models'= {
            cand --profile 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path'
            cand --live 'Ask each provider with a key for its model list instead of showing the built-in one'
            cand --no-profile 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)'
            cand --json 'One JSON object per provider per line instead of the table'
            cand -v 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand --verbose 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gen;completions'= {
            cand -v 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand --verbose 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'gen;help'= {
            cand seo 'SEO metadata per row: JSON {title, meta_description, slug}, validated'
            cand outline 'A markdown article outline per row (at least three `##` sections)'
            cand draft 'A full article per row: research, outline, draft, humanize and optional images'
            cand run 'Any task per row: a built-in one, a profile''s [tasks.NAME], or a one-off from --schema or --format with --template or --prompt'
            cand tasks 'The tasks a profile can run (built-in and its own), with their output fields'
            cand batch 'Provider Batch APIs (about half the price, minutes to 24 h): submit, status, fetch, cancel, list, run'
            cand models 'The known models of each provider, with prices where known; --live asks the providers'
            cand completions 'Print a shell completion script to stdout'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'gen;help;seo'= {
        }
        &'gen;help;outline'= {
        }
        &'gen;help;draft'= {
        }
        &'gen;help;run'= {
        }
        &'gen;help;tasks'= {
        }
        &'gen;help;batch'= {
            cand submit 'Render every row like the live run and submit it as batch job(s); prints the job id'
            cand status 'A job''s state, counts, age and provider (every local job without JOB)'
            cand fetch 'Download a job''s results into the same result and manifest files as a live run'
            cand cancel 'Cancel a job (rows not done come back as cancelled when fetched)'
            cand list 'The jobs this machine submitted'
            cand run 'Submit, wait, fetch: one command for CI'
        }
        &'gen;help;batch;submit'= {
        }
        &'gen;help;batch;status'= {
        }
        &'gen;help;batch;fetch'= {
        }
        &'gen;help;batch;cancel'= {
        }
        &'gen;help;batch;list'= {
        }
        &'gen;help;batch;run'= {
        }
        &'gen;help;models'= {
        }
        &'gen;help;completions'= {
        }
        &'gen;help;help'= {
        }
    ]
    $completions[$command]
}
