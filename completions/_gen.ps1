
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'gen' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'gen'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'gen' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('seo', 'seo', [CompletionResultType]::ParameterValue, 'SEO metadata per row: JSON {title, meta_description, slug}, validated')
            [CompletionResult]::new('outline', 'outline', [CompletionResultType]::ParameterValue, 'A markdown article outline per row (at least three `##` sections)')
            [CompletionResult]::new('draft', 'draft', [CompletionResultType]::ParameterValue, 'A full article per row: research, outline, draft, humanize and optional images')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Any task per row: a built-in one, a profile''s [tasks.NAME], or a one-off from --schema or --format with --template or --prompt')
            [CompletionResult]::new('tasks', 'tasks', [CompletionResultType]::ParameterValue, 'The tasks a profile can run (built-in and its own), with their output fields')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Provider Batch APIs (about half the price, minutes to 24 h): submit, status, fetch, cancel, list, run')
            [CompletionResult]::new('models', 'models', [CompletionResultType]::ParameterValue, 'The known models of each provider, with prices where known; --live asks the providers')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gen;seo' {
            [CompletionResult]::new('--pool', '--pool', [CompletionResultType]::ParameterName, 'Lanes as NAME=WEIGHT,... where NAME is a provider, a model id or PROVIDER:MODEL and weight = lanes; a NAME without a weight gets automatic lanes')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]')
            [CompletionResult]::new('--failed', '--failed', [CompletionResultType]::ParameterName, 'Failed-rows manifest, in the input''s format plus error columns. [default: <out stem>.failed.<input ext>]')
            [CompletionResult]::new('--id-column', '--id-column', [CompletionResultType]::ParameterName, 'Column holding the row id [default: `id` when present, else the 1-based row number]')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'Prompt template (minijinja) over the row''s columns, replacing the built-in one')
            [CompletionResult]::new('--subject-column', '--subject-column', [CompletionResultType]::ParameterName, 'The column the built-in templates write about [default: `keyword`, in any case, or the profile''s `subject_column`]')
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'Read the input as this format whatever its extension')
            [CompletionResult]::new('--delimiter', '--delimiter', [CompletionResultType]::ParameterName, 'CSV field delimiter: `,` `;` `tab` (or `\t`) or `|` [default: tab for .tsv, else sniffed from the header line]')
            [CompletionResult]::new('--encoding', '--encoding', [CompletionResultType]::ParameterName, 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark''s]')
            [CompletionResult]::new('--sheet', '--sheet', [CompletionResultType]::ParameterName, 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]')
            [CompletionResult]::new('--max-attempts', '--max-attempts', [CompletionResultType]::ParameterName, 'Attempts per row before it goes to the manifest (rate-limit answers do not count) [default: 5]')
            [CompletionResult]::new('--max-cost', '--max-cost', [CompletionResultType]::ParameterName, 'Stop dispatching once spend plus the estimate of requests in flight would pass USD (every model the run sends to, a draft''s research and image models included, needs a known price); with --batch, submit nothing when the estimate at batch prices passes it')
            [CompletionResult]::new('--max-inflight', '--max-inflight', [CompletionResultType]::ParameterName, 'At most N requests in flight over the whole run (bounds automatic lanes)')
            [CompletionResult]::new('--reasoning', '--reasoning', [CompletionResultType]::ParameterName, 'How much the models reason before answering, for every task and provider of the run, mapped to each model''s nearest accepted value: off, low, medium or high [default: each task''s own (off for seo and outline), or the profile''s]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 90s or 2m [default: the profile''s, else 120s]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'How long setting up a connection to a provider may take (TCP, a proxy''s tunnel, TLS)')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Append a JSON line per request sent (row, attempt, provider, model, key label, status, outcome, latency, tokens, cost) to FILE')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Progress on stderr: auto is the live display on a terminal, a plain line every 30 s off one [default: auto]')
            [CompletionResult]::new('--progress-interval', '--progress-interval', [CompletionResultType]::ParameterName, 'How often plain and json progress lines are written [default: 5s]')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Run as a provider batch job instead (about half the price, minutes to 24 h): gemini, openai, anthropic or mock, optionally PROVIDER:MODEL; the same as `gen batch run --task TASK --provider PROVIDER`')
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'With --batch: how often to ask the provider whether the job is done')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'With --batch: where job state files live [default: $XDG_DATA_HOME/gen/batches]')
            [CompletionResult]::new('--no-profile', '--no-profile', [CompletionResultType]::ParameterName, 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Skip rows whose id already has a result in --out and append the rest')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite an existing results file and manifest')
            [CompletionResult]::new('--keep-order', '--keep-order', [CompletionResultType]::ParameterName, 'Write results in input order; at most 2,048 finished rows wait behind an unfinished one, then lanes take no new rows until it is written')
            [CompletionResult]::new('--bom', '--bom', [CompletionResultType]::ParameterName, 'Start CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the lanes, the first prompt, the row count, estimated tokens and cost, and the keys the run needs; send nothing (no key needed)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gen;outline' {
            [CompletionResult]::new('--pool', '--pool', [CompletionResultType]::ParameterName, 'Lanes as NAME=WEIGHT,... where NAME is a provider, a model id or PROVIDER:MODEL and weight = lanes; a NAME without a weight gets automatic lanes')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]')
            [CompletionResult]::new('--failed', '--failed', [CompletionResultType]::ParameterName, 'Failed-rows manifest, in the input''s format plus error columns. [default: <out stem>.failed.<input ext>]')
            [CompletionResult]::new('--id-column', '--id-column', [CompletionResultType]::ParameterName, 'Column holding the row id [default: `id` when present, else the 1-based row number]')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'Prompt template (minijinja) over the row''s columns, replacing the built-in one')
            [CompletionResult]::new('--subject-column', '--subject-column', [CompletionResultType]::ParameterName, 'The column the built-in templates write about [default: `keyword`, in any case, or the profile''s `subject_column`]')
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'Read the input as this format whatever its extension')
            [CompletionResult]::new('--delimiter', '--delimiter', [CompletionResultType]::ParameterName, 'CSV field delimiter: `,` `;` `tab` (or `\t`) or `|` [default: tab for .tsv, else sniffed from the header line]')
            [CompletionResult]::new('--encoding', '--encoding', [CompletionResultType]::ParameterName, 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark''s]')
            [CompletionResult]::new('--sheet', '--sheet', [CompletionResultType]::ParameterName, 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]')
            [CompletionResult]::new('--max-attempts', '--max-attempts', [CompletionResultType]::ParameterName, 'Attempts per row before it goes to the manifest (rate-limit answers do not count) [default: 5]')
            [CompletionResult]::new('--max-cost', '--max-cost', [CompletionResultType]::ParameterName, 'Stop dispatching once spend plus the estimate of requests in flight would pass USD (every model the run sends to, a draft''s research and image models included, needs a known price); with --batch, submit nothing when the estimate at batch prices passes it')
            [CompletionResult]::new('--max-inflight', '--max-inflight', [CompletionResultType]::ParameterName, 'At most N requests in flight over the whole run (bounds automatic lanes)')
            [CompletionResult]::new('--reasoning', '--reasoning', [CompletionResultType]::ParameterName, 'How much the models reason before answering, for every task and provider of the run, mapped to each model''s nearest accepted value: off, low, medium or high [default: each task''s own (off for seo and outline), or the profile''s]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 90s or 2m [default: the profile''s, else 120s]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'How long setting up a connection to a provider may take (TCP, a proxy''s tunnel, TLS)')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Append a JSON line per request sent (row, attempt, provider, model, key label, status, outcome, latency, tokens, cost) to FILE')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Progress on stderr: auto is the live display on a terminal, a plain line every 30 s off one [default: auto]')
            [CompletionResult]::new('--progress-interval', '--progress-interval', [CompletionResultType]::ParameterName, 'How often plain and json progress lines are written [default: 5s]')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Run as a provider batch job instead (about half the price, minutes to 24 h): gemini, openai, anthropic or mock, optionally PROVIDER:MODEL; the same as `gen batch run --task TASK --provider PROVIDER`')
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'With --batch: how often to ask the provider whether the job is done')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'With --batch: where job state files live [default: $XDG_DATA_HOME/gen/batches]')
            [CompletionResult]::new('--no-profile', '--no-profile', [CompletionResultType]::ParameterName, 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Skip rows whose id already has a result in --out and append the rest')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite an existing results file and manifest')
            [CompletionResult]::new('--keep-order', '--keep-order', [CompletionResultType]::ParameterName, 'Write results in input order; at most 2,048 finished rows wait behind an unfinished one, then lanes take no new rows until it is written')
            [CompletionResult]::new('--bom', '--bom', [CompletionResultType]::ParameterName, 'Start CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the lanes, the first prompt, the row count, estimated tokens and cost, and the keys the run needs; send nothing (no key needed)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gen;draft' {
            [CompletionResult]::new('--pool', '--pool', [CompletionResultType]::ParameterName, 'Lanes as NAME=WEIGHT,... where NAME is a provider, a model id or PROVIDER:MODEL and weight = lanes; a NAME without a weight gets automatic lanes')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]')
            [CompletionResult]::new('--failed', '--failed', [CompletionResultType]::ParameterName, 'Failed-rows manifest, in the input''s format plus error columns. [default: <out stem>.failed.<input ext>]')
            [CompletionResult]::new('--id-column', '--id-column', [CompletionResultType]::ParameterName, 'Column holding the row id [default: `id` when present, else the 1-based row number]')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'Prompt template (minijinja) over the row''s columns, replacing the built-in one')
            [CompletionResult]::new('--subject-column', '--subject-column', [CompletionResultType]::ParameterName, 'The column the built-in templates write about [default: `keyword`, in any case, or the profile''s `subject_column`]')
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'Read the input as this format whatever its extension')
            [CompletionResult]::new('--delimiter', '--delimiter', [CompletionResultType]::ParameterName, 'CSV field delimiter: `,` `;` `tab` (or `\t`) or `|` [default: tab for .tsv, else sniffed from the header line]')
            [CompletionResult]::new('--encoding', '--encoding', [CompletionResultType]::ParameterName, 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark''s]')
            [CompletionResult]::new('--sheet', '--sheet', [CompletionResultType]::ParameterName, 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]')
            [CompletionResult]::new('--max-attempts', '--max-attempts', [CompletionResultType]::ParameterName, 'Attempts per row before it goes to the manifest (rate-limit answers do not count) [default: 5]')
            [CompletionResult]::new('--max-cost', '--max-cost', [CompletionResultType]::ParameterName, 'Stop dispatching once spend plus the estimate of requests in flight would pass USD (every model the run sends to, a draft''s research and image models included, needs a known price); with --batch, submit nothing when the estimate at batch prices passes it')
            [CompletionResult]::new('--max-inflight', '--max-inflight', [CompletionResultType]::ParameterName, 'At most N requests in flight over the whole run (bounds automatic lanes)')
            [CompletionResult]::new('--reasoning', '--reasoning', [CompletionResultType]::ParameterName, 'How much the models reason before answering, for every task and provider of the run, mapped to each model''s nearest accepted value: off, low, medium or high [default: each task''s own (off for seo and outline), or the profile''s]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 90s or 2m [default: the profile''s, else 120s]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'How long setting up a connection to a provider may take (TCP, a proxy''s tunnel, TLS)')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Append a JSON line per request sent (row, attempt, provider, model, key label, status, outcome, latency, tokens, cost) to FILE')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Progress on stderr: auto is the live display on a terminal, a plain line every 30 s off one [default: auto]')
            [CompletionResult]::new('--progress-interval', '--progress-interval', [CompletionResultType]::ParameterName, 'How often plain and json progress lines are written [default: 5s]')
            [CompletionResult]::new('--research', '--research', [CompletionResultType]::ParameterName, 'Provider (and model) for the research stage [default: each lane''s own provider]')
            [CompletionResult]::new('--stages', '--stages', [CompletionResultType]::ParameterName, 'Stages to run, comma-separated: research, outline, draft, humanize, images')
            [CompletionResult]::new('--skip', '--skip', [CompletionResultType]::ParameterName, 'Stages to leave out, comma-separated')
            [CompletionResult]::new('--images', '--images', [CompletionResultType]::ParameterName, 'Pictures per article, drawn by --image-model [default: 0]')
            [CompletionResult]::new('--image-model', '--image-model', [CompletionResultType]::ParameterName, 'Provider (and model) that draws pictures [default: gemini:gemini-2.5-flash-image; the mock when the pool has only mock providers]')
            [CompletionResult]::new('--assets', '--assets', [CompletionResultType]::ParameterName, 'Where pictures are saved as <row id>-<n>.png [default: <out stem>.assets]')
            [CompletionResult]::new('--articles-dir', '--articles-dir', [CompletionResultType]::ParameterName, 'Also write each article as <slug>.md with YAML front matter into DIR')
            [CompletionResult]::new('--words', '--words', [CompletionResultType]::ParameterName, 'Target length in words (a `words` column wins) [default: the profile''s, else 1200]')
            [CompletionResult]::new('--audience', '--audience', [CompletionResultType]::ParameterName, 'Who the articles are for (an `audience` column wins)')
            [CompletionResult]::new('--tone', '--tone', [CompletionResultType]::ParameterName, 'The voice to write in (a `tone` column wins)')
            [CompletionResult]::new('--stage-template', '--stage-template', [CompletionResultType]::ParameterName, 'A stage''s prompt template, replacing the built-in one; repeatable')
            [CompletionResult]::new('--no-profile', '--no-profile', [CompletionResultType]::ParameterName, 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Skip rows whose id already has a result in --out and append the rest')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite an existing results file and manifest')
            [CompletionResult]::new('--keep-order', '--keep-order', [CompletionResultType]::ParameterName, 'Write results in input order; at most 2,048 finished rows wait behind an unfinished one, then lanes take no new rows until it is written')
            [CompletionResult]::new('--bom', '--bom', [CompletionResultType]::ParameterName, 'Start CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the lanes, the first prompt, the row count, estimated tokens and cost, and the keys the run needs; send nothing (no key needed)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Go on without asking when the pool spans several providers (articles will differ in voice)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Go on without asking when the pool spans several providers (articles will differ in voice)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gen;run' {
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'The answer is a JSON object matching this JSON Schema file; its top-level properties are the result columns. With --template FILE or --prompt TEXT')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'The answer is markdown or plain text, in the column --field (default: text)')
            [CompletionResult]::new('--prompt', '--prompt', [CompletionResultType]::ParameterName, 'The user prompt, inline (a minijinja template over the row''s columns)')
            [CompletionResult]::new('--system', '--system', [CompletionResultType]::ParameterName, 'The system prompt')
            [CompletionResult]::new('--field', '--field', [CompletionResultType]::ParameterName, 'A text answer''s result column')
            [CompletionResult]::new('--min-words', '--min-words', [CompletionResultType]::ParameterName, 'A text answer''s fewest words')
            [CompletionResult]::new('--max-words', '--max-words', [CompletionResultType]::ParameterName, 'A text answer''s most words')
            [CompletionResult]::new('--min-headings', '--min-headings', [CompletionResultType]::ParameterName, 'A text answer''s fewest `##` headings')
            [CompletionResult]::new('--answer-tokens', '--answer-tokens', [CompletionResultType]::ParameterName, 'The answer''s output budget in tokens (room for reasoning is added per model)')
            [CompletionResult]::new('--pool', '--pool', [CompletionResultType]::ParameterName, 'Lanes as NAME=WEIGHT,... where NAME is a provider, a model id or PROVIDER:MODEL and weight = lanes; a NAME without a weight gets automatic lanes')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]')
            [CompletionResult]::new('--failed', '--failed', [CompletionResultType]::ParameterName, 'Failed-rows manifest, in the input''s format plus error columns. [default: <out stem>.failed.<input ext>]')
            [CompletionResult]::new('--id-column', '--id-column', [CompletionResultType]::ParameterName, 'Column holding the row id [default: `id` when present, else the 1-based row number]')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'Prompt template (minijinja) over the row''s columns, replacing the built-in one')
            [CompletionResult]::new('--subject-column', '--subject-column', [CompletionResultType]::ParameterName, 'The column the built-in templates write about [default: `keyword`, in any case, or the profile''s `subject_column`]')
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'Read the input as this format whatever its extension')
            [CompletionResult]::new('--delimiter', '--delimiter', [CompletionResultType]::ParameterName, 'CSV field delimiter: `,` `;` `tab` (or `\t`) or `|` [default: tab for .tsv, else sniffed from the header line]')
            [CompletionResult]::new('--encoding', '--encoding', [CompletionResultType]::ParameterName, 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark''s]')
            [CompletionResult]::new('--sheet', '--sheet', [CompletionResultType]::ParameterName, 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]')
            [CompletionResult]::new('--max-attempts', '--max-attempts', [CompletionResultType]::ParameterName, 'Attempts per row before it goes to the manifest (rate-limit answers do not count) [default: 5]')
            [CompletionResult]::new('--max-cost', '--max-cost', [CompletionResultType]::ParameterName, 'Stop dispatching once spend plus the estimate of requests in flight would pass USD (every model the run sends to, a draft''s research and image models included, needs a known price); with --batch, submit nothing when the estimate at batch prices passes it')
            [CompletionResult]::new('--max-inflight', '--max-inflight', [CompletionResultType]::ParameterName, 'At most N requests in flight over the whole run (bounds automatic lanes)')
            [CompletionResult]::new('--reasoning', '--reasoning', [CompletionResultType]::ParameterName, 'How much the models reason before answering, for every task and provider of the run, mapped to each model''s nearest accepted value: off, low, medium or high [default: each task''s own (off for seo and outline), or the profile''s]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 90s or 2m [default: the profile''s, else 120s]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'How long setting up a connection to a provider may take (TCP, a proxy''s tunnel, TLS)')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Append a JSON line per request sent (row, attempt, provider, model, key label, status, outcome, latency, tokens, cost) to FILE')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Progress on stderr: auto is the live display on a terminal, a plain line every 30 s off one [default: auto]')
            [CompletionResult]::new('--progress-interval', '--progress-interval', [CompletionResultType]::ParameterName, 'How often plain and json progress lines are written [default: 5s]')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Run as a provider batch job instead (about half the price, minutes to 24 h): gemini, openai, anthropic or mock, optionally PROVIDER:MODEL; the same as `gen batch run --task TASK --provider PROVIDER`')
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'With --batch: how often to ask the provider whether the job is done')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'With --batch: where job state files live [default: $XDG_DATA_HOME/gen/batches]')
            [CompletionResult]::new('--no-profile', '--no-profile', [CompletionResultType]::ParameterName, 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Skip rows whose id already has a result in --out and append the rest')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite an existing results file and manifest')
            [CompletionResult]::new('--keep-order', '--keep-order', [CompletionResultType]::ParameterName, 'Write results in input order; at most 2,048 finished rows wait behind an unfinished one, then lanes take no new rows until it is written')
            [CompletionResult]::new('--bom', '--bom', [CompletionResultType]::ParameterName, 'Start CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the lanes, the first prompt, the row count, estimated tokens and cost, and the keys the run needs; send nothing (no key needed)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gen;tasks' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to read: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path')
            [CompletionResult]::new('--no-profile', '--no-profile', [CompletionResultType]::ParameterName, 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gen;batch' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('submit', 'submit', [CompletionResultType]::ParameterValue, 'Render every row like the live run and submit it as batch job(s); prints the job id')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'A job''s state, counts, age and provider (every local job without JOB)')
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Download a job''s results into the same result and manifest files as a live run')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a job (rows not done come back as cancelled when fetched)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The jobs this machine submitted')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Submit, wait, fetch: one command for CI')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gen;batch;submit' {
            [CompletionResult]::new('--task', '--task', [CompletionResultType]::ParameterName, 'The task every row is rendered for: seo, outline or a profile''s [tasks.NAME] (`gen tasks` lists them) [with --retry-failed: the job''s]')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'gemini, openai, anthropic (or an alias such as claude), or the offline mock [with --retry-failed: the job''s]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'The model [default: the provider''s default]')
            [CompletionResult]::new('--retry-failed', '--retry-failed', [CompletionResultType]::ParameterName, 'Submit only the rows that errored or expired in JOB (after `gen batch fetch JOB`)')
            [CompletionResult]::new('--pool', '--pool', [CompletionResultType]::ParameterName, 'With --live: the live pool (a batch job itself runs on one provider)')
            [CompletionResult]::new('--id-column', '--id-column', [CompletionResultType]::ParameterName, 'Column holding the row id [default: `id` when present, else the 1-based row number]')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'Prompt template (minijinja) over the row''s columns, replacing the built-in one')
            [CompletionResult]::new('--subject-column', '--subject-column', [CompletionResultType]::ParameterName, 'The column the built-in templates write about [default: `keyword`, in any case]')
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'Read the input as this format whatever its extension')
            [CompletionResult]::new('--delimiter', '--delimiter', [CompletionResultType]::ParameterName, 'CSV field delimiter: `,` `;` `tab` (or `\t`) or `|` [default: tab for .tsv, else sniffed from the header line]')
            [CompletionResult]::new('--encoding', '--encoding', [CompletionResultType]::ParameterName, 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark''s]')
            [CompletionResult]::new('--sheet', '--sheet', [CompletionResultType]::ParameterName, 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path')
            [CompletionResult]::new('--reasoning', '--reasoning', [CompletionResultType]::ParameterName, 'How much the model reasons: off, low, medium or high [default: the task''s own, or the profile''s] (as for a live run)')
            [CompletionResult]::new('--max-cost', '--max-cost', [CompletionResultType]::ParameterName, 'Submit nothing when the estimated cost at batch prices passes USD (the model needs a known price)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of each request to the Batch API (uploads, polls, downloads), e.g. 90s [default: the profile''s, else 120s]')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Append a JSON line per call to the Batch API (upload, create, poll, cancel, download: job id, status, outcome, latency) to FILE, the same file a live run''s --log writes')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'With --retry-failed: send those rows through the live pool now instead of a new batch')
            [CompletionResult]::new('--no-profile', '--no-profile', [CompletionResultType]::ParameterName, 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the job split (jobs, rows, bytes), the first request, estimated tokens, the cost at batch prices and the key the submission needs; send nothing, create nothing (no key needed)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gen;batch;status' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Append a JSON line per call to the Batch API (upload, create, poll, cancel, download: job id, status, outcome, latency) to FILE, the same file a live run''s --log writes')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gen;batch;fetch' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout [default: the job''s earlier results file, else <input stem>.<task>.jsonl]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout [default: the job''s earlier results file, else <input stem>.<task>.jsonl]')
            [CompletionResult]::new('--failed', '--failed', [CompletionResultType]::ParameterName, 'Failed-rows manifest [default: <out stem>.failed.<input ext>]')
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'How often to ask while waiting')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Append a JSON line per call to the Batch API (upload, create, poll, cancel, download: job id, status, outcome, latency) to FILE, the same file a live run''s --log writes')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Add to a results file that another run wrote, skipping the rows already in it')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace a results file and manifest that another run wrote')
            [CompletionResult]::new('--bom', '--bom', [CompletionResultType]::ParameterName, 'Start new CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until the job ends instead of fetching what is ready')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gen;batch;cancel' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Append a JSON line per call to the Batch API (upload, create, poll, cancel, download: job id, status, outcome, latency) to FILE, the same file a live run''s --log writes')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gen;batch;list' {
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gen;batch;run' {
            [CompletionResult]::new('--task', '--task', [CompletionResultType]::ParameterName, 'The task every row is rendered for: seo, outline or a profile''s [tasks.NAME] (`gen tasks` lists them) [with --retry-failed: the job''s]')
            [CompletionResult]::new('--provider', '--provider', [CompletionResultType]::ParameterName, 'gemini, openai, anthropic (or an alias such as claude), or the offline mock [with --retry-failed: the job''s]')
            [CompletionResult]::new('--model', '--model', [CompletionResultType]::ParameterName, 'The model [default: the provider''s default]')
            [CompletionResult]::new('--retry-failed', '--retry-failed', [CompletionResultType]::ParameterName, 'Submit only the rows that errored or expired in JOB (after `gen batch fetch JOB`)')
            [CompletionResult]::new('--pool', '--pool', [CompletionResultType]::ParameterName, 'With --live: the live pool (a batch job itself runs on one provider)')
            [CompletionResult]::new('--id-column', '--id-column', [CompletionResultType]::ParameterName, 'Column holding the row id [default: `id` when present, else the 1-based row number]')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'Prompt template (minijinja) over the row''s columns, replacing the built-in one')
            [CompletionResult]::new('--subject-column', '--subject-column', [CompletionResultType]::ParameterName, 'The column the built-in templates write about [default: `keyword`, in any case]')
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'Read the input as this format whatever its extension')
            [CompletionResult]::new('--delimiter', '--delimiter', [CompletionResultType]::ParameterName, 'CSV field delimiter: `,` `;` `tab` (or `\t`) or `|` [default: tab for .tsv, else sniffed from the header line]')
            [CompletionResult]::new('--encoding', '--encoding', [CompletionResultType]::ParameterName, 'Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1), iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark''s]')
            [CompletionResult]::new('--sheet', '--sheet', [CompletionResultType]::ParameterName, 'The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first]')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path')
            [CompletionResult]::new('--reasoning', '--reasoning', [CompletionResultType]::ParameterName, 'How much the model reasons: off, low, medium or high [default: the task''s own, or the profile''s] (as for a live run)')
            [CompletionResult]::new('--max-cost', '--max-cost', [CompletionResultType]::ParameterName, 'Submit nothing when the estimated cost at batch prices passes USD (the model needs a known price)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of each request to the Batch API (uploads, polls, downloads), e.g. 90s [default: the profile''s, else 120s]')
            [CompletionResult]::new('--state-dir', '--state-dir', [CompletionResultType]::ParameterName, 'Where job state files live [default: $XDG_DATA_HOME/gen/batches]')
            [CompletionResult]::new('--log', '--log', [CompletionResultType]::ParameterName, 'Append a JSON line per call to the Batch API (upload, create, poll, cancel, download: job id, status, outcome, latency) to FILE, the same file a live run''s --log writes')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout [default: the job''s earlier results file, else <input stem>.<task>.jsonl]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout [default: the job''s earlier results file, else <input stem>.<task>.jsonl]')
            [CompletionResult]::new('--failed', '--failed', [CompletionResultType]::ParameterName, 'Failed-rows manifest [default: <out stem>.failed.<input ext>]')
            [CompletionResult]::new('--poll', '--poll', [CompletionResultType]::ParameterName, 'How often to ask the provider whether the job is done')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'With --retry-failed: send those rows through the live pool now instead of a new batch')
            [CompletionResult]::new('--no-profile', '--no-profile', [CompletionResultType]::ParameterName, 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the job split (jobs, rows, bytes), the first request, estimated tokens, the cost at batch prices and the key the submission needs; send nothing, create nothing (no key needed)')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Add to a results file that another run wrote, skipping the rows already in it')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace a results file and manifest that another run wrote')
            [CompletionResult]::new('--bom', '--bom', [CompletionResultType]::ParameterName, 'Start new CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with accents intact')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gen;batch;help' {
            [CompletionResult]::new('submit', 'submit', [CompletionResultType]::ParameterValue, 'Render every row like the live run and submit it as batch job(s); prints the job id')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'A job''s state, counts, age and provider (every local job without JOB)')
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Download a job''s results into the same result and manifest files as a live run')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a job (rows not done come back as cancelled when fetched)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The jobs this machine submitted')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Submit, wait, fetch: one command for CI')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gen;batch;help;submit' {
            break
        }
        'gen;batch;help;status' {
            break
        }
        'gen;batch;help;fetch' {
            break
        }
        'gen;batch;help;cancel' {
            break
        }
        'gen;batch;help;list' {
            break
        }
        'gen;batch;help;run' {
            break
        }
        'gen;batch;help;help' {
            break
        }
        'gen;models' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'Ask each provider with a key for its model list instead of showing the built-in one')
            [CompletionResult]::new('--no-profile', '--no-profile', [CompletionResultType]::ParameterName, 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per provider per line instead of the table')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gen;completions' {
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving the pool; -vv also every retry and its reason. Keys are named by their labels only')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gen;help' {
            [CompletionResult]::new('seo', 'seo', [CompletionResultType]::ParameterValue, 'SEO metadata per row: JSON {title, meta_description, slug}, validated')
            [CompletionResult]::new('outline', 'outline', [CompletionResultType]::ParameterValue, 'A markdown article outline per row (at least three `##` sections)')
            [CompletionResult]::new('draft', 'draft', [CompletionResultType]::ParameterValue, 'A full article per row: research, outline, draft, humanize and optional images')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Any task per row: a built-in one, a profile''s [tasks.NAME], or a one-off from --schema or --format with --template or --prompt')
            [CompletionResult]::new('tasks', 'tasks', [CompletionResultType]::ParameterValue, 'The tasks a profile can run (built-in and its own), with their output fields')
            [CompletionResult]::new('batch', 'batch', [CompletionResultType]::ParameterValue, 'Provider Batch APIs (about half the price, minutes to 24 h): submit, status, fetch, cancel, list, run')
            [CompletionResult]::new('models', 'models', [CompletionResultType]::ParameterValue, 'The known models of each provider, with prices where known; --live asks the providers')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gen;help;seo' {
            break
        }
        'gen;help;outline' {
            break
        }
        'gen;help;draft' {
            break
        }
        'gen;help;run' {
            break
        }
        'gen;help;tasks' {
            break
        }
        'gen;help;batch' {
            [CompletionResult]::new('submit', 'submit', [CompletionResultType]::ParameterValue, 'Render every row like the live run and submit it as batch job(s); prints the job id')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'A job''s state, counts, age and provider (every local job without JOB)')
            [CompletionResult]::new('fetch', 'fetch', [CompletionResultType]::ParameterValue, 'Download a job''s results into the same result and manifest files as a live run')
            [CompletionResult]::new('cancel', 'cancel', [CompletionResultType]::ParameterValue, 'Cancel a job (rows not done come back as cancelled when fetched)')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'The jobs this machine submitted')
            [CompletionResult]::new('run', 'run', [CompletionResultType]::ParameterValue, 'Submit, wait, fetch: one command for CI')
            break
        }
        'gen;help;batch;submit' {
            break
        }
        'gen;help;batch;status' {
            break
        }
        'gen;help;batch;fetch' {
            break
        }
        'gen;help;batch;cancel' {
            break
        }
        'gen;help;batch;list' {
            break
        }
        'gen;help;batch;run' {
            break
        }
        'gen;help;models' {
            break
        }
        'gen;help;completions' {
            break
        }
        'gen;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
