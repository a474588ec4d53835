//! Loads a spec, resolves one environment and emits its Terraform into memory:
//!
//! ```text
//! cargo run -p tierform-engine --example terraform_in_memory [ENV]
//! ```
use tierform_engine::model::{Diagnostics, Format, Model, Source};

const SPEC: &str = include_str!("../../../fixtures/servio.hcl");

fn main() -> Result<(), Diagnostics> {
    let model = Model::parse(Source::new("fixtures/servio.hcl", SPEC), Format::Hcl)?;
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "production".into());
    let env = model.resolve(&model.environment(&name)?)?;
    let files = tierform_engine::terraform::emit(&env)?;
    for (path, text) in files.iter() {
        println!("terraform/{}/{path}  {} bytes", env.name, text.len());
    }
    Ok(())
}
