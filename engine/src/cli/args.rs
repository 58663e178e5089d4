//! The command line's shape: every command with only its own flags, each
//! flag described. Flags are spelled as Terraform spells them (`-var`,
//! `-auto-approve`); [`super::spelling`] maps them to clap's and back.
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "aigw",
    about = "Cloudflare AI Gateway as code, tested locally",
    disable_version_flag = true,
    after_help = "Main commands: init, validate, plan, apply, destroy. `aigw test` proves a configuration on the\n\
        local emulator; `aigw dev` keeps one applied while you edit it.\n\n\
        Global options: -chdir=DIR switches to DIR before running the command; -version prints the version."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    /// Disable color in the output (logs on a terminal are colored otherwise).
    #[arg(long = "no-color", global = true)]
    pub no_color: bool,
}

pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s)
        .or_else(|e| s.parse::<u64>().map(Duration::from_secs).map_err(|_| e))
        .map_err(|_| format!("{s:?} is not a duration (e.g. 30s, 2m, 500ms)"))
}

/// `-var` and `-var-file`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct VarFlags {
    /// Set a root module variable: NAME=VALUE (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Load variable values from a .tfvars file (repeatable).
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

/// `-state`, `-lock`, `-lock-timeout`.
#[derive(clap::Args, Debug, Clone)]
pub struct StateFlags {
    /// The state file to read and write (default terraform.tfstate).
    #[arg(long = "state", value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Hold the state lock while the command runs (-lock=false skips it: dangerous when others share the state).
    #[arg(long = "lock", default_value_t = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub lock: bool,
    /// How long to wait for the state lock held by another command (e.g. 30s).
    #[arg(long = "lock-timeout", default_value = "0s", value_parser = parse_duration, value_name = "DURATION")]
    pub lock_timeout: Duration,
}

/// `-input`: aigw asks only the apply confirmation, so it is accepted for scripts.
#[derive(clap::Args, Debug, Clone)]
pub struct InputFlag {
    /// Ask for input where needed (-input=false never asks: apply then needs -auto-approve).
    #[arg(long = "input", env = "TF_INPUT", default_value_t = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set, value_parser = clap::builder::BoolishValueParser::new())]
    pub input: bool,
}

/// What every planning command shares.
#[derive(clap::Args, Debug, Clone)]
pub struct PlanningFlags {
    #[command(flatten)]
    pub vars: VarFlags,
    #[command(flatten)]
    pub state: StateFlags,
    #[command(flatten)]
    pub input: InputFlag,
    /// Limit the operation to this resource and what it depends on (repeatable).
    #[arg(long = "target", value_name = "ADDRESS")]
    pub targets: Vec<String>,
    /// How many operations run at once.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub parallelism: usize,
    /// Show warnings as one summary line each.
    #[arg(long = "compact-warnings")]
    pub compact_warnings: bool,
}

/// `-refresh` and `-replace`, for plan and apply.
#[derive(clap::Args, Debug, Clone)]
pub struct ChangeFlags {
    /// Read remote objects before planning (-refresh=false plans against the state as recorded).
    #[arg(long = "refresh", default_value_t = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set)]
    pub refresh: bool,
    /// Force the replacement of this resource instance (repeatable).
    #[arg(long = "replace", value_name = "ADDRESS")]
    pub replace: Vec<String>,
}

#[derive(Subcommand)]
pub enum StateCommand {
    /// List the resource instances in the state.
    List {
        #[command(flatten)]
        state: StateFlags,
        /// Only these addresses (or their instances).
        addresses: Vec<String>,
    },
    /// Show one instance's attributes.
    Show {
        #[command(flatten)]
        state: StateFlags,
        /// The instance to show, e.g. aigw_gateway.main.
        address: String,
    },
    /// Forget instances without destroying them.
    Rm {
        #[command(flatten)]
        state: StateFlags,
        /// The instances or resources to forget.
        #[arg(required = true)]
        addresses: Vec<String>,
    },
    /// Move or rename an instance or resource in the state.
    Mv {
        #[command(flatten)]
        state: StateFlags,
        /// The address it has now.
        source: String,
        /// The address it gets.
        destination: String,
    },
    /// Print the current workspace's state (from its backend) as JSON.
    Pull,
    /// Replace the current workspace's state with a state file (checked: same lineage, not older).
    Push {
        #[command(flatten)]
        state: StateFlags,
        /// Write it even if its lineage differs or its serial is older (dangerous).
        #[arg(long)]
        force: bool,
        /// The state file to push (- reads standard input).
        path: PathBuf,
    },
}

/// `aigw workspace ...`: Terraform's workspaces, one state each.
#[derive(Subcommand)]
pub enum WorkspaceCommand {
    /// List the workspaces; the current one is marked with *.
    List,
    /// Print the current workspace's name.
    Show,
    /// Create a workspace and select it.
    New {
        #[command(flatten)]
        state: StateFlags,
        /// The new workspace's name.
        name: String,
    },
    /// Select a workspace.
    Select {
        /// Create it when it does not exist.
        #[arg(long = "or-create")]
        or_create: bool,
        /// The workspace to select.
        name: String,
    },
    /// Delete a workspace and its state.
    Delete {
        #[command(flatten)]
        state: StateFlags,
        /// Delete it even if its state still tracks resources (they are left running, unmanaged).
        #[arg(long)]
        force: bool,
        /// The workspace to delete.
        name: String,
    },
}

#[derive(Subcommand)]
pub enum Command {
    /// Check the providers this configuration needs and configure the state backend.
    Init {
        #[command(flatten)]
        input: InputFlag,
        #[command(flatten)]
        state: StateFlags,
        /// A backend setting as KEY=VALUE, or a file of them (repeatable).
        #[arg(long = "backend-config", value_name = "CONFIG")]
        backend_config: Vec<String>,
        /// Copy the state from the backend used before to the one configured now.
        #[arg(long = "migrate-state")]
        migrate_state: bool,
        /// Answer yes to the migration's questions (implies -migrate-state).
        #[arg(long = "force-copy")]
        force_copy: bool,
        /// Use the configured backend as it is, leaving the previous one's state behind.
        #[arg(long)]
        reconfigure: bool,
    },
    /// Manage workspaces (several states for one configuration).
    Workspace {
        #[command(subcommand)]
        command: WorkspaceCommand,
    },
    /// Release a state lock left by a command that can no longer release it.
    #[command(name = "force-unlock")]
    ForceUnlock {
        /// Do not ask for confirmation.
        #[arg(long)]
        force: bool,
        /// The lock ID the lock error printed.
        id: String,
    },
    /// Check the configuration against the provider schemas (no credentials needed).
    Validate {
        /// Print the result in Terraform's JSON diagnostics format.
        #[arg(long)]
        json: bool,
    },
    /// Show what apply would do.
    Plan {
        #[command(flatten)]
        planning: PlanningFlags,
        #[command(flatten)]
        change: ChangeFlags,
        /// Exit 0 with no changes, 2 with changes, 1 on error.
        #[arg(long)]
        detailed_exitcode: bool,
        /// Plan to destroy everything the state holds.
        #[arg(long)]
        destroy: bool,
        /// Save the plan to this file, for `apply FILE`.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Print the plan in Terraform's JSON plan format.
        #[arg(long)]
        json: bool,
        /// Write resource blocks for the import blocks that have none to this new file.
        #[arg(long = "generate-config-out", value_name = "FILE")]
        generate_config_out: Option<PathBuf>,
    },
    /// Make the changes the plan shows (or those of a saved plan).
    Apply {
        #[command(flatten)]
        planning: PlanningFlags,
        #[command(flatten)]
        change: ChangeFlags,
        /// Skip the confirmation prompt.
        #[arg(long)]
        auto_approve: bool,
        /// Destroy everything the state holds.
        #[arg(long)]
        destroy: bool,
        /// A plan saved with `plan -out`.
        plan_file: Option<PathBuf>,
    },
    /// Destroy everything the state holds.
    Destroy {
        #[command(flatten)]
        planning: PlanningFlags,
        /// Read remote objects before planning (-refresh=false plans against the state as recorded).
        #[arg(long = "refresh", default_value_t = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set)]
        refresh: bool,
        /// Skip the confirmation prompt.
        #[arg(long)]
        auto_approve: bool,
    },
    /// Adopt an existing remote object into the state.
    Import {
        #[command(flatten)]
        vars: VarFlags,
        #[command(flatten)]
        state: StateFlags,
        #[command(flatten)]
        input: InputFlag,
        /// The resource address to import into, e.g. aigw_gateway.main.
        address: String,
        /// The remote object's import id, e.g. ACCOUNT/GATEWAY.
        id: String,
    },
    /// Show the state or a saved plan.
    Show {
        /// Print in Terraform's JSON format.
        #[arg(long)]
        json: bool,
        /// A plan saved with `plan -out` (default: the state).
        plan_file: Option<PathBuf>,
    },
    /// Show the root module's outputs.
    Output {
        /// Print the outputs as JSON.
        #[arg(long)]
        json: bool,
        /// Print one string output's raw value, with no quotes.
        #[arg(long)]
        raw: bool,
        /// The state file to read (default terraform.tfstate).
        #[arg(long = "state", value_name = "PATH")]
        state: Option<PathBuf>,
        /// One output's name (default: all of them).
        name: Option<String>,
    },
    /// Inspect or edit the state.
    State {
        #[command(subcommand)]
        command: StateCommand,
    },
    /// Read every remote object back into the state.
    Refresh {
        #[command(flatten)]
        planning: PlanningFlags,
    },
    /// Evaluate expressions against the configuration and state, interactively or from stdin.
    Console {
        #[command(flatten)]
        vars: VarFlags,
        /// The state file to read (default terraform.tfstate).
        #[arg(long = "state", value_name = "PATH")]
        state: Option<PathBuf>,
    },
    /// Print the dependency graph in DOT.
    Graph,
    /// Rewrite .tf and .tfvars files in the canonical layout.
    Fmt {
        /// Only check; exit 3 if a file would change.
        #[arg(long)]
        check: bool,
        /// Show the changes as a diff.
        #[arg(long)]
        diff: bool,
        /// Also format the files of subdirectories.
        #[arg(long)]
        recursive: bool,
        /// List the files that change (-list=false prints nothing).
        #[arg(long = "list", default_value_t = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set)]
        list: bool,
        /// Write the changes to the files (-write=false only reports).
        #[arg(long = "write", default_value_t = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", action = clap::ArgAction::Set)]
        write: bool,
        /// Files or directories (default: the working directory).
        paths: Vec<PathBuf>,
    },
    /// Apply the configuration to a fresh emulator and run its *.aigwtest.hcl scenarios.
    Test {
        /// The configuration directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Run only scenarios whose name contains this (an error if none does).
        #[arg(long, value_name = "NAME")]
        filter: Option<String>,
        /// Print the results as JSON.
        #[arg(long)]
        json: bool,
        /// Also write a JUnit XML report here.
        #[arg(long = "junit-xml", value_name = "FILE")]
        junit_xml: Option<PathBuf>,
        /// Also write a self-contained HTML report here (every scenario, its requests and assertions).
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// Print each request and its answer.
        #[arg(long)]
        verbose: bool,
    },
    /// Run the emulator with this configuration applied, re-applying on every .tf change.
    Dev {
        /// The configuration directory.
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// Call the real providers instead of the simulated ones.
        #[arg(long)]
        real: bool,
        /// Send one provider elsewhere: PROVIDER=URL (repeatable).
        #[arg(long = "upstream", value_name = "PROVIDER=URL", value_parser = parse_upstream)]
        upstreams: Vec<(String, String)>,
        #[command(flatten)]
        vars: VarFlags,
    },
    /// Run the local Cloudflare AI Gateway emulator (simulated upstreams unless -real).
    Emulator {
        /// Address to listen on; port 0 picks a free port.
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// Keep state in this directory (SQLite) so it survives restarts.
        #[arg(long, value_name = "DIR")]
        data_dir: Option<PathBuf>,
        /// Require exactly this API token; otherwise any non-empty token works.
        #[arg(long, env = "AIGW_EMULATOR_API_TOKEN", hide_env_values = true, value_name = "TOKEN")]
        api_token: Option<String>,
        /// Call the real providers (api.openai.com, ...) instead of the simulated ones.
        #[arg(long, conflicts_with = "simulate")]
        real: bool,
        /// Serve every provider from the built-in simulated upstream (the default).
        #[arg(long)]
        simulate: bool,
        /// Send one provider elsewhere: PROVIDER=URL (repeatable).
        #[arg(long = "upstream", value_name = "PROVIDER=URL", value_parser = parse_upstream)]
        upstreams: Vec<(String, String)>,
        /// A simulator fault: PROVIDER[:MODEL]=503 | 503*N | timeout | drop | latency:MS (repeatable).
        #[arg(long = "fault", value_name = "SPEC", value_parser = aigw_emulator::Fault::parse, conflicts_with = "real")]
        faults: Vec<aigw_emulator::Fault>,
        /// Bound on cached response bytes.
        #[arg(long, default_value_t = 256 << 20, value_name = "BYTES")]
        cache_max_bytes: usize,
        /// Delay every management API response by this long (e.g. 80ms), like the real API.
        #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
        api_latency: Option<Duration>,
        /// Delay only the answers to management API writes (after the work is done).
        #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
        api_write_latency: Option<Duration>,
        /// Where gateways with Logpush on push their encrypted logs: a directory
        /// (gzipped NDJSON files) or an http(s):// URL the batches are POSTed to.
        #[arg(long, value_name = "DIR|URL")]
        logpush: Option<String>,
        /// Seed of dynamic routes' percentage splits: the same seed, the same split.
        #[arg(long, default_value_t = 0, value_name = "N")]
        seed: u64,
        /// Refuse to create more than N gateways per account, as Cloudflare does
        /// (10 on the Free plan, 20 on Paid). Unlimited if left out.
        #[arg(long, value_name = "N")]
        max_gateways: Option<usize>,
    },
    /// Print the aigw version and its built-in provider.
    Version {
        /// Print it as JSON, in the shape of `terraform version -json`.
        #[arg(long)]
        json: bool,
    },
    /// Print a shell completion script: aigw completions bash|zsh|fish.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Serve the built-in aigw/aigw provider over plugin protocol 6 (run by Terraform or aigw, not by hand).
    #[command(hide = true)]
    Provider {
        /// Serve without TLS and print TF_REATTACH_PROVIDERS for a debugger.
        #[arg(long)]
        debug: bool,
    },
}

fn parse_upstream(s: &str) -> Result<(String, String), String> {
    let (p, url) = s.split_once('=').ok_or_else(|| format!("-upstream {s:?}: expected PROVIDER=URL"))?;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(format!("-upstream {s:?}: the URL must start with http:// or https://"));
    }
    if !aigw_cloudflare::providers::is_known(p) {
        return Err(format!("-upstream {s:?}: unknown provider {p:?}"));
    }
    Ok((p.to_string(), url.to_string()))
}
