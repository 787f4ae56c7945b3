//! E-mail through real SMTP: a local sink (a minimal SMTP server on loopback) receives what the
//! app sends when an error is reported and resolved, and an update campaign end to end.

use std::sync::{Arc, Mutex};

use maillage_app::App;
use maillage_app::mail::Mailer;
use maillage_domain::policy::TerritoryUnit;
use maillage_referential::Referential;
use maillage_store::{NewUser, Store};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Received messages: (recipients, raw data).
type Inbox = Arc<Mutex<Vec<(Vec<String>, String)>>>;

/// Decodes `=C3=A9`-style escapes (the body of a quoted-printable message).
fn decode_quoted_printable(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'=', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (c, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Speaks just enough SMTP to accept messages, as a relay on loopback would.
async fn smtp_sink() -> (String, Inbox) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("port");
    let url = format!("smtp://{}", listener.local_addr().expect("adresse"));
    let inbox: Inbox = Arc::default();
    let received = inbox.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let received = received.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 sink ESMTP\r\n").await;
                let mut rcpt = Vec::new();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                        b"250-sink\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        let to = line[8..].trim().trim_matches(['<', '>']).to_string();
                        // An address the server does not know: refused, as a real one would.
                        if to.starts_with("inconnu") {
                            b"550 5.1.1 unknown user\r\n"
                        } else {
                            rcpt.push(to);
                            b"250 OK\r\n"
                        }
                    } else if upper.starts_with("DATA") {
                        let _ = write.write_all(b"354 go\r\n").await;
                        let mut data = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            data.push_str(&l);
                            data.push('\n');
                        }
                        // Quoted-printable decoded, so tests read the text.
                        let data = decode_quoted_printable(&data.replace("=\n", ""));
                        if let Ok(mut inbox) = received.lock() {
                            inbox.push((std::mem::take(&mut rcpt), data));
                        }
                        b"250 queued\r\n"
                    } else if upper.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 OK\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (url, inbox)
}

#[tokio::test]
async fn reports_reach_the_keepers_and_the_reporter_is_told() {
    let (url, inbox) = smtp_sink().await;
    let store = Store::connect("sqlite::memory:").await.expect("base");
    for (email, territory) in [
        (
            "coord@test.fr",
            vec![TerritoryUnit::Departement("54".into())],
        ),
        (
            "ailleurs@test.fr",
            vec![TerritoryUnit::Departement("13".into())],
        ),
    ] {
        store
            .create_user(&NewUser {
                email: email.into(),
                display_name: email.into(),
                password: "un mot de passe assez long".into(),
                administrator: false,
                territory,
                memberships: vec![],
            })
            .await
            .expect("compte");
    }
    let coord = store
        .users()
        .await
        .expect("comptes")
        .into_iter()
        .find(|u| u.email == "coord@test.fr")
        .expect("coordinateur");
    let actor = store
        .actor(&coord.id)
        .await
        .expect("acteur")
        .expect("présent");
    let place = maillage_domain::Place::new(
        "",
        "Médiathèque de Nancy",
        "1 rue A",
        "54000",
        "Nancy",
        chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("date"),
    );
    let mut place = place;
    place.insee_code = Some("54395".into());
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = App::new(store, referential).await.expect("app").with_mail(
        Mailer::smtp(&url, "Maillage <ne-pas-repondre@test.fr>").expect("mailer"),
        "https://annuaire.exemple.fr/",
    );
    let id = app
        .create_place(Some(&actor), place, None)
        .await
        .expect("lieu");

    let report = app
        .report_error(
            "ip:test",
            &id,
            "horaires",
            "Fermé le lundi",
            "marie@exemple.fr",
        )
        .await
        .map_err(|_| "signalement refusé")
        .expect("signalement");
    {
        let inbox = inbox.lock().expect("boîte");
        assert_eq!(inbox.len(), 1, "le coordinateur du 54, pas celui du 13");
        assert_eq!(inbox[0].0, ["coord@test.fr"]);
        assert!(
            inbox[0]
                .1
                .contains("https://annuaire.exemple.fr/signalements")
        );
    }

    app.resolve_report(Some(&actor), &report, "Horaires corrigés")
        .await
        .expect("traité");
    let inbox = inbox.lock().expect("boîte");
    assert_eq!(inbox.len(), 2);
    assert_eq!(inbox[1].0, ["marie@exemple.fr"]);
    assert!(inbox[1].1.contains("Horaires corrigés"), "{}", inbox[1].1);
    assert!(inbox[1].1.contains(&format!("/lieux/{id}")));
}

/// Sends a form or a GET through the real router; returns status and page.
async fn page(
    router: &axum::Router,
    method: &str,
    uri: &str,
    form: Option<&str>,
) -> (axum::http::StatusCode, String) {
    use axum::body::{Body, to_bytes};
    use tower::ServiceExt;
    let mut req = axum::http::Request::builder().method(method).uri(uri);
    if form.is_some() {
        req = req.header("content-type", "application/x-www-form-urlencoded");
    }
    let resp = router
        .clone()
        .oneshot(
            req.body(Body::from(form.unwrap_or_default().to_string()))
                .expect("requête"),
        )
        .await
        .expect("réponse");
    let status = resp.status();
    let bytes = to_bytes(resp.into_body(), 10 << 20).await.expect("corps");
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

/// The personal link of the last message sent to `to`.
fn link_sent_to(inbox: &Inbox, to: &str) -> String {
    let inbox = inbox.lock().expect("boîte");
    let (_, body) = inbox
        .iter()
        .rev()
        .find(|(rcpt, _)| rcpt.iter().any(|r| r == to))
        .expect("courriel reçu");
    let at = body.find("/mise-a-jour/").expect("lien dans le courriel") + "/mise-a-jour/".len();
    body[at..at + 64].to_string()
}

#[tokio::test]
async fn an_update_campaign_end_to_end() {
    use axum::http::StatusCode;
    use chrono::{Duration, Utc};
    use maillage_app::campaigns::CampaignScope;
    use maillage_domain::campaigns::RequestStatus;

    let (url, inbox) = smtp_sink().await;
    let store = Store::connect("sqlite::memory:").await.expect("base");
    store
        .create_user(&NewUser {
            email: "coord@test.fr".into(),
            display_name: "Coordination 54".into(),
            password: "un mot de passe assez long".into(),
            administrator: false,
            territory: vec![TerritoryUnit::Departement("54".into())],
            memberships: vec![],
        })
        .await
        .expect("compte");
    let coord = store.users().await.expect("comptes").remove(0);
    let actor = store
        .actor(&coord.id)
        .await
        .expect("acteur")
        .expect("présent");
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = App::new(store.clone(), referential)
        .await
        .expect("app")
        .with_mail(
            Mailer::smtp(&url, "Maillage <ne-pas-repondre@test.fr>").expect("mailer"),
            "https://annuaire.exemple.fr",
        );
    let router = maillage_web::router(app.clone(), maillage_web::Config::default());
    let old = chrono::NaiveDate::from_ymd_opt(2025, 3, 1).expect("date");
    let mut ids = Vec::new();
    for (name, insee, postcode, commune, email) in [
        (
            "Médiathèque de Nancy",
            "54395",
            "54000",
            "Nancy",
            Some("lea@mediatheque.fr"),
        ),
        (
            "Centre social de Toul",
            "54528",
            "54200",
            "Toul",
            Some("inconnu@toul.fr"),
        ),
        ("Mairie de Lunéville", "54329", "54300", "Lunéville", None),
        (
            "Espace numérique d'Avignon",
            "84007",
            "84000",
            "Avignon",
            Some("avignon@exemple.fr"),
        ),
    ] {
        let mut p = maillage_domain::Place::new("", name, "1 rue A", postcode, commune, old);
        p.insee_code = Some(insee.into());
        p.emails = email.map(|e| vec![e.to_string()]).unwrap_or_default();
        let id = store.create_place(p, None, None).await.expect("lieu");
        ids.push(id);
    }

    // The coordinator of the 54 starts a campaign: one message per reachable referent of the 54.
    let campaign = app
        .start_campaign(
            Some(&actor),
            "Vérification 2026",
            CampaignScope::All,
            Utc::now(),
        )
        .await
        .expect("campagne");
    {
        let inbox = inbox.lock().expect("boîte");
        assert_eq!(
            inbox.len(),
            1,
            "Nancy seulement : Toul refusé, Lunéville sans adresse, Avignon hors territoire"
        );
        assert_eq!(inbox[0].0, ["lea@mediatheque.fr"]);
        assert!(
            inbox[0]
                .1
                .contains("https://annuaire.exemple.fr/mise-a-jour/")
        );
    }
    let d = app
        .campaign_dashboard(Some(&actor), &campaign)
        .await
        .expect("tableau de bord");
    assert_eq!(
        (
            d.tally.total,
            d.tally.pending,
            d.tally.bounced,
            d.tally.no_address
        ),
        (3, 1, 1, 1)
    );
    let bounced = d
        .rows
        .iter()
        .find(|(r, _)| r.status == RequestStatus::Bounced)
        .expect("en échec");
    assert!(
        bounced
            .0
            .detail
            .as_deref()
            .unwrap_or_default()
            .contains("refusée")
    );

    // The link opens the page without an account, confirms once, then says it was used.
    let token = link_sent_to(&inbox, "lea@mediatheque.fr");
    let (status, html) = page(&router, "GET", &format!("/mise-a-jour/{token}"), None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Médiathèque de Nancy") && html.contains("Rien n'a changé"));
    let wrong = "0".repeat(64);
    let (status, _) = page(&router, "GET", &format!("/mise-a-jour/{wrong}"), None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, html) = page(
        &router,
        "POST",
        &format!("/mise-a-jour/{token}/confirmer"),
        Some(""),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    let nancy = app.place(&ids[0]).await.expect("lieu");
    assert_eq!(nancy.place.updated_on, chrono::Local::now().date_naive());
    for (method, uri) in [
        ("POST", format!("/mise-a-jour/{token}/confirmer")),
        ("GET", format!("/mise-a-jour/{token}")),
        ("GET", format!("/mise-a-jour/{token}/corriger")),
    ] {
        let (status, html) = page(&router, method, &uri, Some("")).await;
        assert_eq!(status, StatusCode::GONE, "{method} {uri}");
        assert!(html.contains("déjà été vérifiée"));
    }
    let d = app
        .campaign_dashboard(Some(&actor), &campaign)
        .await
        .expect("tableau de bord");
    assert_eq!((d.tally.confirmed, d.tally.pending), (1, 0));

    // A campaign started 40 days ago: its links have expired; the reminder sends a new one.
    let mut late = maillage_domain::Place::new(
        "",
        "Fablab de Vandœuvre",
        "2 rue B",
        "54500",
        "Vandœuvre-lès-Nancy",
        old,
    );
    late.insee_code = Some("54547".into());
    late.emails = vec!["fablab@exemple.fr".into()];
    let late_id = store.create_place(late, None, None).await.expect("lieu");
    let long_ago = Utc::now() - Duration::days(40);
    let second = app
        .start_campaign(Some(&actor), "Rattrapage", CampaignScope::All, long_ago)
        .await
        .expect("campagne");
    let expired = link_sent_to(&inbox, "fablab@exemple.fr");
    let (status, html) = page(&router, "GET", &format!("/mise-a-jour/{expired}"), None).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(html.contains("expiré"));
    // Asked 40 days ago, never answered: the quality page lists the place.
    let never = app
        .never_answered_places(Some(&actor), Utc::now())
        .await
        .expect("sans réponse");
    let never: Vec<&str> = never.iter().map(|p| p.place.id.as_str()).collect();
    assert!(never.contains(&late_id.as_str()));
    assert!(
        !never.contains(&ids[0].as_str()),
        "Nancy a répondu à la première campagne"
    );
    let before = inbox.lock().expect("boîte").len();
    let sent = app
        .send_campaign_reminders(Utc::now())
        .await
        .expect("rappels");
    assert_eq!(
        sent, 2,
        "Nancy et le fablab, en attente dans la seconde campagne"
    );
    assert_eq!(inbox.lock().expect("boîte").len(), before + 2);
    assert_eq!(
        app.send_campaign_reminders(Utc::now())
            .await
            .expect("rappels"),
        0,
        "pas de second rappel le même jour"
    );
    let fresh = link_sent_to(&inbox, "fablab@exemple.fr");
    assert_ne!(fresh, expired);
    {
        let inbox = inbox.lock().expect("boîte");
        assert!(
            inbox
                .last()
                .is_some_and(|(_, body)| body.contains("Rappel"))
        );
    }

    // Correcting through the reminder's link: the page changes, the request is "corrected".
    let (status, html) = page(
        &router,
        "GET",
        &format!("/mise-a-jour/{fresh}/corriger"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Fablab de Vandœuvre") && !html.contains("Supprimer ce lieu"));
    let form = "nom=Fablab+de+Vand%C5%93uvre&adresse=2+rue+B&code_postal=54500&commune=Vand%C5%93uvre-l%C3%A8s-Nancy&telephone=03+83+11+22+33&courriels=fablab%40exemple.fr&horaires=Mo-Fr+14%3A00-18%3A00&service=demarches";
    let bad = form.replace("code_postal=54500", "code_postal=ABC");
    let (status, _) = page(
        &router,
        "POST",
        &format!("/mise-a-jour/{fresh}/corriger"),
        Some(&bad),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "erreur montrée, lien encore valable"
    );
    let (status, html) = page(
        &router,
        "POST",
        &format!("/mise-a-jour/{fresh}/corriger"),
        Some(form),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("corrigée"));
    let fablab = app.place(&late_id).await.expect("lieu");
    assert_eq!(fablab.place.phone.as_deref(), Some("+33383112233"));
    assert_eq!(
        fablab.place.opening_hours.as_deref(),
        Some("Mo-Fr 14:00-18:00")
    );
    let d = app
        .campaign_dashboard(Some(&actor), &second)
        .await
        .expect("tableau de bord");
    assert_eq!((d.tally.corrected, d.tally.pending), (1, 1));

    // A member answering from their account counts too; closing stops the links.
    app.confirm_place(Some(&actor), &ids[0])
        .await
        .expect("confirmé");
    let d = app
        .campaign_dashboard(Some(&actor), &second)
        .await
        .expect("tableau de bord");
    assert_eq!((d.tally.confirmed, d.tally.pending), (1, 0));
    app.close_campaign(Some(&actor), &second, Utc::now())
        .await
        .expect("close");
    let (status, _) = page(&router, "GET", &format!("/mise-a-jour/{fresh}"), None).await;
    assert_eq!(status, StatusCode::GONE);
    let listed = app.campaigns_for(Some(&actor)).await.expect("campagnes");
    assert_eq!(listed.len(), 2);
}

#[tokio::test]
async fn workshop_waiting_list_and_promotion_by_email() {
    use maillage_app::workshops::WorkshopFilter;
    use maillage_domain::diagnostic::Level;
    use maillage_domain::policy::{Actor, Membership};
    use maillage_domain::workshops::{RegistrationStatus, WorkshopForm};

    let (url, inbox) = smtp_sink().await;
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let org = store
        .create_organisation(&maillage_domain::organisation::Organisation {
            id: String::new(),
            name: "Médiathèque de Toul".into(),
            pivot: None,
            typologies: vec![],
            departement: Some("54".into()),
        })
        .await
        .expect("structure");
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = App::new(store, referential).await.expect("app").with_mail(
        Mailer::smtp(&url, "Maillage <ne-pas-repondre@test.fr>").expect("mailer"),
        "https://annuaire.exemple.fr",
    );
    let member = Actor {
        user_id: "aidant".into(),
        memberships: vec![Membership {
            organisation_id: org.clone(),
            since: chrono::NaiveDate::from_ymd_opt(2020, 1, 1).expect("date"),
            until: None,
        }],
        ..Default::default()
    };
    let day = maillage_app::today() + chrono::Days::new(10);
    let mut w = WorkshopForm {
        title: "Premiers pas sur smartphone".into(),
        themes: vec!["materiel".into()],
        level_required: Level::Beginner.slug().into(),
        level_reached: Level::Intermediate.slug().into(),
        commune: "Toul".into(),
        sessions: format!("{day} 14:00-16:00"),
        capacity: "2".into(),
        free: true,
        ..Default::default()
    }
    .validate("")
    .expect("valide");
    w.organisation_id = Some(org.clone());
    // Somebody else's structure: refused; a member: published, the commune resolved.
    let stranger = Actor {
        user_id: "autre".into(),
        ..Default::default()
    };
    assert!(
        app.publish_workshop(Some(&stranger), w.clone())
            .await
            .is_err()
    );
    let id = app
        .publish_workshop(Some(&member), w)
        .await
        .expect("publié");
    let stored = app.workshop(&id).await.expect("atelier");
    assert_eq!(stored.workshop.insee_code.as_deref(), Some("54528"));

    // Found for a Débutant near Nancy, not for an Avancé.
    let (nancy, _) = app.resolve_near("Nancy").expect("Nancy");
    let mut f = WorkshopFilter {
        level: Some(Level::Beginner),
        near: Some((nancy, 30.0)),
        ..Default::default()
    };
    assert_eq!(app.find_workshops(&f).await.expect("recherche").len(), 1);
    f.level = Some(Level::Advanced);
    assert!(app.find_workshops(&f).await.expect("recherche").is_empty());

    let mut tokens = Vec::new();
    for (name, contact) in [
        ("Ana", "ana@exemple.fr"),
        ("Bruno", "06 12 34 56 78"),
        ("Chloé", "chloe@exemple.fr"),
    ] {
        let (r, token) = app
            .register_person(Some(&member), "ip:test", &id, name, contact)
            .await
            .expect("inscription");
        tokens.push((r, token));
    }
    assert_eq!(tokens[2].0.status, RegistrationStatus::Waiting);
    assert_eq!(tokens[1].0.contact.as_deref(), Some("+33612345678"));
    assert!(matches!(
        app.register_person(None, "ip:test", &id, "", "").await,
        Err(maillage_app::AppError::Invalid(m)) if m.contains("prénom")
    ));
    {
        let inbox = inbox.lock().expect("boîte");
        assert_eq!(
            inbox.len(),
            2,
            "Ana (confirmée) et Chloé (en attente) ; Bruno n'a pas de courriel"
        );
        assert!(
            inbox[0].1.contains("inscription est confirm"),
            "{}",
            inbox[0].1
        );
        assert!(inbox[1].1.contains("liste d'attente") || inbox[1].1.contains("Liste d'attente"));
        assert!(inbox[0].1.contains("/ateliers/annulation/"));
    }
    // Ana cancels with her link: Chloé gets the seat and is told.
    app.cancel_by_token(&tokens[0].1).await.expect("annulée");
    {
        let inbox = inbox.lock().expect("boîte");
        assert_eq!(inbox.len(), 3);
        assert_eq!(inbox[2].0, ["chloe@exemple.fr"]);
        assert!(inbox[2].1.contains("place s'est lib"), "{}", inbox[2].1);
    }
    let (_, list) = app
        .workshop_registrations(Some(&member), &id)
        .await
        .expect("liste");
    let states: Vec<_> = list
        .iter()
        .map(|r| (r.pseudonym.as_str(), r.status))
        .collect();
    assert_eq!(
        states,
        [
            ("Ana", RegistrationStatus::Cancelled),
            ("Bruno", RegistrationStatus::Registered),
            ("Chloé", RegistrationStatus::Registered)
        ]
    );
    assert!(
        app.workshop_registrations(Some(&stranger), &id)
            .await
            .is_err()
    );
    app.take_attendance(Some(&member), &id, std::slice::from_ref(&list[1].id))
        .await
        .expect("présences");
    // Reminders: nothing ten days before; the day before, Chloé (the only one with an e-mail
    // still registered) is reminded, once.
    assert_eq!(
        app.send_workshop_reminders(chrono::Utc::now())
            .await
            .expect("rappels"),
        0
    );
    let before = {
        use chrono::TimeZone;
        chrono_tz::Europe::Paris
            .from_local_datetime(&day.and_hms_opt(10, 0, 0).expect("heure"))
            .earliest()
            .expect("heure locale")
            .with_timezone(&chrono::Utc)
    };
    assert_eq!(
        app.send_workshop_reminders(before).await.expect("rappels"),
        1
    );
    assert_eq!(
        app.send_workshop_reminders(before).await.expect("rappels"),
        0,
        "une seule fois"
    );
    {
        let inbox = inbox.lock().expect("boîte");
        assert_eq!(
            inbox.last().map(|m| m.0.clone()),
            Some(vec!["chloe@exemple.fr".to_string()])
        );
        assert!(inbox.last().is_some_and(|m| m.1.contains("Petit rappel")));
    }
    // The feeds.
    let ics = app
        .workshops_ics(&WorkshopFilter::default(), "Ateliers")
        .await
        .expect("ics");
    assert!(ics.contains("BEGIN:VEVENT") && ics.contains("SUMMARY:Premiers pas sur smartphone"));
    assert!(
        ics.contains(&format!("DTSTART:{}T130000Z", day.format("%Y%m%d"))),
        "14 h à Toul = 13 h UTC en hiver\n{ics}"
    );
    let csv = String::from_utf8(
        app.workshops_csv(&WorkshopFilter::default())
            .await
            .expect("csv"),
    )
    .expect("utf-8");
    assert!(
        csv.contains("Premiers pas sur smartphone;") && csv.contains(";debutant;intermediaire;")
    );
}

#[tokio::test]
async fn the_watch_digest_lists_the_subscribed_platforms_news_and_urgent_items_leave_at_once() {
    use maillage_domain::watch::{Frequency, NewsForm, Platform};
    let (url, inbox) = smtp_sink().await;
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let mut actors = Vec::new();
    for (email, territory) in [
        (
            "coord@test.fr",
            vec![TerritoryUnit::Departement("54".into())],
        ),
        ("aidante@test.fr", vec![]),
        ("aidant-ants@test.fr", vec![]),
    ] {
        let id = store
            .create_user(&NewUser {
                email: email.into(),
                display_name: email.into(),
                password: "un mot de passe assez long".into(),
                administrator: false,
                territory,
                memberships: vec![],
            })
            .await
            .expect("compte");
        actors.push(store.actor(&id).await.expect("acteur").expect("présent"));
    }
    let (coord, helper, other) = (&actors[0], &actors[1], &actors[2]);
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = App::for_writes(store, referential).expect("app").with_mail(
        Mailer::smtp(&url, "Maillage <ne-pas-repondre@test.fr>").expect("mailer"),
        "https://reseau.exemple.fr",
    );
    app.subscribe(
        Some(helper),
        vec![Platform::Caf, Platform::Taxes],
        Frequency::Weekly,
        true,
    )
    .await
    .expect("abonnement");
    app.subscribe(Some(other), vec![Platform::Ants], Frequency::Weekly, false)
        .await
        .expect("abonnement");
    assert!(
        app.subscribe(None, vec![], Frequency::Weekly, false)
            .await
            .is_err(),
        "connexion nécessaire"
    );
    let news = |title: &str, platform: &str, urgent: bool| NewsForm {
        title: title.into(),
        what_changed: "La connexion passe désormais par FranceConnect.".into(),
        who: "Les allocataires".into(),
        what_to_say: "Préparez vos identifiants ameli ou impots.gouv.".into(),
        links: "https://www.caf.fr\n".into(),
        platforms: vec![platform.into()],
        procedures: "Prime d'activité".into(),
        urgent,
        ..Default::default()
    };
    assert!(
        app.post_news(Some(helper), "Aidante", &news("Interdit", "caf", false))
            .await
            .is_err(),
        "les aidants ne publient pas"
    );
    let (_, told) = app
        .post_news(
            Some(coord),
            "Coordination 54",
            &news("CAF : nouvelle connexion", "caf", false),
        )
        .await
        .map_err(|_| "refusée")
        .expect("publiée");
    assert_eq!(told, 0);
    app.post_news(
        Some(coord),
        "Coordination 54",
        &news("ANTS : permis en ligne", "ants", false),
    )
    .await
    .map_err(|_| "refusée")
    .expect("publiée");
    // Urgent: leaves at once to the CAF subscriber who asked for urgent items.
    let (urgent_id, told) = app
        .post_news(
            Some(coord),
            "Coordination 54",
            &news("Impôts : panne de l'espace particulier", "impots", true),
        )
        .await
        .map_err(|_| "refusée")
        .expect("publiée");
    assert_eq!(told, 1);
    {
        let inbox = inbox.lock().expect("boîte");
        assert_eq!(inbox.len(), 1);
        assert_eq!(inbox[0].0, ["aidante@test.fr"]);
        assert!(inbox[0].1.contains("Impôts : panne"), "{}", inbox[0].1);
    }
    assert_eq!(
        app.send_urgent_news(&urgent_id).await.expect("renvoi"),
        0,
        "une seule fois"
    );

    // Not due yet: nothing leaves; on Monday morning, each digest holds its platforms' news.
    assert_eq!(
        app.send_digests(chrono::Utc::now(), false)
            .await
            .expect("résumés"),
        0
    );
    let monday = maillage_domain::watch::next_digest_after(chrono::Utc::now());
    assert_eq!(app.send_digests(monday, false).await.expect("résumés"), 2);
    {
        let inbox = inbox.lock().expect("boîte");
        assert_eq!(inbox.len(), 3);
        let to = |who: &str| {
            inbox
                .iter()
                .find(|(rcpt, body)| {
                    rcpt == &[who.to_string()] && body.contains("Veille de la semaine")
                })
                .map(|(_, body)| body.clone())
                .expect("résumé")
        };
        let digest = to("aidante@test.fr");
        assert!(digest.contains("CAF : nouvelle connexion"), "{digest}");
        assert!(digest.contains("Ce qu'il faut dire aux personnes"));
        assert!(digest.contains("https://reseau.exemple.fr/veille/abonnement"));
        assert!(!digest.contains("ANTS : permis"), "plateforme non suivie");
        assert!(!digest.contains("Impôts : panne"), "déjà envoyée");
        let other_digest = to("aidant-ants@test.fr");
        assert!(other_digest.contains("ANTS : permis") && !other_digest.contains("CAF :"));
    }
    // The next digest is a week later and holds nothing already sent.
    assert_eq!(
        app.send_digests(monday + chrono::Duration::days(7), false)
            .await
            .expect("résumés"),
        0
    );
    assert_eq!(inbox.lock().expect("boîte").len(), 3);
    assert!(app.unsubscribe(Some(helper)).await.expect("désabonnement"));
}

/// The last message sent to an address.
fn last_to(inbox: &Inbox, to: &str) -> Option<String> {
    inbox
        .lock()
        .ok()?
        .iter()
        .rev()
        .find(|(rcpt, _)| rcpt.iter().any(|r| r == to))
        .map(|(_, data)| data.clone())
}

fn count_to(inbox: &Inbox, to: &str) -> usize {
    inbox
        .lock()
        .map(|i| i.iter().filter(|(r, _)| r.iter().any(|x| x == to)).count())
        .unwrap_or(0)
}

fn link_in(mail: &str, path: &str) -> String {
    let start = mail.find(path).expect("lien dans le courriel") + path.len();
    mail[start..start + 64].to_string()
}

#[tokio::test]
async fn a_referral_goes_through_every_status_between_two_organisations() {
    use maillage_app::referrals::Outgoing;
    use maillage_domain::Vocabulary;
    use maillage_domain::policy::Membership;
    use maillage_domain::referrals::{
        DeclineReason, Event, Outcome, ReferralForm, ReferralStatus as S,
    };

    let (url, inbox) = smtp_sink().await;
    let store = Store::connect("sqlite::memory:").await.expect("base");
    let since = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    for (id, name) in [
        ("org-a", "Médiathèque de Nancy"),
        ("org-b", "France Services de Nancy"),
    ] {
        store
            .create_organisation(&maillage_domain::organisation::Organisation {
                id: id.into(),
                name: name.into(),
                pivot: None,
                typologies: vec![],
                departement: Some("54".into()),
            })
            .await
            .expect("structure");
    }
    for (email, org) in [("envoie@test.fr", "org-a"), ("recoit@test.fr", "org-b")] {
        store
            .create_user(&NewUser {
                email: email.into(),
                display_name: email.into(),
                password: "un mot de passe assez long".into(),
                administrator: false,
                territory: vec![],
                memberships: vec![Membership {
                    organisation_id: org.into(),
                    since,
                    until: None,
                }],
            })
            .await
            .expect("compte");
    }
    let users = store.users().await.expect("comptes");
    let actor_of = |email: &str| {
        let id = users
            .iter()
            .find(|u| u.email == email)
            .map(|u| u.id.clone());
        let store = store.clone();
        async move {
            store
                .actor(&id.expect("compte"))
                .await
                .expect("acteur")
                .expect("présent")
        }
    };
    let sender = actor_of("envoie@test.fr").await;
    let receiver = actor_of("recoit@test.fr").await;
    let day = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).expect("date");
    let mut fs = maillage_domain::Place::new(
        "",
        "France Services de Nancy",
        "1 place Carnot",
        "54000",
        "Nancy",
        day,
    );
    fs.insee_code = Some("54395".into());
    let fs_id = store
        .create_place(fs, Some("org-b"), None)
        .await
        .expect("lieu");
    let mut ml =
        maillage_domain::Place::new("", "Mission locale", "2 rue B", "54000", "Nancy", day);
    ml.emails = vec!["accueil@mission-locale.example".into()];
    let ml_id = store.create_place(ml, None, None).await.expect("lieu");
    let referential = Referential::discover().expect("référentiel (scripts/setup.sh)");
    let app = App::new(store, referential).await.expect("app").with_mail(
        Mailer::smtp(&url, "Maillage <ne-pas-repondre@test.fr>").expect("mailer"),
        "https://annuaire.exemple.fr",
    );
    let oral = ReferralForm {
        person_label: "Karim".into(),
        contact: "06 12 34 56 78".into(),
        note: "Sans revenus depuis un mois.".into(),
        consent: "orale".into(),
        explained: "Prénom, téléphone et demande transmis à la France Services.".into(),
        confirmed: true,
    };
    let outgoing = |place: &str, form: ReferralForm| Outgoing {
        place_id: place.into(),
        request_id: Some("inscription-france-travail".into()),
        request_title: "S'inscrire à France Travail".into(),
        level: Some("debutant".into()),
        constraints: Some("libre le mardi matin".into()),
        form,
        ..Outgoing::default()
    };

    // Sent with oral consent: the receiving organisation's members are told.
    let id = app
        .send_referral(Some(&sender), &outgoing(&fs_id, oral.clone()))
        .await
        .expect("envoi")
        .expect("formulaire valide");
    let told = last_to(&inbox, "recoit@test.fr").expect("la structure est prévenue");
    assert!(told.contains("S'inscrire à France Travail") && told.contains("Karim"));
    assert!(told.contains(&format!("https://annuaire.exemple.fr/orientations/{id}")));
    assert!(told.contains("Niveau num"));

    // The sender may not answer; opening by the receiver marks it received.
    assert!(
        app.answer_referral(Some(&sender), &id, Event::TakeInCharge, None)
            .await
            .is_err()
    );
    let view = app.referral_view(Some(&receiver), &id).await.expect("vue");
    assert_eq!(view.referral.status, S::Received);
    assert!(view.may_answer && !view.is_sender);
    for (event, status) in [
        (Event::TakeInCharge, S::TakenInCharge),
        (Event::NoShow, S::NoShow),
        (
            Event::Close {
                outcome: Outcome::Abandoned,
            },
            S::Closed,
        ),
    ] {
        let r = app
            .answer_referral(Some(&receiver), &id, event, None)
            .await
            .expect("réponse");
        assert_eq!(r.status, status);
        let mail = last_to(&inbox, "envoie@test.fr").expect("l'expéditeur est prévenu");
        assert!(mail.contains(&status.label().to_lowercase()), "{mail}");
    }
    let view = app.referral_view(Some(&sender), &id).await.expect("vue");
    assert_eq!(view.events.len(), 5);
    // A closed referral takes no more answers.
    assert!(
        app.answer_referral(Some(&receiver), &id, Event::TakeInCharge, None)
            .await
            .is_err()
    );

    // The person's data, exported for them by either structure.
    let export = serde_json::to_value(
        app.journey_export(Some(&receiver), &id)
            .await
            .expect("export"),
    )
    .expect("JSON");
    assert_eq!(export["prenom_ou_pseudonyme"], "Karim");
    assert_eq!(
        export["orientations"][0]["transmis"]["note"],
        "Sans revenus depuis un mois."
    );
    assert!(
        export["orientations"][0]["historique"]
            .as_array()
            .is_some_and(|h| h.len() == 5)
    );

    // Onward, to a place not on Maillage: its address gets a single-use link to answer.
    let onward = app
        .send_referral(
            Some(&receiver),
            &Outgoing {
                journey_id: Some(view.referral.journey_id.clone()),
                ..outgoing(&ml_id, oral.clone())
            },
        )
        .await
        .expect("envoi")
        .expect("valide");
    let mail = last_to(&inbox, "accueil@mission-locale.example").expect("lien de réponse");
    let token = link_in(&mail, "/orientations/reponse/");
    let r = app
        .answer_by_link(
            &token,
            Event::Decline {
                reason: DeclineReason::NotEligible,
            },
            Some("France Travail"),
        )
        .await
        .expect("réponse par lien");
    assert_eq!(r.status, S::Declined);
    let told = last_to(&inbox, "recoit@test.fr").expect("l'expéditeur est prévenu");
    assert!(
        told.contains("Non éligible") && told.contains("France Travail"),
        "{told}"
    );
    // The journey shows both hand-offs to both sides.
    let view = app.referral_view(Some(&sender), &id).await.expect("vue");
    assert_eq!(view.journey.len(), 2);
    assert_eq!(view.journey[1].id, onward);

    // Consent by link: nothing leaves before the person agrees; withdrawal erases.
    let by_link = ReferralForm {
        contact: "karim@exemple.fr".into(),
        consent: "lien".into(),
        ..oral.clone()
    };
    let before = count_to(&inbox, "recoit@test.fr");
    let pending = app
        .send_referral(Some(&sender), &outgoing(&fs_id, by_link))
        .await
        .expect("envoi")
        .expect("valide");
    assert_eq!(
        count_to(&inbox, "recoit@test.fr"),
        before,
        "rien avant l'accord"
    );
    let mail = last_to(&inbox, "karim@exemple.fr").expect("demande d'accord");
    let token = link_in(&mail, "/orientations/accord/");
    let r = app.confirm_consent(&token).await.expect("accord");
    assert_eq!(r.status, S::Sent);
    assert_eq!(count_to(&inbox, "recoit@test.fr"), before + 1);
    assert!(
        app.confirm_consent(&token).await.is_err(),
        "lien à usage unique"
    );
    let r = app
        .answer_referral(Some(&sender), &pending, Event::Withdraw, None)
        .await
        .expect("retrait");
    assert_eq!(r.status, S::Withdrawn);
    let after = app
        .referral_view(Some(&receiver), &pending)
        .await
        .expect("vue");
    assert_eq!(after.referral.person_label, None);
    assert_eq!(after.referral.contact, None);
    assert_eq!(after.referral.shared, maillage_store::Shared::default());

    // The sender relaunches a structure without account: a new link, the old one stops.
    let relaunched = app
        .send_referral(Some(&sender), &outgoing(&ml_id, oral.clone()))
        .await
        .expect("envoi")
        .expect("valide");
    let first = link_in(
        &last_to(&inbox, "accueil@mission-locale.example").expect("lien"),
        "/orientations/reponse/",
    );
    assert!(
        app.resend_referral(Some(&receiver), &relaunched)
            .await
            .is_err()
    );
    app.resend_referral(Some(&sender), &relaunched)
        .await
        .expect("relance");
    let second = link_in(
        &last_to(&inbox, "accueil@mission-locale.example").expect("lien"),
        "/orientations/reponse/",
    );
    assert_ne!(first, second);
    assert!(app.referral_by_link(&first, "reponse").await.is_err());
    assert!(app.referral_by_link(&second, "reponse").await.is_ok());
    app.answer_by_link(&second, Event::TakeInCharge, None)
        .await
        .expect("prise en charge par lien");

    // Schedule: a reminder after a week without answer, expiry after 30 days (sender told),
    // erasure 12 months after the journey closed.
    let waiting = app
        .send_referral(Some(&sender), &outgoing(&fs_id, oral.clone()))
        .await
        .expect("envoi")
        .expect("valide");
    let now = chrono::Utc::now();
    let reminders = count_to(&inbox, "recoit@test.fr");
    let (reminded, expired, _) = app
        .run_referral_schedule(now + chrono::Duration::days(8))
        .await
        .expect("rappels");
    assert_eq!((reminded, expired), (1, 0));
    assert_eq!(count_to(&inbox, "recoit@test.fr"), reminders + 1);
    assert!(last_to(&inbox, "recoit@test.fr").is_some_and(|m| m.contains("Rappel")));
    let (_, expired, _) = app
        .run_referral_schedule(now + chrono::Duration::days(31))
        .await
        .expect("expiration");
    assert_eq!(expired, 1);
    let r = app
        .referral_view(Some(&sender), &waiting)
        .await
        .expect("vue");
    assert_eq!(r.referral.status, S::Expired);
    assert!(last_to(&inbox, "envoie@test.fr").is_some_and(|m| m.contains("expirée")));
    let (_, _, erased) = app
        .run_referral_schedule(now + chrono::Duration::days(400))
        .await
        .expect("effacement");
    assert!(erased >= 1);
    let r = app
        .referral_view(Some(&sender), &waiting)
        .await
        .expect("vue");
    assert_eq!(r.referral.person_label, None);
}
