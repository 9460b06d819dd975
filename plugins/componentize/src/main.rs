//! `winst-componentize IN.wasm OUT.wasm`: wraps a wasm32-unknown-unknown core module built with
//! wit-bindgen into a WebAssembly component, validating it. A build tool for `plugins/build.sh`;
//! winst itself never runs it.

use anyhow::{Context, Result, bail};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [input, output] = args.as_slice() else {
        bail!("usage: winst-componentize IN.wasm OUT.wasm");
    };
    let module = std::fs::read(input).with_context(|| format!("cannot read {input}"))?;
    let component = wit_component::ComponentEncoder::default()
        .module(&module)
        .with_context(|| format!("{input} is not a module built with wit-bindgen"))?
        .validate(true)
        .encode()
        .with_context(|| format!("cannot make a component of {input}"))?;
    std::fs::write(output, component).with_context(|| format!("cannot write {output}"))?;
    Ok(())
}
