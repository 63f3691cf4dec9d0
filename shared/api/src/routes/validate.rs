//! Checks the console runs while a manager edits: an IVR flow and a
//! retry-rule list, each validated by the core's own rules (the same ones a
//! campaign's settings go through), every problem reported at once.

use axum::Json;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::json;

use campaign_core::ivr::IvrFlow;
use campaign_core::retry::{RetryPolicy, RetryRule};

use crate::auth::Managers;
use crate::error::ApiError;
use crate::extract::ApiJson;

#[derive(Debug, Clone, Serialize)]
pub struct Valid {
    pub valid: bool,
}

/// `POST /api/ivr-flows/validate`: 200 `{"valid": true}`, or 422
/// `validation_failed` with one `{field, message}` per problem (`field` is
/// the node id, or `flow`). A body that is not a flow at all fails in the
/// extractor with the failing JSON path.
pub async fn ivr_flow(
    _who: Managers,
    ApiJson(flow): ApiJson<IvrFlow>,
) -> Result<Json<Valid>, ApiError> {
    match flow.validate() {
        Ok(()) => Ok(Json(Valid { valid: true })),
        Err(problems) => {
            let message = problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ");
            let fields: Vec<_> = problems
                .iter()
                .map(|p| json!({ "field": p.node, "message": p.message }))
                .collect();
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                message,
            )
            .with_details(json!({ "fields": fields })))
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryRulesRequest {
    /// The rule list in the call-manager format (`config/retry_config.yaml`).
    pub yaml: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ParsedRules {
    pub rules: Vec<RetryRule>,
}

/// `POST /api/retry-rules/validate`: 200 with the parsed rules, or 422
/// `validation_failed` whose details name each bad rule's 0-based index
/// (`rule`; null when the document is not a YAML list).
pub async fn retry_rules(
    _who: Managers,
    ApiJson(req): ApiJson<RetryRulesRequest>,
) -> Result<Json<ParsedRules>, ApiError> {
    match RetryPolicy::check_rules_yaml(&req.yaml) {
        Ok(rules) => Ok(Json(ParsedRules { rules })),
        Err(problems) => {
            let message = problems
                .iter()
                .map(|p| p.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            let fields: Vec<_> = problems
                .iter()
                .map(|p| json!({ "field": "yaml", "rule": p.index, "message": p.message }))
                .collect();
            Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                message,
            )
            .with_details(json!({ "fields": fields })))
        }
    }
}
