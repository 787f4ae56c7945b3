//! The same contract on both backends: every test runs on SQLite, and on PostgreSQL when
//! `MAILLAGE_TEST_POSTGRES_URL` points to a server (the test script starts one and sets
//! `MAILLAGE_REQUIRE_POSTGRES=1`, so CI cannot silently skip it).

mod accounts;
mod activity;
mod campaigns;
mod diagnostic;
mod directory;
mod fragility;
mod mandates;
mod migrations;
mod operations;
mod referrals;
mod register;
mod resources;
mod shared;
mod surveys;
mod workshops;

use chrono::NaiveDate;
use maillage_domain::organisation::Organisation;
use maillage_domain::place::{DirectoryExtras, Place};
use maillage_domain::policy::{Membership, TerritoryUnit};
use maillage_domain::vocab::Service;
use maillage_store::{ImportRecord, NewUser, SessionRecord, Store};

async fn backends() -> Vec<Store> {
    let mut stores = vec![Store::connect("sqlite::memory:").await.expect("SQLite")];
    match std::env::var("MAILLAGE_TEST_POSTGRES_URL") {
        Ok(admin_url) => {
            // A fresh database per test: tests run in parallel.
            let name = format!("maillage_test_{}", uuid::Uuid::new_v4().simple());
            let admin = sqlx::PgPool::connect(&admin_url)
                .await
                .expect("PostgreSQL joignable");
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&admin)
                .await
                .expect("création de la base de test");
            let base = admin_url
                .rsplit_once('/')
                .map(|(b, _)| b)
                .unwrap_or(&admin_url);
            stores.push(
                Store::connect(&format!("{base}/{name}"))
                    .await
                    .expect("PostgreSQL"),
            );
        }
        Err(_) if std::env::var("MAILLAGE_REQUIRE_POSTGRES").is_ok() => {
            panic!("MAILLAGE_REQUIRE_POSTGRES est posé mais MAILLAGE_TEST_POSTGRES_URL manque")
        }
        Err(_) => eprintln!("PostgreSQL non testé : MAILLAGE_TEST_POSTGRES_URL absent"),
    }
    stores
}

fn place(id: &str, name: &str, pivot: &str, updated: &str) -> Place {
    Place {
        id: id.into(),
        pivot: pivot.into(),
        name: name.into(),
        commune: "Lyon".into(),
        postcode: "69001".into(),
        insee_code: Some("69381".into()),
        address: "1 place de la Comédie".into(),
        address_complement: None,
        location: None,
        typologies: vec!["BIB".into()],
        phone: Some("+33472000000".into()),
        emails: vec![],
        websites: vec![],
        opening_hours: Some("Mo-Fr 09:00-12:00".into()),
        opening_hours_valid: true,
        summary: None,
        description: None,
        source: Some("test".into()),
        mobility: vec![],
        parent_structure: None,
        updated_on: NaiveDate::parse_from_str(updated, "%Y-%m-%d").expect("date"),
        services: vec![Service::parse("Aide aux démarches administratives").expect("service")],
        publics: vec![],
        specific_support: vec![],
        fees: vec![],
        national_programmes: vec![],
        training_labels: vec![],
        other_labels: None,
        access_modes: vec![],
        support_modes: vec![],
        accessibility_url: None,
        booking_url: None,
        extras: DirectoryExtras {
            limits: Some("n'intervient pas sur le budget".into()),
            ..DirectoryExtras::default()
        },
    }
}

use maillage_domain::Vocabulary;
