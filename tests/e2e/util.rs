//! Helpers for end-to-end tests: where the built binaries are, an emulator
//! process on a free port, and a Terraform-style CLI in its own temp dir
//! with its own dev_overrides CLI config.
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

pub const ACCOUNT: &str = "0123456789abcdef0123456789abcdef";

/// `target/<profile>`, found from this test binary's own path.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    exe.parent().and_then(Path::parent).expect("target dir").to_path_buf()
}

pub fn bin(name: &str) -> PathBuf {
    let p = target_dir().join(name);
    assert!(p.exists(), "{} is not built; run `cargo build --workspace` first", p.display());
    p
}

/// A running `aigw emulator`.
pub struct Emulator {
    child: Child,
    pub addr: String,
    pub token: String,
}

impl Emulator {
    pub fn start(token: &str) -> Emulator {
        Emulator::start_with(token, &[])
    }

    /// An emulator started with extra flags (`--api-latency 50ms`, ...).
    pub fn start_with(token: &str, flags: &[&str]) -> Emulator {
        Emulator::start_on("127.0.0.1:0", token, flags)
    }

    /// An emulator on `listen` (an address an earlier one had, to restart it).
    pub fn start_on(listen: &str, token: &str, flags: &[&str]) -> Emulator {
        let mut child = Command::new(bin("aigw"))
            .args(["emulator", "--listen", listen, "--api-token", token])
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start aigw emulator");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read emulator banner");
        let addr =
            line.trim().strip_prefix("listening on http://").unwrap_or_else(|| panic!("banner {line:?}")).to_string();
        Emulator { child, addr, token: token.to_string() }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/client/v4", self.addr)
    }

    /// Calls the management API; returns (status, body).
    pub fn api(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
        let url = format!("{}/accounts/{ACCOUNT}/ai-gateway{path}", self.base_url());
        let mut req = reqwest::blocking::Client::new().request(method, url).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().expect("emulator request");
        (resp.status().as_u16(), resp.json().expect("emulator JSON"))
    }

    /// Calls the gateway runtime at `/v1/{account}/{gateway}/{path}`; returns (status, body).
    pub fn post_runtime(&self, gateway: &str, path: &str, headers: &[(&str, &str)], body: Value) -> (u16, Value) {
        let url = format!("http://{}/v1/{ACCOUNT}/{gateway}/{path}", self.addr);
        let mut req = reqwest::blocking::Client::new().post(url).json(&body);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().expect("runtime request");
        (resp.status().as_u16(), resp.json().expect("runtime JSON"))
    }

    pub fn gateway(&self, id: &str) -> Option<Value> {
        match self.api(reqwest::Method::GET, &format!("/gateways/{id}"), None) {
            (200, b) => Some(b["result"].clone()),
            _ => None,
        }
    }

    pub fn gateway_ids(&self) -> Vec<String> {
        let (_, b) = self.api(reqwest::Method::GET, "/gateways?per_page=100", None);
        b["result"].as_array().expect("list").iter().map(|g| g["id"].as_str().unwrap_or_default().to_string()).collect()
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A terraform or tofu binary the matrix runs.
#[derive(Debug, Clone)]
pub struct CliBin {
    pub name: &'static str,
    pub path: PathBuf,
}

fn cli_cache() -> PathBuf {
    std::env::var_os("AIGW_CLI_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/aigw-clis"))
}

/// A CLI from the matrix. Missing ones fail the test in CI (where
/// `scripts/install-clis.sh` has run) and are reported and skipped elsewhere.
pub fn cli(name: &'static str) -> Option<CliBin> {
    let path = match name {
        "terraform-1.11" => PathBuf::from("terraform"),
        other => cli_cache().join(other),
    };
    let found = Command::new(&path).arg("version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok();
    if found {
        return Some(CliBin { name, path });
    }
    let required = std::env::var_os("CI").is_some() || std::env::var_os("AIGW_REQUIRE_CLIS").is_some();
    assert!(!required, "{name} not found at {}; run scripts/install-clis.sh", path.display());
    eprintln!("SKIP: {name} not installed (run scripts/install-clis.sh)");
    None
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// A working directory with its own CLI config pointing at our provider.
pub struct Workdir {
    pub dir: tempfile::TempDir,
    pub cli: CliBin,
    cli_config: PathBuf,
    envs: Vec<(String, String)>,
}

impl Workdir {
    pub fn new(cli: CliBin) -> Workdir {
        let dir = tempfile::tempdir().expect("tempdir");
        let cli_config = dir.path().join("cli.tfrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"aigw/aigw\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                target_dir().display()
            ),
        )
        .expect("write CLI config");
        let work = dir.path().join("work");
        std::fs::create_dir(&work).expect("mkdir");
        Workdir { dir, cli, cli_config, envs: Vec::new() }
    }

    pub fn path(&self) -> PathBuf {
        self.dir.path().join("work")
    }

    /// Lets `init` install the provider too (a backend needs `init`): a
    /// filesystem mirror holding the built provider, beside the override.
    pub fn with_mirror(self) -> Workdir {
        // Terraform's registry and OpenTofu's.
        for host in ["registry.terraform.io", "registry.opentofu.org"] {
            let plat = self.dir.path().join(format!("mirror/{host}/aigw/aigw/0.1.0/linux_amd64"));
            std::fs::create_dir_all(&plat).expect("mkdir mirror");
            std::os::unix::fs::symlink(
                target_dir().join("terraform-provider-aigw"),
                plat.join("terraform-provider-aigw_v0.1.0"),
            )
            .expect("link the provider");
        }
        std::fs::write(
            &self.cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"aigw/aigw\" = \"{}\"\n  }}\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"aigw/aigw\"]\n  }}\n  direct {{\n    exclude = [\"aigw/aigw\"]\n  }}\n}}\n",
                target_dir().display(),
                self.dir.path().join("mirror").display()
            ),
        )
        .expect("write CLI config");
        self
    }

    pub fn env(&mut self, k: &str, v: &str) {
        self.envs.push((k.to_string(), v.to_string()));
    }

    pub fn write(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).expect("write config");
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with_input(args, "")
    }

    /// Runs with `input` on stdin.
    pub fn run_with_input(&self, args: &[&str], input: &str) -> Output {
        self.run_cli(&self.cli, args, input)
    }

    /// Runs another CLI of the matrix in the same directory and configuration.
    pub fn run_cli(&self, cli: &CliBin, args: &[&str], input: &str) -> Output {
        let mut child = Command::new(&cli.path)
            .args(args)
            .current_dir(self.path())
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env_remove("TF_LOG")
            .envs(self.envs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run CLI");
        let mut stdin = child.stdin.take().expect("stdin");
        std::io::Write::write_all(&mut stdin, input.as_bytes()).expect("write stdin");
        drop(stdin);
        let out = child.wait_with_output().expect("run CLI");
        Output {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs and requires exit code `code`, printing everything otherwise.
    pub fn expect(&self, code: i32, args: &[&str]) -> Output {
        let out = self.run(args);
        assert_eq!(out.code, code, "{} {args:?} exited {}:\n{}", self.cli.name, out.code, out.all());
        out
    }
}
