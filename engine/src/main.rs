//! The `aigw` binary: Terraform's workflow over the aigw engine, `aigw
//! test`, `aigw dev`, the emulator, and the built-in provider (see [`cli`]).
mod cli;

fn main() {
    std::process::exit(cli::main())
}
