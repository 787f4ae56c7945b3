//! E-mail through real SMTP: a local sink (a minimal SMTP server on loopback) receives what the
//! app sends when an error is reported and when it is resolved.

use std::sync::{Arc, Mutex};

use maillage_domain::policy::TerritoryUnit;
use maillage_referential::Referential;
use maillage_store::{NewUser, Store};
use maillage_web::App;
use maillage_web::mail::Mailer;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Received messages: (recipients, raw data).
type Inbox = Arc<Mutex<Vec<(Vec<String>, String)>>>;

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
                        rcpt.push(line[8..].trim().trim_matches(['<', '>']).to_string());
                        b"250 OK\r\n"
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
                        // Quoted-printable soft line breaks joined, so tests read the text.
                        let data = data.replace("=\n", "");
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
        .report_error(&id, "horaires", "Fermé le lundi", "marie@exemple.fr")
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
    assert!(
        inbox[1].1.contains("Horaires corrig=C3=A9s"),
        "{}",
        inbox[1].1
    );
    assert!(inbox[1].1.contains(&format!("/lieux/{id}")));
}
