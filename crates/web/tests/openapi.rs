//! The API contract generated from the handlers (`maillage_web::api::router`): its snapshot,
//! so that every change of the contract shows in review (`cargo insta review`, or
//! `INSTA_UPDATE=always` to accept), and the rules every operation keeps.

use serde_json::Value;

fn document() -> Value {
    serde_json::from_str(maillage_web::api::document()).expect("the document is JSON")
}

#[test]
fn the_contract_is_the_snapshot() {
    insta::assert_snapshot!("openapi", maillage_web::api::document());
}

#[test]
fn every_operation_is_described_and_answers_errors_in_french() {
    let doc = document();
    let paths = doc["paths"].as_object().expect("paths");
    assert!(paths.len() >= 20, "{} paths", paths.len());
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("path item") {
            operations += 1;
            let name = format!("{} {path}", method.to_uppercase());
            let summary = op["summary"].as_str().unwrap_or_default();
            assert!(!summary.is_empty(), "{name}: no summary");
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{name}: no tag"
            );
            let responses = op["responses"].as_object().expect("responses");
            assert!(
                responses.keys().any(|c| c.starts_with('2')),
                "{name}: no success"
            );
            for (code, response) in responses {
                if code.starts_with('4') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert!(
                        schema.as_str().is_some_and(|r| r.ends_with("/Erreur")
                            || r.ends_with("/ImportRefuse")
                            || r.ends_with("/ImportIndicateursRefuse")),
                        "{name} {code}: the error body is not described"
                    );
                }
            }
            // Every parameter in the path is declared.
            for segment in path.split('/').filter(|s| s.starts_with('{')) {
                let param = segment.trim_matches(['{', '}']);
                let declared = op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == param && p["in"] == "path"));
                assert!(declared, "{name}: path parameter {param} not declared");
            }
            // Operations that need an account say so.
            if responses.contains_key("401") {
                assert!(op["security"].is_array(), "{name}: 401 without security");
            }
        }
    }
    assert!(operations >= 26, "{operations} operations");
    // Every schema referenced exists.
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().expect("schemas");
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap_or_default();
        assert!(
            schemas.contains_key(name),
            "schema {name} referenced but absent"
        );
    }
}
