//! Command-line types only: raw input as the user typed it. `plan` turns it into a validated run.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::duration::parse_duration;

/// Bulk AI text generation: one run fans rows out over a weighted pool of providers.
#[derive(Debug, Parser)]
#[command(
    name = "gen",
    version,
    about,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Say what the run is doing on stderr: -v keys parked and back, limits learnt, keys leaving
    /// the pool; -vv also every retry and its reason. Keys are named by their labels only.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
}

impl Cli {
    /// Puts each live subcommand's INPUT into its [`RunArgs`], where the plan reads it.
    pub fn settle(mut self) -> Self {
        match &mut self.command {
            Command::Seo(args) | Command::Outline(args) => args.run.input = args.input.clone(),
            Command::Draft(args) => args.run.input = args.input.clone(),
            Command::Run(args) => {
                args.run.input = args.targets.last().cloned().unwrap_or_default();
            }
            _ => {}
        }
        self
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// SEO metadata per row: JSON {title, meta_description, slug}, validated.
    Seo(TaskArgs),
    /// A markdown article outline per row (at least three `##` sections).
    Outline(TaskArgs),
    /// A full article per row: research, outline, draft, humanize and optional images.
    Draft(Box<DraftArgs>),
    /// Any task per row: a built-in one, a profile's [tasks.NAME], or a one-off from --schema or
    /// --format with --template or --prompt.
    #[command(
        override_usage = "gen run [OPTIONS] TASK INPUT\n       gen run [OPTIONS] \
                                 (--schema FILE | --format FORMAT) (--template FILE | --prompt TEXT) \
                                 INPUT"
    )]
    Run(Box<RunTaskArgs>),
    /// The tasks a profile can run (built-in and its own), with their output fields.
    Tasks(TasksArgs),
    /// Provider Batch APIs (about half the price, minutes to 24 h): submit, status, fetch, cancel,
    /// list, run.
    #[command(subcommand)]
    Batch(BatchCommand),
    /// The known models of each provider, with prices where known; --live asks the providers.
    Models(ModelsArgs),
    /// Print a shell completion script to stdout.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormat {
    Csv,
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressArg {
    /// A live display on a terminal, nothing otherwise.
    Auto,
    /// The live display even when stderr is not a terminal.
    Bar,
    /// A status line every --progress-interval, for CI logs.
    Plain,
    /// A JSON object per line every --progress-interval, for machines.
    Json,
    /// Only the final summary.
    None,
}

fn parse_reasoning(text: &str) -> Result<crate::providers::reasoning::Reasoning, String> {
    crate::providers::reasoning::Reasoning::parse(text)
        .ok_or_else(|| format!("`{text}` is not a reasoning setting; use off, low, medium or high"))
}

fn parse_usd(text: &str) -> Result<f64, String> {
    match text.trim_start_matches('$').parse::<f64>() {
        Ok(usd) if usd > 0.0 && usd.is_finite() => Ok(usd),
        _ => Err(format!(
            "`{text}` is not a positive amount in USD, e.g. 2.50"
        )),
    }
}

/// `gen draft`: the run options plus the pipeline's own.
#[derive(Debug, Clone, Args)]
pub struct DraftArgs {
    /// Rows to process: CSV (with a header row) or JSONL, by extension; `-` reads stdin.
    #[arg(value_name = "INPUT")]
    pub input: String,

    #[command(flatten)]
    pub run: RunArgs,

    /// Provider (and model) for the research stage [default: each lane's own provider].
    #[arg(long, value_name = "PROVIDER[:MODEL]")]
    pub research: Option<String>,

    /// Stages to run, comma-separated: research, outline, draft, humanize, images.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub stages: Option<Vec<String>>,

    /// Stages to leave out, comma-separated.
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    pub skip: Vec<String>,

    /// Pictures per article, drawn by --image-model [default: 0].
    #[arg(long, value_name = "N")]
    pub images: Option<u32>,

    /// Provider (and model) that draws pictures [default: gemini:gemini-2.5-flash-image; the mock
    /// when the pool has only mock providers].
    #[arg(long, value_name = "PROVIDER[:MODEL]")]
    pub image_model: Option<String>,

    /// Where pictures are saved as <row id>-<n>.png [default: <out stem>.assets].
    #[arg(long, value_name = "DIR")]
    pub assets: Option<PathBuf>,

    /// Also write each article as <slug>.md with YAML front matter into DIR.
    #[arg(long, value_name = "DIR")]
    pub articles_dir: Option<PathBuf>,

    /// Target length in words (a `words` column wins) [default: the profile's, else 1200].
    #[arg(long, value_name = "N", value_parser = crate::tasks::draft::parse_words)]
    pub words: Option<u32>,

    /// Who the articles are for (an `audience` column wins).
    #[arg(long, value_name = "TEXT")]
    pub audience: Option<String>,

    /// The voice to write in (a `tone` column wins).
    #[arg(long, value_name = "TEXT")]
    pub tone: Option<String>,

    /// A stage's prompt template, replacing the built-in one; repeatable.
    #[arg(long = "stage-template", value_name = "STAGE=FILE", value_parser = crate::tasks::draft::parse_stage_template)]
    pub stage_templates: Vec<(crate::tasks::draft::Stage, PathBuf)>,

    /// Go on without asking when the pool spans several providers (articles will differ in voice).
    #[arg(short, long)]
    pub yes: bool,
}

/// `gen seo` and `gen outline`: the run options, and running them as a batch job instead.
#[derive(Debug, Clone, Args)]
pub struct TaskArgs {
    /// Rows to process: CSV (with a header row) or JSONL, by extension; `-` reads stdin.
    #[arg(value_name = "INPUT")]
    pub input: String,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub batch: BatchFlags,
}

/// `gen run [TASK] INPUT`.
#[derive(Debug, Clone, Args)]
pub struct RunTaskArgs {
    /// TASK INPUT: the task (seo, outline, or a profile's [tasks.NAME]; `gen tasks` lists them)
    /// and the rows to process. A one-off task given by --schema or --format takes only INPUT.
    #[arg(value_name = "TASK_AND_INPUT", num_args = 1..=2, required = true)]
    pub targets: Vec<String>,

    #[command(flatten)]
    pub define: TaskFlags,

    #[command(flatten)]
    pub run: RunArgs,

    #[command(flatten)]
    pub batch: BatchFlags,
}

impl RunTaskArgs {
    /// The task named, when one is.
    pub fn task(&self) -> Option<&str> {
        (self.targets.len() == 2).then(|| self.targets[0].as_str())
    }
}

/// A one-off task's definition, for `gen run` without a task name (a profile's `[tasks.NAME]`
/// table takes the same keys).
#[derive(Debug, Clone, Default, Args)]
pub struct TaskFlags {
    /// The answer is a JSON object matching this JSON Schema file; its top-level properties are
    /// the result columns. With --template FILE or --prompt TEXT.
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "format",
        help_heading = "One-off task"
    )]
    pub schema: Option<PathBuf>,

    /// The answer is markdown or plain text, in the column --field (default: text).
    #[arg(long, value_enum, help_heading = "One-off task")]
    pub format: Option<crate::tasks::spec::TextFormat>,

    /// The user prompt, inline (a minijinja template over the row's columns).
    #[arg(
        long,
        value_name = "TEXT",
        conflicts_with = "template",
        help_heading = "One-off task"
    )]
    pub prompt: Option<String>,

    /// The system prompt.
    #[arg(long, value_name = "TEXT", help_heading = "One-off task")]
    pub system: Option<String>,

    /// A text answer's result column.
    #[arg(
        long,
        value_name = "NAME",
        requires = "format",
        help_heading = "One-off task"
    )]
    pub field: Option<String>,

    /// A text answer's fewest words.
    #[arg(
        long,
        value_name = "N",
        requires = "format",
        help_heading = "One-off task"
    )]
    pub min_words: Option<u32>,

    /// A text answer's most words.
    #[arg(
        long,
        value_name = "N",
        requires = "format",
        help_heading = "One-off task"
    )]
    pub max_words: Option<u32>,

    /// A text answer's fewest `##` headings.
    #[arg(
        long,
        value_name = "N",
        requires = "format",
        help_heading = "One-off task"
    )]
    pub min_headings: Option<u32>,

    /// The answer's output budget in tokens (room for reasoning is added per model).
    #[arg(long, value_name = "N", help_heading = "One-off task")]
    pub answer_tokens: Option<u32>,
}

impl TaskFlags {
    pub fn defines_a_task(&self) -> bool {
        self.schema.is_some() || self.format.is_some()
    }

    /// Any flag given, to refuse them beside a task name.
    pub fn any(&self) -> bool {
        self.defines_a_task()
            || self.prompt.is_some()
            || self.system.is_some()
            || self.answer_tokens.is_some()
    }
}

/// `gen tasks`.
#[derive(Debug, Clone, Args)]
pub struct TasksArgs {
    /// Profile to read: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path.
    #[arg(long, value_name = "NAME|FILE", conflicts_with = "no_profile")]
    pub profile: Option<String>,

    /// Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml).
    #[arg(long)]
    pub no_profile: bool,
}

/// `--batch PROVIDER[:MODEL]` on a task: the same as `gen batch run`.
#[derive(Debug, Clone, Args)]
pub struct BatchFlags {
    /// Run as a provider batch job instead (about half the price, minutes to 24 h): gemini,
    /// openai, anthropic or mock, optionally PROVIDER:MODEL; the same as
    /// `gen batch run --task TASK --provider PROVIDER`.
    #[arg(long, value_name = "PROVIDER[:MODEL]")]
    pub batch: Option<String>,

    /// With --batch: how often to ask the provider whether the job is done.
    #[arg(long, requires = "batch", value_parser = parse_duration, default_value = "30s", value_name = "DURATION")]
    pub poll: Duration,

    /// With --batch: where job state files live [default: $XDG_DATA_HOME/gen/batches].
    #[arg(long, requires = "batch", value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

/// Options shared by the live-run subcommands.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// The input: each subcommand reads it as its own positional argument (`gen run` after a
    /// task name) and [`Cli::settle`] puts it here.
    #[arg(skip)]
    pub input: String,

    /// Lanes as NAME=WEIGHT,... where NAME is a provider, a model id or PROVIDER:MODEL and
    /// weight = lanes; a NAME without a weight gets automatic lanes.
    #[arg(long, value_name = "SPEC")]
    pub pool: Option<String>,

    /// Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path.
    #[arg(long, value_name = "NAME|FILE", conflicts_with = "no_profile")]
    pub profile: Option<String>,

    /// Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml).
    #[arg(long)]
    pub no_profile: bool,

    /// Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout.
    /// [default: <input stem>.<task>.jsonl in the current directory]
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<String>,

    /// Failed-rows manifest, in the input's format plus error columns.
    /// [default: <out stem>.failed.<input ext>]
    #[arg(long, value_name = "FILE")]
    pub failed: Option<PathBuf>,

    /// Skip rows whose id already has a result in --out and append the rest.
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,

    /// Overwrite an existing results file and manifest.
    #[arg(long)]
    pub force: bool,

    /// Column holding the row id [default: `id` when present, else the 1-based row number].
    #[arg(long, value_name = "NAME")]
    pub id_column: Option<String>,

    /// Prompt template (minijinja) over the row's columns, replacing the built-in one.
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,

    /// The column the built-in templates write about [default: `keyword`, in any case, or the
    /// profile's `subject_column`].
    #[arg(long, value_name = "NAME")]
    pub subject_column: Option<String>,

    /// Read the input as this format whatever its extension.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormat>,

    #[command(flatten)]
    pub read: ReadArgs,

    /// Attempts per row before it goes to the manifest (rate-limit answers do not count)
    /// [default: 5].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: Option<u32>,

    /// Stop dispatching once spend plus the estimate of requests in flight would pass USD
    /// (every model the run sends to, a draft's research and image models included, needs a known
    /// price); with --batch, submit nothing when the estimate at batch prices passes it.
    #[arg(long, value_name = "USD", value_parser = parse_usd)]
    pub max_cost: Option<f64>,

    /// At most N requests in flight over the whole run (bounds automatic lanes).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub max_inflight: Option<u32>,

    /// How much the models reason before answering, for every task and provider of the run,
    /// mapped to each model's nearest accepted value: off, low, medium or high [default: each
    /// task's own (off for seo and outline), or the profile's].
    #[arg(long, value_parser = parse_reasoning, value_name = "SETTING")]
    pub reasoning: Option<crate::providers::reasoning::Reasoning>,

    /// Timeout of one request, e.g. 90s or 2m [default: the profile's, else 120s].
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,

    /// How long setting up a connection to a provider may take (TCP, a proxy's tunnel, TLS).
    #[arg(long, value_parser = parse_duration, default_value = "10s", value_name = "DURATION")]
    pub connect_timeout: Duration,

    /// Append a JSON line per request sent (row, attempt, provider, model, key label, status,
    /// outcome, latency, tokens, cost) to FILE.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,

    /// Write results in input order; at most 2,048 finished rows wait behind an unfinished one, then
    /// lanes take no new rows until it is written.
    #[arg(long)]
    pub keep_order: bool,

    /// Start CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them with
    /// accents intact.
    #[arg(long)]
    pub bom: bool,

    /// Show the lanes, the first prompt, the row count, estimated tokens and cost, and the keys
    /// the run needs; send nothing (no key needed).
    #[arg(long)]
    pub dry_run: bool,

    /// Progress on stderr: auto is the live display on a terminal, a plain line every 30 s off one
    /// [default: auto].
    #[arg(long, value_enum, value_name = "MODE")]
    pub progress: Option<ProgressArg>,

    /// How often plain and json progress lines are written [default: 5s].
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub progress_interval: Option<Duration>,
}

/// How a CSV, JSONL or workbook input is read, when gen's own choice is not the right one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct ReadArgs {
    /// CSV field delimiter: `,` `;` `tab` (or `\t`) or `|` [default: tab for .tsv, else sniffed
    /// from the header line].
    #[arg(long, value_name = "CHAR", value_parser = crate::rows::sniff::parse_delimiter)]
    pub delimiter: Option<u8>,

    /// Text encoding of a CSV or JSONL input, as a WHATWG label: windows-1252 (latin1),
    /// iso-8859-2, shift_jis, gbk, utf-16le… [default: UTF-8, or the byte-order mark's].
    #[arg(long, value_name = "LABEL", value_parser = crate::rows::decode::parse_encoding)]
    pub encoding: Option<&'static encoding_rs::Encoding>,

    /// The sheet of a workbook input (.xlsx, .xls, .ods) to read [default: the first].
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
}

/// `gen batch …`: one provider per job.
#[derive(Debug, Clone, Subcommand)]
pub enum BatchCommand {
    /// Render every row like the live run and submit it as batch job(s); prints the job id.
    Submit(Box<BatchSubmitArgs>),
    /// A job's state, counts, age and provider (every local job without JOB).
    Status {
        /// The job id `submit` printed [default: every job in the state directory].
        job: Option<String>,
        #[command(flatten)]
        state: StateDirArg,
        #[command(flatten)]
        log: BatchLogArg,
    },
    /// Download a job's results into the same result and manifest files as a live run.
    Fetch(BatchFetchArgs),
    /// Cancel a job (rows not done come back as cancelled when fetched).
    Cancel {
        /// The job id `submit` printed.
        job: String,
        #[command(flatten)]
        state: StateDirArg,
        #[command(flatten)]
        log: BatchLogArg,
    },
    /// The jobs this machine submitted.
    List {
        #[command(flatten)]
        state: StateDirArg,
    },
    /// Submit, wait, fetch: one command for CI.
    Run(Box<BatchRunArgs>),
}

#[derive(Debug, Clone, Args)]
pub struct StateDirArg {
    /// Where job state files live [default: $XDG_DATA_HOME/gen/batches].
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Default, Args)]
pub struct BatchLogArg {
    /// Append a JSON line per call to the Batch API (upload, create, poll, cancel, download:
    /// job id, status, outcome, latency) to FILE, the same file a live run's --log writes.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct BatchSubmitArgs {
    /// Rows to submit (CSV or JSONL, as for a live run).
    #[arg(required_unless_present = "retry_failed")]
    pub input: Option<String>,

    /// The task every row is rendered for: seo, outline or a profile's [tasks.NAME] (`gen tasks`
    /// lists them) [with --retry-failed: the job's].
    #[arg(long, value_name = "TASK", required_unless_present = "retry_failed")]
    pub task: Option<String>,

    /// gemini, openai, anthropic (or an alias such as claude), or the offline mock [with
    /// --retry-failed: the job's].
    #[arg(
        long,
        value_name = "PROVIDER",
        required_unless_present = "retry_failed"
    )]
    pub provider: Option<String>,

    /// The model [default: the provider's default].
    #[arg(long, value_name = "MODEL")]
    pub model: Option<String>,

    /// Submit only the rows that errored or expired in JOB (after `gen batch fetch JOB`).
    #[arg(long, value_name = "JOB", conflicts_with = "input")]
    pub retry_failed: Option<String>,

    /// With --retry-failed: send those rows through the live pool now instead of a new batch.
    #[arg(long, requires = "retry_failed")]
    pub live: bool,

    /// With --live: the live pool (a batch job itself runs on one provider).
    #[arg(long, value_name = "SPEC")]
    pub pool: Option<String>,

    /// Column holding the row id [default: `id` when present, else the 1-based row number].
    #[arg(long, value_name = "NAME")]
    pub id_column: Option<String>,

    /// Prompt template (minijinja) over the row's columns, replacing the built-in one.
    #[arg(long, value_name = "FILE")]
    pub template: Option<PathBuf>,

    /// The column the built-in templates write about [default: `keyword`, in any case].
    #[arg(long, value_name = "NAME")]
    pub subject_column: Option<String>,

    /// Read the input as this format whatever its extension.
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub input_format: Option<InputFormat>,

    #[command(flatten)]
    pub read: ReadArgs,

    /// Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path.
    #[arg(long, value_name = "NAME|FILE", conflicts_with = "no_profile")]
    pub profile: Option<String>,

    /// Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml).
    #[arg(long)]
    pub no_profile: bool,

    /// How much the model reasons: off, low, medium or high [default: the task's own, or the
    /// profile's] (as for a live run).
    #[arg(long, value_parser = parse_reasoning, value_name = "SETTING")]
    pub reasoning: Option<crate::providers::reasoning::Reasoning>,

    /// Submit nothing when the estimated cost at batch prices passes USD (the model needs a
    /// known price).
    #[arg(long, value_name = "USD", value_parser = parse_usd)]
    pub max_cost: Option<f64>,

    /// Timeout of each request to the Batch API (uploads, polls, downloads), e.g. 90s
    /// [default: the profile's, else 120s].
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    pub timeout: Option<Duration>,

    /// Show the job split (jobs, rows, bytes), the first request, estimated tokens, the cost at
    /// batch prices and the key the submission needs; send nothing, create nothing (no key
    /// needed).
    #[arg(long)]
    pub dry_run: bool,

    #[command(flatten)]
    pub state: StateDirArg,

    #[command(flatten)]
    pub log: BatchLogArg,
}

#[derive(Debug, Clone, Args)]
pub struct BatchFetchArgs {
    /// The job id `submit` printed.
    pub job: String,

    #[command(flatten)]
    pub files: FetchFiles,

    /// Wait until the job ends instead of fetching what is ready.
    #[arg(long)]
    pub wait: bool,

    /// How often to ask while waiting.
    #[arg(long, value_parser = parse_duration, default_value = "30s", value_name = "DURATION")]
    pub poll: Duration,

    #[command(flatten)]
    pub state: StateDirArg,

    #[command(flatten)]
    pub log: BatchLogArg,
}

/// Where a fetch writes, and what it may do with files already there.
#[derive(Debug, Clone, Args)]
pub struct FetchFiles {
    /// Results file: JSONL, or CSV when the name ends in .csv; `-` for stdout [default: the
    /// job's earlier results file, else <input stem>.<task>.jsonl].
    #[arg(short, long, value_name = "FILE")]
    pub out: Option<String>,

    /// Failed-rows manifest [default: <out stem>.failed.<input ext>].
    #[arg(long, value_name = "FILE")]
    pub failed: Option<PathBuf>,

    /// Add to a results file that another run wrote, skipping the rows already in it.
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,

    /// Replace a results file and manifest that another run wrote.
    #[arg(long)]
    pub force: bool,

    /// Start new CSV results and manifests with a UTF-8 byte-order mark, so Excel opens them
    /// with accents intact.
    #[arg(long)]
    pub bom: bool,
}

#[derive(Debug, Clone, Args)]
pub struct BatchRunArgs {
    #[command(flatten)]
    pub submit: BatchSubmitArgs,

    #[command(flatten)]
    pub files: FetchFiles,

    /// How often to ask the provider whether the job is done.
    #[arg(long, value_parser = parse_duration, default_value = "30s", value_name = "DURATION")]
    pub poll: Duration,
}

/// Options of `gen models`.
#[derive(Debug, Clone, Args)]
pub struct ModelsArgs {
    /// Only this provider (a name or alias: deepseek, claude, a profile's own name…).
    #[arg(value_name = "PROVIDER")]
    pub provider: Option<String>,

    /// Ask each provider with a key for its model list instead of showing the built-in one.
    #[arg(long)]
    pub live: bool,

    /// Profile to use: a NAME in $XDG_CONFIG_HOME/gen/NAME.toml, or a FILE path.
    #[arg(long, value_name = "NAME|FILE", conflicts_with = "no_profile")]
    pub profile: Option<String>,

    /// Ignore the default profile ($XDG_CONFIG_HOME/gen/config.toml).
    #[arg(long)]
    pub no_profile: bool,

    /// One JSON object per provider per line instead of the table.
    #[arg(long)]
    pub json: bool,
}
