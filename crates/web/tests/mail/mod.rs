//! E-mail through real SMTP: a local sink (a minimal SMTP server on loopback) receives what the
//! app sends when an error is reported and resolved, and an update campaign end to end.

mod directory;
mod mandates;
mod referrals;
mod surveys;
mod workshops;

use maillage_app::App;
use maillage_app::mail::Mailer;
use maillage_domain::policy::TerritoryUnit;
use maillage_referential::Referential;
use maillage_store::{NewUser, Store};
use std::sync::{Arc, Mutex};
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
