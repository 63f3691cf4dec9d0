#!/usr/bin/env python3
"""Writes shared/api/openapi.json (run from the repository root after
changing a route; `cargo nextest run -p campaign-api openapi` checks the
file against the router's route table)."""
import json, pathlib

ERR = {"$ref": "#/components/responses/Error"}
def ref(name): return {"$ref": f"#/components/schemas/{name}"}
def body(schema, ctype="application/json", required=True):
    return {"required": required, "content": {ctype: {"schema": schema}}}
def ok(desc, schema=None, ctype="application/json"):
    r = {"description": desc}
    if schema is not None: r["content"] = {ctype: {"schema": schema}}
    return r
def page(item): return {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": item}, "next_cursor": {"type": "string", "nullable": True}}}

P_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}, "description": "Campaign id"}
def path_param(name, desc): return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}, "description": desc}
def q(name, schema, desc, required=False): return {"name": name, "in": "query", "required": required, "schema": schema, "description": desc}
PAGING = [q("limit", {"type": "integer", "minimum": 1, "maximum": 500, "default": 50}, "Page size"), q("cursor", {"type": "string"}, "next_cursor of the previous page")]
IMPORT_Q = [q("region", {"type": "string", "example": "IL"}, "Region for numbers without a country code"),
            q("dedup", {"type": "string", "enum": ["keep_first", "keep_last", "merge"]}, "What to keep when a number repeats"),
            q("priority_fields", {"type": "string"}, "With dedup=merge: comma-separated fields whose latest value wins"),
            q("file_name", {"type": "string"}, "Tells CSV from XLSX for a generic content type")]

def errs(*codes):
    return {str(c): ERR for c in codes}

def op(summary, roles, responses, tag, params=None, request=None, security="bearer", description=None):
    o = {"summary": summary, "tags": [tag], "responses": responses}
    if description: o["description"] = description
    if roles: o["x-roles"] = roles
    if params: o["parameters"] = params
    if request: o["requestBody"] = request
    if security == "bearer": o["security"] = [{"bearerAuth": []}]
    elif security == "token": o["security"] = [{"callManagerToken": []}]
    else: o["security"] = []
    return o

M = ["administrator", "campaign-manager"]
A = ["administrator"]
R = ["administrator", "campaign-manager", "analyst"]
AUTH = (401, 403)

def lifecycle(action, desc):
    return {"post": op(desc, M, {"200": ok("The campaign after the move", ref("Campaign")), **errs(*AUTH, 404, 409, 503)}, "campaigns", [P_ID])}

STREAM_DESC = ("Server-Sent Events (text/event-stream): an `event: metrics` whose data is exactly the JSON of the plain route, sent at once and then every second; "
  "`: keep-alive` comments otherwise; `event: error` (the error shape) when one snapshot fails. Send the usual Authorization header (read it with fetch and a stream reader, "
  "not EventSource). 501 streaming_unavailable where responses cannot stream (Lambda behind API Gateway): poll the plain route every second instead.")

paths = {
 "/health": {"get": op("Liveness", None, {"200": ok("Up", {"type": "object", "properties": {"status": {"type": "string", "enum": ["ok"]}}})}, "meta", security=None)},
 "/openapi.json": {"get": op("This document", None, {"200": ok("OpenAPI 3 document", {"type": "object"})}, "meta", security=None)},
 "/api/me": {"get": op("Who the caller is and what the console may offer them", R, {"200": ok("The caller", ref("Me")), **errs(*AUTH)}, "meta",
   description="The console shows only what `can` allows; the routes still refuse the rest (403).")},
 "/api/campaigns": {
   "post": op("Create a campaign (draft)", M, {"201": ok("Created", ref("Campaign")), **errs(400, *AUTH, 413, 415, 422)}, "campaigns", request=body(ref("CampaignCreate"))),
   "get": op("List campaigns", M, {"200": ok("A page", page(ref("Campaign"))), **errs(400, *AUTH, 422)}, "campaigns",
             [q("status", ref("CampaignStatus"), "Only this status"), q("kind", ref("CampaignKind"), "Only this kind"),
              q("sort", {"type": "string", "enum": ["created_at", "-created_at", "updated_at", "-updated_at", "name", "-name"]}, "Order (- for descending)")] + PAGING)},
 "/api/campaigns/{id}": {
   "get": op("Get a campaign", M, {"200": ok("The campaign", ref("Campaign")), **errs(*AUTH, 404)}, "campaigns", [P_ID]),
   "patch": op("Update a campaign", M, {"200": ok("Stored, with when each change applies", ref("EditOutcome")), **errs(400, *AUTH, 404, 409, 413, 415, 422)}, "campaigns", [P_ID], body(ref("CampaignPatch")),
               description="Drafts and scheduled campaigns may change anything. Active or paused ones may not change audio, ivr or carrier (409 field_locked); the answer's impact says when each change takes effect. Finished campaigns are read-only.")},
 "/api/campaigns/{id}/schedule": {"post": op("Schedule a draft", M, {"200": ok("Scheduled", ref("Campaign")), **errs(400, *AUTH, 404, 409, 415, 422, 503)}, "campaigns", [P_ID],
   body({"type": "object", "required": ["start_at"], "additionalProperties": False, "properties": {"start_at": {"type": "string", "format": "date-time"}}}))},
 "/api/campaigns/{id}/start": lifecycle("start", "Start now (starts the workflow)"),
 "/api/campaigns/{id}/pause": lifecycle("pause", "Pause"),
 "/api/campaigns/{id}/resume": lifecycle("resume", "Resume"),
 "/api/campaigns/{id}/cancel": lifecycle("cancel", "Cancel"),
 "/api/campaigns/{id}/archive": lifecycle("archive", "Archive a finished campaign"),
 "/api/campaigns/{id}/clone": {"post": op("Clone into a new draft", M, {"201": ok("The copy", ref("Campaign")), **errs(400, *AUTH, 404, 422)}, "campaigns", [P_ID],
   body({"type": "object", "additionalProperties": False, "properties": {"name": {"type": "string"}}}, required=False))},
 "/api/campaigns/{id}/contacts": {
   "post": op("Upload a contact file (CSV or XLSX, up to 4 MB)", M, {"201": ok("Imported", ref("ImportRecord")), **errs(400, *AUTH, 404, 413, 415, 422)}, "contacts", [P_ID] + IMPORT_Q,
              {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}}),
   "get": op("List contacts", M, {"200": ok("A page (status filters each page)", page(ref("Contact"))), **errs(400, *AUTH, 404, 422)}, "contacts",
             [P_ID, q("status", {"type": "string", "enum": ["pending", "in_progress", "completed", "failed", "blacklisted"]}, "Only this status")] + PAGING)},
 "/api/campaigns/{id}/contacts/{contact_id}": {"get": op("Get a contact", M, {"200": ok("The contact", ref("Contact")), **errs(*AUTH, 404)}, "contacts", [P_ID, path_param("contact_id", "Contact id")])},
 "/api/campaigns/{id}/contact-uploads": {"post": op("Presigned upload link for a large contact file", M, {"201": ok("PUT the file to upload_url; the upload starts the import (poll GET .../imports/{import_id})", ref("UploadLink")), **errs(400, *AUTH, 404, 409, 415, 422)}, "contacts", [P_ID],
   body({"type": "object", "required": ["file_name", "content_type"], "additionalProperties": False, "properties": {"file_name": {"type": "string"}, "content_type": {"type": "string", "enum": ["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"]},
     "region": {"type": "string", "description": "ISO 3166 region for numbers without a country code (default the API's)"}, "dedup": {"type": "string", "enum": ["keep_first", "keep_last", "merge"]}, "priority_fields": {"type": "array", "items": {"type": "string"}, "description": "With dedup merge: fields whose latest non-empty value wins"}}}))},
 "/api/campaigns/{id}/imports/{import_id}": {"get": op("An import's status and summary (the poll: awaiting_upload, importing, completed, failed)", M, {"200": ok("The import", ref("ImportRecord")), **errs(*AUTH, 404)}, "contacts", [P_ID, path_param("import_id", "Import id")])},
 "/api/campaigns/{id}/imports/{import_id}/run": {"post": op("Run an uploaded file's import now (manual re-trigger: a lost upload event, or a failed import to retry; 409 when completed, importing or not uploaded)", M, {"200": ok("Imported", ref("ImportRecord")), **errs(400, *AUTH, 404, 409, 415, 422)}, "contacts", [P_ID, path_param("import_id", "Import id")] + IMPORT_Q)},
 "/api/campaigns/{id}/metrics": {"get": op("Live metrics of a campaign", R, {"200": ok("Snapshot", ref("CampaignMetrics")), **errs(*AUTH, 404)}, "metrics", [P_ID])},
 "/api/campaigns/{id}/metrics/history": {"get": op("Counts by day (UTC) over a date range", R, {"200": ok("One entry per day", {"type": "object", "properties": {"campaign_id": {"type": "string"}, "days": {"type": "array", "items": ref("DayMetrics")}}}), **errs(400, *AUTH, 404, 422)}, "metrics",
   [P_ID, q("from", {"type": "string", "format": "date"}, "First day", True), q("to", {"type": "string", "format": "date"}, "Last day (at most 366 days on)", True)])},
 "/api/campaigns/{id}/metrics/stream": {"get": op("Live metrics of a campaign as a stream", R, {"200": ok("Events (each data: a CampaignMetrics JSON)", {"type": "string"}, "text/event-stream"), **errs(*AUTH, 404, 501)}, "metrics", [P_ID], description=STREAM_DESC)},
 "/api/campaigns/{id}/reports": {"post": op("Build a report", R, {"201": ok("Stored, with a time-limited link", ref("ReportLink")), **errs(400, *AUTH, 404, 415, 422)}, "reports", [P_ID],
   body({"type": "object", "required": ["format"], "additionalProperties": False, "properties": {"format": {"type": "string", "enum": ["csv", "xlsx", "pdf"]}}})),
   "get": op("The campaign's reports, newest first", R, {"200": ok("Reports made through the API and by the scheduled generator", {"type": "object", "required": ["items"], "properties": {"items": {"type": "array", "items": ref("ReportItem")}}}), **errs(400, *AUTH, 404, 422)}, "reports",
             [P_ID, q("from", {"type": "string", "format": "date"}, "Made on or after this day (UTC)"), q("to", {"type": "string", "format": "date"}, "Made on or before this day (UTC)")])},
 "/api/campaigns/{id}/reports/{report_id}": {"get": op("A fresh link to a report", R, {"200": ok("Link", ref("ReportLink")), **errs(*AUTH, 404)}, "reports", [P_ID, path_param("report_id", "Report id, e.g. 20260302T080000Z.csv")])},
 "/api/campaigns/{id}/reports/{report_id}/download": {"get": op("The report file", R, {"200": {"description": "The file", "content": {"text/csv": {"schema": {"type": "string"}}, "application/pdf": {"schema": {"type": "string", "format": "binary"}}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}}, **errs(*AUTH, 404)}, "reports", [P_ID, path_param("report_id", "Report id")])},
 "/api/metrics": {"get": op("Aggregate over campaigns", R, {"200": ok("Sum", ref("AggregateMetrics")), **errs(400, *AUTH, 404, 422)}, "metrics", [q("campaign_ids", {"type": "string"}, "Comma-separated ids (all campaigns when absent)")])},
 "/api/metrics/stream": {"get": op("Aggregate metrics as a stream", R, {"200": ok("Events (each data: an AggregateMetrics JSON)", {"type": "string"}, "text/event-stream"), **errs(400, *AUTH, 404, 422, 501)}, "metrics", [q("campaign_ids", {"type": "string"}, "Comma-separated ids (all campaigns when absent)")], description=STREAM_DESC)},
 "/api/ivr-flows/validate": {"post": op("Check an IVR flow", M, {"200": ok("Valid", {"type": "object", "required": ["valid"], "properties": {"valid": {"type": "boolean", "enum": [True]}}}), **errs(400, *AUTH, 413, 415, 422)}, "campaigns",
   request=body(ref("IvrFlow")), description="The core's own checks (the ones campaign settings go through). 422 validation_failed lists every problem in details.fields: field is the node id, or `flow` for the whole flow.")},
 "/api/retry-rules/validate": {"post": op("Check retry rules (call-manager YAML)", M, {"200": ok("The parsed rules", {"type": "object", "required": ["rules"], "properties": {"rules": {"type": "array", "items": ref("RetryRule")}}}), **errs(400, *AUTH, 413, 415, 422)}, "campaigns",
   request=body({"type": "object", "required": ["yaml"], "additionalProperties": False, "properties": {"yaml": {"type": "string", "description": "A YAML list of {day_of_week, start_time, end_time, retry_interval_minutes}"}}}),
   description="422 validation_failed: details.fields has one entry per bad rule, `rule` its 0-based index (null when the document is not a YAML list); the message names each as `rule N: ...`.")},
 "/api/metrics/compare": {"get": op("Campaigns side by side", R, {"200": ok("One snapshot each, in the order asked", {"type": "object", "properties": {"campaigns": {"type": "array", "items": ref("CampaignMetrics")}}}), **errs(400, *AUTH, 404, 422)}, "metrics", [q("campaign_ids", {"type": "string"}, "Two to twenty comma-separated ids", True)])},
 "/api/blacklist": {"post": op("Add numbers to the do-not-call list", M, {"201": ok("Listed (effective in every campaign at once)", {"type": "object", "properties": {"added": {"type": "array", "items": {"type": "object", "properties": {"phone_number": {"type": "string"}, "newly_listed": {"type": "boolean"}, "contacts_blocked": {"type": "integer"}}}}}}), **errs(400, *AUTH, 413, 415, 422)}, "blacklist",
   request=body({"type": "object", "required": ["phone_numbers"], "additionalProperties": False, "properties": {"phone_numbers": {"type": "array", "minItems": 1, "maxItems": 1000, "items": {"type": "string"}}, "reason": {"type": "string"}, "source": {"type": "string", "enum": ["admin_import", "compliance"]}}}))},
 "/api/blacklist/imports": {"post": op("Import a file of numbers", A, {"201": ok("Imported", {"type": "object", "properties": {"summary": ref("ImportSummary"), "errors": {"type": "array", "items": ref("InvalidRow")}, "newly_listed": {"type": "integer"}, "contacts_blocked": {"type": "integer"}}}), **errs(400, *AUTH, 413, 415, 422)}, "blacklist",
   [q("region", {"type": "string"}, "Region for numbers without a country code"), q("reason", {"type": "string"}, "Reason recorded for each number"), q("file_name", {"type": "string"}, "File name")],
   {"required": True, "content": {"text/csv": {"schema": {"type": "string"}}, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": {"type": "string", "format": "binary"}}}})},
 "/api/blacklist/export": {"get": op("The list as CSV", A, {"200": ok("phone_number,added_at,reason,source", {"type": "string"}, "text/csv"), **errs(*AUTH)}, "blacklist")},
 "/api/blacklist/{phone}": {
   "get": op("Look up a number with its history", A, {"200": ok("Entry and history", ref("BlacklistLookup")), **errs(*AUTH, 422)}, "blacklist", [path_param("phone", "The number (URL-encode the +)")]),
   "delete": op("Remove a number", A, {"204": {"description": "Removed"}, **errs(*AUTH, 404, 422)}, "blacklist", [path_param("phone", "The number (URL-encode the +)")])},
 "/api/audio/uploads": {"post": op("Presigned upload link for an audio message (MP3/WAV, at most 10 MB)", M, {"201": ok("PUT the file to upload_url", ref("AudioUploadLink")), **errs(400, *AUTH, 413, 415, 422)}, "audio",
   request=body({"type": "object", "required": ["file_name", "content_type", "size_bytes"], "additionalProperties": False, "properties": {"file_name": {"type": "string"}, "content_type": {"type": "string", "enum": ["audio/mpeg", "audio/wav", "audio/x-wav"]}, "size_bytes": {"type": "integer", "minimum": 1, "maximum": 10485760}}}))},
 "/api/audio": {"get": op("Uploaded audio files", M, {"200": ok("A page", page(ref("AudioFile"))), **errs(400, *AUTH, 422)}, "audio", PAGING)},
 "/api/v1/initiate-call/": {"post": op("Initiate a call (call-manager API, 004)", None, {
     "201": ok("Queued; placed when a concurrency slot is free", {"type": "object", "required": ["call_id", "status", "campaign_id", "phone_number", "created_at"], "properties": {"call_id": {"type": "string"}, "status": {"type": "string", "enum": ["INITIATED"]}, "campaign_id": {"oneOf": [{"type": "integer"}, {"type": "string"}]}, "phone_number": {"type": "string"}, "created_at": {"type": "string", "format": "date-time", "example": "2025-10-26T15:07:23Z"}}}),
     **errs(400, 401, 404, 429, 500)}, "v1", request=body({"type": "object", "required": ["phone_number", "campaign_id"], "properties": {"phone_number": {"type": "string", "example": "+972502345678"}, "campaign_id": {"oneOf": [{"type": "integer"}, {"type": "string"}]}}}), security="token",
     description="429 when the same number and campaign were initiated within the last 5 minutes (or a call to it is in progress). Calls beyond the campaign's concurrency limit wait in the queue; none is refused for capacity.")},
 "/api/v1/callback/": {"put": op("Report a call's result (call-manager API, 004)", None, {
     "200": ok("Applied; retries follow the campaign's rules", {"type": "object", "required": ["message", "retry_scheduled", "next_retry_at"], "properties": {"message": {"type": "string", "enum": ["Callback processed"]}, "retry_scheduled": {"type": "boolean"}, "next_retry_at": {"type": "string", "format": "date-time", "nullable": True}}}),
     **errs(400, 401, 404, 500)}, "v1", request=body({"type": "object", "required": ["call_id", "status"], "properties": {"call_id": {"type": "string"}, "status": {"type": "string", "enum": ["PICKED", "DISCONNECTED", "RNR", "FAILED"]}, "call_duration": {"type": "integer", "minimum": 0}}}), security="token")},
}

obj = lambda props, req=None: {"type": "object", "properties": props, **({"required": req} if req else {})}
S = {"type": "string"}; I = {"type": "integer"}; N = {"type": "number"}; B = {"type": "boolean"}; T = {"type": "string", "format": "date-time"}
counts = obj({k: I for k in ["attempts", "answered", "converted", "opted_out", "busy", "no_answer", "failed", "disconnected", "blacklisted", "sms_sent", "sms_failed", "tts_delivered", "tts_failed"]})
rates = obj({k: N for k in ["answer_rate", "conversion_rate", "opt_out_rate", "busy_rate", "no_answer_rate", "failure_rate"]})
status_counts = obj({k: I for k in ["pending", "in_progress", "completed", "failed", "blacklisted"]})
window = obj({"days": {"type": "array", "items": S, "example": ["sun", "mon"]}, "start": {"type": "string", "example": "09:00"}, "end": {"type": "string", "example": "20:00"}}, ["days", "start", "end"])
schedule = obj({"start": {**T, "nullable": True}, "end": {**T, "nullable": True}, "timezone": {"type": "string", "example": "Asia/Jerusalem"}, "windows": {"type": "array", "items": window}}, ["timezone", "windows"])
pace = obj({"calls_per_second": I, "max_concurrent": I}, ["calls_per_second", "max_concurrent"])
retry_rule = obj({"day_of_week": {"type": "string", "example": "saturday"}, "start_time": {"type": "string", "example": "10:00:00"}, "end_time": {"type": "string", "example": "12:00:00"}, "retry_interval_minutes": {"type": "integer", "minimum": 1}}, ["day_of_week", "start_time", "end_time", "retry_interval_minutes"])
retry = obj({"max_attempts": I, "retry_on": {"type": "array", "items": S}, "rules": {"type": "array", "items": ref("RetryRule")}, "default_interval_minutes": I})
settings_props = {"audio": {**S, "nullable": True}, "ivr": {"type": "object", "nullable": True, "description": "IVR flow (standard 1 = donate, 9 = opt out when absent)"}, "sms_template": {**S, "nullable": True}, "tts_template": {**S, "nullable": True},
                  "schedule": ref("Schedule"), "pace": ref("PaceLimits"), "retry": ref("RetryPolicy"), "carrier": {"type": "string", "enum": ["asterisk", "connect"]}, "caller_id": {**S, "nullable": True}, "ring_timeout_secs": I}
schemas = {
 "Error": obj({"error": obj({"code": S, "message": S, "details": {"description": "Field errors with paths, CSV row numbers, the refused move"}}, ["code", "message"])}, ["error"]),
 "CampaignStatus": {"type": "string", "enum": ["draft", "scheduled", "active", "paused", "completed", "cancelled", "failed", "archived"]},
 "CampaignKind": {"type": "string", "enum": ["voice", "sms", "hybrid"]},
 "Schedule": schedule, "PaceLimits": pace, "RetryPolicy": retry,
 "CampaignSettings": obj(settings_props, ["schedule", "pace", "retry"]),
 "CampaignCreate": {"type": "object", "additionalProperties": False, "required": ["name", "kind", "settings"], "properties": {"name": S, "kind": ref("CampaignKind"), "settings": {"type": "object", "required": ["schedule"], "properties": settings_props, "description": "pace, retry, carrier and ring_timeout_secs have defaults"}}},
 "CampaignPatch": {"type": "object", "additionalProperties": False, "properties": {"version": {**I, "description": "Apply only if the stored version is this (409 otherwise)"}, "name": S, **{k: v for k, v in settings_props.items()}}},
 "Campaign": obj({"id": S, "name": S, "kind": ref("CampaignKind"), "status": ref("CampaignStatus"), "settings": ref("CampaignSettings"), "created_at": T, "updated_at": T, "created_by": S, "version": I}, ["id", "name", "kind", "status", "settings", "version"]),
 "EditOutcome": obj({"campaign": ref("Campaign"), "impact": {"type": "array", "items": S}}, ["campaign", "impact"]),
 "Contact": obj({"id": S, "campaign_id": S, "phone": S, "line_type": S, "delivery": S, "timezone": {**S, "nullable": True}, "metadata": {"type": "object", "additionalProperties": S}, "status": S, "attempts": I, "next_attempt_at": {**T, "nullable": True}, "last_attempt_at": {**T, "nullable": True}, "last_outcome": {**S, "nullable": True}}),
 "ImportSummary": obj({"total_rows": I, "imported": I, "duplicates": I, "invalid": I}),
 "InvalidRow": obj({"row": {**I, "description": "1-based; the header is row 1"}, "value": S, "reason": S}),
 "ImportRecord": obj({"import_id": S, "campaign_id": S, "status": {"type": "string", "enum": ["awaiting_upload", "importing", "completed", "failed"]}, "created_at": T, "created_by": S, "started_at": {**T, "nullable": True}, "finished_at": {**T, "nullable": True},
                      "attempts": {**I, "description": "Runs begun (a run taking over a crashed one counts again)"}, "lease_until": {**T, "nullable": True, "description": "While importing: until when the running attempt owns the import"},
                      "settings": {"type": "object", "nullable": True, "properties": {"region": S, "dedup": {"type": "object"}}}, "file_key": {**S, "nullable": True}, "content_type": {**S, "nullable": True},
                      "summary": {"allOf": [ref("ImportSummary")], "nullable": True}, "stored": {**I, "nullable": True}, "blacklisted": {**I, "nullable": True}, "errors": {"type": "array", "items": ref("InvalidRow")}, "errors_truncated": B, "failure": {"type": "object", "nullable": True, "required": ["code", "message"], "properties": {"code": {"type": "string", "enum": ["unreadable_file", "unsupported_format", "campaign_finished", "campaign_not_found", "invalid_settings"]}, "message": S, "details": {"type": "object"}}}}, ["import_id", "campaign_id", "status"]),
 "UploadLink": obj({"import_id": S, "upload_url": S, "method": {"type": "string", "enum": ["PUT"]}, "content_type": S, "expires_at": T, "import": ref("ImportRecord")}),
 "LiveMetrics": obj({"active_calls": {**I, "description": "Calls in progress (concurrency slots held)"}, "queue_depth": {**I, "description": "The campaign's dial tasks sent and not yet on a call"},
                     "due_contacts": {**I, "description": "Contacts due now and not yet sent (counted up to 1000)"}, "due_contacts_capped": B,
                     "dialling_rate_cps": {**N, "description": "Measured calls started per second (last 10 s)"}, "pace_in_force_cps": {**I, "description": "The adaptive pace in force (0 unless active)"},
                     "configured_pace_cps": I, "counts": counts, "rates": rates},
                    ["active_calls", "queue_depth", "due_contacts", "due_contacts_capped", "dialling_rate_cps", "pace_in_force_cps", "configured_pace_cps", "counts", "rates"]),
 "Alert": obj({"code": {"type": "string", "example": "pace_reduced", "description": "pace_reduced, high_failure_rate, high_opt_out_rate, concurrency_saturated, low_answer_rate, no_contacts"},
               "severity": {"type": "string", "enum": ["info", "warning", "error"]}, "message": S}, ["code", "severity", "message"]),
 "CampaignMetrics": obj({"campaign_id": S, "name": S, "status": ref("CampaignStatus"), "at": T, "live": ref("LiveMetrics"), "contacts": status_counts,
                         "alerts": {"type": "array", "items": ref("Alert"), "description": "Health alerts from this snapshot, most severe first"}},
                        ["campaign_id", "name", "status", "at", "live", "contacts", "alerts"]),
 "AggregateMetrics": obj({"at": T, "campaigns": I, "active_calls": I, "queue_depth": I, "due_contacts": I, "dialling_rate_cps": N, "dial_queue_depth": {**I, "description": "The whole dial queue (every campaign; approximate on SQS)"},
                          "counts": counts, "rates": rates, "contacts": status_counts},
                         ["at", "campaigns", "active_calls", "queue_depth", "due_contacts", "dialling_rate_cps", "dial_queue_depth", "counts", "rates", "contacts"]),
 "Me": obj({"subject": S, "role": {"type": "string", "enum": ["administrator", "campaign-manager", "analyst"]},
            "can": obj({"manage_campaigns": B, "administer_blacklist": B}, ["manage_campaigns", "administer_blacklist"])}, ["subject", "role", "can"]),
 "RetryRule": retry_rule,
 "IvrFlow": {"type": "object", "required": ["startNodeId", "nodes"], "description": "003's IVRFlowDefinition: nodes play_audio, menu, capture_input, action",
             "properties": {"startNodeId": S, "nodes": {"type": "array", "items": {"type": "object", "required": ["id", "type"], "additionalProperties": True,
                 "properties": {"id": S, "type": {"type": "string", "enum": ["play_audio", "menu", "capture_input", "action"]}, "nextNodeId": S}}}}},
 "ReportItem": obj({"report_id": S, "campaign_id": S, "format": {"type": "string", "enum": ["csv", "xlsx", "pdf"]}, "status": {"type": "string", "enum": ["ready"]}, "created_at": T, "size_bytes": I,
                    "download_path": S, "counts": {**counts, "description": "Present for reports made through the API"}}, ["report_id", "campaign_id", "format", "status", "created_at", "size_bytes", "download_path"]),
 "DayMetrics": obj({"date": {"type": "string", "format": "date"}, "counts": counts, "rates": rates}),
 "ReportLink": obj({"report_id": S, "campaign_id": S, "format": {"type": "string", "enum": ["csv", "xlsx", "pdf"]}, "status": {"type": "string", "enum": ["ready"]}, "url": S, "expires_at": T, "download_path": S, "counts": counts, "rates": rates}),
 "BlacklistLookup": obj({"phone_number": S, "listed": B, "entry": {"type": "object", "nullable": True}, "history": {"type": "array", "items": {"type": "object"}}}),
 "AudioUploadLink": obj({"key": S, "upload_url": S, "method": {"type": "string", "enum": ["PUT"]}, "content_type": S, "expires_at": T, "audio": {**S, "description": "What to put in settings.audio"}}),
 "AudioFile": obj({"key": S, "size_bytes": I, "last_modified": {**T, "nullable": True}, "audio": S, "play_url": {**S, "description": "GET it to play the file (presigned; valid for an hour)"}}, ["key", "size_bytes", "audio", "play_url"]),
}

doc = {
 "openapi": "3.0.3",
 "info": {"title": "Voice campaigns API", "version": "1.0.0", "description": "Dashboard REST API (JWT, roles administrator / campaign-manager / analyst from cognito:groups) and the call-manager v1 API (X-Auth-Token). Errors: {\"error\": {\"code\", \"message\", \"details\"}}."},
 "servers": [{"url": "http://127.0.0.1:8080", "description": "campaign serve"}],
 "tags": [{"name": t} for t in ["meta", "campaigns", "contacts", "metrics", "reports", "blacklist", "audio", "v1"]],
 "paths": paths,
 "components": {
   "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}, "callManagerToken": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"}},
   "responses": {"Error": {"description": "An error", "content": {"application/json": {"schema": ref("Error")}}}},
   "schemas": schemas,
 },
}
out = pathlib.Path(__file__).resolve().parent.parent / "openapi.json"
out.write_text(json.dumps(doc, indent=2) + "\n")
print(out)
