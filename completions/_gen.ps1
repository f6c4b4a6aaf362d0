
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
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('seo', 'seo', [CompletionResultType]::ParameterValue, 'SEO metadata per row: JSON {title, meta_description, slug}, validated')
            [CompletionResult]::new('outline', 'outline', [CompletionResultType]::ParameterValue, 'A markdown article outline per row (at least three `##` sections)')
            [CompletionResult]::new('draft', 'draft', [CompletionResultType]::ParameterValue, 'A full article per row: research, outline, draft, humanize and optional images')
            [CompletionResult]::new('models', 'models', [CompletionResultType]::ParameterValue, 'The known models of each provider, with prices where known; --live asks the providers')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to stdout')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'gen;seo' {
            [CompletionResult]::new('--pool', '--pool', [CompletionResultType]::ParameterName, 'Lanes as NAME=WEIGHT,... where NAME is a provider or PROVIDER:MODEL; weight = lanes')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]')
            [CompletionResult]::new('--failed', '--failed', [CompletionResultType]::ParameterName, 'Failed-rows manifest, in the input''s format plus error columns. [default: <out stem>.failed.<input ext>]')
            [CompletionResult]::new('--id-column', '--id-column', [CompletionResultType]::ParameterName, 'Column holding the row id [default: `id` when present, else the 1-based row number]')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'Prompt template (minijinja) over the row''s columns, replacing the built-in one')
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'Read the input as this format whatever its extension')
            [CompletionResult]::new('--max-attempts', '--max-attempts', [CompletionResultType]::ParameterName, 'Attempts per row before it goes to the manifest (rate-limit answers do not count)')
            [CompletionResult]::new('--max-cost', '--max-cost', [CompletionResultType]::ParameterName, 'Stop dispatching once spend plus the estimate of requests in flight would pass USD (every model in the pool needs a known price)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 90s or 2m [default: the profile''s, else 120s]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'How long opening a connection to a provider may take')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Progress on stderr')
            [CompletionResult]::new('--progress-interval', '--progress-interval', [CompletionResultType]::ParameterName, 'How often plain and json progress lines are written')
            [CompletionResult]::new('--no-profile', '--no-profile', [CompletionResultType]::ParameterName, 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Skip rows whose id already has a result in --out and append the rest')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite an existing results file and manifest')
            [CompletionResult]::new('--keep-order', '--keep-order', [CompletionResultType]::ParameterName, 'Write results in input order (holding back rows that finish ahead of an earlier one)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the lanes, the first prompt, the row count and estimated tokens; send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gen;outline' {
            [CompletionResult]::new('--pool', '--pool', [CompletionResultType]::ParameterName, 'Lanes as NAME=WEIGHT,... where NAME is a provider or PROVIDER:MODEL; weight = lanes')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]')
            [CompletionResult]::new('--failed', '--failed', [CompletionResultType]::ParameterName, 'Failed-rows manifest, in the input''s format plus error columns. [default: <out stem>.failed.<input ext>]')
            [CompletionResult]::new('--id-column', '--id-column', [CompletionResultType]::ParameterName, 'Column holding the row id [default: `id` when present, else the 1-based row number]')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'Prompt template (minijinja) over the row''s columns, replacing the built-in one')
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'Read the input as this format whatever its extension')
            [CompletionResult]::new('--max-attempts', '--max-attempts', [CompletionResultType]::ParameterName, 'Attempts per row before it goes to the manifest (rate-limit answers do not count)')
            [CompletionResult]::new('--max-cost', '--max-cost', [CompletionResultType]::ParameterName, 'Stop dispatching once spend plus the estimate of requests in flight would pass USD (every model in the pool needs a known price)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 90s or 2m [default: the profile''s, else 120s]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'How long opening a connection to a provider may take')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Progress on stderr')
            [CompletionResult]::new('--progress-interval', '--progress-interval', [CompletionResultType]::ParameterName, 'How often plain and json progress lines are written')
            [CompletionResult]::new('--no-profile', '--no-profile', [CompletionResultType]::ParameterName, 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)')
            [CompletionResult]::new('--resume', '--resume', [CompletionResultType]::ParameterName, 'Skip rows whose id already has a result in --out and append the rest')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite an existing results file and manifest')
            [CompletionResult]::new('--keep-order', '--keep-order', [CompletionResultType]::ParameterName, 'Write results in input order (holding back rows that finish ahead of an earlier one)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the lanes, the first prompt, the row count and estimated tokens; send nothing')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gen;draft' {
            [CompletionResult]::new('--pool', '--pool', [CompletionResultType]::ParameterName, 'Lanes as NAME=WEIGHT,... where NAME is a provider or PROVIDER:MODEL; weight = lanes')
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]')
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout. [default: <input stem>.<task>.jsonl in the current directory]')
            [CompletionResult]::new('--failed', '--failed', [CompletionResultType]::ParameterName, 'Failed-rows manifest, in the input''s format plus error columns. [default: <out stem>.failed.<input ext>]')
            [CompletionResult]::new('--id-column', '--id-column', [CompletionResultType]::ParameterName, 'Column holding the row id [default: `id` when present, else the 1-based row number]')
            [CompletionResult]::new('--template', '--template', [CompletionResultType]::ParameterName, 'Prompt template (minijinja) over the row''s columns, replacing the built-in one')
            [CompletionResult]::new('--input-format', '--input-format', [CompletionResultType]::ParameterName, 'Read the input as this format whatever its extension')
            [CompletionResult]::new('--max-attempts', '--max-attempts', [CompletionResultType]::ParameterName, 'Attempts per row before it goes to the manifest (rate-limit answers do not count)')
            [CompletionResult]::new('--max-cost', '--max-cost', [CompletionResultType]::ParameterName, 'Stop dispatching once spend plus the estimate of requests in flight would pass USD (every model in the pool needs a known price)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Timeout of one request, e.g. 90s or 2m [default: the profile''s, else 120s]')
            [CompletionResult]::new('--connect-timeout', '--connect-timeout', [CompletionResultType]::ParameterName, 'How long opening a connection to a provider may take')
            [CompletionResult]::new('--progress', '--progress', [CompletionResultType]::ParameterName, 'Progress on stderr')
            [CompletionResult]::new('--progress-interval', '--progress-interval', [CompletionResultType]::ParameterName, 'How often plain and json progress lines are written')
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
            [CompletionResult]::new('--keep-order', '--keep-order', [CompletionResultType]::ParameterName, 'Write results in input order (holding back rows that finish ahead of an earlier one)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show the lanes, the first prompt, the row count and estimated tokens; send nothing')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Go on without asking when the pool spans several providers (articles will differ in voice)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Go on without asking when the pool spans several providers (articles will differ in voice)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gen;models' {
            [CompletionResult]::new('--profile', '--profile', [CompletionResultType]::ParameterName, 'Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path')
            [CompletionResult]::new('--live', '--live', [CompletionResultType]::ParameterName, 'Ask each provider with a key for its model list instead of showing the built-in one')
            [CompletionResult]::new('--no-profile', '--no-profile', [CompletionResultType]::ParameterName, 'Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml)')
            [CompletionResult]::new('--json', '--json', [CompletionResultType]::ParameterName, 'One JSON object per provider per line instead of the table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'gen;completions' {
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
