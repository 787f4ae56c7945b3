//! `demo --reset` and the tests' resets empty every table: the world of the matrix holds a row
//! in almost every one (referrals and journeys, campaigns, reports, merges, registrations…).
//! On SQLite, and on PostgreSQL when `MAILLAGE_TEST_POSTGRES_URL` is set.

use super::*;

#[tokio::test]
async fn a_reset_empties_every_table_of_the_world() {
    for backend in Backend::all() {
        // The template holds the world's files: it lives as long as the world.
        let template = Template::build(backend.clone()).await;
        let world = template.open().await;
        let before = world.store.digest().await.expect("empreinte");
        let filled = before.iter().filter(|t| t.rows > 0).count();
        assert!(
            filled >= 25,
            "{} : le monde remplit {filled} tables seulement",
            backend.name()
        );
        world.store.reset().await.expect("remise à zéro");
        let left: Vec<String> = world
            .store
            .digest()
            .await
            .expect("empreinte")
            .into_iter()
            .filter(|t| t.rows > 0)
            .map(|t| format!("{} ({})", t.table, t.rows))
            .collect();
        assert!(
            left.is_empty(),
            "{} : tables encore remplies : {left:?}",
            backend.name()
        );
        world.close().await;
        template.remove().await;
    }
}
