//! The `aigw` binary: Terraform's workflow over the aigw engine, `aigw
//! test`, `aigw dev`, the emulator, and the built-in provider (see [`cli`]).
mod cli;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    std::process::exit(cli::main())
}
