//! How each route is called, as each caller, with the ids of structure A's objects.

use super::*;

/// A request of a row, for one caller.
pub(super) struct Call {
    pub(super) uri: String,
    pub(super) payload: Payload,
    /// A's data the row shows: present when `ok`, absent otherwise.
    pub(super) shows: Option<String>,
    /// A page opened by a personal link: the link is the permission, whoever holds it.
    pub(super) link: bool,
    /// The answer leads to a job (an import): its outcome is the job's.
    pub(super) job: bool,
}

pub(super) fn form(pairs: &[(&str, &str)]) -> Payload {
    Payload::Form(
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

/// The caller's own structure, as a form would propose it (none for who belongs to none).
pub(super) fn own_structure(caller: Caller, ids: &Ids) -> String {
    match caller {
        Caller::MemberA => ids.org_a.clone(),
        Caller::MemberB => ids.org_b.clone(),
        _ => String::new(),
    }
}

pub(super) fn place_form(name: &str, organisation: &str) -> Vec<(String, String)> {
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

pub(super) fn record_form(structure: &str, date: &str, extra: &[(&str, &str)]) -> Payload {
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

pub(super) fn referral_form(structure: &str, ids: &Ids) -> Payload {
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

pub(super) fn mandate_form(ids: &Ids) -> Payload {
    form(&[
        ("structure", &ids.org_a),
        ("personne", &ids.person_a),
        ("nom", "Personne du nouveau mandat"),
        ("demarches", "logement"),
        ("demarches", "transports"),
        ("duree", "31-jours"),
        ("accord", "ecran"),
        ("texte_lu", "oui"),
        ("cle", "cle-du-formulaire-de-test"),
    ])
}

pub(super) async fn call(row: &Row, caller: Caller, world: &World) -> Call {
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
        ("GET", "/carte", "couche du territoire (zone 54)") => {
            c.uri = uri("/carte?couche=acces&zone=54")
        }
        ("GET", "/carte", _) => c.uri = uri("/carte?q=alpha"),
        ("GET", "/export", _) => c.uri = uri("/export?format=csv"),
        ("GET", "/donnees", _)
        | ("GET", "/sante", _)
        | ("GET", "/pret", _)
        | ("GET", "/metrics", _) => {}
        ("GET", "/sources", _) => c.shows = Some(common::SOURCE_54.into()),
        ("POST", "/sources", _) => {
            c.payload = form(&[
                ("nom", "Hub régional"),
                ("adresse", "https://hub.exemple.fr/autre.csv"),
                ("format", "standard"),
                ("frequence", "24"),
            ]);
        }
        ("GET", "/sources/{id}", _) => {
            c.uri = format!("/sources/{}", ids.pulled_source);
            c.shows = Some(common::SOURCE_54.into());
        }
        ("POST", "/sources/{id}/lancer", _) => {
            c.uri = format!("/sources/{}/lancer", ids.pulled_source)
        }
        ("POST", "/sources/{id}/supprimer", _) => {
            c.uri = format!("/sources/{}/supprimer", ids.pulled_source)
        }
        ("GET", "/donnees/lieux.csv", _)
        | ("GET", "/donnees/lieux.json", _)
        | ("GET", "/donnees/data-inclusion/structures.json", _)
        | ("GET", "/donnees/data-inclusion/services.json", _) => {
            c.shows = Some(common::REFERENT_A_EMAIL.into())
        }
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
        ("GET", "/territoire", case) => {
            c.uri = if case.contains("inconnue") {
                uri("/territoire?zone=99999")
            } else {
                uri("/territoire?zone=54&portee=10")
            }
        }
        ("GET", "/territoire/communes.csv", _) => c.uri = uri("/territoire/communes.csv?zone=54"),
        ("GET", "/territoire/diagnostic.pdf", _) => {
            c.uri = uri("/territoire/diagnostic.pdf?zone=54395")
        }
        ("GET", "/territoire/indicateurs", _) => {}
        ("POST", "/territoire/indicateurs", _) => {
            c.payload = Payload::Multipart(vec![
                ("source".into(), None, b"Fichier de test".to_vec()),
                (
                    "fichier".into(),
                    Some("indicateurs.csv".into()),
                    b"code_insee;taux_pauvrete\n54395;22,4\n".to_vec(),
                ),
            ])
        }
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
        ("GET", "/territoire/enquetes", _) => c.shows = Some(common::SURVEY_A.into()),
        ("POST", "/territoire/enquetes", _) => {
            let closes = (maillage_app::today() + chrono::Duration::days(10))
                .format("%Y-%m-%d")
                .to_string();
            c.payload = form(&[
                ("questionnaire", "partenaires"),
                ("titre", "Enquête d'hiver"),
                ("cloture", &closes),
            ]);
        }
        ("GET", "/territoire/enquetes/{id}", _) => {
            c.uri = format!("/territoire/enquetes/{}", ids.network_survey);
            c.shows = Some(common::PLACE_A.into());
        }
        ("POST", "/territoire/enquetes/{id}/clore", _) => {
            c.uri = format!("/territoire/enquetes/{}/clore", ids.network_survey)
        }
        ("POST", "/territoire/enquetes/{id}/lien", _) => {
            c.uri = format!("/territoire/enquetes/{}/lien", ids.network_survey);
            c.payload = form(&[("invitation", &ids.survey_invitation_a)]);
        }
        ("GET", "/territoire/enquetes/{id}/saisie", _) => {
            c.uri = format!("/territoire/enquetes/{}/saisie", ids.network_survey)
        }
        ("POST", "/territoire/enquetes/{id}/saisie", _) => {
            c.uri = format!("/territoire/enquetes/{}/saisie", ids.network_survey);
            c.payload = form(&[
                ("lieu", &ids.place_a),
                ("q.wifi", "oui"),
                ("q.materiel_besoin", "tablette"),
            ]);
        }
        ("GET", "/territoire/enquetes/{id}/echanges", _) => {
            c.uri = format!("/territoire/enquetes/{}/echanges", ids.network_survey);
            c.shows = Some(common::PLACE_A.into());
        }
        ("POST", "/territoire/enquetes/{id}/echanges", _) => {
            c.uri = format!("/territoire/enquetes/{}/echanges", ids.network_survey);
            let c_answer = world
                .store
                .survey_answers(&ids.network_survey)
                .await
                .ok()
                .and_then(|all| all.into_iter().find(|a| a.place_id == ids.place_c))
                .map(|a| a.id)
                .unwrap_or_default();
            c.payload = form(&[
                ("besoin", &ids.survey_answer_a),
                ("don", &c_answer),
                ("materiel", "ordinateur"),
            ]);
        }
        ("POST", "/territoire/enquetes/{id}/echanges/{exchange}", _) => {
            c.uri = format!(
                "/territoire/enquetes/{}/echanges/{}",
                ids.network_survey, ids.survey_exchange
            );
            c.payload = form(&[("etat", "fait")]);
        }
        ("POST", "/territoire/enquetes/reponses/{id}/fiche", _) => {
            c.uri = format!(
                "/territoire/enquetes/reponses/{}/fiche",
                ids.survey_answer_a
            );
            c.payload = form(&[("decision", "confirmer")]);
        }
        ("GET", "/questionnaire/{token}", _) => {
            c.uri = format!("/questionnaire/{}", ids.survey_link_a);
            c.link = true;
        }
        ("POST", "/questionnaire/{token}", _) => {
            c.uri = format!("/questionnaire/{}", ids.survey_link_a);
            c.payload = form(&[("q.wifi", "oui"), ("q.materiel_don", "scanner")]);
            c.link = true;
        }
        ("POST", "/questionnaire/{token}/fiche", _) => {
            c.uri = format!("/questionnaire/{}/fiche", ids.survey_link_a);
            c.payload = form(&[("decision", "confirmer")]);
            c.link = true;
        }
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
        ("GET", "/admin/registre", _) | ("GET", "/admin/registre.md", _) => {}
        ("GET", "/mandats", _) => c.shows = Some(common::MANDATE_A_PERSON.into()),
        ("GET", "/mandats/nouveau", _) => {}
        ("POST", "/mandats/nouveau", _) => c.payload = mandate_form(ids),
        ("GET", "/mandats/verifier/{id}", _) => {
            c.uri = format!(
                "/mandats/verifier/{}?empreinte={}",
                ids.mandate_a, ids.mandate_fingerprint
            );
            c.link = true;
        }
        ("GET", "/mandats/habilitations/{organisation}", _) => {
            c.uri = format!("/mandats/habilitations/{}", ids.org_a)
        }
        ("POST", "/mandats/habilitations/{organisation}", _) => {
            c.uri = format!("/mandats/habilitations/{}", ids.org_a);
            c.payload = form(&[
                ("aidant", &ids.users["membre.a@test.fr"]),
                ("formation", &yesterday),
                ("action", "donner"),
            ]);
        }
        ("GET", "/mandats/{id}", _) => {
            c.uri = format!("/mandats/{}", ids.mandate_a);
            c.shows = Some(common::MANDATE_A_ACT.into());
        }
        ("POST", "/mandats/{id}/actes", _) => {
            c.uri = format!("/mandats/{}/actes", ids.mandate_a);
            c.payload = form(&[
                ("demarche", "papiers"),
                ("maniere", "avec"),
                ("quoi", "Demande de carte d'identité préparée"),
            ]);
        }
        ("GET", "/mandats/{id}/revocation", _) => {
            c.uri = format!("/mandats/{}/revocation", ids.mandate_a)
        }
        ("POST", "/mandats/{id}/revocation", _) => {
            c.uri = format!("/mandats/{}/revocation", ids.mandate_a);
            c.payload = form(&[("par", "personne-aidant")]);
        }
        ("GET", "/mandats/{id}/attestation", _) => {
            c.uri = format!("/mandats/{}/attestation", ids.mandate_a);
            c.shows = Some(common::MANDATE_A_PERSON.into());
        }
        ("POST", "/mandats/{id}/lien", _) => {
            c.uri = format!("/mandats/{}/lien", ids.mandate_a);
            c.shows = Some(common::MANDATE_A_PERSON.into());
        }
        ("GET", "/structures/{organisation}/consultations", _) => {
            c.uri = format!("/structures/{}/consultations", ids.org_a)
        }
        ("GET", "/demandes", _) => c.shows = Some(common::PERSON_A.into()),
        ("POST", "/demandes", _) => {
            c.payload = form(&[
                ("structure", &ids.org_a),
                ("droit", "effacement"),
                ("personne", &ids.person_a),
            ])
        }
        ("GET", "/demandes/{id}", _) => {
            c.uri = format!("/demandes/{}", ids.request_a);
            c.shows = Some(common::PERSON_A.into());
        }
        ("POST", "/demandes/{id}", _) => {
            c.uri = format!("/demandes/{}", ids.request_a);
            c.payload = form(&[
                ("action", "repondre"),
                ("reponse", "Fichier remis en main propre"),
            ]);
        }
        ("GET", "/demandes/{id}/export", _) => {
            c.uri = format!("/demandes/{}/export", ids.request_a);
            c.shows = Some(common::PERSON_A_CONTACT.into());
        }
        ("GET", "/mon-mandat/{token}", _) => {
            c.uri = format!("/mon-mandat/{}", ids.mandate_token);
            c.shows = Some(common::MANDATE_A_ACT.into());
            c.link = true;
        }
        ("POST", "/mon-mandat/{token}/accord", _) => {
            c.uri = format!("/mon-mandat/{}/accord", ids.mandate_pending_token);
            c.payload = form(&[("mandat", &ids.mandate_pending)]);
            c.link = true;
        }
        ("POST", "/mon-mandat/{token}/arret", _) => {
            c.uri = format!("/mon-mandat/{}/arret", ids.mandate_token);
            c.payload = form(&[("mandat", &ids.mandate_a)]);
            c.link = true;
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
        ("GET", "/static/{version}/{file}", _) => c.uri = uri("/static/0/maillage.css"),
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
        ("GET", "/api/v1/enquetes/{id}", _) => {
            c.uri = format!("/api/v1/enquetes/{}", ids.network_survey);
        }
        ("POST", "/api/v1/enquetes/{id}/reponses", case) => {
            c.uri = format!("/api/v1/enquetes/{}/reponses", ids.network_survey);
            let wifi = if case.starts_with("réponse fausse") {
                "peut-être"
            } else {
                "oui"
            };
            c.payload = Payload::Json(json!({
                "lieu": ids.place_a,
                "reponses": {"q.wifi": wifi, "q.materiel_besoin": ["tablette", "scanner"]}
            }));
        }
        ("GET", "/api/v1/territoire", case) => {
            c.uri = if case.contains("31") {
                let zone: Vec<String> = (1..=31).map(|i| format!("{i:02}")).collect();
                uri(&format!("/api/v1/territoire?zone={}", zone.join(",")))
            } else {
                uri("/api/v1/territoire?zone=54")
            }
        }
        ("POST", "/api/v1/import", case) => {
            c.uri = uri("/api/v1/import?source=fichier-de-test");
            c.payload = Payload::Raw(
                "text/csv",
                place_a_changed(world, case.contains("13")).await,
            );
        }
        ("GET", "/api/v1/export", _) => c.uri = uri("/api/v1/export?format=json"),
        ("POST", "/api/v1/territoire/indicateurs", case) => {
            c.uri = uri("/api/v1/territoire/indicateurs?source=Fichier%20de%20test");
            let file: &[u8] = if case.contains("fausse") {
                b"code_insee;taux_pauvrete\n54395;beaucoup\n"
            } else {
                b"code_insee;taux_pauvrete\n54395;22,4\n"
            };
            c.payload = Payload::Raw("text/csv", file.to_vec());
        }
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
        ("GET", "/api/v1/orientations", _) => c.shows = Some(common::REFERRAL_A_PERSON.into()),
        ("GET", "/api/v1/demandes", _) => {}
        ("GET", "/api/v1/droits", _) => c.shows = Some(ids.request_a.clone()),
        ("POST", "/api/v1/droits", _) => {
            c.uri = format!("/api/v1/droits?structure={}", ids.org_a);
            c.payload = Payload::Json(json!({"droit": "acces", "personne": ids.person_a}));
        }
        ("GET", "/api/v1/droits/{id}", _) => {
            c.uri = format!("/api/v1/droits/{}", ids.request_a);
            c.shows = Some(common::PERSON_A.into());
        }
        ("GET", "/api/v1/mandats", _) => c.shows = Some(common::MANDATE_A_PERSON.into()),
        ("POST", "/api/v1/mandats", _) => {
            c.payload = Payload::Json(json!({
                "nom": "Personne du mandat par l'API",
                "demarches": ["logement"],
                "duree": "31-jours",
                "accord": "ecran",
                "texte_lu": true,
                "personne": ids.person_a,
                "structure": ids.org_a,
            }))
        }
        ("GET", "/api/v1/mandats/{id}", _) => {
            c.uri = format!("/api/v1/mandats/{}", ids.mandate_a);
            c.shows = Some(common::MANDATE_A_PERSON.into());
        }
        ("POST", "/api/v1/mandats/{id}/actes", _) => {
            c.uri = format!("/api/v1/mandats/{}/actes", ids.mandate_a);
            c.payload = Payload::Json(
                json!({"demarche": "papiers", "maniere": "avec", "quoi": "Carte d'identité"}),
            );
        }
        ("POST", "/api/v1/mandats/{id}/revocation", _) => {
            c.uri = format!("/api/v1/mandats/{}/revocation", ids.mandate_a);
            c.payload = Payload::Json(json!({"par": "structure"}));
        }
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
pub(super) async fn place_a_changed(world: &World, moved: bool) -> Vec<u8> {
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

pub(super) fn resource_form(title: &str, structure: &str) -> Payload {
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

pub(super) fn news_form(title: &str) -> Payload {
    form(&[
        ("titre", title),
        ("ce_qui_change", "Un nouveau site pour déclarer ses revenus"),
        ("pour_qui", "Tous les contribuables"),
        ("quoi_dire", "Garder son numéro fiscal sous la main"),
        ("plateforme", "impots"),
    ])
}

// ----- running the matrix -----
