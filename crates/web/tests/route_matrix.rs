//! Every route × every kind of caller, through the real router (issue #8, "Proof that stays").
//!
//! The routes are read from the router itself (its `Debug` text: paths and `Allow` headers):
//! a route without a row in [`ROWS`] fails the test, and so does a row whose route is gone.
//! Each route is called as anonymous, a member of structure A, a member of B, the coordinator
//! of their territory (54), a coordinator elsewhere (13) and an administrator, with the ids of
//! A's objects in the path, the query, hidden form fields and JSON bodies (the world of
//! `common/mod.rs`). The expected outcome of each cell is in [`ROWS`], the same table as
//! `docs/SECURITY.md` (checked here; `MAILLAGE_UPDATE_DOCS=1` rewrites it).
//!
//! Beyond the status: where a row names A's data, `ok` means they are in the answer and any
//! other outcome means they are not; in every answer (but the pages opened by a personal link,
//! which are the permission), no personal datum of the world reaches a caller who may not read
//! it; a write refused leaves every table of the database as it was. Every write that should
//! succeed runs on its own copy of the world, so that cells never depend on each other. On
//! SQLite, and on PostgreSQL when `MAILLAGE_TEST_POSTGRES_URL` is set.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use axum::Router;
use common::{Answer, Backend, Caller, Ids, Payload, Template, World};
use maillage_domain::Vocabulary;
use serde_json::json;

// ----- the matrix -----

/// One row of the matrix: a route (as the router spells it), what is sent when a route has
/// several rows, and the expected outcome for each caller, in the order of [`Caller::ALL`]:
/// anonymous, member of A, member of B, coordinator of 54, coordinator of 13, administrator.
///
/// Outcomes: `ok` answered (2xx) — and where the row shows A's data, they are there;
/// `hidden` answered (2xx) without A's data; `redir` accepted (3xx, to the next page);
/// `401` sign in first; `403` refused; `404` not found (or not shown to this caller);
/// `422` refused with the form's reasons.
type Row = (&'static str, &'static str, &'static str, &'static str);

#[rustfmt::skip]
const ROWS: &[Row] = &[
    // The directory: readable by everyone; the referent shown to signed-in users only.
    ("GET",    "/",                                   "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/lieux/{id}",                          "lieu de A (référent)",              "hidden ok     ok     ok     ok     ok"),
    ("GET",    "/lieux/nouveau",                       "",                                  "401    ok     ok     ok     ok     ok"),
    ("POST",   "/lieux/nouveau",                       "structure A",                       "401    redir  403    redir  403    redir"),
    ("GET",    "/lieux/{id}/modifier",                 "lieu de A",                         "401    ok     403    ok     403    ok"),
    ("POST",   "/lieux/{id}/modifier",                 "lieu de A",                         "401    redir  403    redir  403    redir"),
    ("POST",   "/lieux/{id}/confirmer",                "lieu de A",                         "401    redir  403    redir  403    redir"),
    ("POST",   "/lieux/{id}/supprimer",                "lieu de A",                         "401    403    403    redir  403    redir"),
    ("GET",    "/lieux/{id}/fiche-a-imprimer",         "lieu de A",                         "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/lieux/{id}/fiche-a-imprimer/envoyer", "lieu de A",                         "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/lieux/{id}/signaler",                 "lieu de A",                         "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/lieux/{id}/signaler",                 "lieu de A",                         "redir  redir  redir  redir  redir  redir"),
    ("GET",    "/signalements",                        "signalement sur le lieu de A",      "401    ok     hidden ok     hidden ok"),
    ("POST",   "/signalements/{id}/traiter",           "signalement sur le lieu de A",      "401    redir  403    redir  403    redir"),
    ("GET",    "/carte",                               "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/export",                              "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/import",                              "",                                  "401    403    403    ok     ok     ok"),
    // (Through the page, an import's outcome is its job's: the report page's status.)
    ("POST",   "/import",                              "fichier modifiant le lieu de A",    "401    403    403    ok     422    ok"),
    ("POST",   "/import",                              "lieu de A déplacé dans le 13",      "401    403    403    422    422    ok"),
    ("GET",    "/livret",                              "",                                  "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/livret",                              "",                                  "redir  redir  redir  redir  redir  redir"),
    ("GET",    "/taches/{id}",                         "import du coordinateur 54",         "404    404    404    ok     404    404"),
    ("POST",   "/taches/{id}/interrompre",             "import du coordinateur 54",         "404    404    404    redir  404    404"),
    ("GET",    "/taches/{id}/fichier",                 "import du coordinateur 54 (sans fichier)", "404    404    404    404    404    404"),
    ("GET",    "/qualite",                             "",                                  "401    403    403    ok     ok     ok"),
    ("GET",    "/doublons",                            "lieu de A et son doublon",          "401    403    403    ok     hidden ok"),
    ("POST",   "/doublons/fusion",                     "lieu de A et son doublon",          "401    403    403    redir  403    redir"),
    ("POST",   "/doublons/pas-doublon",                "lieu de A et son doublon",          "401    403    403    redir  403    redir"),
    ("POST",   "/doublons/annuler",                    "fusion dans le 54",                 "401    403    403    redir  404    redir"),
    ("GET",    "/campagnes",                           "campagne du 54",                    "401    403    403    ok     hidden ok"),
    ("POST",   "/campagnes",                           "",                                  "401    403    403    redir  redir  redir"),
    ("GET",    "/campagnes/{id}",                      "campagne du 54",                    "401    403    403    ok     404    ok"),
    ("POST",   "/campagnes/{id}/relancer",             "campagne du 54",                    "401    403    403    redir  404    redir"),
    ("POST",   "/campagnes/{id}/clore",                "campagne du 54",                    "401    403    403    redir  404    redir"),
    ("POST",   "/campagnes/demandes/{id}/echec",       "demande au référent de A",          "401    403    403    redir  403    redir"),
    ("GET",    "/mise-a-jour/{token}",                 "lien personnel du référent de A",   "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/mise-a-jour/{token}/confirmer",       "lien personnel du référent de A",   "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/mise-a-jour/{token}/corriger",        "lien personnel du référent de A",   "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/mise-a-jour/{token}/corriger",        "lien personnel du référent de A",   "ok     ok     ok     ok     ok     ok"),
    // Accounts and structures.
    ("GET",    "/connexion",                           "",                                  "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/connexion",                           "compte du membre de A",             "redir  redir  redir  redir  redir  redir"),
    ("POST",   "/deconnexion",                         "",                                  "redir  redir  redir  redir  redir  redir"),
    ("GET",    "/compte",                              "",                                  "401    ok     ok     ok     ok     ok"),
    ("POST",   "/compte/mot-de-passe",                 "son propre mot de passe",           "401    redir  redir  redir  redir  redir"),
    ("POST",   "/compte/deconnexion-partout",          "",                                  "401    redir  redir  redir  redir  redir"),
    ("GET",    "/mot-de-passe-oublie",                 "",                                  "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/mot-de-passe-oublie",                 "compte du membre de A",             "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/mot-de-passe/{token}",                "lien envoyé au membre de A",        "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/mot-de-passe/{token}",                "lien envoyé au membre de A",        "redir  redir  redir  redir  redir  redir"),
    ("GET",    "/admin",                               "",                                  "401    403    403    403    403    ok"),
    ("GET",    "/admin/courriels",                     "",                                  "401    403    403    403    403    ok"),
    ("POST",   "/admin/comptes",                       "aidant membre de A",                "401    403    403    403    403    ok"),
    ("POST",   "/admin/structures",                    "",                                  "401    403    403    ok     403    ok"),
    // Diagnostics and followed persons: the members of the structure only.
    ("GET",    "/diagnostic",                          "",                                  "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/diagnostic/commencer",                "",                                  "redir  redir  redir  redir  redir  redir"),
    ("POST",   "/diagnostic/reprendre",                "code de reprise",                   "redir  redir  redir  redir  redir  redir"),
    ("GET",    "/diagnostic/seul/{code}/{n}",          "code de reprise",                   "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/diagnostic/seul/{code}/{n}",          "code de reprise",                   "redir  redir  redir  redir  redir  redir"),
    ("GET",    "/diagnostic/seul/{code}/resultat",     "code de reprise",                   "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/diagnostics",                         "",                                  "401    ok     hidden hidden hidden hidden"),
    ("GET",    "/diagnostics/nouveau",                 "personne de A",                     "401    ok     hidden 403    403    403"),
    ("POST",   "/diagnostics/nouveau",                 "structure A, personne et diagnostic de A", "401    redir  403    403    403    403"),
    ("POST",   "/diagnostics/nouveau",                 "sa structure, personne et diagnostic de A", "401    redir  403    403    403    403"),
    ("GET",    "/diagnostics/{id}",                    "diagnostic de A",                   "401    ok     403    403    403    403"),
    ("GET",    "/personnes/{id}",                      "personne de A",                     "401    ok     403    403    403    403"),
    ("GET",    "/personnes/{id}/export",               "personne de A",                     "401    ok     403    403    403    403"),
    ("POST",   "/personnes/{id}/effacer",              "personne de A",                     "401    redir  403    403    403    403"),
    ("POST",   "/personnes/{id}/profil",               "personne de A",                     "401    redir  403    403    403    403"),
    ("GET",    "/diagnostic/questionnaires",           "",                                  "401    403    403    ok     ok     ok"),
    ("POST",   "/diagnostic/questionnaires",           "",                                  "401    403    403    redir  redir  redir"),
    // Orientation (nothing kept) and referrals (the sending and receiving structures only).
    ("GET",    "/orienter",                            "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/orienter/demandes",                   "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/orienter/demandes/nouvelle",          "",                                  "401    403    403    ok     ok     ok"),
    ("POST",   "/orienter/demandes/nouvelle",          "",                                  "401    403    403    redir  redir  redir"),
    ("GET",    "/orienter/demandes/{id}/modifier",     "",                                  "401    403    403    ok     ok     ok"),
    ("POST",   "/orienter/demandes/{id}/modifier",     "",                                  "401    403    403    redir  redir  redir"),
    ("POST",   "/orienter/demandes/{id}/supprimer",    "",                                  "401    403    403    redir  redir  redir"),
    ("GET",    "/orientations",                        "",                                  "401    ok     hidden hidden hidden hidden"),
    ("GET",    "/orientations/nouvelle",               "lieu de C, parcours de A",          "401    ok     ok     ok     ok     ok"),
    ("POST",   "/orientations/nouvelle",               "structure A, parcours de A",        "401    redir  403    403    403    403"),
    ("POST",   "/orientations/nouvelle",               "sa structure, parcours de A",       "401    redir  403    403    403    403"),
    ("GET",    "/orientations/flux",                   "",                                  "401    403    403    ok     ok     ok"),
    ("GET",    "/orientations/{id}",                   "orientation de A",                  "401    ok     403    403    403    403"),
    ("POST",   "/orientations/{id}",                   "orientation de A, retrait",         "401    redir  403    403    403    403"),
    ("GET",    "/orientations/{id}/export",            "orientation de A",                  "401    ok     403    403    403    403"),
    ("GET",    "/orientations/reponse/{token}",        "lien de la structure qui reçoit",   "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/orientations/reponse/{token}",        "lien de la structure qui reçoit",   "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/orientations/accord/{token}",         "lien de la personne",               "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/orientations/accord/{token}",         "lien de la personne",               "ok     ok     ok     ok     ok     ok"),
    // Activity records: the members of the structure; statistics: also its territory's
    // coordinators and the administrators.
    ("GET",    "/activites",                           "",                                  "401    ok     hidden hidden hidden hidden"),
    ("GET",    "/activites/nouvelle",                  "structure A, personne de A",        "401    ok     hidden hidden hidden hidden"),
    ("GET",    "/activites/nouvelle",                  "copie d'une activité de A",         "401    ok     403    403    403    403"),
    ("GET",    "/activites/nouvelle",                  "séance de l'atelier de A",          "401    ok     403    403    403    403"),
    ("POST",   "/activites/nouvelle",                  "structure A, personne de A",        "401    redir  403    403    403    403"),
    ("POST",   "/activites/nouvelle",                  "sa structure, personne de A",       "401    redir  422    403    403    403"),
    ("POST",   "/activites/nouvelle",                  "sa structure, orientation de A",    "401    redir  403    403    403    403"),
    ("POST",   "/activites/nouvelle",                  "sa structure, séance de A",         "401    redir  403    403    403    403"),
    ("GET",    "/activites/{id}",                      "activité de A",                     "401    ok     403    403    403    403"),
    ("GET",    "/activites/{id}",                      "activité d'un collègue de A",       "401    ok     403    403    403    403"),
    ("POST",   "/activites/{id}",                      "activité de A",                     "401    redir  403    403    403    403"),
    ("POST",   "/activites/{id}/supprimer",            "activité de A",                     "401    redir  403    403    403    403"),
    ("GET",    "/activites/import",                    "",                                  "401    ok     hidden hidden hidden hidden"),
    ("POST",   "/activites/import",                    "structure A",                       "401    ok     403    403    403    403"),
    ("GET",    "/activites/modele.xlsx",               "",                                  "401    ok     ok     ok     ok     ok"),
    ("GET",    "/activites/modele.csv",                "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/activites/export.csv",                "activités de A",                    "401    ok     403    403    403    403"),
    ("GET",    "/activites/export.csv",                "territoire, filtre structure A",     "401    ok     hidden 403    403    403"),
    ("GET",    "/statistiques",                        "statistiques de A",                 "401    ok     403    ok     403    ok"),
    ("GET",    "/statistiques/rapport",                "statistiques de A",                 "401    ok     403    ok     403    ok"),
    ("GET",    "/statistiques/export.xlsx",            "statistiques de A",                 "401    ok     403    ok     403    ok"),
    ("GET",    "/statistiques/export.csv",             "statistiques de A",                 "401    ok     403    ok     403    ok"),
    ("POST",   "/statistiques/partage",                "statistiques de A",                 "401    ok     403    403    403    403"),
    ("GET",    "/statistiques/publiques/{token}",      "lien public de A",                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/indicateurs",                         "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/impact",                              "impact de A",                       "401    ok     403    ok     403    ok"),
    ("GET",    "/territoire/offre",                    "offre de A",                        "401    ok     403    ok     403    ok"),
    ("GET",    "/impact/enquete",                      "",                                  "401    ok     hidden hidden hidden hidden"),
    ("POST",   "/impact/enquete/lien",                 "structure A",                       "401    ok     403    403    403    403"),
    ("GET",    "/impact/enquete/saisie",               "",                                  "401    ok     hidden hidden hidden hidden"),
    ("POST",   "/impact/enquete/saisie",               "structure A",                       "401    ok     403    403    403    403"),
    ("GET",    "/enquete/papier",                      "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/enquete/{token}",                      "lien de l'enquête de A",            "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/enquete/{token}",                     "lien de l'enquête de A",            "ok     ok     ok     ok     ok     ok"),
    // Workshops: published by the structure and its territory's coordinators; the list of
    // registered people is personal data (the structure's members only).
    ("GET",    "/ateliers",                            "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/ateliers.ics",                        "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/ateliers/programme",                  "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/ateliers/nouveau",                    "",                                  "401    ok     ok     ok     ok     ok"),
    ("POST",   "/ateliers/nouveau",                    "structure et lieu de A",            "401    redir  403    redir  403    redir"),
    ("GET",    "/ateliers/{id}",                       "atelier de A",                      "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/ateliers/{id}",                       "inscription à l'atelier de A",      "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/ateliers/{id}/inscrits",              "atelier de A",                      "401    ok     403    403    403    403"),
    ("POST",   "/ateliers/{id}/inscrits",              "présences à l'atelier de A",        "401    redir  403    403    403    403"),
    ("GET",    "/ateliers/{id}/inscrits.csv",          "atelier de A",                      "401    ok     403    403    403    403"),
    ("POST",   "/ateliers/inscriptions/{id}/annuler",  "inscription à l'atelier de A",      "401    redir  403    403    403    403"),
    ("GET",    "/ateliers/annulation/{token}",         "lien de la personne inscrite",      "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/ateliers/annulation/{token}",         "lien de la personne inscrite",      "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/structures/{id}/ateliers.ics",        "structure A",                       "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/lieux/{id}/ateliers.ics",             "lieu de A",                         "ok     ok     ok     ok     ok     ok"),
    // The library: a proposal is seen by its structure and the coordinators, who publish.
    ("GET",    "/ressources",                          "propositions en attente",           "hidden ok     hidden ok     ok     ok"),
    ("GET",    "/ressources/nouvelle",                 "",                                  "401    ok     ok     ok     ok     ok"),
    ("POST",   "/ressources/nouvelle",                 "structure A",                       "401    redir  redir  redir  redir  redir"),
    ("GET",    "/ressources/{id}",                     "proposition de A",                  "404    ok     404    ok     ok     ok"),
    ("GET",    "/ressources/{id}/fichier",             "proposition de A",                  "404    ok     404    ok     ok     ok"),
    ("GET",    "/ressources/{id}/modifier",            "proposition de A",                  "404    ok     404    ok     ok     ok"),
    ("POST",   "/ressources/{id}/modifier",            "proposition de A",                  "404    redir  404    redir  redir  redir"),
    ("POST",   "/ressources/{id}/publier",             "proposition de A",                  "401    403    403    redir  redir  redir"),
    ("POST",   "/ressources/{id}/refuser",             "proposition de A",                  "401    403    403    redir  redir  redir"),
    ("POST",   "/ressources/{id}/supprimer",           "proposition de A",                  "404    redir  404    redir  redir  redir"),
    // The watch on public platforms: posted by the coordinators.
    ("GET",    "/veille",                              "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/veille/{id}",                         "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/veille/nouvelle",                     "",                                  "401    403    403    ok     ok     ok"),
    ("POST",   "/veille/nouvelle",                     "",                                  "401    403    403    redir  redir  redir"),
    ("GET",    "/veille/{id}/modifier",                "",                                  "401    403    403    ok     ok     ok"),
    ("POST",   "/veille/{id}/modifier",                "",                                  "401    403    403    redir  redir  redir"),
    ("POST",   "/veille/{id}/supprimer",               "",                                  "401    403    403    redir  redir  redir"),
    ("POST",   "/veille/envoyer",                      "",                                  "401    403    403    redir  redir  redir"),
    ("GET",    "/veille/abonnement",                   "",                                  "401    ok     ok     ok     ok     ok"),
    ("POST",   "/veille/abonnement",                   "",                                  "401    ok     ok     ok     ok     ok"),
    // Static content and information pages.
    ("GET",    "/accessibilite",                       "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/donnees-personnelles",                "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/static/maillage.css",                 "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/static/carte.js",                     "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/static/lecture.js",                   "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/static/vendor/{file}",                "chemin hors de la liste",           "404    404    404    404    404    404"),
    // The JSON API: the same rules as the pages.
    ("GET",    "/api/v1/lieux",                        "lieu de A (référent)",              "hidden ok     ok     ok     ok     ok"),
    ("POST",   "/api/v1/lieux",                        "structure A",                       "401    ok     403    ok     403    ok"),
    ("GET",    "/api/v1/lieux/{id}",                   "lieu de A (référent)",              "hidden ok     ok     ok     ok     ok"),
    ("PUT",    "/api/v1/lieux/{id}",                   "lieu de A",                         "401    ok     403    ok     403    ok"),
    ("DELETE", "/api/v1/lieux/{id}",                   "lieu de A",                         "401    403    403    ok     403    ok"),
    ("GET",    "/api/v1/structures",                   "",                                  "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/api/v1/structures",                   "dans le 54",                        "401    403    403    ok     403    ok"),
    ("GET",    "/api/v1/structures/{id}",              "structure A",                       "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/api/v1/qualite",                      "",                                  "401    403    403    ok     ok     ok"),
    ("POST",   "/api/v1/import",                       "fichier modifiant le lieu de A",    "401    403    403    ok     422    ok"),
    ("POST",   "/api/v1/import",                       "lieu de A déplacé dans le 13",      "401    403    403    422    422    ok"),
    ("GET",    "/api/v1/export",                       "",                                  "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/api/v1/diagnostic/score",             "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/api/v1/diagnostic/questionnaires/{id}", "",                                "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/api/v1/ateliers",                     "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/api/v1/ateliers/{id}",                "atelier de A",                      "ok     ok     ok     ok     ok     ok"),
    ("POST",   "/api/v1/ateliers/{id}/inscriptions",   "atelier de A",                      "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/api/v1/ressources",                   "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/api/v1/ressources/{id}",              "proposition de A",                  "404    ok     404    ok     ok     ok"),
    ("GET",    "/api/v1/orientation",                  "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/api/v1/demandes",                     "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/api/v1/orientations",                 "",                                  "401    ok     hidden hidden hidden hidden"),
    ("GET",    "/api/v1/orientations/{id}",            "orientation de A",                  "401    ok     403    403    403    403"),
    ("POST",   "/api/v1/orientations/{id}",            "orientation de A, retrait",         "401    ok     403    403    403    403"),
    ("GET",    "/api/v1/statistiques",                 "statistiques de A",                 "401    ok     403    ok     403    ok"),
    ("GET",    "/api/v1/indicateurs",                  "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/api/v1/veille",                       "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/api/v1/veille/{id}",                  "",                                  "ok     ok     ok     ok     ok     ok"),
    ("GET",    "/api/v1/openapi.json",                 "",                                  "ok     ok     ok     ok     ok     ok"),
];

/// Writes that are accepted without writing to the database (a job, an e-mail, a computation).
const NO_WRITE: &[(&str, &str)] = &[
    ("POST", "/livret"),
    ("POST", "/taches/{id}/interrompre"),
    ("POST", "/lieux/{id}/fiche-a-imprimer/envoyer"),
    ("POST", "/diagnostic/reprendre"),
    ("POST", "/api/v1/diagnostic/score"),
    ("POST", "/deconnexion"),
];

/// The outcomes a cell may expect.
const OUTCOMES: [&str; 8] = ["ok", "hidden", "redir", "401", "403", "404", "410", "422"];

fn expected(row: &Row) -> Vec<&'static str> {
    row.3.split_whitespace().collect()
}

// ----- what each row sends -----

/// A request of a row, for one caller.
struct Call {
    uri: String,
    payload: Payload,
    /// A's data the row shows: present when `ok`, absent otherwise.
    shows: Option<String>,
    /// A page opened by a personal link: the link is the permission, whoever holds it.
    link: bool,
    /// The answer leads to a job (an import): its outcome is the job's.
    job: bool,
}

fn form(pairs: &[(&str, &str)]) -> Payload {
    Payload::Form(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// The caller's own structure, as a form would propose it (none for who belongs to none).
fn own_structure(caller: Caller, ids: &Ids) -> String {
    match caller {
        Caller::MemberA => ids.org_a.clone(),
        Caller::MemberB => ids.org_b.clone(),
        _ => String::new(),
    }
}

fn place_form(name: &str, organisation: &str) -> Vec<(String, String)> {
    [
        ("nom", name),
        ("adresse", "12 rue de la Commanderie"),
        ("code_postal", "54000"),
        ("commune", "Nancy"),
        ("telephone", "03 83 00 00 00"),
        ("organisation", organisation),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

fn record_form(structure: &str, date: &str, extra: &[(&str, &str)]) -> Payload {
    let mut pairs = vec![
        ("structure", structure),
        ("type", "individuel"),
        ("date", date),
        ("duree", "45"),
        ("lieu", "domicile"),
        ("commune", "54395"),
        ("thematiques", "internet"),
        ("autonomie", "avec"),
    ];
    pairs.extend_from_slice(extra);
    form(&pairs)
}

fn referral_form(structure: &str, ids: &Ids) -> Payload {
    form(&[
        ("structure", structure),
        ("lieu", &ids.place_c),
        ("parcours", &ids.journey_a),
        ("intitule", "Suite de l'accompagnement"),
        ("prenom", "Prenom-Nouvelle-Orientation"),
        ("consentement", "orale"),
        (
            "explique",
            "Je lui ai expliqué qui recevra sa demande et pourquoi",
        ),
        ("confirme", "oui"),
    ])
}

async fn call(row: &Row, caller: Caller, world: &World) -> Call {
    let ids = &world.ids;
    let yesterday = (maillage_app::today() - chrono::Duration::days(1))
        .format("%Y-%m-%d")
        .to_string();
    let mut c = Call {
        uri: row.1.to_string(),
        payload: Payload::None,
        shows: None,
        link: false,
        job: false,
    };
    let uri = |path: &str| path.to_string();
    match (row.0, row.1, row.2) {
        ("GET", "/", _) => c.uri = uri("/?q=alpha"),
        ("GET", "/lieux/{id}", _) => {
            c.uri = format!("/lieux/{}", ids.place_a);
            c.shows = Some(common::REFERENT_A_EMAIL.into());
        }
        ("GET", "/lieux/nouveau", _) => {}
        ("POST", "/lieux/nouveau", _) => {
            c.payload = Payload::Form(place_form("Nouveau lieu de A", &ids.org_a));
        }
        ("GET", "/lieux/{id}/modifier", _) => c.uri = format!("/lieux/{}/modifier", ids.place_a),
        ("POST", "/lieux/{id}/modifier", _) => {
            c.uri = format!("/lieux/{}/modifier", ids.place_a);
            c.payload = Payload::Form(place_form("Espace Alpha renommé", &ids.org_a));
        }
        ("POST", "/lieux/{id}/confirmer", _) => c.uri = format!("/lieux/{}/confirmer", ids.place_a),
        ("POST", "/lieux/{id}/supprimer", _) => c.uri = format!("/lieux/{}/supprimer", ids.place_a),
        ("GET", "/lieux/{id}/fiche-a-imprimer", _) => {
            c.uri = format!("/lieux/{}/fiche-a-imprimer", ids.place_a)
        }
        ("POST", "/lieux/{id}/fiche-a-imprimer/envoyer", _) => {
            c.uri = format!("/lieux/{}/fiche-a-imprimer/envoyer", ids.place_a);
            c.payload = form(&[("courriel", "destinataire@exemple.fr")]);
        }
        ("GET", "/lieux/{id}/signaler", _) => c.uri = format!("/lieux/{}/signaler", ids.place_a),
        ("POST", "/lieux/{id}/signaler", _) => {
            c.uri = format!("/lieux/{}/signaler", ids.place_a);
            c.payload = form(&[("categorie", "horaires"), ("message", "Fermé le samedi")]);
        }
        ("GET", "/signalements", _) => c.shows = Some(common::REPORT_A_MESSAGE.into()),
        ("POST", "/signalements/{id}/traiter", _) => {
            c.uri = format!("/signalements/{}/traiter", ids.report_a);
            c.payload = form(&[("fait", "Horaires corrigés")]);
        }
        ("GET", "/carte", _) => c.uri = uri("/carte?q=alpha"),
        ("GET", "/export", _) => c.uri = uri("/export?format=csv"),
        ("GET", "/import", _) => {}
        ("POST", "/import", case) => {
            c.payload = Payload::Multipart(vec![
                ("source".into(), None, b"fichier-de-test".to_vec()),
                (
                    "fichier".into(),
                    Some("lieux.csv".into()),
                    place_a_changed(world, case.contains("13")).await,
                ),
            ]);
            c.job = true;
        }
        ("GET", "/livret", _) => {}
        ("POST", "/livret", _) => c.payload = form(&[("zone", "54"), ("titre", "Livret")]),
        ("GET", "/taches/{id}", _) => c.uri = format!("/taches/{}", ids.job),
        ("POST", "/taches/{id}/interrompre", _) => {
            c.uri = format!("/taches/{}/interrompre", ids.job)
        }
        ("GET", "/taches/{id}/fichier", _) => c.uri = format!("/taches/{}/fichier", ids.job),
        ("GET", "/qualite", _) => {}
        ("GET", "/doublons", _) => c.shows = Some(ids.place_duplicate.clone()),
        ("POST", "/doublons/fusion", _) => {
            c.payload = form(&[
                ("a", &ids.place_a),
                ("b", &ids.place_duplicate),
                ("garder", &ids.place_a),
            ])
        }
        ("POST", "/doublons/pas-doublon", _) => {
            c.payload = form(&[("a", &ids.place_a), ("b", &ids.place_duplicate)])
        }
        ("POST", "/doublons/annuler", _) => c.payload = form(&[("fusion", &ids.merge)]),
        ("GET", "/campagnes", _) => c.shows = Some(common::CAMPAIGN_A.into()),
        ("POST", "/campagnes", _) => {
            c.payload = form(&[("titre", "Campagne d'automne"), ("fiches", "toutes")])
        }
        ("GET", "/campagnes/{id}", _) => {
            c.uri = format!("/campagnes/{}", ids.campaign);
            c.shows = Some(common::PLACE_A.into());
        }
        ("POST", "/campagnes/{id}/relancer", _) => {
            c.uri = format!("/campagnes/{}/relancer", ids.campaign)
        }
        ("POST", "/campagnes/{id}/clore", _) => {
            c.uri = format!("/campagnes/{}/clore", ids.campaign)
        }
        ("POST", "/campagnes/demandes/{id}/echec", _) => {
            c.uri = format!("/campagnes/demandes/{}/echec", ids.campaign_request)
        }
        ("GET", "/mise-a-jour/{token}", _) => {
            c.uri = format!("/mise-a-jour/{}", ids.campaign_token);
            c.link = true;
        }
        ("POST", "/mise-a-jour/{token}/confirmer", _) => {
            c.uri = format!("/mise-a-jour/{}/confirmer", ids.campaign_token);
            c.link = true;
        }
        ("GET", "/mise-a-jour/{token}/corriger", _) => {
            c.uri = format!("/mise-a-jour/{}/corriger", ids.campaign_token);
            c.link = true;
        }
        ("POST", "/mise-a-jour/{token}/corriger", _) => {
            c.uri = format!("/mise-a-jour/{}/corriger", ids.campaign_token);
            c.payload = Payload::Form(place_form("Espace Alpha corrigé", ""));
            c.link = true;
        }
        ("GET", "/connexion", _) => {}
        ("POST", "/connexion", _) => {
            c.payload = form(&[
                ("email", "membre.a@test.fr"),
                ("password", common::PASSWORD),
            ])
        }
        ("POST", "/deconnexion", _) => {}
        ("GET", "/compte", _) => {}
        ("POST", "/compte/mot-de-passe", _) => {
            c.payload = form(&[
                ("actuel", common::PASSWORD),
                ("nouveau", "un nouveau mot de passe bien long"),
                ("confirmation", "un nouveau mot de passe bien long"),
            ])
        }
        ("POST", "/compte/deconnexion-partout", _) => {}
        ("GET", "/mot-de-passe-oublie", _) => {}
        ("POST", "/mot-de-passe-oublie", _) => c.payload = form(&[("email", "membre.a@test.fr")]),
        ("GET", "/mot-de-passe/{token}", _) => {
            c.uri = format!("/mot-de-passe/{}", ids.reset_token);
            c.link = true;
        }
        ("POST", "/mot-de-passe/{token}", _) => {
            c.uri = format!("/mot-de-passe/{}", ids.reset_token);
            c.payload = form(&[
                ("nouveau", "un nouveau mot de passe bien long"),
                ("confirmation", "un nouveau mot de passe bien long"),
            ]);
            c.link = true;
        }
        ("GET", "/admin", _) | ("GET", "/admin/courriels", _) => {}
        ("POST", "/admin/comptes", _) => {
            c.payload = form(&[
                ("email", "nouvel.aidant@test.fr"),
                ("name", "Nouvel Aidant"),
                ("password", "un autre mot de passe solide"),
                ("role", "aidant"),
                ("structure", &ids.org_a),
            ])
        }
        ("POST", "/admin/structures", _) => {
            c.payload = form(&[("name", "Nouvelle structure"), ("departement", "54")])
        }
        ("GET", "/diagnostic", _) => {}
        ("POST", "/diagnostic/commencer", _) => c.payload = form(&[("questionnaire", "court")]),
        ("POST", "/diagnostic/reprendre", _) => {
            c.payload = form(&[("code", &ids.draft_code)]);
            c.link = true;
        }
        ("GET", "/diagnostic/seul/{code}/{n}", _) => {
            c.uri = format!("/diagnostic/seul/{}/2", ids.draft_code);
            c.link = true;
        }
        ("POST", "/diagnostic/seul/{code}/{n}", _) => {
            c.uri = format!("/diagnostic/seul/{}/2", ids.draft_code);
            c.payload = form(&[("action", "passer")]);
            c.link = true;
        }
        ("GET", "/diagnostic/seul/{code}/resultat", _) => {
            c.uri = format!("/diagnostic/seul/{}/resultat", ids.draft_code);
            c.link = true;
        }
        ("GET", "/diagnostics", _) => c.shows = Some(common::PERSON_A.into()),
        ("GET", "/diagnostics/nouveau", _) => {
            c.uri = format!("/diagnostics/nouveau?personne={}", ids.person_a);
            c.shows = Some(common::PERSON_A.into());
        }
        ("POST", "/diagnostics/nouveau", case) => {
            let structure = if case.starts_with("structure A") {
                ids.org_a.clone()
            } else {
                own_structure(caller, ids)
            };
            c.payload = form(&[
                ("questionnaire", "complet"),
                ("structure", &structure),
                ("personne", &ids.person_a),
                ("precedent", &ids.diagnostic_a),
                ("q_acces_smartphone", "proprietaire"),
                ("q_maitrise_smartphone", "bon"),
            ]);
        }
        ("GET", "/diagnostics/{id}", _) => {
            c.uri = format!("/diagnostics/{}", ids.diagnostic_a);
            c.shows = Some(common::DIAGNOSTIC_A_OBSERVATION.into());
        }
        ("GET", "/personnes/{id}", _) => {
            c.uri = format!("/personnes/{}", ids.person_a);
            c.shows = Some(common::PERSON_A.into());
        }
        ("GET", "/personnes/{id}/export", _) => {
            c.uri = format!("/personnes/{}/export", ids.person_a);
            c.shows = Some(common::PERSON_A_CONTACT.into());
        }
        ("POST", "/personnes/{id}/effacer", _) => {
            c.uri = format!("/personnes/{}/effacer", ids.person_a)
        }
        ("POST", "/personnes/{id}/profil", _) => {
            c.uri = format!("/personnes/{}/profil", ids.person_a);
            c.payload = form(&[("tranche_age", "70-plus"), ("genre", "femme")]);
        }
        ("GET", "/diagnostic/questionnaires", _) => {}
        ("POST", "/diagnostic/questionnaires", _) => {
            c.payload = form(&[
                ("id", "court"),
                (
                    "texte_internet",
                    "À quelle fréquence allez-vous sur internet ?",
                ),
            ])
        }
        ("GET", "/orienter", _) => {
            c.uri = uri("/orienter?texte=inscription+pole+emploi&pres_de=Nancy&niveau=debutant")
        }
        ("GET", "/orienter/demandes", _) => {}
        ("GET", "/orienter/demandes/nouvelle", _) => {}
        ("POST", "/orienter/demandes/nouvelle", _) => {
            c.payload = form(&[
                ("intitule", "Faire une demande de carte grise"),
                ("services", maillage_domain::vocab::Service::ALL[0].slug()),
            ])
        }
        ("GET", "/orienter/demandes/{id}/modifier", _) => {
            c.uri = format!("/orienter/demandes/{}/modifier", ids.catalogue_entry)
        }
        ("POST", "/orienter/demandes/{id}/modifier", _) => {
            c.uri = format!("/orienter/demandes/{}/modifier", ids.catalogue_entry);
            c.payload = form(&[
                ("intitule", "Une demande reformulée"),
                ("services", maillage_domain::vocab::Service::ALL[0].slug()),
            ]);
        }
        ("POST", "/orienter/demandes/{id}/supprimer", _) => {
            c.uri = format!("/orienter/demandes/{}/supprimer", ids.catalogue_entry)
        }
        ("GET", "/orientations", _) => c.shows = Some(common::REFERRAL_A_PERSON.into()),
        ("GET", "/orientations/nouvelle", _) => {
            c.uri = format!(
                "/orientations/nouvelle?lieu={}&parcours={}",
                ids.place_c, ids.journey_a
            )
        }
        ("POST", "/orientations/nouvelle", case) => {
            let structure = if case.starts_with("structure A") {
                ids.org_a.clone()
            } else {
                own_structure(caller, ids)
            };
            c.payload = referral_form(&structure, ids);
        }
        ("GET", "/orientations/flux", _) => {}
        ("GET", "/orientations/{id}", _) => {
            c.uri = format!("/orientations/{}", ids.referral_a);
            c.shows = Some(common::REFERRAL_A_PERSON.into());
        }
        ("POST", "/orientations/{id}", _) => {
            c.uri = format!("/orientations/{}", ids.referral_a);
            c.payload = form(&[("action", "retirer")]);
        }
        ("GET", "/orientations/{id}/export", _) => {
            c.uri = format!("/orientations/{}/export", ids.referral_a);
            c.shows = Some(common::REFERRAL_A_CONTACT.into());
        }
        ("GET", "/orientations/reponse/{token}", _) => {
            c.uri = format!("/orientations/reponse/{}", ids.response_token);
            c.shows = Some(common::REFERRAL_LINK_PERSON.into());
            c.link = true;
        }
        ("POST", "/orientations/reponse/{token}", _) => {
            c.uri = format!("/orientations/reponse/{}", ids.response_token);
            c.payload = form(&[("action", "prendre")]);
            c.link = true;
        }
        ("GET", "/orientations/accord/{token}", _) => {
            c.uri = format!("/orientations/accord/{}", ids.consent_token);
            c.shows = Some(common::REFERRAL_CONSENT_PERSON.into());
            c.link = true;
        }
        ("POST", "/orientations/accord/{token}", _) => {
            c.uri = format!("/orientations/accord/{}", ids.consent_token);
            c.payload = form(&[("accord", "oui")]);
            c.link = true;
        }
        ("GET", "/activites", _) => c.shows = Some(ids.activity_a.clone()),
        ("GET", "/activites/nouvelle", case) if case.starts_with("structure A") => {
            c.uri = format!(
                "/activites/nouvelle?structure={}&personne={}",
                ids.org_a, ids.person_a
            );
            c.shows = Some(common::PERSON_A.into());
        }
        ("GET", "/activites/nouvelle", case) if case.starts_with("copie") => {
            c.uri = format!("/activites/nouvelle?depuis={}", ids.activity_a);
            c.shows = Some(common::PERSON_A.into());
        }
        ("GET", "/activites/nouvelle", _) => {
            c.uri = format!(
                "/activites/nouvelle?atelier={}&seance={}",
                ids.workshop_a, ids.session_start
            );
            c.shows = Some(common::WORKSHOP_A.into());
        }
        ("POST", "/activites/nouvelle", case) if case.starts_with("structure A") => {
            c.payload = record_form(&ids.org_a, &yesterday, &[("personne", &ids.person_a)]);
        }
        ("POST", "/activites/nouvelle", case) if case.ends_with("personne de A") => {
            c.payload = record_form(
                &own_structure(caller, ids),
                &yesterday,
                &[("personne", &ids.person_a)],
            );
        }
        ("POST", "/activites/nouvelle", case) if case.ends_with("orientation de A") => {
            c.payload = record_form(
                &own_structure(caller, ids),
                &yesterday,
                &[("personne", "anonyme"), ("orientation_id", &ids.referral_a)],
            );
        }
        ("POST", "/activites/nouvelle", _) => {
            c.payload = form(&[
                ("structure", &own_structure(caller, ids)),
                ("type", "collectif"),
                ("date", &ids.session_start[..10]),
                ("duree", "120"),
                ("lieu", "autre"),
                ("commune", "54395"),
                ("titre", "Compte rendu de séance"),
                ("niveau", "debutant"),
                ("thematiques", "internet"),
                ("participants", "3"),
                ("seance", &ids.workshop_session),
            ]);
        }
        ("GET", "/activites/{id}", case) if case.contains("collègue") => {
            // The record and its person, never the colleague's notes (a secret for everyone).
            c.uri = format!("/activites/{}", ids.activity_colleague);
            c.shows = Some(common::PERSON_A.into());
        }
        ("GET", "/activites/{id}", _) => {
            c.uri = format!("/activites/{}", ids.activity_a);
            c.shows = Some(common::ACTIVITY_A_NOTE.into());
        }
        ("POST", "/activites/{id}", _) => {
            c.uri = format!("/activites/{}", ids.activity_a);
            c.payload = record_form(
                &ids.org_a,
                &yesterday,
                &[("personne", &ids.person_a), ("notes", "notes reprises")],
            );
        }
        ("POST", "/activites/{id}/supprimer", _) => {
            c.uri = format!("/activites/{}/supprimer", ids.activity_a)
        }
        ("GET", "/activites/import", _) => c.shows = Some(ids.org_a.clone()),
        ("POST", "/activites/import", _) => {
            let file = format!(
                "type;date;duree;lieu;commune;thematiques;autonomie\r\nindividuel;{yesterday};45;domicile;54395;internet;avec\r\n"
            );
            c.payload = Payload::Multipart(vec![
                ("structure".into(), None, ids.org_a.as_bytes().to_vec()),
                (
                    "fichier".into(),
                    Some("activites.csv".into()),
                    file.into_bytes(),
                ),
            ]);
        }
        ("GET", "/activites/modele.xlsx", _) => {
            c.uri = format!("/activites/modele.xlsx?structure={}", ids.org_a)
        }
        ("GET", "/activites/modele.csv", _) => {}
        ("GET", "/activites/export.csv", case) if case.starts_with("territoire") => {
            c.uri = format!(
                "/activites/export.csv?portee=territoire&structure={}&tout=1",
                ids.org_a
            );
            c.shows = Some(ids.activity_a.clone());
        }
        ("GET", "/activites/export.csv", _) => {
            c.uri = format!("/activites/export.csv?portee={}&tout=1", ids.org_a);
            c.shows = Some(ids.activity_a.clone());
        }
        ("GET", "/statistiques", _)
        | ("GET", "/statistiques/rapport", _)
        | ("GET", "/impact", _)
        | ("GET", "/territoire/offre", _) => {
            c.uri = format!("{}?portee={}", row.1, ids.org_a);
            c.shows = Some(common::ORG_A.into());
        }
        ("GET", "/statistiques/export.xlsx", _) | ("GET", "/statistiques/export.csv", _) => {
            c.uri = format!("{}?portee={}", row.1, ids.org_a)
        }
        ("POST", "/statistiques/partage", _) | ("POST", "/impact/enquete/lien", _) => {
            c.payload = form(&[("structure", &ids.org_a)])
        }
        ("GET", "/statistiques/publiques/{token}", _) => {
            c.uri = format!("/statistiques/publiques/{}", ids.stats_token);
            c.shows = Some(common::ORG_A.into());
            c.link = true;
        }
        ("GET", "/indicateurs", _) => {}
        ("GET", "/impact/enquete", _) | ("GET", "/impact/enquete/saisie", _) => {
            c.shows = Some(ids.org_a.clone())
        }
        ("POST", "/impact/enquete/saisie", _) => {
            c.payload = form(&[
                ("structure", &ids.org_a),
                ("avant", "peu"),
                ("maintenant", "plutot"),
            ])
        }
        ("GET", "/enquete/papier", _) => {}
        ("GET", "/enquete/{token}", _) => {
            c.uri = format!("/enquete/{}", ids.survey_token);
            c.shows = Some(common::ORG_A.into());
            c.link = true;
        }
        ("POST", "/enquete/{token}", _) => {
            c.uri = format!("/enquete/{}", ids.survey_token);
            c.payload = form(&[("avant", "peu"), ("maintenant", "plutot")]);
            c.link = true;
        }
        ("GET", "/ateliers", _) | ("GET", "/ateliers.ics", _) => {}
        ("GET", "/ateliers/programme", _) => {}
        ("GET", "/ateliers/nouveau", _) => {}
        ("POST", "/ateliers/nouveau", _) => {
            let coming = (maillage_app::today() + chrono::Duration::days(20))
                .format("%Y-%m-%d 10:00-12:00")
                .to_string();
            c.payload = form(&[
                ("titre", "Atelier courriel"),
                ("thematique", "courriel"),
                ("niveau_requis", "debutant"),
                ("commune", "Nancy"),
                ("seances", &coming),
                ("places", "8"),
                ("gratuit", "1"),
                ("structure", &ids.org_a),
                ("lieu", &ids.place_a),
            ]);
        }
        ("GET", "/ateliers/{id}", _) => c.uri = format!("/ateliers/{}", ids.workshop_a),
        ("POST", "/ateliers/{id}", _) => {
            c.uri = format!("/ateliers/{}", ids.workshop_a);
            c.payload = form(&[("prenom", "Prenom-Nouvelle-Inscription")]);
        }
        ("GET", "/ateliers/{id}/inscrits", _) => {
            c.uri = format!("/ateliers/{}/inscrits", ids.workshop_a);
            c.shows = Some(common::REGISTRATION_A.into());
        }
        ("POST", "/ateliers/{id}/inscrits", _) => {
            c.uri = format!("/ateliers/{}/inscrits", ids.workshop_a);
            c.payload = form(&[("present", &ids.registration_a)]);
        }
        ("GET", "/ateliers/{id}/inscrits.csv", _) => {
            c.uri = format!("/ateliers/{}/inscrits.csv", ids.workshop_a);
            c.shows = Some(common::REGISTRATION_A_CONTACT.into());
        }
        ("POST", "/ateliers/inscriptions/{id}/annuler", _) => {
            c.uri = format!("/ateliers/inscriptions/{}/annuler", ids.registration_a)
        }
        ("GET", "/ateliers/annulation/{token}", _) => {
            c.uri = format!("/ateliers/annulation/{}", ids.cancel_token);
            c.shows = Some(common::REGISTRATION_A.into());
            c.link = true;
        }
        ("POST", "/ateliers/annulation/{token}", _) => {
            c.uri = format!("/ateliers/annulation/{}", ids.cancel_token);
            c.link = true;
        }
        ("GET", "/structures/{id}/ateliers.ics", _) => {
            c.uri = format!("/structures/{}/ateliers.ics", ids.org_a);
            c.shows = Some(common::WORKSHOP_A.into());
        }
        ("GET", "/lieux/{id}/ateliers.ics", _) => {
            c.uri = format!("/lieux/{}/ateliers.ics", ids.place_a);
            c.shows = Some(common::WORKSHOP_A.into());
        }
        ("GET", "/ressources", _) => {
            c.uri = uri("/ressources?etat=proposees");
            c.shows = Some(common::RESOURCE_A.into());
        }
        ("GET", "/ressources/nouvelle", _) => {}
        ("POST", "/ressources/nouvelle", _) => {
            c.payload = resource_form("Fiche nouvelle sur les courriels", &ids.org_a)
        }
        ("GET", "/ressources/{id}", _) => {
            c.uri = format!("/ressources/{}", ids.resource_a);
            c.shows = Some(common::RESOURCE_A.into());
        }
        ("GET", "/ressources/{id}/fichier", _) => {
            c.uri = format!("/ressources/{}/fichier", ids.resource_a);
            c.shows = Some("%PDF".into());
        }
        ("GET", "/ressources/{id}/modifier", _) => {
            c.uri = format!("/ressources/{}/modifier", ids.resource_a);
            c.shows = Some(common::RESOURCE_A.into());
        }
        ("POST", "/ressources/{id}/modifier", _) => {
            c.uri = format!("/ressources/{}/modifier", ids.resource_a);
            c.payload = resource_form("Fiche Alpha revue", &ids.org_a);
        }
        ("POST", "/ressources/{id}/publier", _) => {
            c.uri = format!("/ressources/{}/publier", ids.resource_a)
        }
        ("POST", "/ressources/{id}/refuser", _) => {
            c.uri = format!("/ressources/{}/refuser", ids.resource_a);
            c.payload = form(&[("raison", "Déjà dans la ressourcerie")]);
        }
        ("POST", "/ressources/{id}/supprimer", _) => {
            c.uri = format!("/ressources/{}/supprimer", ids.resource_a)
        }
        ("GET", "/veille", _) => {}
        ("GET", "/veille/{id}", _) => c.uri = format!("/veille/{}", ids.news),
        ("GET", "/veille/nouvelle", _) => {}
        ("POST", "/veille/nouvelle", _) => c.payload = news_form("Les impôts changent de site"),
        ("GET", "/veille/{id}/modifier", _) => c.uri = format!("/veille/{}/modifier", ids.news),
        ("POST", "/veille/{id}/modifier", _) => {
            c.uri = format!("/veille/{}/modifier", ids.news);
            c.payload = news_form("La CAF change encore son espace");
        }
        ("POST", "/veille/{id}/supprimer", _) => c.uri = format!("/veille/{}/supprimer", ids.news),
        ("POST", "/veille/envoyer", _) => {}
        ("GET", "/veille/abonnement", _) => {}
        ("POST", "/veille/abonnement", _) => {
            c.payload = form(&[
                ("plateforme", "caf"),
                ("plateforme", "impots"),
                ("frequence", "hebdomadaire"),
            ])
        }
        ("GET", "/accessibilite", _)
        | ("GET", "/donnees-personnelles", _)
        | ("GET", "/static/maillage.css", _)
        | ("GET", "/static/carte.js", _)
        | ("GET", "/static/lecture.js", _) => {}
        ("GET", "/static/vendor/{file}", _) => c.uri = uri("/static/vendor/..%2F..%2FCargo.toml"),
        ("GET", "/api/v1/lieux", _) => {
            c.uri = uri("/api/v1/lieux?q=alpha&limit=50");
            c.shows = Some(common::REFERENT_A_EMAIL.into());
        }
        ("POST", "/api/v1/lieux", _) => {
            c.payload = Payload::Json(json!({
                "nom": "Lieu créé par l'API",
                "adresse": "2 rue Gambetta",
                "code_postal": "54000",
                "commune": "Nancy",
                "structure_id": ids.org_a,
            }))
        }
        ("GET", "/api/v1/lieux/{id}", _) => {
            c.uri = format!("/api/v1/lieux/{}", ids.place_a);
            c.shows = Some(common::REFERENT_A_EMAIL.into());
        }
        ("PUT", "/api/v1/lieux/{id}", _) => {
            c.uri = format!("/api/v1/lieux/{}", ids.place_a);
            c.payload = Payload::Json(json!({
                "nom": "Espace Alpha modifié par l'API",
                "adresse": "12 rue de la Commanderie",
                "code_postal": "54000",
                "commune": "Nancy",
                "structure_id": ids.org_a,
            }));
        }
        ("DELETE", "/api/v1/lieux/{id}", _) => c.uri = format!("/api/v1/lieux/{}", ids.place_a),
        ("GET", "/api/v1/structures", _) => {}
        ("POST", "/api/v1/structures", _) => {
            c.payload =
                Payload::Json(json!({"nom": "Structure créée par l'API", "departement": "54"}))
        }
        ("GET", "/api/v1/structures/{id}", _) => {
            c.uri = format!("/api/v1/structures/{}", ids.org_a)
        }
        ("GET", "/api/v1/qualite", _) => {}
        ("POST", "/api/v1/import", case) => {
            c.uri = uri("/api/v1/import?source=fichier-de-test");
            c.payload = Payload::Raw(
                "text/csv",
                place_a_changed(world, case.contains("13")).await,
            );
        }
        ("GET", "/api/v1/export", _) => c.uri = uri("/api/v1/export?format=json"),
        ("POST", "/api/v1/diagnostic/score", _) => {
            c.payload = Payload::Json(json!({
                "questionnaire": "court",
                "version": 1,
                "answers": {"internet": "souvent", "appareils": ["smartphone"]}
            }))
        }
        ("GET", "/api/v1/diagnostic/questionnaires/{id}", _) => {
            c.uri = uri("/api/v1/diagnostic/questionnaires/court")
        }
        ("GET", "/api/v1/ateliers", _) => {}
        ("GET", "/api/v1/ateliers/{id}", _) => {
            c.uri = format!("/api/v1/ateliers/{}", ids.workshop_a)
        }
        ("POST", "/api/v1/ateliers/{id}/inscriptions", _) => {
            c.uri = format!("/api/v1/ateliers/{}/inscriptions", ids.workshop_a);
            c.payload = Payload::Json(json!({"prenom": "Prenom-Inscription-API"}));
        }
        ("GET", "/api/v1/ressources", _) => {}
        ("GET", "/api/v1/ressources/{id}", _) => {
            c.uri = format!("/api/v1/ressources/{}", ids.resource_a);
            c.shows = Some(common::RESOURCE_A.into());
        }
        ("GET", "/api/v1/orientation", _) => {
            c.uri = uri("/api/v1/orientation?texte=inscription+pole+emploi&pres_de=Nancy")
        }
        ("GET", "/api/v1/demandes", _) => {}
        ("GET", "/api/v1/orientations", _) => c.shows = Some(common::REFERRAL_A_PERSON.into()),
        ("GET", "/api/v1/orientations/{id}", _) => {
            c.uri = format!("/api/v1/orientations/{}", ids.referral_a);
            c.shows = Some(common::REFERRAL_A_PERSON.into());
        }
        ("POST", "/api/v1/orientations/{id}", _) => {
            c.uri = format!("/api/v1/orientations/{}", ids.referral_a);
            c.payload = Payload::Json(json!({"action": "retirer"}));
        }
        ("GET", "/api/v1/statistiques", _) => {
            c.uri = format!("/api/v1/statistiques?portee={}", ids.org_a)
        }
        ("GET", "/api/v1/indicateurs", _)
        | ("GET", "/api/v1/veille", _)
        | ("GET", "/api/v1/openapi.json", _) => {}
        ("GET", "/api/v1/veille/{id}", _) => c.uri = format!("/api/v1/veille/{}", ids.news),
        (method, path, case) => panic!("ligne sans requête : {method} {path} {case}"),
    }
    c
}

/// A's place, as the standard's CSV, with another name (and, when `moved`, in Marseille): an
/// import that would change it.
async fn place_a_changed(world: &World, moved: bool) -> Vec<u8> {
    let mut place = world
        .store
        .place(&world.ids.place_a)
        .await
        .expect("lieu")
        .expect("lieu de A présent")
        .place;
    if moved {
        place.address = "10 La Canebière".into();
        place.postcode = "13001".into();
        place.commune = "Marseille".into();
        place.insee_code = Some("13201".into());
        place.location = None;
    }
    common::import_file_changing(&place)
}

fn resource_form(title: &str, structure: &str) -> Payload {
    Payload::Multipart(
        [
            ("titre", title),
            (
                "resume",
                "Une fiche pour accompagner les premiers courriels",
            ),
            ("type", "guide"),
            ("thematique", "courriel"),
            ("public", "aidants"),
            ("auteur", "Structure A"),
            ("deroule", "1. Créer une adresse. 2. Écrire un message."),
            ("structure", structure),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), None, v.as_bytes().to_vec()))
        .collect(),
    )
}

fn news_form(title: &str) -> Payload {
    form(&[
        ("titre", title),
        ("ce_qui_change", "Un nouveau site pour déclarer ses revenus"),
        ("pour_qui", "Tous les contribuables"),
        ("quoi_dire", "Garder son numéro fiscal sous la main"),
        ("plateforme", "impots"),
    ])
}

// ----- running the matrix -----

/// What went wrong in one cell.
struct Failure {
    row: String,
    caller: Caller,
    what: String,
}

fn row_label(row: &Row) -> String {
    if row.2.is_empty() {
        format!("{} {}", row.0, row.1)
    } else {
        format!("{} {} ({})", row.0, row.1, row.2)
    }
}

/// The outcome of an answer: `ok`/`hidden` for 2xx (with or without A's data), `redir` for
/// 3xx, else the status code.
fn outcome(answer: &Answer, shows: Option<&str>) -> String {
    if answer.status.is_success() {
        match shows {
            Some(s) if !contains(&answer.body, s) => "hidden".into(),
            _ => "ok".into(),
        }
    } else if answer.status.is_redirection() {
        "redir".into()
    } else {
        answer.status.as_u16().to_string()
    }
}

fn contains(body: &[u8], text: &str) -> bool {
    body.windows(text.len()).any(|w| w == text.as_bytes())
}

/// The outcome of a job the answer leads to (an import's report page).
async fn job_outcome(world: &World, caller: Caller, answer: &Answer) -> Option<String> {
    let id = answer.location.as_deref()?.strip_prefix("/taches/")?;
    let owner = caller
        .email()
        .and_then(|e| world.ids.users.get(e))
        .map(String::as_str);
    let job = world.app.jobs.get(id, owner)?;
    job.wait(std::time::Duration::from_secs(120)).await;
    match job.snapshot().outcome {
        Some(maillage_app::jobs::Outcome::Page { status, .. }) if (200..300).contains(&status) => {
            Some("ok".into())
        }
        Some(maillage_app::jobs::Outcome::Page { status, .. }) => Some(status.to_string()),
        Some(maillage_app::jobs::Outcome::Failed(reason)) => Some(format!("échec : {reason}")),
        other => Some(format!("{other:?}")),
    }
}

/// Stops the jobs a cell started (booklets), so that they do not load the machine.
fn stop_jobs(world: &World, answer: &Answer) {
    if let Some(id) = answer
        .location
        .as_deref()
        .and_then(|l| l.strip_prefix("/taches/"))
        && let Some(job) = world.app.jobs.get(id, None)
    {
        job.interrupt();
    }
}

fn excerpt(answer: &Answer) -> String {
    let text = answer.text();
    let text = text
        .split("<main")
        .nth(1)
        .map(|m| format!("<main{m}"))
        .unwrap_or(text);
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    flat.chars().take(400).collect()
}

/// Copies of the world opened ahead of need (at most two at a time), as many as will be used.
struct Ahead {
    template: std::sync::Arc<Template>,
    left: usize,
    queue: std::collections::VecDeque<tokio::task::JoinHandle<World>>,
}

impl Ahead {
    fn new(template: std::sync::Arc<Template>, needed: usize) -> Self {
        let mut ahead = Ahead {
            template,
            left: needed,
            queue: Default::default(),
        };
        ahead.fill();
        ahead
    }

    fn fill(&mut self) {
        while self.queue.len() < 2 && self.left > 0 {
            let template = self.template.clone();
            self.queue
                .push_back(tokio::spawn(async move { template.open().await }));
            self.left -= 1;
        }
    }

    async fn next(&mut self) -> World {
        self.fill();
        let world = self
            .queue
            .pop_front()
            .expect("une copie du monde prévue")
            .await
            .expect("copie du monde");
        self.fill();
        world
    }
}

async fn run(backend: Backend) {
    let started = std::time::Instant::now();
    let template = std::sync::Arc::new(Template::build(backend.clone()).await);
    let mut shared = template.open().await;
    // Copies for the writes expected to succeed are opened ahead, while cells run.
    let mut ahead = Ahead::new(
        template.clone(),
        ROWS.iter()
            .flat_map(|r| expected(r).into_iter().map(move |e| (r.0, e)))
            .filter(|(method, e)| *method != "GET" && matches!(*e, "ok" | "redir"))
            .count(),
    );
    let mut failures: Vec<Failure> = Vec::new();
    let mut cells = 0;
    let mut copies = 0;
    let (mut opening, mut fingerprinting, mut closing) = (
        std::time::Duration::ZERO,
        std::time::Duration::ZERO,
        std::time::Duration::ZERO,
    );
    for row in ROWS {
        let codes = expected(row);
        for (caller, expect) in Caller::ALL.into_iter().zip(codes) {
            cells += 1;
            let write = row.0 != "GET";
            let fresh = write && matches!(expect, "ok" | "redir");
            let own = if fresh {
                copies += 1;
                let t = std::time::Instant::now();
                let w = ahead.next().await;
                opening += t.elapsed();
                Some(w)
            } else {
                None
            };
            let world = own.as_ref().unwrap_or(&shared);
            let c = call(row, caller, world).await;
            let t = std::time::Instant::now();
            let before = if write {
                Some(world.fingerprint().await)
            } else {
                None
            };
            fingerprinting += t.elapsed();
            let answer = common::send(
                &world.router,
                row.0,
                &c.uri,
                world.cookie(caller),
                &c.payload,
            )
            .await;
            let mut got = outcome(&answer, c.shows.as_deref());
            if c.job && got == "redir" {
                got = job_outcome(world, caller, &answer)
                    .await
                    .unwrap_or_else(|| "tâche introuvable".into());
            }
            let mut fail = |what: String| {
                failures.push(Failure {
                    row: row_label(row),
                    caller,
                    what,
                })
            };
            if got != expect {
                fail(format!(
                    "attendu {expect}, obtenu {got} ({} {}) — {}",
                    answer.status,
                    answer.location.as_deref().unwrap_or_default(),
                    excerpt(&answer)
                ));
            }
            if let Some(s) = c.shows.as_deref()
                && got != "ok"
                && contains(&answer.body, s)
            {
                fail(format!("« {s} » montré alors que la réponse est {got}"));
            }
            if !c.link {
                for secret in common::SECRETS {
                    if !secret.seen_by.contains(&caller) && contains(&answer.body, secret.text) {
                        fail(format!(
                            "fuite : {} (« {} ») dans la réponse {got}",
                            secret.what, secret.text
                        ));
                    }
                }
            }
            if let Some(before) = before {
                let t = std::time::Instant::now();
                let after = world.fingerprint().await;
                fingerprinting += t.elapsed();
                let changed = common::changed_tables(&before, &after);
                if !fresh && !changed.is_empty() {
                    fail(format!(
                        "écriture refusée ({got}) mais la base a changé : {}",
                        changed.join(", ")
                    ));
                }
                // An accepted write wrote something (else the form was not really accepted).
                if fresh
                    && got == expect
                    && changed.is_empty()
                    && !NO_WRITE.contains(&(row.0, row.1))
                {
                    fail(format!(
                        "écriture acceptée ({got}) mais rien n'a changé dans la base"
                    ));
                }
            }
            stop_jobs(world, &answer);
            if let Some(own) = own {
                let t = std::time::Instant::now();
                own.close().await;
                closing += t.elapsed();
            } else if failures
                .last()
                .is_some_and(|f| f.what.contains("la base a changé"))
            {
                // A refused write that wrote: the next cells get a clean world.
                let old = std::mem::replace(&mut shared, template.open().await);
                old.close().await;
            }
        }
    }
    shared.close().await;
    drop(ahead);
    match std::sync::Arc::try_unwrap(template) {
        Ok(template) => template.remove().await,
        Err(_) => panic!("le modèle est encore utilisé"),
    }
    eprintln!(
        "{} : {} routes ({} lignes) × {} appelants = {cells} cases, {copies} copies du monde ({:.1} s, fermées en {:.1} s), empreintes {:.1} s, en tout {:.1} s",
        backend.name(),
        ROWS.iter()
            .map(|r| (r.0, r.1))
            .collect::<BTreeSet<_>>()
            .len(),
        ROWS.len(),
        Caller::ALL.len(),
        opening.as_secs_f64(),
        closing.as_secs_f64(),
        fingerprinting.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
    if !failures.is_empty() {
        let mut report = format!(
            "{} case(s) en échec sur {}:\n",
            failures.len(),
            backend.name()
        );
        for f in &failures {
            report.push_str(&format!(
                "- {} — {} : {}\n",
                f.row,
                f.caller.heading(),
                f.what
            ));
        }
        panic!("{report}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_as_every_caller_on_sqlite() {
    run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_as_every_caller_on_postgresql() {
    for backend in Backend::all() {
        if matches!(backend, Backend::Postgres(_)) {
            run(backend).await;
        }
    }
}

// ----- the routes of the router -----

/// (method, path) of every route, read from the router's `Debug` text: the paths of its
/// `Node` and the `Allow` header of each endpoint (`HEAD` comes with `GET`).
fn routes_of(router: &Router) -> BTreeSet<(String, String)> {
    let text = format!("{router:?}");
    // The router's own routes, before its fallback router.
    let main = text.split(", fallback_router:").next().unwrap_or_default();
    let (routes, node) = main
        .split_once("node: Node { paths: {")
        .expect("format du Debug d'axum : « node: Node { paths: { » introuvable");
    let mut paths = BTreeMap::new();
    for chunk in node.split("RouteId(").skip(1) {
        let (id, rest) = chunk.split_once("): \"").expect("chemin d'une route");
        let (path, _) = rest.split_once('"').expect("fin du chemin");
        paths.insert(id.to_string(), path.to_string());
    }
    let mut out = BTreeSet::new();
    for chunk in routes.split("RouteId(").skip(1) {
        let (id, rest) = chunk.split_once("): ").expect("route");
        let allow = rest
            .split_once("allow_header: Bytes(b\"")
            .and_then(|(_, a)| a.split_once('"'))
            .map(|(a, _)| a)
            .unwrap_or_else(|| panic!("en-tête Allow de la route {id} introuvable : {rest}"));
        let path = paths
            .get(id)
            .unwrap_or_else(|| panic!("chemin de la route {id} introuvable"));
        for method in allow.split(',').filter(|m| *m != "HEAD") {
            out.insert((method.to_string(), path.clone()));
        }
    }
    out
}

#[tokio::test]
async fn every_route_of_the_router_has_a_row() {
    let store = maillage_store::Store::connect("sqlite::memory:")
        .await
        .expect("base");
    let app = maillage_app::App::new(store, maillage_referential::Referential::default())
        .await
        .expect("application");
    let router = maillage_web::router(app, maillage_web::Config::default());
    let routes = routes_of(&router);
    // About 140 `.route(` calls: a change of axum's `Debug` must not make the test empty.
    assert!(
        routes.len() >= 150 && routes.iter().filter(|(_, p)| p.contains('{')).count() >= 50,
        "trop peu de routes lues dans le Debug du routeur ({}) : le format d'axum a-t-il changé ?",
        routes.len()
    );
    let rows: BTreeSet<(String, String)> = ROWS
        .iter()
        .map(|r| (r.0.to_string(), r.1.to_string()))
        .collect();
    let missing: Vec<String> = routes
        .difference(&rows)
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    let gone: Vec<String> = rows
        .difference(&routes)
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert!(
        missing.is_empty(),
        "routes sans ligne dans la matrice (ajoutez-les à ROWS, avec l'attendu de chaque appelant) : {missing:#?}"
    );
    assert!(
        gone.is_empty(),
        "lignes de la matrice sans route : {gone:#?}"
    );
    for row in ROWS {
        let codes = expected(row);
        assert_eq!(codes.len(), Caller::ALL.len(), "{}", row_label(row));
        for code in codes {
            assert!(OUTCOMES.contains(&code), "{} : « {code} »", row_label(row));
        }
    }
}

// ----- the same matrix in docs/SECURITY.md -----

const BEGIN: &str = "<!-- matrice : début (crates/web/tests/route_matrix.rs, MAILLAGE_UPDATE_DOCS=1 pour la réécrire) -->";
const END: &str = "<!-- matrice : fin -->";

/// The matrix as Markdown, with the count of each outcome.
fn markdown() -> String {
    let mut out = String::new();
    out.push_str(&format!("{BEGIN}\n\n| route | ce qui est envoyé |"));
    for caller in Caller::ALL {
        out.push_str(&format!(" {} |", caller.heading()));
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(Caller::ALL.len()));
    out.push('\n');
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for row in ROWS {
        let sent = if row.2.is_empty() { "—" } else { row.2 };
        out.push_str(&format!("| `{} {}` | {sent} |", row.0, row.1));
        for code in expected(row) {
            *counts.entry(code).or_default() += 1;
            out.push_str(&format!(" {code} |"));
        }
        out.push('\n');
    }
    let routes = ROWS
        .iter()
        .map(|r| (r.0, r.1))
        .collect::<BTreeSet<_>>()
        .len();
    out.push_str(&format!(
        "\n{routes} routes, {} lignes, {} cases : {}.\n\n{END}",
        ROWS.len(),
        ROWS.len() * Caller::ALL.len(),
        OUTCOMES
            .iter()
            .filter_map(|o| counts.get(o).map(|n| format!("{o} {n}")))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    out
}

#[test]
fn the_matrix_is_the_one_of_security_md() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/SECURITY.md");
    let doc = std::fs::read_to_string(path).expect("docs/SECURITY.md");
    let table = markdown();
    let (Some(start), Some(end)) = (doc.find(BEGIN), doc.find(END)) else {
        panic!("docs/SECURITY.md : les repères de la matrice manquent ({BEGIN} … {END})");
    };
    let current = &doc[start..end + END.len()];
    if current == table {
        return;
    }
    if std::env::var("MAILLAGE_UPDATE_DOCS").is_ok_and(|v| v == "1") {
        let updated = format!("{}{table}{}", &doc[..start], &doc[end + END.len()..]);
        std::fs::write(path, updated).expect("écriture de docs/SECURITY.md");
        return;
    }
    panic!(
        "docs/SECURITY.md n'a pas la matrice de la table ROWS : lancez `MAILLAGE_UPDATE_DOCS=1 cargo test -p maillage-web --test route_matrix the_matrix` puis relisez le diff"
    );
}
