//! Every message Maillage sends: its subject and its text (a template of
//! `crates/app/templates/mail/`, French, plain text — readable everywhere, screen readers
//! included). The services fill them; the administrators preview each one with sample values
//! ([`samples`]).

use askama::Template;

use super::Mail;

/// What every message gives.
pub trait Message: Template {
    fn subject(&self) -> String;

    /// The message for one recipient; its text is the template filled (a template that cannot
    /// be filled is a bug: its reason is logged and the message is not sent).
    fn to(&self, to: &str) -> Option<Mail> {
        match self.render() {
            Ok(body) => Some(Mail {
                to: to.to_string(),
                subject: self.subject(),
                body,
            }),
            Err(e) => {
                tracing::error!(
                    "courriel « {} » impossible à composer : {e}",
                    self.subject()
                );
                None
            }
        }
    }
}

/// An error reported on a place, to who keeps it up to date.
#[derive(Template)]
#[template(path = "mail/signalement.txt")]
pub struct ReportReceived {
    pub place: String,
    pub commune: String,
    pub category: String,
    pub message: String,
    pub url: String,
}

impl Message for ReportReceived {
    fn subject(&self) -> String {
        format!("Erreur signalée sur « {} »", self.place)
    }
}

/// To the reporter who left an address: the report was handled.
#[derive(Template)]
#[template(path = "mail/signalement-traite.txt")]
pub struct ReportHandled {
    pub place: String,
    pub place_id: String,
    pub commune: String,
    pub resolution: String,
    pub kept: String,
    pub url: String,
}

impl Message for ReportHandled {
    fn subject(&self) -> String {
        format!("Votre signalement sur « {} » est traité", self.place)
    }
}

/// An update campaign's request (or reminder) to a place's referent.
#[derive(Template)]
#[template(path = "mail/campagne.txt")]
pub struct CampaignMessage {
    pub reminder: bool,
    pub campaign: String,
    pub place: String,
    pub address: String,
    pub postcode: String,
    pub commune: String,
    pub updated: String,
    pub token: String,
    pub expires: String,
    pub url: String,
}

impl Message for CampaignMessage {
    fn subject(&self) -> String {
        format!(
            "{}Votre fiche « {} » est-elle à jour ?",
            if self.reminder { "Rappel : " } else { "" },
            self.place
        )
    }
}

/// A network survey's personal link, to a place's referent.
#[derive(Template)]
#[template(path = "mail/enquete.txt")]
pub struct SurveyMessage {
    /// The public's questionnaire (the link is handed to the place's public).
    pub public: bool,
    pub survey: String,
    pub place: String,
    pub address: String,
    pub postcode: String,
    pub commune: String,
    pub token: String,
    pub closes: String,
    pub url: String,
}

impl Message for SurveyMessage {
    fn subject(&self) -> String {
        if self.public {
            format!("Enquête auprès de votre public : « {} »", self.survey)
        } else {
            format!("Enquête du réseau : « {} »", self.survey)
        }
    }
}

/// The forgotten password's link.
#[derive(Template)]
#[template(path = "mail/mot-de-passe.txt")]
pub struct PasswordReset {
    pub minutes: i64,
    pub token: String,
    pub url: String,
}

impl Message for PasswordReset {
    fn subject(&self) -> String {
        "Choisir un nouveau mot de passe".into()
    }
}

/// A workshop registration: confirmed, or on the waiting list.
#[derive(Template)]
#[template(path = "mail/inscription.txt")]
pub struct Registered {
    pub waiting: bool,
    pub person: String,
    pub title: String,
    pub when: String,
    pub place: String,
    pub bring: Option<String>,
    pub token: String,
    pub url: String,
}

impl Message for Registered {
    fn subject(&self) -> String {
        if self.waiting {
            format!("Liste d'attente : « {} »", self.title)
        } else {
            format!("Inscription confirmée : « {} »", self.title)
        }
    }
}

/// A seat freed for the first person waiting.
#[derive(Template)]
#[template(path = "mail/place-liberee.txt")]
pub struct SeatFreed {
    pub person: String,
    pub title: String,
    pub when: String,
    pub place: String,
    pub contact: Option<String>,
}

impl Message for SeatFreed {
    fn subject(&self) -> String {
        format!("Une place s'est libérée : « {} »", self.title)
    }
}

/// The day before a workshop's session.
#[derive(Template)]
#[template(path = "mail/rappel-atelier.txt")]
pub struct WorkshopReminder {
    pub person: String,
    pub title: String,
    pub day: String,
    pub start: String,
    pub end: String,
    pub place: String,
    pub bring: Option<String>,
    pub contact: Option<String>,
}

impl Message for WorkshopReminder {
    fn subject(&self) -> String {
        format!("Rappel : « {} » demain", self.title)
    }
}

/// The person's consent asked through a link before a referral leaves.
#[derive(Template)]
#[template(path = "mail/orientation-accord.txt")]
pub struct ReferralConsent {
    pub person: String,
    pub from: String,
    pub request: String,
    pub to: String,
    pub note: bool,
    pub days: i64,
    pub token: String,
    pub url: String,
}

impl Message for ReferralConsent {
    fn subject(&self) -> String {
        format!("Votre accord pour être orienté vers {}", self.to)
    }
}

/// A referral received: by a structure's members (`token` none), or by an address without an
/// account (a personal link to answer).
#[derive(Template)]
#[template(path = "mail/orientation-recue.txt")]
pub struct ReferralReceived {
    pub reminder: bool,
    pub from: String,
    pub person: String,
    pub request: String,
    pub level: Option<String>,
    pub constraints: Option<String>,
    pub note: Option<String>,
    pub id: String,
    pub token: Option<String>,
    pub answer_days: i64,
    pub link_days: i64,
    pub url: String,
}

impl Message for ReferralReceived {
    fn subject(&self) -> String {
        format!(
            "{}Orientation de {} : {}",
            if self.reminder { "Rappel — " } else { "" },
            self.from,
            self.request
        )
    }
}

/// To the helper who referred the person: the referral changed.
#[derive(Template)]
#[template(path = "mail/orientation-suivi.txt")]
pub struct ReferralFollowUp {
    pub person: String,
    pub to: String,
    pub request: String,
    pub status: String,
    pub reason: Option<String>,
    pub better: Option<String>,
    pub id: String,
    pub url: String,
}

impl Message for ReferralFollowUp {
    fn subject(&self) -> String {
        format!("Orientation {} : {}", self.status, self.to)
    }
}

/// To the person: their mandate ends soon (issue #19).
#[derive(Template)]
#[template(path = "mail/mandat-fin-personne.txt")]
pub struct MandateEnding {
    pub person: String,
    pub structure: String,
    pub last_day: String,
    pub demarches: String,
}

impl Message for MandateEnding {
    fn subject(&self) -> String {
        format!("Votre mandat avec {} s'arrête bientôt", self.structure)
    }
}

/// To a structure's habilitated helpers: mandates end soon (no names in the message).
#[derive(Template)]
#[template(path = "mail/mandat-fin-structure.txt")]
pub struct MandatesEnding {
    pub count: usize,
    pub structure: String,
    pub structure_id: String,
    pub until: String,
    pub url: String,
}

impl Message for MandatesEnding {
    fn subject(&self) -> String {
        format!(
            "{} mandat(s) de {} s'arrête(nt) bientôt",
            self.count, self.structure
        )
    }
}

/// News of the watch: one urgent item, or the week's digest.
#[derive(Template)]
#[template(path = "mail/veille.txt")]
pub struct WatchNews {
    pub urgent: bool,
    /// The platforms followed (digest).
    pub followed: String,
    /// Each item as text.
    pub items: Vec<String>,
    pub title: String,
    pub url: String,
}

impl Message for WatchNews {
    fn subject(&self) -> String {
        if self.urgent {
            format!("Veille urgente : {}", self.title)
        } else {
            format!(
                "Veille de la semaine : {} nouvelle(s) sur les plateformes publiques",
                self.items.len()
            )
        }
    }
}

/// A place's slip sent to the person who asked for it.
#[derive(Template)]
#[template(path = "mail/fiche-lieu.txt")]
pub struct PlaceSlip {
    pub place: String,
    pub request: Option<String>,
    pub summary: String,
    pub week: Vec<(String, String)>,
    pub link: String,
}

impl Message for PlaceSlip {
    fn subject(&self) -> String {
        format!("Où aller : {}", self.place)
    }
}

/// Every message with sample values, for the administrators' preview: (what it is, when it
/// leaves, the message).
pub fn samples(url: &str) -> Vec<(&'static str, &'static str, Option<Mail>)> {
    let url = url.to_string();
    let to = "personne@exemple.fr";
    let s = |v: &str| v.to_string();
    vec![
        (
            "Signalement d'une erreur",
            "à chaque signalement, aux membres de la structure du lieu et aux coordinateurs",
            ReportReceived { place: s("Médiathèque Jean-Jaurès"), commune: s("Nancy"), category: s("Horaires"), message: s("Fermé le lundi matin"), url: url.clone() }.to(to),
        ),
        (
            "Signalement traité",
            "à qui a signalé l'erreur et laissé son adresse",
            ReportHandled { place: s("Médiathèque Jean-Jaurès"), place_id: s("exemple"), commune: s("Nancy"), resolution: s("horaires corrigés"), kept: s("30 jours"), url: url.clone() }.to(to),
        ),
        (
            "Campagne de mise à jour",
            "au référent d'un lieu, au lancement puis en rappel",
            CampaignMessage { reminder: false, campaign: s("Printemps 2027"), place: s("Espace France Services"), address: s("3 rue de la Gare"), postcode: s("54000"), commune: s("Nancy"), updated: s("14/03/2026"), token: s("…"), expires: s("15/05/2027 à 18 h 00"), url: url.clone() }.to(to),
        ),
        (
            "Enquête du réseau",
            "au référent de chaque lieu interrogé, au lancement d'une enquête",
            SurveyMessage { public: false, survey: s("Besoins des partenaires 2027"), place: s("Espace France Services"), address: s("3 rue de la Gare"), postcode: s("54000"), commune: s("Nancy"), token: s("…"), closes: s("31/01/2027"), url: url.clone() }.to(to),
        ),
        (
            "Mot de passe oublié",
            "à qui le demande, si l'adresse a un compte",
            PasswordReset { minutes: 60, token: s("…"), url: url.clone() }.to(to),
        ),
        (
            "Inscription à un atelier",
            "à la personne inscrite qui a donné une adresse",
            Registered { waiting: false, person: s("Karim"), title: s("Premiers pas sur smartphone"), when: s("Mardi 8 décembre 2026, de 14:00 à 16:00"), place: s("Médiathèque Jean-Jaurès"), bring: Some(s("son téléphone chargé")), token: s("…"), url: url.clone() }.to(to),
        ),
        (
            "Place libérée",
            "à la première personne en liste d'attente",
            SeatFreed { person: s("Karim"), title: s("Premiers pas sur smartphone"), when: s("Mardi 8 décembre 2026, de 14:00 à 16:00"), place: s("Médiathèque Jean-Jaurès"), contact: Some(s("03 83 00 00 00")) }.to(to),
        ),
        (
            "Rappel d'atelier",
            "la veille de chaque séance, aux inscrits",
            WorkshopReminder { person: s("Karim"), title: s("Premiers pas sur smartphone"), day: s("mardi 8 décembre 2026"), start: s("14:00"), end: s("16:00"), place: s("Médiathèque Jean-Jaurès"), bring: Some(s("son téléphone chargé")), contact: Some(s("03 83 00 00 00")) }.to(to),
        ),
        (
            "Accord pour une orientation",
            "à la personne, quand elle donne son accord par un lien",
            ReferralConsent { person: s("Karim"), from: s("CCAS de Nancy"), request: s("Créer son compte CAF"), to: s("France Services de Nancy"), note: true, days: 8, token: s("…"), url: url.clone() }.to(to),
        ),
        (
            "Orientation reçue",
            "aux membres de la structure qui reçoit (ou à son adresse, avec un lien), puis en rappel",
            ReferralReceived { reminder: false, from: s("CCAS de Nancy"), person: s("Karim"), request: s("Créer son compte CAF"), level: Some(s("Débutant")), constraints: Some(s("pas d'ordinateur")), note: Some(s("préfère le matin")), id: s("exemple"), token: None, answer_days: 30, link_days: 8, url: url.clone() }.to(to),
        ),
        (
            "Suivi d'une orientation",
            "à l'aidant qui a orienté, à chaque changement",
            ReferralFollowUp { person: s("Karim"), to: s("France Services de Nancy"), request: s("Créer son compte CAF"), status: s("prise en charge"), reason: None, better: None, id: s("exemple"), url: url.clone() }.to(to),
        ),
        (
            "Veille urgente",
            "aux abonnés qui suivent la plateforme, aussitôt",
            WatchNews { urgent: true, followed: String::new(), items: vec![s("■ CAF : déclaration trimestrielle (urgent)\nPlateformes : CAF\n\nCe qui change : …\n\n")], title: s("CAF : déclaration trimestrielle"), url: url.clone() }.to(to),
        ),
        (
            "Résumé de la veille",
            "le lundi, aux abonnés",
            WatchNews { urgent: false, followed: s("CAF, Impôts"), items: vec![s("■ Impôts : déclaration en ligne\nPlateformes : Impôts\n\nCe qui change : …\n\n")], title: String::new(), url: url.clone() }.to(to),
        ),
        (
            "Fiche d'un lieu",
            "à la personne orientée qui la demande (son adresse n'est pas gardée)",
            PlaceSlip { place: s("France Services de Nancy"), request: Some(s("créer son compte caf")), summary: s("France Services de Nancy, 3 rue de la Gare, 54000 Nancy. Tél. 03 83 00 00 00"), week: vec![(s("Lundi"), s("09:00-12:00"))], link: format!("{url}/lieux/exemple") }.to(to),
        ),
        (
            "Fin prochaine d'un mandat (à la personne)",
            "une fois, 7 jours avant le dernier jour d'un mandat, à la personne qui a donné une adresse",
            MandateEnding { person: s("Odette Lambert"), structure: s("France Services de Toul"), last_day: s("mardi 8 décembre 2026"), demarches: s("Social - Santé, Argent - Impôts - Consommation") }.to(to),
        ),
        (
            "Fin prochaine de mandats (à la structure)",
            "une fois par mandat, 7 jours avant son dernier jour, aux aidants habilités de la structure",
            MandatesEnding { count: 2, structure: s("France Services de Toul"), structure_id: s("exemple"), until: s("mardi 8 décembre 2026"), url: url.clone() }.to(to),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_renders_with_its_subject_and_no_template_left() {
        let all = samples("https://maillage.exemple");
        assert_eq!(all.len(), 16);
        for (title, when, mail) in all {
            let mail = mail.unwrap_or_else(|| panic!("{title} : non composé"));
            assert!(!when.is_empty());
            assert!(
                !mail.subject.is_empty() && !mail.subject.contains('\n'),
                "{title}"
            );
            assert!(mail.body.starts_with("Bonjour"), "{title}");
            assert!(
                !mail.body.contains("{{") && !mail.body.contains("{%"),
                "{title}"
            );
        }
    }

    #[test]
    fn a_registration_reads_as_before() {
        let mail = Registered {
            waiting: false,
            person: "Karim".into(),
            title: "Premiers pas".into(),
            when: "Mardi 8 décembre 2026, de 14:00 à 16:00".into(),
            place: "Médiathèque".into(),
            bring: Some("son téléphone".into()),
            token: "abc".into(),
            url: "https://m.exemple".into(),
        }
        .to("k@exemple.fr");
        assert_eq!(
            mail.map(|m| m.body),
            Some(
                "Bonjour Karim,\n\nVotre inscription est confirmée.\n\n« Premiers pas »\nMardi 8 décembre 2026, de 14:00 à 16:00\nLieu : Médiathèque\nÀ apporter : son téléphone\n\nPour annuler (et laisser la place à quelqu'un d'autre) : https://m.exemple/ateliers/annulation/abc\n\n— Maillage"
                    .to_string()
            )
        );
        let waiting = Registered {
            waiting: true,
            person: "Karim".into(),
            title: "Premiers pas".into(),
            when: String::new(),
            place: "Médiathèque".into(),
            bring: None,
            token: "abc".into(),
            url: "https://m.exemple".into(),
        }
        .to("k@exemple.fr");
        assert!(
            waiting.is_some_and(|m| m.subject == "Liste d'attente : « Premiers pas »"
                && m.body.contains("Lieu : Médiathèque\n\nPour annuler"))
        );
    }
}
