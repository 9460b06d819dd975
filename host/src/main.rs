//! The `winst` binary: a thin shell around [`winst::cli`].
fn main() -> std::process::ExitCode {
    winst::cli::main()
}
