//! The texts a person agrees to where consent is the legal basis (RGPD art. 6.1.a, issue #19):
//! to be followed by a structure, to register for a workshop, to have a request passed on to
//! another structure. Each text is versioned: a consent records the version it was given
//! with, a text is never edited in place — a new wording is a new version, the old ones stay
//! here so that what a person agreed to can always be shown again (a test freezes each
//! version's fingerprint). Mandates keep their own text (`crate::mandates::text`).

use sha2::{Digest, Sha256};

/// What a person agrees to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Be followed by the structure (diagnostics, activity records under a first name).
    FollowedPerson,
    /// Register for a workshop, with a contact if they want reminders.
    Registration,
    /// Have a request passed on to another structure (an orientation).
    Referral,
}

/// One version of the text shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Notice {
    pub purpose: Purpose,
    pub version: u32,
    pub text: &'static str,
}

impl Notice {
    /// SHA-256 of the text, in hexadecimal (what the freezing test compares).
    pub fn fingerprint(&self) -> String {
        format!("{:x}", Sha256::digest(self.text.as_bytes()))
    }
}

/// Every version of every text, oldest first within a purpose.
pub const NOTICES: [Notice; 3] = [
    Notice {
        purpose: Purpose::FollowedPerson,
        version: 1,
        text: "J'accepte que la structure me suive : elle garde mon prénom, ce que je lui dis de \
               moi (âge, situation, commune), mes diagnostics et les aides reçues, pour suivre \
               mes progrès. C'est gardé 2 ans au plus après mon dernier passage. Je peux demander \
               à tout voir ou à tout effacer, à tout moment.",
    },
    Notice {
        purpose: Purpose::Registration,
        version: 1,
        text: "En m'inscrivant, j'accepte que la structure garde mon prénom et, si je le donne, \
               mon téléphone ou mon courriel, pour me confirmer l'inscription, me rappeler la \
               séance ou me prévenir si une place se libère. C'est effacé 90 jours après \
               l'atelier ; je peux me désinscrire à tout moment.",
    },
    Notice {
        purpose: Purpose::Referral,
        version: 1,
        text: "J'accepte que ma demande soit transmise à la structure choisie avec moi : mon \
               prénom, le contact que je donne, ma demande et une courte note de l'aidant, rien \
               d'autre. Je peux retirer mon accord à tout moment : ce qui a été transmis est \
               alors effacé.",
    },
];

impl Purpose {
    pub const ALL: [Purpose; 3] = [
        Purpose::FollowedPerson,
        Purpose::Registration,
        Purpose::Referral,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Purpose::FollowedPerson => "Être suivie par une structure",
            Purpose::Registration => "S'inscrire à un atelier",
            Purpose::Referral => "Être orientée vers une autre structure",
        }
    }

    /// The text shown today (the newest version).
    pub fn current(self) -> Notice {
        NOTICES
            .iter()
            .rev()
            .find(|n| n.purpose == self)
            .copied()
            .unwrap_or(Notice {
                purpose: self,
                version: 0,
                text: "",
            })
    }

    /// The text of a version, as it was shown.
    pub fn version(self, version: u32) -> Option<Notice> {
        NOTICES
            .iter()
            .find(|n| n.purpose == self && n.version == version)
            .copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A text already agreed to never changes: change the wording by adding a version.
    const FROZEN: [(Purpose, u32, &str); 3] = [
        (
            Purpose::FollowedPerson,
            1,
            "e6660b2b8e73a27b0888042b65368f4dec9d0c6a2b8e4c546a70c108caaeeb8f",
        ),
        (
            Purpose::Registration,
            1,
            "f2f71a34c30deb5443a5f66c4b0ee6d3d889804091bb8bbbf2f2a78c9a006746",
        ),
        (
            Purpose::Referral,
            1,
            "1cb57555145b797d7536cdd0f5c5f0bcc5f01535002f293a04b8eb5a5fc02aca",
        ),
    ];

    #[test]
    fn texts_agreed_to_are_frozen() {
        for (purpose, version, fingerprint) in FROZEN {
            let notice = purpose.version(version).expect("version connue");
            assert_eq!(
                notice.fingerprint(),
                fingerprint,
                "le texte {version} de « {} » a changé : ajoutez une version au lieu de le modifier",
                purpose.label()
            );
        }
        // Every version is frozen, and versions of a purpose follow each other from 1.
        assert_eq!(FROZEN.len(), NOTICES.len());
        for purpose in Purpose::ALL {
            let versions: Vec<u32> = NOTICES
                .iter()
                .filter(|n| n.purpose == purpose)
                .map(|n| n.version)
                .collect();
            assert_eq!(versions, (1..=versions.len() as u32).collect::<Vec<_>>());
            assert_eq!(purpose.current().version, versions.len() as u32);
        }
    }

    #[test]
    fn texts_say_how_long_and_how_to_stop() {
        for n in NOTICES {
            assert!(n.text.starts_with("J'accepte") || n.text.starts_with("En m'inscrivant"));
            assert!(n.text.contains("effac"), "{:?}", n.purpose);
            assert!(n.text.chars().count() < 400, "court : {:?}", n.purpose);
        }
    }
}
