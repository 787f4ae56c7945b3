//! How long each personal datum is kept: every delay named once, with the words the privacy
//! page and the administration show. The defaults are the network's rules; an instance may
//! change a delay within its bounds (the adapter reads them from its configuration), and the
//! pages always say the delays in force.

/// A kind of personal datum with a keeping delay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kept {
    /// Sign-in sessions (only the hash of their token and the account's id).
    Sessions,
    /// Drafts of diagnostics taken alone, resumed with a code.
    TestDrafts,
    /// Followed persons (pseudonym, contact, diagnostics, profile), after their last passage.
    FollowedPersons,
    /// The e-mail address a reporter leaves, after the report is handled.
    ReportEmails,
    /// The addresses an update campaign wrote to, after the campaign is closed.
    CampaignEmails,
    /// Workshop registrations (first name, contact), after the workshop.
    Registrations,
    /// Which news items a subscriber received.
    WatchDeliveries,
    /// A referred person's data, after their journey closed (or last changed).
    Referrals,
    /// A mandate's person (name, contact, link) and what was done for them, after its end.
    Mandates,
    /// Who opened which followed person, diagnostic or mandate.
    AccessLog,
    /// A person's request about their data (access, erasure…), after it was answered.
    PersonRequests,
    /// What a network survey holds of persons (the referent given, free texts, the addresses
    /// its links were sent to), after the survey is closed.
    SurveyContacts,
}

/// The unit a delay is counted in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Hours,
    Days,
    Months,
}

impl Kept {
    pub const ALL: [Kept; 12] = [
        Kept::Sessions,
        Kept::TestDrafts,
        Kept::FollowedPersons,
        Kept::ReportEmails,
        Kept::CampaignEmails,
        Kept::Registrations,
        Kept::WatchDeliveries,
        Kept::Referrals,
        Kept::Mandates,
        Kept::AccessLog,
        Kept::PersonRequests,
        Kept::SurveyContacts,
    ];

    /// The configuration key (`MAILLAGE_CONSERVATION_<KEY>` with `-` as `_`).
    pub fn key(self) -> &'static str {
        match self {
            Kept::Sessions => "sessions",
            Kept::TestDrafts => "diagnostics-en-cours",
            Kept::FollowedPersons => "personnes-suivies",
            Kept::ReportEmails => "courriels-signalements",
            Kept::CampaignEmails => "courriels-campagnes",
            Kept::Registrations => "inscriptions-ateliers",
            Kept::WatchDeliveries => "envois-veille",
            Kept::Referrals => "orientations",
            Kept::Mandates => "mandats",
            Kept::AccessLog => "journal-consultations",
            Kept::PersonRequests => "demandes-droits",
            Kept::SurveyContacts => "enquetes-contacts",
        }
    }

    /// What is kept, in French.
    pub fn what(self) -> &'static str {
        match self {
            Kept::Sessions => "Sessions de connexion (empreinte du jeton, compte)",
            Kept::TestDrafts => "Réponses d'un diagnostic passé seul, en cours",
            Kept::FollowedPersons => {
                "Personnes suivies : prénom ou pseudonyme, contact, diagnostics, profil"
            }
            Kept::ReportEmails => "Adresse laissée en signalant une erreur sur une fiche",
            Kept::CampaignEmails => "Adresses écrites par une campagne de mise à jour",
            Kept::Registrations => "Inscriptions aux ateliers : prénom, contact",
            Kept::WatchDeliveries => "Nouvelles de la veille déjà envoyées à un abonné",
            Kept::Referrals => "Personne orientée : prénom, contact, demande, note",
            Kept::Mandates => {
                "Mandats : nom et contact de la personne, démarches, ce qui a été fait pour elle"
            }
            Kept::AccessLog => {
                "Journal des consultations : quel membre a ouvert quelle personne suivie, quel diagnostic, quel mandat"
            }
            Kept::PersonRequests => {
                "Demandes d'une personne sur ses données (accès, effacement…) : nom et contact donnés, suite donnée"
            }
            Kept::SurveyContacts => {
                "Enquêtes du réseau : référent donné, textes libres, adresses des liens envoyés"
            }
        }
    }

    /// From when the delay runs, in French.
    pub fn from_when(self) -> &'static str {
        match self {
            Kept::Sessions => "après la connexion",
            Kept::TestDrafts => "après le début du diagnostic",
            Kept::FollowedPersons => "après le dernier passage",
            Kept::ReportEmails => "après le traitement du signalement",
            Kept::CampaignEmails => "après la clôture de la campagne",
            Kept::Registrations => "après l'atelier",
            Kept::WatchDeliveries => "après l'envoi",
            Kept::Referrals => "après la fin du parcours (ou son dernier changement)",
            Kept::Mandates => "après la fin du mandat (durée écoulée ou révocation)",
            Kept::AccessLog => "après la consultation",
            Kept::PersonRequests => "après la réponse (le nom part dès l'effacement fait)",
            Kept::SurveyContacts => "après la clôture de l'enquête",
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            Kept::Sessions => Unit::Hours,
            Kept::Referrals => Unit::Months,
            _ => Unit::Days,
        }
    }

    /// The network's rule.
    pub fn default_value(self) -> i64 {
        match self {
            Kept::Sessions => 10,
            Kept::TestDrafts => 30,
            Kept::FollowedPersons => 730,
            Kept::ReportEmails => 30,
            Kept::CampaignEmails => 30,
            Kept::Registrations => 90,
            Kept::WatchDeliveries => 90,
            Kept::Referrals => 12,
            Kept::Mandates => 365,
            Kept::AccessLog => 180,
            Kept::PersonRequests => 365,
            Kept::SurveyContacts => 30,
        }
    }

    /// The values an instance may choose: long enough for the work the datum serves, never
    /// longer than the network's rule allows (three years at most for any of them).
    pub fn bounds(self) -> (i64, i64) {
        match self {
            Kept::Sessions => (1, 24),
            Kept::TestDrafts => (1, 90),
            Kept::FollowedPersons => (30, 1095),
            Kept::ReportEmails | Kept::CampaignEmails | Kept::SurveyContacts => (1, 90),
            Kept::Registrations => (1, 365),
            Kept::WatchDeliveries => (35, 365),
            Kept::Referrals => (1, 36),
            Kept::Mandates => (90, 1095),
            Kept::AccessLog => (30, 365),
            Kept::PersonRequests => (90, 1095),
        }
    }

    pub fn parse(key: &str) -> Option<Kept> {
        Kept::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// The delays in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    values: [i64; Kept::ALL.len()],
}

impl Default for Retention {
    fn default() -> Self {
        Retention {
            values: Kept::ALL.map(Kept::default_value),
        }
    }
}

fn index(kept: Kept) -> usize {
    Kept::ALL.iter().position(|k| *k == kept).unwrap_or(0)
}

/// A delay in French: « 10 heures », « 30 jours », « 2 ans », « 12 mois ».
pub fn phrase(value: i64, unit: Unit) -> String {
    let plural = |n: i64, one: &str, many: &str| {
        if n == 1 {
            format!("1 {one}")
        } else {
            format!("{n} {many}")
        }
    };
    match unit {
        Unit::Hours => plural(value, "heure", "heures"),
        Unit::Days if value >= 365 && value % 365 == 0 => plural(value / 365, "an", "ans"),
        Unit::Days => plural(value, "jour", "jours"),
        Unit::Months => plural(value, "mois", "mois"),
    }
}

impl Retention {
    /// The value of a delay, in its unit.
    pub fn value(&self, kept: Kept) -> i64 {
        self.values[index(kept)]
    }

    /// The delay as a duration (a month counted as 30 days).
    pub fn duration(&self, kept: Kept) -> chrono::Duration {
        let v = self.value(kept);
        match kept.unit() {
            Unit::Hours => chrono::Duration::hours(v),
            Unit::Days => chrono::Duration::days(v),
            Unit::Months => chrono::Duration::days(30 * v),
        }
    }

    /// The delay in French.
    pub fn phrase(&self, kept: Kept) -> String {
        phrase(self.value(kept), kept.unit())
    }

    /// Sets a delay from its text (a whole number in the delay's unit), within its bounds;
    /// otherwise why not, in French.
    pub fn set(&mut self, kept: Kept, text: &str) -> Result<(), String> {
        let (low, high) = kept.bounds();
        let unit = match kept.unit() {
            Unit::Hours => "heures",
            Unit::Days => "jours",
            Unit::Months => "mois",
        };
        match text.trim().parse::<i64>() {
            Ok(v) if (low..=high).contains(&v) => {
                self.values[index(kept)] = v;
                Ok(())
            }
            _ => Err(format!(
                "conservation « {} » : « {} » refusé, un nombre de {unit} entre {low} et {high} est attendu",
                kept.key(),
                text.trim()
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_defaults_are_the_networks_rules_and_within_their_bounds() {
        let r = Retention::default();
        for k in Kept::ALL {
            let (low, high) = k.bounds();
            assert!((low..=high).contains(&r.value(k)), "{k:?}");
            assert_eq!(Kept::parse(k.key()), Some(k));
        }
        assert_eq!(r.phrase(Kept::FollowedPersons), "2 ans");
        assert_eq!(r.phrase(Kept::Sessions), "10 heures");
        assert_eq!(r.phrase(Kept::Referrals), "12 mois");
        assert_eq!(r.phrase(Kept::Registrations), "90 jours");
        assert_eq!(r.duration(Kept::Sessions), chrono::Duration::hours(10));
    }

    #[test]
    fn a_delay_is_set_within_its_bounds_only() {
        let mut r = Retention::default();
        assert_eq!(r.set(Kept::FollowedPersons, " 365 "), Ok(()));
        assert_eq!(r.phrase(Kept::FollowedPersons), "1 an");
        assert!(r.set(Kept::FollowedPersons, "5000").is_err());
        assert!(r.set(Kept::FollowedPersons, "deux ans").is_err());
        assert!(r.set(Kept::Sessions, "0").is_err());
        assert_eq!(r.value(Kept::FollowedPersons), 365);
    }
}
