//! Compiles our tfplugin6 and go-plugin .proto files with the vendored protoc,
//! so a fresh machine needs no protoc installed.
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut config = tonic_prost_build::Config::new();
    config.protoc_executable(protoc_bin_vendored::protoc_bin_path()?);
    let include = protoc_bin_vendored::include_path()?;
    tonic_prost_build::configure().generate_default_stubs(true).compile_with_config(
        config,
        &[std::path::PathBuf::from("proto/tfplugin6.proto"), std::path::PathBuf::from("proto/plugin.proto")],
        &[std::path::PathBuf::from("proto"), include],
    )?;
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
