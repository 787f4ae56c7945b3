//! The booklet as a reader gets it: the PDF opens (poppler reads it), its summary table lists
//! every place with the page where the place really is, and the pages render to images.

use std::process::Command;

use chrono::NaiveDate;
use maillage_booklet::{BookletError, BookletRequest, DEFAULT_TITLE, render_pdf, summary};
use maillage_domain::Place;
use maillage_domain::progress::{Progress, Silent};
use maillage_domain::vocab::{Public, Service, SupportMode};

fn places() -> Vec<Place> {
    let communes = [
        ("Nancy", "54000", "54395"),
        ("Toul", "54200", "54528"),
        ("Lunéville", "54300", "54329"),
        ("Épinal", "88000", "88160"),
    ];
    let kinds = [
        ("Médiathèque", "BIB"),
        ("France Services", "MSAP"),
        ("Centre social", "CS"),
        ("Association Clic", "ASSO"),
        ("Mairie", "MUNI"),
        ("Fablab", "FABLAB"),
    ];
    let mut out = Vec::new();
    for (i, (commune, postcode, insee)) in communes.iter().enumerate() {
        for (j, (kind, typology)) in kinds.iter().enumerate() {
            let mut p = Place::new(
                format!("lieu-{i}-{j}"),
                format!("{kind} de {commune}"),
                format!("{} rue de la République", i * 10 + j + 1),
                *postcode,
                *commune,
                NaiveDate::from_ymd_opt(2026, 9, 1).expect("date"),
            );
            p.insee_code = Some((*insee).into());
            p.typologies = vec![(*typology).into()];
            p.phone = Some("+33383000000".into());
            p.emails = vec![format!("contact{i}{j}@exemple.fr")];
            p.opening_hours = Some("Mo-Fr 09:00-12:00,14:00-17:00; PH off".into());
            p.opening_hours_valid = true;
            p.services = if j % 2 == 0 {
                vec![Service::AdministrativeProcedures, Service::InternetAccess]
            } else {
                vec![Service::EverydayTools]
            };
            p.support_modes = if j % 3 == 0 {
                vec![SupportMode::Workshop]
            } else {
                vec![SupportMode::Individual]
            };
            p.publics = vec![Public::Seniors];
            p.extras.limits = Some("Ne fait pas les dossiers de retraite".into());
            out.push(p);
        }
    }
    out
}

fn request(places: &[Place]) -> BookletRequest<'_> {
    BookletRequest {
        title: DEFAULT_TITLE.into(),
        zone: "Lorraine (test)".into(),
        edition: NaiveDate::from_ymd_opt(2026, 11, 22).expect("date"),
        public_url: "https://annuaire.exemple.fr".into(),
        places,
        typology_label: &|code| Some(format!("type {code}")),
    }
}

fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} (paquet poppler-utils, scripts/setup.sh --test) : {e}"));
    assert!(
        out.status.success(),
        "{tool} : {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_summary_points_to_the_right_pages_and_pages_render() {
    let places = places();
    let booklet = render_pdf(&request(&places), &Silent).expect("livret");
    let pdf = booklet.pdf;
    assert!(pdf.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().expect("dossier");
    let path = dir.path().join("livret.pdf");
    std::fs::write(&path, &pdf).expect("écriture");
    let path = path.to_str().expect("chemin");

    let info = poppler("pdfinfo", &[path]);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("nombre de pages");
    assert!(pages >= 6, "{pages} pages");
    assert_eq!(pages, booklet.pages);
    assert_eq!(booklet.places, places.len());
    assert!(
        info.contains("Où se faire aider avec le numérique"),
        "titre du document : {info}"
    );

    // Text of each page.
    let text: Vec<String> = (1..=pages)
        .map(|n| {
            let n = n.to_string();
            poppler("pdftotext", &["-layout", "-f", &n, "-l", &n, path, "-"])
        })
        .collect();
    assert!(text[0].contains("Lorraine (test)") && text[0].contains("24 lieux"));
    let summary_pages: Vec<usize> = (0..pages)
        .filter(|&i| {
            text[i].contains("Sommaire récapitulatif")
                || (i > 0
                    && text[i].contains("Page")
                    && text[i].contains("Commune")
                    && !text[i].contains("Index des communes"))
        })
        .collect();
    assert!(!summary_pages.is_empty(), "sommaire récapitulatif");
    let summary_text: String = summary_pages.iter().map(|&i| text[i].as_str()).collect();
    // Every place is in the summary, with the page where its entry is printed.
    let rows = summary(&places);
    assert_eq!(rows.len(), places.len());
    for row in &rows {
        let line = summary_text
            .lines()
            .find(|l| l.contains(&row.name))
            .unwrap_or_else(|| panic!("« {} » absent du sommaire", row.name));
        let page: usize = line
            .split_whitespace()
            .last()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("numéro de page absent : {line}"));
        assert!(
            text[page - 1].contains(&row.name) && text[page - 1].contains("Horaires"),
            "« {} » annoncé page {page}, absent de cette page",
            row.name
        );
        // One X per column the place offers.
        assert_eq!(
            line.matches(" X").count(),
            row.marks.len(),
            "marques de « {} » : {line}",
            row.name
        );
    }
    // Usual hours in words, phone as French readers write it, the index of communes.
    let all: String = text.concat();
    assert!(all.contains("Du lundi au vendredi : 9 h – 12 h, 14 h – 17 h"));
    assert!(all.contains("03 83 00 00 00"));
    let index = text.last().expect("dernière page");
    assert!(index.contains("Index des communes"));
    for commune in ["Épinal", "Lunéville", "Nancy", "Toul"] {
        assert!(index.contains(commune), "{commune} dans l'index");
    }

    // Rendered to images: every page has ink on it.
    let prefix = dir.path().join("page");
    if let Ok(keep) = std::env::var("MAILLAGE_KEEP_BOOKLET") {
        let _ = std::fs::copy(path, keep);
    }
    poppler(
        "pdftoppm",
        &["-r", "40", "-gray", path, prefix.to_str().expect("chemin")],
    );
    let mut images = 0;
    for entry in std::fs::read_dir(dir.path()).expect("dossier") {
        let p = entry.expect("entrée").path();
        if p.extension().is_some_and(|e| e == "pgm") {
            images += 1;
            let bytes = std::fs::read(&p).expect("image");
            // Header of a PGM: three lines; the pixels follow.
            let dark = bytes.iter().skip(20).filter(|&&b| b < 128).count();
            assert!(dark > 50, "page vide : {}", p.display());
        }
    }
    assert_eq!(images, pages);
}

#[test]
fn nothing_to_print_and_interruption_produce_no_file() {
    assert!(matches!(
        render_pdf(&request(&[]), &Silent),
        Err(BookletError::Empty)
    ));
    struct StopAtOnce;
    impl Progress for StopAtOnce {
        fn stage(&self, _: &str, _: Option<u64>) {}
        fn advance(&self, _: u64) {}
        fn interrupted(&self) -> bool {
            true
        }
    }
    let places = places();
    assert!(matches!(
        render_pdf(&request(&places), &StopAtOnce),
        Err(BookletError::Interrupted(_))
    ));
}
