//! The instance's figures for Prometheus (issue #21), at `/metrics`: request counts and
//! latencies by route, searches, imported rows, pulled sources and periodic jobs, the places in
//! the index. Counts and durations only — never a person, an address or a text.

use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::App;

type Labels = Vec<(String, String)>;

fn latency() -> Histogram {
    // 1 ms to about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// The figures, registered once.
pub struct Metrics {
    registry: Mutex<Registry>,
    requests: Family<Labels, Counter>,
    request_seconds: Family<Labels, Histogram, fn() -> Histogram>,
    searches: Counter,
    search_seconds: Histogram,
    import_rows: Family<Labels, Counter>,
    pulls: Family<Labels, Counter>,
    job_runs: Family<Labels, Counter>,
    places_indexed: Gauge,
    feed_places: Family<Labels, Counter>,
    answers_kept: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("maillage");
        let requests = Family::<Labels, Counter>::default();
        let request_seconds =
            Family::<Labels, Histogram, fn() -> Histogram>::new_with_constructor(latency);
        let searches = Counter::default();
        let search_seconds = latency();
        let import_rows = Family::<Labels, Counter>::default();
        let pulls = Family::<Labels, Counter>::default();
        let job_runs = Family::<Labels, Counter>::default();
        let places_indexed = Gauge::default();
        let feed_places = Family::<Labels, Counter>::default();
        let answers_kept = Counter::default();
        registry.register(
            "http_requetes",
            "Requêtes servies, par route, méthode et classe de statut",
            requests.clone(),
        );
        registry.register(
            "http_duree_secondes",
            "Durée des réponses, par route",
            request_seconds.clone(),
        );
        registry.register("recherches", "Recherches de lieux", searches.clone());
        registry.register(
            "recherche_duree_secondes",
            "Durée des recherches de lieux",
            search_seconds.clone(),
        );
        registry.register(
            "import_lignes",
            "Lignes importées, par issue (cree, modifie, inchange, refuse)",
            import_rows.clone(),
        );
        registry.register("moissons", "Moissons de sources, par issue", pulls.clone());
        registry.register(
            "taches",
            "Passages des tâches périodiques, par tâche et issue",
            job_runs.clone(),
        );
        registry.register(
            "lieux_indexes",
            "Lieux dans l'index de recherche",
            places_indexed.clone(),
        );
        registry.register(
            "fil_lieux",
            "Lieux remis à jour dans l'index par le fil des modifications, en place ou par reconstruction",
            feed_places.clone(),
        );
        registry.register(
            "reponses_gardees",
            "Réponses de la recherche publique servies telles qu'elles venaient d'être faites (cache des réponses)",
            answers_kept.clone(),
        );
        Metrics {
            registry: Mutex::new(registry),
            requests,
            request_seconds,
            searches,
            search_seconds,
            import_rows,
            pulls,
            job_runs,
            places_indexed,
            feed_places,
            answers_kept,
        }
    }
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Metrics {
    /// One answered request: its route pattern (`/lieux/{id}`, never the id), method, status.
    pub fn request(&self, route: &str, method: &str, status: u16, took: Duration) {
        let class = format!("{}xx", status / 100);
        self.requests
            .get_or_create(&labels(&[
                ("route", route),
                ("methode", method),
                ("statut", &class),
            ]))
            .inc();
        self.request_seconds
            .get_or_create(&labels(&[("route", route)]))
            .observe(took.as_secs_f64());
    }

    /// One answer served from the cache of answers (it is also counted as a request).
    pub fn answer_kept(&self) {
        self.answers_kept.inc();
    }

    pub(crate) fn search(&self, took: Duration) {
        self.searches.inc();
        self.search_seconds.observe(took.as_secs_f64());
    }

    pub(crate) fn imported(
        &self,
        created: usize,
        updated: usize,
        unchanged: usize,
        refused: usize,
    ) {
        for (outcome, n) in [
            ("cree", created),
            ("modifie", updated),
            ("inchange", unchanged),
            ("refuse", refused),
        ] {
            self.import_rows
                .get_or_create(&labels(&[("issue", outcome)]))
                .inc_by(n as u64);
        }
    }

    pub(crate) fn pulled(&self, outcome: &str) {
        self.pulls
            .get_or_create(&labels(&[("issue", outcome)]))
            .inc();
    }

    pub(crate) fn feed(&self, places: usize, rebuilt: bool) {
        self.feed_places
            .get_or_create(&labels(&[(
                "mode",
                if rebuilt {
                    "reconstruction"
                } else {
                    "en-place"
                },
            )]))
            .inc_by(places as u64);
    }

    pub(crate) fn job(&self, job: &str, ok: bool) {
        self.job_runs
            .get_or_create(&labels(&[
                ("tache", job),
                ("issue", if ok { "ok" } else { "echec" }),
            ]))
            .inc();
    }
}

impl App {
    /// The figures in Prometheus's text format.
    pub fn metrics_text(&self) -> String {
        self.metrics
            .places_indexed
            .set(i64::try_from(self.index().len()).unwrap_or(i64::MAX));
        let mut out = String::new();
        let registry = match self.metrics.registry.lock() {
            Ok(r) => r,
            Err(poisoned) => poisoned.into_inner(),
        };
        if encode(&mut out, &registry).is_err() {
            out.clear();
        }
        out
    }

    /// The figures, for the web layer to count requests.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
}
