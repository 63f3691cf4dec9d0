//! Lambda entry point: glue only (see the library).

use std::sync::Arc;

use api_handler::{Config, build_state, handle};
use lambda_http::{Error, service_fn};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda_kit::init_json_tracing();
    let config = Config::from_env()?;
    let router = campaign_api::router(Arc::new(build_state(&config).await?));
    lambda_http::run(service_fn(move |request| handle(router.clone(), request))).await
}
