//! Pages of results read from the shelf of the index (issue #22): the places a search shows
//! are those the base holds, after an import, a restart, an edit and a deletion — never an
//! older version — with the cache of recent searches and places off, as `serve
//! --no-search-cache` runs.

use maillage_app::{App, StoredPlace};
use maillage_domain::policy::Actor;
use maillage_referential::Referential;
use maillage_search::SearchQuery;
use maillage_store::Store;

const ROWS: usize = 300;

fn operator() -> Actor {
    Actor {
        user_id: "operateur".into(),
        administrator: true,
        territory: vec![],
        memberships: vec![],
    }
}

fn referential() -> Option<Referential> {
    match Referential::discover() {
        Ok(r) => Some(r),
        Err(e) => {
            assert!(
                std::env::var_os("MAILLAGE_REQUIRE_REFERENTIAL").is_none(),
                "référentiel absent : {e}"
            );
            eprintln!("référentiel absent : lancez scripts/setup.sh");
            None
        }
    }
}

fn referential_again() -> Option<Referential> {
    referential()
}

fn file() -> String {
    let mut csv = String::from(
        "id,nom,commune,code_postal,code_insee,adresse,date_maj,source,pivot,services,horaires,telephone,latitude,longitude\n",
    );
    for i in 0..ROWS {
        csv.push_str(&format!(
            "lieu-{i:03},Espace numérique {i},Nancy,54000,54395,{} rue Stanislas,2026-11-02,hub-54,43493312300029,Maîtrise des outils numériques du quotidien|Aide aux démarches administratives,Mo-Fr 09:00-12:00,+33383000{i:03},{},{}\n",
            i + 1,
            48.6921 + i as f64 * 0.000_137,
            6.1844 - i as f64 * 0.000_291,
        ));
    }
    csv
}

/// A page of `limit` places: up to 100 are read back on the calling thread, more on the
/// blocking pool.
fn words(text: &str, limit: usize) -> SearchQuery {
    SearchQuery {
        text: Some(text.into()),
        limit,
        ..SearchQuery::default()
    }
}

/// The page of results of `q`, with each place as the base holds it.
async fn page_and_base(
    app: &App,
    store: &Store,
    q: &SearchQuery,
) -> (Vec<StoredPlace>, Vec<StoredPlace>) {
    let results = app.search(q).await.expect("recherche");
    let shown: Vec<StoredPlace> = app
        .places_of_hits(&results.hits)
        .await
        .expect("lieux")
        .into_iter()
        .map(|(_, s)| s)
        .collect();
    let ids: Vec<String> = results.hits.iter().map(|h| h.id.clone()).collect();
    let mut base = store.places(&ids).await.expect("base");
    base.sort_by_key(|s| ids.iter().position(|id| *id == s.place.id));
    (shown, base)
}

/// Every place of the index has its stored form on the shelf (none read from the base).
fn assert_shelved(app: &App) {
    let index = app.index();
    assert!(index.shelf_bytes() > 0);
    let ids: Vec<String> = (0..ROWS).map(|i| format!("lieu-{i:03}")).collect();
    let shelved = index.shelved(ids.iter().map(String::as_str));
    assert!(shelved.iter().all(Option::is_some));
}

fn assert_same(shown: &[StoredPlace], base: &[StoredPlace]) {
    assert_eq!(shown.len(), base.len());
    for (a, b) in shown.iter().zip(base) {
        assert_eq!(a.place, b.place);
        assert_eq!(
            (&a.organisation_id, &a.source, &a.source_id, &a.modified_at),
            (&b.organisation_id, &b.source, &b.source_id, &b.modified_at)
        );
    }
}

#[tokio::test]
async fn a_page_shows_the_places_the_base_holds_after_every_write() {
    let Some(referential) = referential() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dossier");
    let url = format!("sqlite://{}", dir.path().join("lieux.sqlite").display());
    let store = Store::connect(&url).await.expect("base");
    let app = App::with_search_cache(store.clone(), referential, false)
        .await
        .expect("application");
    // Imported: the places reach the index (and its shelf) through the change feed.
    app.import_file(Some(&operator()), file(), "lieux.csv", None, false)
        .await
        .expect("import")
        .outcome
        .expect("écrit");
    assert_shelved(&app);
    let q = words("espace numérique", 40);
    let all = words("espace numérique", 1_000);
    let (shown, base) = page_and_base(&app, &store, &q).await;
    assert_eq!(shown.len(), 40);
    assert_same(&shown, &base);
    let (shown, base) = page_and_base(&app, &store, &all).await;
    assert_eq!(shown.len(), ROWS);
    assert_same(&shown, &base);

    // Restarted over the same base: the index and its shelf are built from the base.
    drop(app);
    let Some(referential) = referential_again() else {
        return;
    };
    let store = Store::connect(&url).await.expect("base");
    let app = App::with_search_cache(store.clone(), referential, false)
        .await
        .expect("application");
    assert_shelved(&app);
    let (shown, base) = page_and_base(&app, &store, &q).await;
    assert_same(&shown, &base);
    let (shown, base) = page_and_base(&app, &store, &all).await;
    assert_same(&shown, &base);

    // Edited: the page shows the new version at once.
    let first = shown[0].clone();
    let mut edited = first.place.clone();
    edited.summary = Some("Ateliers du mardi, sans rendez-vous".into());
    edited.phone = Some("+33383999999".into());
    app.update_place(Some(&operator()), edited.clone(), None)
        .await
        .expect("modification");
    let (shown, base) = page_and_base(&app, &store, &all).await;
    assert_same(&shown, &base);
    let again = shown
        .iter()
        .find(|s| s.place.id == first.place.id)
        .expect("toujours trouvé");
    assert_eq!(again.place.summary, edited.summary);
    assert_eq!(again.place.phone, edited.phone);

    // Deleted: a page of hits found before the deletion leaves the place out.
    let before = app.search(&all).await.expect("recherche");
    app.delete_place(Some(&operator()), &first.place.id)
        .await
        .expect("suppression");
    let shown = app.places_of_hits(&before.hits).await.expect("lieux");
    assert_eq!(shown.len(), before.hits.len() - 1);
    assert!(shown.iter().all(|(_, s)| s.place.id != first.place.id));
}
