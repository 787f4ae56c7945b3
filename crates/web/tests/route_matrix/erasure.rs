//! An erasure request (issue #19) leaves no trace of the person's identity anywhere: in the
//! matrix's world, A's followed person has a diagnostic with an observation, records, a mandate
//! with an act and one waiting for her consent, a request of access; A also sends a referral
//! and registers her to a workshop under her name. The member of A records her erasure request
//! and answers it; then every text column of every table is searched for her name, her contact
//! and what was written about her — on SQLite, and on PostgreSQL when it is set.

use super::*;

async fn text_columns(world: &World) -> Vec<(String, String)> {
    match &world.store {
        maillage_store::Store::Sqlite(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
            )
            .fetch_all(pool)
            .await
            .expect("tables");
            let mut out = Vec::new();
            for t in tables {
                let cols: Vec<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                    "SELECT name, type FROM pragma_table_info('{t}')"
                )))
                .fetch_all(pool)
                .await
                .expect("colonnes");
                out.extend(
                    cols.into_iter()
                        .filter(|(_, ty)| ty.eq_ignore_ascii_case("TEXT"))
                        .map(|(c, _)| (t.clone(), c)),
                );
            }
            out
        }
        maillage_store::Store::Postgres(pool) => sqlx::query_as(
            "SELECT table_name::text, column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying') AND table_name <> '_sqlx_migrations'",
        )
        .fetch_all(pool)
        .await
        .expect("colonnes"),
    }
}

async fn count(world: &World, table: &str, column: &str, needle: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE {column} LIKE $1");
    let pattern = format!("%{needle}%");
    match &world.store {
        maillage_store::Store::Sqlite(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(pattern)
            .fetch_one(pool)
            .await
            .expect("recherche"),
        maillage_store::Store::Postgres(pool) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(pattern)
            .fetch_one(pool)
            .await
            .expect("recherche"),
    }
}

#[tokio::test]
async fn an_erasure_request_leaves_no_trace_of_the_person() {
    let traces = [
        common::PERSON_A,
        common::PERSON_A_CONTACT,
        common::MANDATE_A_PERSON,
        common::MANDATE_A_ACT,
        common::DIAGNOSTIC_A_OBSERVATION,
    ];
    for backend in Backend::all() {
        let template = Template::build(backend.clone()).await;
        let world = template.open().await;
        let ids = &world.ids;
        let a = world.cookie(Caller::MemberA);
        // A referral and a registration under her name and contact.
        let sent = common::send(
            &world.router,
            "POST",
            "/orientations/nouvelle",
            a,
            &form(&[
                ("structure", &ids.org_a),
                ("lieu", &ids.place_c),
                ("intitule", "Créer son espace santé"),
                ("prenom", common::PERSON_A),
                ("contact", common::PERSON_A_CONTACT),
                ("consentement", "orale"),
                (
                    "explique",
                    "Je lui ai expliqué qui recevra sa demande et pourquoi",
                ),
                ("confirme", "oui"),
            ]),
        )
        .await;
        assert!(
            sent.status.is_redirection(),
            "orientation : {}",
            sent.status
        );
        world
            .store
            .register(
                &ids.workshop_a,
                None,
                common::PERSON_A,
                Some(common::PERSON_A_CONTACT),
                None,
            )
            .await
            .expect("inscription");
        let before: i64 = {
            let mut n = 0;
            for (t, c) in text_columns(&world).await {
                n += count(&world, &t, &c, common::PERSON_A).await;
            }
            n
        };
        assert!(
            before >= 3,
            "{} : le monde nomme la personne {before} fois seulement",
            backend.name()
        );

        let recorded = common::send(
            &world.router,
            "POST",
            "/demandes",
            a,
            &form(&[
                ("structure", &ids.org_a),
                ("droit", "effacement"),
                ("personne", &ids.person_a),
                ("nom", common::PERSON_A),
                ("contact", common::PERSON_A_CONTACT),
            ]),
        )
        .await;
        let page = recorded.location.expect("page de la demande");
        let answered = common::send(
            &world.router,
            "POST",
            &page,
            a,
            &form(&[("action", "effacer")]),
        )
        .await;
        assert!(
            answered.status.is_redirection(),
            "réponse : {}",
            answered.status
        );
        let shown = common::send(&world.router, "GET", &page, a, &Payload::None).await;
        let body = String::from_utf8_lossy(&shown.body);
        assert!(body.contains("Effacement fait"), "{body}");

        let mut left = Vec::new();
        for (t, c) in text_columns(&world).await {
            for needle in traces {
                let n = count(&world, &t, &c, needle).await;
                if n > 0 {
                    left.push(format!("{t}.{c} : « {needle} » ({n})"));
                }
            }
        }
        assert!(
            left.is_empty(),
            "{} : traces restantes : {left:?}",
            backend.name()
        );
        // The journal of mandates kept its lines, still chained.
        let operator = maillage_domain::policy::Actor {
            user_id: "cli".into(),
            administrator: true,
            ..Default::default()
        };
        let report = world
            .app
            .verify_journal(Some(&operator))
            .await
            .expect("journal");
        assert!(report.broken.is_none() && report.lines > 0);
        world.close().await;
        template.remove().await;
    }
}

/// A first name is not a person: a referral and a registration under the same first name but
/// another contact stay when the person is erased.
#[tokio::test]
async fn an_erasure_spares_a_namesake() {
    const NAMESAKE: &str = "homonyme.autre@exemple.fr";
    for backend in Backend::all() {
        let template = Template::build(backend.clone()).await;
        let world = template.open().await;
        let ids = &world.ids;
        let a = world.cookie(Caller::MemberA);
        for contact in [common::PERSON_A_CONTACT, NAMESAKE] {
            world
                .store
                .register(&ids.workshop_a, None, common::PERSON_A, Some(contact), None)
                .await
                .expect("inscription");
        }
        let recorded = common::send(
            &world.router,
            "POST",
            "/demandes",
            a,
            &form(&[
                ("structure", &ids.org_a),
                ("droit", "effacement"),
                ("nom", common::PERSON_A),
                ("contact", common::PERSON_A_CONTACT),
            ]),
        )
        .await;
        let page = recorded.location.expect("page de la demande");
        let answered = common::send(
            &world.router,
            "POST",
            &page,
            a,
            &form(&[("action", "effacer")]),
        )
        .await;
        assert!(
            answered.status.is_redirection(),
            "réponse : {}",
            answered.status
        );
        let mut person = 0;
        let mut namesake = 0;
        for (t, c) in text_columns(&world).await {
            person += count(&world, &t, &c, common::PERSON_A_CONTACT).await;
            namesake += count(&world, &t, &c, NAMESAKE).await;
        }
        assert_eq!(person, 0, "{} : la personne reste", backend.name());
        assert_eq!(namesake, 1, "{} : l'homonyme a été effacé", backend.name());
        world.close().await;
        template.remove().await;
    }
}

/// The operator follows the deadlines of requests (counts, no person): A's open request of
/// access is counted on the register's page, on both databases; a member is refused the page.
#[tokio::test]
async fn open_requests_are_counted_for_the_operator_without_names() {
    for backend in Backend::all() {
        let template = Template::build(backend.clone()).await;
        let world = template.open().await;
        let page = common::send(
            &world.router,
            "GET",
            "/admin/registre",
            world.cookie(Caller::Administrator),
            &Payload::None,
        )
        .await;
        assert_eq!(page.status, axum::http::StatusCode::OK);
        let text = page.text();
        let start = text
            .find("Demandes des personnes à traiter")
            .expect("section des échéances");
        let section = &text[start..start + text[start..].find("</section>").unwrap_or(0)];
        assert!(section.contains(common::ORG_A), "{section}");
        assert!(
            section.contains("data-label=\"À traiter\">1<"),
            "une demande à traiter : {section}"
        );
        assert!(!section.contains(common::PERSON_A), "pas de nom");
        let refused = common::send(
            &world.router,
            "GET",
            "/admin/registre",
            world.cookie(Caller::MemberA),
            &Payload::None,
        )
        .await;
        assert_eq!(refused.status, axum::http::StatusCode::FORBIDDEN);
    }
}
