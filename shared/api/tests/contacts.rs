//! Contact routes: direct upload with the import summary (row numbers),
//! presigned upload and run, import status, list and get.

mod common;

use axum::http::StatusCode;
use campaign_api::auth::Role;
use campaign_core::ports::ObjectStore;
use common::{Harness, contacts_csv};
use serde_json::json;

#[tokio::test]
async fn a_csv_upload_imports_and_reports_bad_rows_with_their_numbers() {
    let h = Harness::new();
    let id = h.create_campaign("C").await;
    let t = h.token(Role::CampaignManager);
    let r = h
        .upload(
            "POST",
            &format!("/api/campaigns/{id}/contacts"),
            Some(&t),
            "text/csv",
            contacts_csv(4).into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let rec = r.json();
    assert_eq!(rec["status"], "completed");
    assert_eq!(rec["summary"]["imported"], 4);
    assert_eq!(rec["summary"]["invalid"], 1);
    assert_eq!(rec["stored"], 4);
    assert_eq!(
        rec["errors"][0]["row"], 6,
        "header is row 1, the bad row is the 6th line"
    );
    let import_id = rec["import_id"].as_str().unwrap_or_default().to_owned();
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/imports/{import_id}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["summary"]["imported"], 4);
    assert!(
        h.audit_actions(&format!("campaign/{id}"))
            .await
            .contains(&"contacts.import".to_owned())
    );
    // The same file again adds nobody.
    let r = h
        .upload(
            "POST",
            &format!("/api/campaigns/{id}/contacts"),
            Some(&t),
            "text/csv",
            contacts_csv(4).into_bytes(),
        )
        .await;
    assert_eq!(r.json()["stored"], 0);
}

#[tokio::test]
async fn a_file_that_is_not_csv_or_xlsx_is_415_and_one_without_a_phone_column_422() {
    let h = Harness::new();
    let id = h.create_campaign("C").await;
    let t = h.admin();
    let path = format!("/api/campaigns/{id}/contacts");
    let r = h
        .upload(
            "POST",
            &path,
            Some(&t),
            "application/pdf",
            b"%PDF-1.4".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = h
        .upload(
            "POST",
            &path,
            Some(&t),
            "application/octet-stream",
            vec![0xff, 0xfe, 0x00, 0x01],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = h
        .upload(
            "POST",
            &path,
            Some(&t),
            "text/csv",
            b"name,city\nDana,Haifa\n".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.code(), "import_failed");
    let details = &r.json()["error"]["details"];
    assert_eq!(details["headers"], json!(["name", "city"]));
    let import_id = details["import_id"].as_str().unwrap_or_default().to_owned();
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/imports/{import_id}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.json()["status"], "failed");
    let r = h
        .upload("POST", &path, Some(&t), "text/csv", Vec::new())
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = h
        .upload(
            "POST",
            "/api/campaigns/cmp-missing/contacts",
            Some(&t),
            "text/csv",
            contacts_csv(1).into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_file_over_the_direct_limit_is_413() {
    let config = campaign_api::ApiConfig {
        max_upload_bytes: 1024,
        ..Default::default()
    };
    let h = Harness::with_config(config);
    let id = h.create_campaign("C").await;
    let t = h.admin();
    let r = h
        .upload(
            "POST",
            &format!("/api/campaigns/{id}/contacts"),
            Some(&t),
            "text/csv",
            contacts_csv(200).into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn a_presigned_upload_is_imported_when_run_and_only_once() {
    let h = Harness::new();
    let id = h.create_campaign("Big").await;
    let t = h.admin();
    let r = h
        .call(
            "POST",
            &format!("/api/campaigns/{id}/contact-uploads"),
            Some(&t),
            Some(json!({"file_name": "list.csv", "content_type": "text/csv"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let link = r.json();
    assert_eq!(link["method"], "PUT");
    assert!(
        link["upload_url"]
            .as_str()
            .unwrap_or_default()
            .starts_with("http://test/local-uploads/uploads/")
    );
    let import_id = link["import_id"].as_str().unwrap_or_default().to_owned();
    let run = format!("/api/campaigns/{id}/imports/{import_id}/run");
    let r = h.call("POST", &run, Some(&t), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "nothing uploaded yet");
    assert_eq!(r.code(), "upload_missing");
    // What the client's PUT to the link stores.
    let key = link["import"]["file_key"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    h.files
        .put(&key, contacts_csv(3).into_bytes(), "text/csv")
        .await
        .expect("put");
    let r = h.call("POST", &run, Some(&t), None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["status"], "completed");
    assert_eq!(r.json()["stored"], 3);
    let r = h.call("POST", &run, Some(&t), None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.code(), "import_already_run");
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/imports/imp-nope"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h
        .call(
            "POST",
            &format!("/api/campaigns/{id}/contact-uploads"),
            Some(&t),
            Some(json!({"file_name": "x.doc", "content_type": "application/msword"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = h
        .call(
            "POST",
            &format!("/api/campaigns/{id}/contact-uploads"),
            Some(&t),
            Some(json!({"file_name": "x.csv"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn contacts_list_pages_filters_by_status_and_get_reads_one() {
    let h = Harness::new();
    let id = h.create_campaign("L").await;
    let t = h.admin();
    h.upload(
        "POST",
        &format!("/api/campaigns/{id}/contacts"),
        Some(&t),
        "text/csv",
        contacts_csv(5).into_bytes(),
    )
    .await;
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/contacts?limit=2"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let page = r.json();
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    let cursor = page["next_cursor"].as_str().unwrap_or_default().to_owned();
    let r = h
        .call(
            "GET",
            &format!(
                "/api/campaigns/{id}/contacts?limit=10&cursor={}",
                urlencode(&cursor)
            ),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(3));
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/contacts?status=completed"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(0));
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/contacts?status=pending"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.json()["items"].as_array().map(Vec::len), Some(5));
    let contact_id = page["items"][0]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/contacts/{contact_id}"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "pending");
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/contacts/c-nope"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/contacts?cursor=garbage"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = h
        .call(
            "GET",
            &format!("/api/campaigns/{id}/contacts?status=asleep"),
            Some(&t),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn an_xlsx_upload_imports_numeric_cells_that_lost_their_leading_zero() {
    let h = Harness::new();
    let id = h.create_campaign("X").await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "Phone").expect("cell");
    sheet.write_string(0, 1, "First name").expect("cell");
    sheet.write_number(1, 0, 502_345_678.0).expect("cell");
    sheet.write_string(1, 1, "Dana").expect("cell");
    sheet.write_string(2, 0, "+972 50 234 5679").expect("cell");
    let bytes = book.save_to_buffer().expect("xlsx");
    let t = h.admin();
    let r = h
        .upload(
            "POST",
            &format!("/api/campaigns/{id}/contacts"),
            Some(&t),
            campaign_api::routes::contacts::XLSX_TYPE,
            bytes.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["summary"]["imported"], 2);
    // A generic type is told apart by the content.
    let other = h.create_campaign("Y").await;
    let r = h
        .upload(
            "POST",
            &format!("/api/campaigns/{other}/contacts?file_name=list.xlsx"),
            Some(&t),
            "application/octet-stream",
            bytes,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["stored"], 2);
}
