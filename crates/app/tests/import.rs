//! Imports written chunk by chunk as the file is checked (issue #22): a file of several
//! chunks gives the places, counts, provenance and report a file held whole would give; one
//! invalid row late in the file still leaves nothing written; an interruption too; rows that
//! give different sources are recorded under the file's name. Then what a search shows of the
//! imported places, read from the index's shelf (ADR 0030): what the base holds, after the
//! import, a restart, an edit and a deletion, never an older version — with the caches off, as
//! `serve --no-search-cache` runs.

use std::sync::atomic::{AtomicU64, Ordering};

use maillage_app::{App, StoredPlace};
use maillage_domain::policy::Actor;
use maillage_domain::progress::Progress;
use maillage_referential::Referential;
use maillage_search::SearchQuery;
use maillage_store::Store;

/// More rows than two of the import's chunks (512), and more new places than the lines of
/// changes it keeps (1,000).
const ROWS: usize = 1_300;

fn operator() -> Actor {
    Actor {
        user_id: "operateur".into(),
        administrator: true,
        territory: vec![],
        memberships: vec![],
    }
}

fn discover_referential() -> Option<Referential> {
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

async fn app() -> Option<(App, Store)> {
    let referential = discover_referential()?;
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let app = App::new(store.clone(), referential)
        .await
        .expect("application");
    Some((app, store))
}

/// A file of `ROWS` places in Nancy; `source(i)` is row `i`'s `source` column, `date` its
/// `date_maj`.
fn file(source: impl Fn(usize) -> &'static str, date: impl Fn(usize) -> &'static str) -> String {
    let mut csv = String::from(
        "id,nom,commune,code_postal,code_insee,adresse,date_maj,source,pivot,services\n",
    );
    for i in 0..ROWS {
        csv.push_str(&format!(
            "lieu-{i},Espace numérique {i},Nancy,54000,54395,{} rue Stanislas,{},{},43493312300029,Maîtrise des outils numériques du quotidien\n",
            i + 1,
            date(i),
            source(i)
        ));
    }
    csv
}

async fn sources_of(store: &Store) -> Vec<Option<String>> {
    let mut sources: Vec<Option<String>> = store
        .all_places()
        .await
        .expect("lieux")
        .into_iter()
        .map(|p| p.source)
        .collect();
    sources.sort();
    sources.dedup();
    sources
}

#[tokio::test]
async fn a_file_of_several_chunks_is_written_whole_under_the_source_its_rows_give() {
    let Some((app, store)) = app().await else {
        return;
    };
    let csv = file(|_| "hub-54", |_| "2026-11-02");
    let result = app
        .import_file(Some(&operator()), csv.clone(), "lieux.csv", None, false)
        .await
        .expect("import");
    let outcome = result.outcome.expect("écrit");
    assert_eq!((outcome.created, outcome.updated), (ROWS, 0));
    assert_eq!(
        (result.report.records, result.report.valid_count()),
        (ROWS, ROWS)
    );
    // Valid and silent rows are counted, not kept.
    assert!(result.report.flagged.is_empty());
    assert_eq!(result.source_ids.len(), ROWS);
    assert_eq!(&*result.source_ids[ROWS - 1], "lieu-1299");
    // The first thousand changes are kept, the others counted.
    assert_eq!(result.changes.len(), 1_000);
    assert_eq!(result.more_changes, ROWS - 1_000);
    assert_eq!(result.changes[0], "Nouveau : Espace numérique 0 (Nancy)");
    let places = store.all_places().await.expect("lieux");
    assert_eq!(places.len(), ROWS);
    assert_eq!(sources_of(&store).await, vec![Some("hub-54".to_string())]);
    let history = store.imports(5).await.expect("historique");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].created, ROWS as i64);
    assert_eq!(history[0].source, "hub-54");

    // Again: nothing changes; then a newer date updates every place, in every chunk.
    let again = app
        .import_file(Some(&operator()), csv, "lieux.csv", None, false)
        .await
        .expect("import");
    assert_eq!(again.outcome.map(|o| o.unchanged), Some(ROWS));
    assert!(again.changes.is_empty());
    // A newer file refused whole by its first row: the rest is still checked and its changes
    // told (read without holding the write lock), nothing written.
    let refused = file(|_| "hub-54", |i| if i == 0 { "hier" } else { "2026-11-20" });
    let refused = app
        .import_file(Some(&operator()), refused, "lieux.csv", None, false)
        .await
        .expect("import");
    assert!(refused.outcome.is_none());
    assert_eq!(refused.report.invalid_count(), 1);
    assert_eq!(
        (refused.changes.len(), refused.more_changes),
        (1_000, ROWS - 1 - 1_000)
    );
    assert_eq!(
        refused.changes[0],
        "Modifié : Espace numérique 1 (Nancy) — date_maj"
    );
    assert_eq!(store.imports(5).await.expect("historique").len(), 2);
    let newer = file(|_| "hub-54", |_| "2026-11-20");
    let newer = app
        .import_file(Some(&operator()), newer, "lieux.csv", None, false)
        .await
        .expect("import");
    assert_eq!(newer.outcome.map(|o| o.updated), Some(ROWS));
    assert_eq!(store.all_places().await.expect("lieux").len(), ROWS);
}

#[tokio::test]
async fn rows_that_give_different_sources_are_recorded_under_the_files_name() {
    let Some((app, store)) = app().await else {
        return;
    };
    // The last chunk's last row gives another source: the rows written under the first one
    // are rolled back, and the whole file recorded under its name.
    let csv = file(
        |i| if i == ROWS - 1 { "hub-57" } else { "hub-54" },
        |_| "2026-11-02",
    );
    let result = app
        .import_file(Some(&operator()), csv, "lieux-grand-est.csv", None, false)
        .await
        .expect("import");
    assert_eq!(result.outcome.map(|o| o.created), Some(ROWS));
    assert_eq!(
        sources_of(&store).await,
        vec![Some("lieux-grand-est.csv".to_string())]
    );
    let history = store.imports(5).await.expect("historique");
    assert_eq!(history.len(), 1, "un seul import enregistré");
    assert_eq!(history[0].source, "lieux-grand-est.csv");
}

#[tokio::test]
async fn one_invalid_row_late_in_the_file_leaves_nothing_written() {
    let Some((app, store)) = app().await else {
        return;
    };
    let csv = file(
        |_| "hub-54",
        |i| if i == ROWS - 2 { "hier" } else { "2026-11-02" },
    );
    let refused = app
        .import_file(Some(&operator()), csv.clone(), "lieux.csv", None, false)
        .await
        .expect("import");
    assert!(refused.outcome.is_none());
    assert_eq!(refused.report.invalid_count(), 1);
    assert_eq!(refused.report.flagged.len(), 1);
    assert_eq!(refused.report.flagged[0].position.to_string(), "ligne 1300");
    assert!(
        refused
            .report
            .to_text()
            .contains("ligne 1300, champ « date_maj »"),
        "{}",
        refused.report.to_text()
    );
    assert!(store.all_places().await.expect("lieux").is_empty());
    assert!(store.imports(5).await.expect("historique").is_empty());

    // Valid rows only: every other row, in every chunk.
    let partial = app
        .import_file(Some(&operator()), csv, "lieux.csv", None, true)
        .await
        .expect("import");
    assert_eq!(partial.outcome.map(|o| o.created), Some(ROWS - 1));
    assert_eq!(store.all_places().await.expect("lieux").len(), ROWS - 1);
    assert_eq!(store.imports(5).await.expect("historique")[0].rejected, 1);
}

/// Stops the work once `after` steps are done.
struct StopAfter {
    after: u64,
    done: AtomicU64,
}

impl Progress for StopAfter {
    fn stage(&self, _: &str, _: Option<u64>) {}
    fn advance(&self, steps: u64) {
        self.done.fetch_add(steps, Ordering::SeqCst);
    }
    fn interrupted(&self) -> bool {
        self.done.load(Ordering::SeqCst) >= self.after
    }
}

#[tokio::test]
async fn an_import_interrupted_after_its_first_chunks_writes_nothing() {
    let Some((app, store)) = app().await else {
        return;
    };
    let stop = StopAfter {
        after: 600,
        done: AtomicU64::new(0),
    };
    let csv = file(|_| "hub-54", |_| "2026-11-02");
    let result = app
        .import_file_watched(Some(&operator()), csv, "lieux.csv", None, false, &stop)
        .await;
    assert!(result.is_err(), "interrompu");
    assert!(stop.done.load(Ordering::SeqCst) >= 600);
    assert!(store.all_places().await.expect("lieux").is_empty());
    assert!(store.imports(5).await.expect("historique").is_empty());
}

const SHELF_ROWS: usize = 300;

/// Places shown from the shelf: `SHELF_ROWS` places in Nancy with hours, phones and
/// coordinates.
fn shelf_file() -> String {
    let header = "id,nom,commune,code_postal,code_insee,adresse,date_maj,source,pivot,services,horaires,telephone,latitude,longitude\n";
    let rows = (0..SHELF_ROWS).map(|i| {
        let (lat, lon) = (48.6921 + i as f64 * 0.000_137, 6.1844 - i as f64 * 0.000_291);
        format!(
            "lieu-{i:03},Espace numérique {i},Nancy,54000,54395,{} rue Stanislas,2026-11-02,hub-54,43493312300029,Maîtrise des outils numériques du quotidien|Aide aux démarches administratives,Mo-Fr 09:00-12:00,+33383000{i:03},{lat},{lon}\n",
            i + 1,
        )
    });
    std::iter::once(header.to_string()).chain(rows).collect()
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
    let ids: Vec<String> = (0..SHELF_ROWS).map(|i| format!("lieu-{i:03}")).collect();
    let shelved = index.shelved(ids.iter().map(String::as_str));
    assert!(shelved.iter().all(Option::is_some));
}

#[tokio::test]
async fn a_page_shows_the_places_the_base_holds_after_every_write() {
    let Some(referential) = discover_referential() else {
        return;
    };
    let dir = tempfile::tempdir().expect("dossier");
    let url = format!("sqlite://{}", dir.path().join("lieux.sqlite").display());
    let store = Store::connect(&url).await.expect("base");
    let app = App::with_search_cache(store.clone(), referential, false)
        .await
        .expect("application");
    // Imported: the places reach the index (and its shelf) through the change feed.
    app.import_file(Some(&operator()), shelf_file(), "lieux.csv", None, false)
        .await
        .expect("import")
        .outcome
        .expect("écrit");
    assert_shelved(&app);
    let q = words("espace numérique", 40);
    let all = words("espace numérique", 1_000);
    let (shown, base) = page_and_base(&app, &store, &q).await;
    assert_eq!(shown.len(), 40);
    assert_eq!(shown, base);
    let (shown, base) = page_and_base(&app, &store, &all).await;
    assert_eq!(shown.len(), SHELF_ROWS);
    assert_eq!(shown, base);

    // Restarted over the same base: the index and its shelf are built from the base.
    drop(app);
    let Some(referential) = discover_referential() else {
        return;
    };
    let store = Store::connect(&url).await.expect("base");
    let app = App::with_search_cache(store.clone(), referential, false)
        .await
        .expect("application");
    assert_shelved(&app);
    let (shown, base) = page_and_base(&app, &store, &q).await;
    assert_eq!(shown, base);
    let (shown, base) = page_and_base(&app, &store, &all).await;
    assert_eq!(shown, base);

    // Edited: the page shows the new version at once.
    let first = shown[0].clone();
    let mut edited = first.place.clone();
    edited.summary = Some("Ateliers du mardi, sans rendez-vous".into());
    edited.phone = Some("+33383999999".into());
    app.update_place(Some(&operator()), edited.clone(), None)
        .await
        .expect("modification");
    let (shown, base) = page_and_base(&app, &store, &all).await;
    assert_eq!(shown, base);
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
