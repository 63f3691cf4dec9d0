//! Lambda entry point: glue only (see the library).

use contact_importer::{Config, build_deps, handler};
use lambda_runtime::{Error, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_kit::init_json_tracing();
    let config = Config::from_env()?;
    let deps = build_deps(&config).await?;
    let (deps, config) = (&deps, &config);
    lambda_runtime::run(service_fn(move |event| handler(deps, config, event))).await
}
