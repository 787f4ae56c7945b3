//! The register of processing activities (RGPD, article 30), declared once here: each kind of
//! personal datum Maillage holds, why, on what legal basis, about whom, who receives it, how long
//! it is kept (the delays of [`crate::retention`]) and in which tables. The administrators' page,
//! the Markdown export (`maillage export registre`) and the public privacy page are all written
//! from these declarations; a store test fails when a table is neither declared here nor listed
//! in [`NOT_PERSONAL`] with its reason.

use crate::retention::{Kept, Retention};

/// Why a processing is lawful (article 6.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegalBasis {
    /// 6.1.a — the person agreed, and may withdraw.
    Consent,
    /// 6.1.b — a contract with the person (the mandate, civil code art. 1984).
    Contract,
    /// 6.1.c — a legal obligation (answering a person's requests, articles 12 to 21).
    LegalObligation,
    /// 6.1.e — a task in the public interest (digital inclusion, France Services…).
    PublicTask,
    /// 6.1.f — the legitimate interest of the network (running the service, its security).
    LegitimateInterest,
}

impl LegalBasis {
    pub fn label(self) -> &'static str {
        match self {
            LegalBasis::Consent => "Consentement de la personne (art. 6.1.a)",
            LegalBasis::Contract => "Exécution d'un contrat : le mandat (art. 6.1.b)",
            LegalBasis::LegalObligation => {
                "Obligation légale : articles 12 à 21 du RGPD (art. 6.1.c)"
            }
            LegalBasis::PublicTask => "Mission d'intérêt public d'inclusion numérique (art. 6.1.e)",
            LegalBasis::LegitimateInterest => "Intérêt légitime du réseau (art. 6.1.f)",
        }
    }
}

/// One processing activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Processing {
    pub id: &'static str,
    pub name: &'static str,
    pub purpose: &'static str,
    pub basis: LegalBasis,
    /// Categories of data.
    pub data: &'static [&'static str],
    /// Categories of persons concerned.
    pub persons: &'static [&'static str],
    pub recipients: &'static [&'static str],
    /// The delays in force, in the order `{0}`, `{1}` name them in `keeping` and `public`.
    pub delays: &'static [Kept],
    /// How long it is kept, in words.
    pub keeping: &'static str,
    /// The tables that hold it.
    pub tables: &'static [&'static str],
    /// What the public privacy page says, in plain words.
    pub public: &'static str,
}

/// Tables that hold no personal datum, each with the reason.
pub const NOT_PERSONAL: &[(&str, &str)] = &[
    ("_sqlx_migrations", "l'état des migrations de la base"),
    ("organisations", "des structures (personnes morales)"),
    (
        "place_aliases",
        "les identifiants d'un lieu dans chaque source",
    ),
    ("questionnaires", "les questionnaires du réseau"),
    ("resource_files", "le contenu des fiches de la ressourcerie"),
    ("network_seeds", "le contenu initial déjà chargé"),
    ("request_catalogue", "le catalogue des demandes"),
    (
        "activity_changes",
        "la liste des comptes rendus changés (identifiants seuls) pour les statistiques",
    ),
    (
        "share_links",
        "les empreintes des liens publics vers des statistiques agrégées",
    ),
    (
        "impact_surveys",
        "des réponses anonymes au questionnaire avant/après",
    ),
    ("scheduled_jobs", "les passages des tâches périodiques"),
    (
        "unmet_requests",
        "des demandes sans réponse par commune, sans personne ni aidant",
    ),
    ("mandate_offers", "les démarches qu'une structure propose"),
    (
        "commune_indicators",
        "des statistiques publiques par commune (fragilité numérique), sans personne",
    ),
    (
        "survey_exchanges",
        "les échanges de matériel entre lieux suivis par le coordinateur (lieux, matériel, état)",
    ),
    (
        "pull_runs",
        "les rapports des moissons de sources : lieux créés ou modifiés, comptes, erreurs (données publiques de l'annuaire)",
    ),
    (
        "mandate_demarches",
        "les démarches couvertes par un mandat (identifiants seuls)",
    ),
    (
        "changes",
        "le fil des modifications de l'annuaire, du catalogue et des ressources (identifiants seuls, oublié après un jour)",
    ),
];

/// The register of this instance.
pub const REGISTER: &[Processing] = &[
    Processing {
        id: "comptes",
        name: "Comptes des membres du réseau",
        purpose: "Permettre aux aidants, coordinateurs et administrateurs de se connecter, de travailler pour leur structure ou leur territoire, et garder la trace de qui a fait quoi (imports, fusions, campagnes, publications).",
        basis: LegalBasis::LegitimateInterest,
        data: &[
            "nom affiché, adresse électronique",
            "empreinte du mot de passe (argon2), empreintes des jetons de session et des liens de réinitialisation",
            "structures et territoires, dates d'appartenance",
            "identifiant du compte auteur d'un import, d'une source moissonnée, d'une fusion, d'une campagne, d'une enquête, d'un atelier, d'une ressource ou d'une nouvelle",
        ],
        persons: &["membres du réseau (aidants, coordinateurs, administrateurs)"],
        recipients: &[
            "les administrateurs de l'instance",
            "les membres connectés (nom affiché)",
        ],
        delays: &[Kept::Sessions],
        keeping: "tant que le compte existe ; les sessions {0} après la connexion, les liens de réinitialisation une heure",
        tables: &[
            "users",
            "memberships",
            "coordinator_territories",
            "sessions",
            "password_resets",
            "imports",
            "pulled_sources",
            "merges",
            "duplicate_decisions",
            "campaigns",
            "surveys",
            "workshops",
            "resources",
            "news_items",
        ],
        public: "Les comptes des membres du réseau gardent un nom et une adresse électronique. Les mots de passe ne sont jamais conservés : seule une empreinte (argon2) l'est. Une session n'est conservée que par l'empreinte de son jeton ; elle expire après {0} et les sessions expirées sont purgées chaque heure. Depuis « Mon compte », vous changez votre mot de passe et fermez vos sessions sur tous vos appareils ; le lien « mot de passe oublié » vaut une heure et une seule fois. Aucune donnée personnelle ni aucun texte écrit par d'autres n'est écrit dans les journaux du serveur.",
    },
    Processing {
        id: "annuaire",
        name: "Référents des lieux de l'annuaire",
        purpose: "Dire aux membres du réseau qui joindre dans un lieu, et tenir l'annuaire à jour.",
        basis: LegalBasis::PublicTask,
        data: &["nom, fonction, adresse électronique et téléphone du référent d'un lieu"],
        persons: &["référents des lieux (professionnels et bénévoles)"],
        recipients: &[
            "les membres connectés du réseau (jamais les visiteurs ni les exports publics)",
        ],
        delays: &[],
        keeping: "tant que la fiche du lieu existe ou jusqu'à ce que le référent change",
        tables: &["places"],
        public: "L'annuaire décrit des lieux et des structures, pas des personnes. Le nom et le contact du référent d'un lieu, facultatifs, ne sont visibles que des membres connectés du réseau.",
    },
    Processing {
        id: "signalements",
        name: "Signalements d'erreurs sur une fiche",
        purpose: "Prévenir la personne qui a signalé une erreur quand elle est corrigée.",
        basis: LegalBasis::Consent,
        data: &[
            "adresse électronique laissée (facultative)",
            "message du signalement",
        ],
        persons: &["visiteurs qui signalent une erreur"],
        recipients: &["les membres de la structure du lieu et les coordinateurs de son territoire"],
        delays: &[Kept::ReportEmails],
        keeping: "l'adresse {0} après le traitement du signalement",
        tables: &["error_reports"],
        public: "Quand vous signalez une erreur sur une fiche, vous pouvez laisser votre adresse électronique pour être prévenu de la correction : elle ne sert qu'à cela, n'est visible de personne, et est effacée automatiquement {0} après le traitement du signalement.",
    },
    Processing {
        id: "campagnes",
        name: "Campagnes de mise à jour de l'annuaire",
        purpose: "Demander aux référents de confirmer ou corriger la fiche de leur lieu.",
        basis: LegalBasis::PublicTask,
        data: &[
            "adresse électronique écrite",
            "empreinte du lien personnel",
            "réponse",
        ],
        persons: &["référents des lieux"],
        recipients: &["les coordinateurs du territoire"],
        delays: &[Kept::CampaignEmails],
        keeping: "l'adresse {0} après la clôture de la campagne",
        tables: &["campaign_requests", "campaign_links"],
        public: "Pour les campagnes de mise à jour, Maillage écrit à l'adresse du référent d'un lieu (à défaut, à l'adresse publique du lieu). Le lien envoyé est personnel ; seule son empreinte est conservée. L'adresse utilisée est effacée {0} après la clôture de la campagne.",
    },
    Processing {
        id: "diagnostic",
        name: "Diagnostics et personnes suivies",
        purpose: "Évaluer avec la personne son niveau numérique sur une grille partagée, et suivre ses progrès quand elle le souhaite.",
        basis: LegalBasis::Consent,
        data: &[
            "réponses au questionnaire, niveau, observations de l'aidant",
            "pour une personne suivie : prénom ou pseudonyme, contact choisi, tranche d'âge, genre, situation, commune",
        ],
        persons: &["personnes accompagnées"],
        recipients: &["les seuls membres de la structure qui suit la personne"],
        delays: &[Kept::TestDrafts, Kept::FollowedPersons],
        keeping: "un diagnostic en cours {0} ; une personne suivie {1} après son dernier passage, ou à sa demande",
        tables: &["persons", "diagnostics", "diagnostic_drafts"],
        public: "Un diagnostic numérique est anonyme par défaut : au plus une tranche d'âge. Passé seul, sans compte, il se reprend avec un code dont seule l'empreinte est conservée ; les réponses en cours sont effacées après {0}. Une personne n'est suivie par une structure qu'avec son accord (un prénom ou un pseudonyme, un contact si elle le souhaite) ; seuls les membres de cette structure y ont accès, et ses données sont effacées {1} après son dernier passage, ou à sa demande. Elle peut aussi demander à les recevoir (export).",
    },
    Processing {
        id: "ateliers",
        name: "Inscriptions aux ateliers",
        purpose: "Réserver une place, confirmer, rappeler, prévenir d'une place libérée, noter la présence.",
        basis: LegalBasis::Consent,
        data: &["prénom ou pseudonyme", "contact facultatif", "présence"],
        persons: &["participants aux ateliers"],
        recipients: &["les membres de la structure qui organise l'atelier"],
        delays: &[Kept::Registrations],
        keeping: "{0} après l'atelier",
        tables: &["registrations"],
        public: "Pour s'inscrire à un atelier, un prénom ou un pseudonyme suffit ; le contact (téléphone ou courriel) est facultatif et sert à confirmer, rappeler ou prévenir d'une place libérée. Les inscriptions sont effacées {0} après l'atelier.",
    },
    Processing {
        id: "veille",
        name: "Veille des plateformes publiques",
        purpose: "Envoyer aux membres qui le demandent les nouvelles des plateformes qu'ils suivent.",
        basis: LegalBasis::Consent,
        data: &["plateformes suivies", "nouvelles déjà envoyées"],
        persons: &["membres abonnés"],
        recipients: &["personne d'autre que l'abonné"],
        delays: &[Kept::WatchDeliveries],
        keeping: "l'abonnement jusqu'au désabonnement ; les envois {0}",
        tables: &["watch_subscriptions", "watch_deliveries"],
        public: "La veille par courriel utilise l'adresse de votre compte (elle n'est pas recopiée) et la liste des plateformes que vous suivez ; le désabonnement efface l'abonnement. Maillage note quelles nouvelles vous ont été envoyées pour ne pas les renvoyer, et l'oublie après {0}. Pour orienter une personne, ce que l'aidant indique (demande, niveau, commune, disponibilités) sert à chercher les lieux et n'est enregistré nulle part ; la fiche envoyée par courriel à la personne ne garde pas son adresse.",
    },
    Processing {
        id: "orientations",
        name: "Orientations transmises à une structure partenaire",
        purpose: "Passer une personne à la structure qui peut l'aider, avec son accord, sans qu'elle ait à tout redire, et suivre la suite donnée.",
        basis: LegalBasis::Consent,
        data: &[
            "prénom ou pseudonyme, contact choisi",
            "demande, niveau, contraintes, courte note",
            "statuts et dates",
        ],
        persons: &["personnes orientées"],
        recipients: &[
            "les membres des deux structures concernées ; les coordinateurs ne voient que des chiffres agrégés",
        ],
        delays: &[Kept::Referrals],
        keeping: "{0} après la fin du parcours (ou son dernier changement) ; tout de suite si l'accord est retiré",
        tables: &["journeys", "referrals", "referral_events"],
        public: "Une orientation transmise à une structure partenaire ne part qu'avec l'accord de la personne (oral, confirmé par l'aidant, ou donné par elle-même avec un lien). Seuls un prénom ou un pseudonyme, le contact qu'elle choisit, sa demande, son niveau et une courte note sont transmis, visibles des seules deux structures. Si elle retire son accord, ce qui a été transmis est effacé des deux côtés ; sinon ses données le sont {0} après la fin de son parcours, ou après le dernier changement d'un parcours resté ouvert.",
    },
    Processing {
        id: "activite",
        name: "Comptes rendus d'activité",
        purpose: "Compter et décrire l'accompagnement (statistiques de la structure et du réseau, comme l'outil national).",
        basis: LegalBasis::PublicTask,
        data: &[
            "type, date, durée, thématiques, démarches",
            "lien vers une personne suivie",
            "notes privées de l'aidant",
            "instantané du calcul des statistiques (chiffres, identifiants et profil des personnes suivies, sans nom ni note), réécrit chaque heure",
        ],
        persons: &["personnes accompagnées", "aidants (auteurs)"],
        recipients: &[
            "les membres de la structure ; les notes à leur seul auteur ; des chiffres agrégés aux coordinateurs",
        ],
        delays: &[Kept::FollowedPersons],
        keeping: "les chiffres sans limite ; le lien à la personne et les textes libres effacés avec elle ({0} après son dernier passage)",
        tables: &["activities", "activity_persons", "cube_snapshot"],
        public: "Les notes d'un compte rendu d'activité ne sont lues que par leur auteur, y compris dans l'export des données d'une personne. Quand une personne suivie est effacée, les notes et les textes libres des comptes rendus qui la concernaient seule le sont aussi ; les chiffres restent, sans elle. Un lien public vers les statistiques d'une structure ne montre qu'une période d'au moins quatre semaines et regroupe tout effectif de moins de cinq personnes. Une ressource proposée garde le nom de la structure et du compte qui l'ont proposée, pour la relecture.",
    },
    Processing {
        id: "mandats",
        name: "Mandats : démarches faites à la place d'une personne",
        purpose: "Couvrir la personne et l'aidant quand une démarche est faite à sa place : ce qui est permis, pour combien de temps, ce qui a été fait ; prouver ce qui s'est passé.",
        basis: LegalBasis::Contract,
        data: &[
            "nom et contact de la personne, démarches, durée, manière dont elle a donné son accord, texte lu et son empreinte",
            "démarches faites (quoi, quand, par qui)",
            "empreinte du lien personnel",
            "habilitations des aidants (date de formation, qui l'a donnée)",
            "journal chaîné, sans identité de la personne",
        ],
        persons: &["personnes qui donnent mandat", "aidants habilités"],
        recipients: &["les membres de la structure mandatée ; la personne elle-même par son lien"],
        delays: &[Kept::Mandates],
        keeping: "{0} après la fin du mandat ; le journal, qui ne contient plus d'identité, reste",
        tables: &[
            "mandates",
            "mandate_acts",
            "person_links",
            "habilitations",
            "mandate_journal",
        ],
        public: "Quand une personne confie à une structure des démarches à faire à sa place, un mandat écrit le dit : son nom et le contact qu'elle choisit, les démarches couvertes, la durée, comment elle a donné son accord et le texte qu'elle a lu. Seuls les aidants habilités de cette structure l'utilisent ; chaque démarche faite pour elle est notée (quoi, quand, par qui). Avec son lien personnel, elle voit cette liste et peut arrêter le mandat à tout moment, seule. Aucun mot de passe n'est gardé. Le mandat et ce qui a été fait sont effacés {0} après sa fin ; le journal qui prouve ce qui s'est passé reste, sans son nom.",
    },
    Processing {
        id: "consultations",
        name: "Journal des consultations",
        purpose: "Savoir quel membre a ouvert la fiche d'une personne suivie, un diagnostic ou un mandat, pour que la structure puisse vérifier que seuls ceux qui en ont besoin y accèdent.",
        basis: LegalBasis::LegitimateInterest,
        data: &[
            "compte du membre, date et heure, objet ouvert (identifiant)",
            "référent données personnelles de la structure",
        ],
        persons: &["membres du réseau"],
        recipients: &["le référent données personnelles de la structure"],
        delays: &[Kept::AccessLog],
        keeping: "{0} après la consultation",
        tables: &["access_log", "data_referents"],
        public: "Chaque fois qu'un membre ouvre la fiche d'une personne suivie, un diagnostic ou un mandat, Maillage le note (qui, quand, quoi) ; le référent données personnelles de la structure peut le vérifier. Cette trace est effacée {0} après la consultation.",
    },
    Processing {
        id: "enquetes",
        name: "Enquêtes du réseau",
        purpose: "Connaître les besoins des partenaires (matériel, formation aux sites institutionnels, qui fait quoi) et les usages du public, pour le diagnostic du territoire ; mettre à jour la fiche d'un lieu quand sa structure le confirme.",
        basis: LegalBasis::PublicTask,
        data: &[
            "adresse électronique à laquelle le lien personnel est envoyé, empreinte du lien",
            "réponses d'un lieu, dont la personne référente donnée (nom, fonction, courriel, téléphone) et des textes libres",
            "réponses du public : anonymes, sans nom ni contact (textes libres facultatifs)",
        ],
        persons: &[
            "référents des lieux",
            "personnes qui répondent au questionnaire des usages",
        ],
        recipients: &["les coordinateurs du territoire (résultats agrégés, réponses des lieux)"],
        delays: &[Kept::SurveyContacts],
        keeping: "l'adresse, la personne référente et les textes libres {0} après la clôture de l'enquête ; les choix cochés, anonymes, restent pour les résultats",
        tables: &["survey_invitations", "survey_answers"],
        public: "Pour les enquêtes du réseau, Maillage envoie un lien personnel à l'adresse du référent d'un lieu (seule son empreinte est gardée). Le questionnaire des usages est anonyme. Une réponse ne change la fiche d'un lieu qu'une fois confirmée par sa structure. L'adresse, la personne référente et les textes libres sont effacés {0} après la clôture de l'enquête ; les choix cochés, anonymes, restent pour les résultats.",
    },
    Processing {
        id: "protection",
        name: "Protection du service contre les abus",
        purpose: "Ralentir qui essaie des mots de passe, et limiter les courriels, les codes de reprise, les réponses aux enquêtes et les travaux lourds qu'un même appareil ou une même adresse peut déclencher, quelle que soit l'instance du réseau qui répond.",
        basis: LegalBasis::LegitimateInterest,
        data: &[
            "empreintes (SHA-256) de l'adresse réseau d'un appareil, d'une adresse électronique ou d'un lien, avec l'heure de chaque tentative",
            "travaux longs en cours : titre, compte qui les a lancés, avancement et résultat",
        ],
        persons: &[
            "visiteurs du site et membres du réseau",
            "destinataires de courriels envoyés à la demande d'un visiteur",
        ],
        recipients: &["personne : seul le serveur les lit"],
        delays: &[],
        keeping: "les compteurs au plus un jour (une heure pour la plupart) ; les travaux une heure après leur fin",
        tables: &["limit_hits", "limit_failures", "running_work"],
        public: "Pour empêcher qu'on devine un mot de passe ou qu'on fasse envoyer des courriels en masse, Maillage compte les tentatives de chaque appareil et pour chaque adresse, sous forme d'empreintes qui ne laissent pas lire l'adresse. Ces compteurs sont effacés au plus tard un jour après la dernière tentative.",
    },
    Processing {
        id: "demandes",
        name: "Demandes des personnes sur leurs données",
        purpose: "Répondre dans le mois à une personne qui demande à voir, corriger, recevoir ou effacer ses données, ou qui s'oppose à leur traitement, et pouvoir montrer que c'est fait.",
        basis: LegalBasis::LegalObligation,
        data: &[
            "droit exercé, dates de réception et de réponse, suite donnée",
            "nom et contact donnés par la personne (retirés dès l'effacement fait)",
        ],
        persons: &["personnes accompagnées"],
        recipients: &["les membres de la structure qui reçoit la demande"],
        delays: &[Kept::PersonRequests],
        keeping: "{0} après la réponse ; le nom et le contact dès qu'un effacement est fait",
        tables: &["person_requests"],
        public: "Pour voir, corriger, recevoir ou faire effacer vos données, ou vous opposer à leur traitement, adressez-vous à la structure qui vous accompagne : votre demande est notée et traitée dans le mois ; un effacement l'est partout (diagnostics, orientations, comptes rendus, inscriptions, mandats). La trace de la demande est gardée {0} après la réponse, sans votre nom si vous avez demandé l'effacement.",
    },
];

/// Puts the delays in force in place of `{0}`, `{1}`…
fn with_delays(text: &str, delays: &[Kept], retention: &Retention) -> String {
    delays
        .iter()
        .enumerate()
        .fold(text.to_string(), |t, (i, k)| {
            t.replace(&format!("{{{i}}}"), &retention.phrase(*k))
        })
}

impl Processing {
    /// How long it is kept, with the delays in force.
    pub fn keeping_text(&self, retention: &Retention) -> String {
        with_delays(self.keeping, self.delays, retention)
    }

    /// The privacy page's paragraph, with the delays in force.
    pub fn public_text(&self, retention: &Retention) -> String {
        with_delays(self.public, self.delays, retention)
    }
}

/// Whether a table is declared (in a processing, or as holding nothing personal).
pub fn is_declared(table: &str) -> bool {
    REGISTER.iter().any(|p| p.tables.contains(&table))
        || NOT_PERSONAL.iter().any(|(t, _)| *t == table)
}

/// Every table named by the declarations.
pub fn declared_tables() -> Vec<&'static str> {
    REGISTER
        .iter()
        .flat_map(|p| p.tables.iter().copied())
        .chain(NOT_PERSONAL.iter().map(|(t, _)| *t))
        .collect()
}

/// The register in Markdown, as administrators export it.
pub fn markdown(retention: &Retention, instance: &str, on: chrono::NaiveDate) -> String {
    let mut out = format!(
        "# Registre des activités de traitement\n\n\
         Article 30 du règlement général sur la protection des données. Instance Maillage : {instance}. \
         Établi le {} à partir des déclarations du code (`maillage_domain::register`), avec les durées de conservation en vigueur.\n\n\
         Aucune donnée n'est transférée hors de l'Union européenne. Les données sont hébergées par l'opérateur de l'instance.\n",
        crate::french::date(on)
    );
    for p in REGISTER {
        out.push_str(&format!("\n## {}\n\n", p.name));
        let list = |items: &[&str]| items.join(" ; ");
        for (label, value) in [
            ("Finalité", p.purpose.to_string()),
            ("Base légale", p.basis.label().to_string()),
            ("Catégories de données", list(p.data)),
            ("Personnes concernées", list(p.persons)),
            ("Destinataires", list(p.recipients)),
            ("Durée de conservation", p.keeping_text(retention)),
            (
                "Tables",
                p.tables
                    .iter()
                    .map(|t| format!("`{t}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
        ] {
            out.push_str(&format!("- **{label}** : {}\n", value.replace('\n', " ")));
        }
    }
    out.push_str(
        "\n## Mesures de sécurité\n\n\
         - Chaque action est autorisée par une seule règle (structure, territoire, rôle), la même pour les pages, l'API et la ligne de commande ; les données d'une personne restent dans la structure qui les a recueillies.\n\
         - Mots de passe en empreinte argon2 ; jetons de session et liens personnels conservés par leur empreinte seule.\n\
         - Textes libres masqués de ce qui ressemble à un mot de passe, un NIR, un IBAN ou un numéro de carte avant d'être enregistrés.\n\
         - Journal des mandats en ajout seul, chaîné par empreintes et vérifiable (`maillage journal verifier`).\n\
         - Aucune donnée personnelle dans les journaux du serveur ; chaque donnée personnelle a sa date d'effacement, appliquée chaque heure.\n",
    );
    out.push_str("\n## Tables sans donnée personnelle\n\n");
    for (t, why) in NOT_PERSONAL {
        out.push_str(&format!("- `{t}` : {why}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_delay_is_used_and_every_placeholder_filled() {
        let r = Retention::default();
        for p in REGISTER {
            for text in [p.keeping_text(&r), p.public_text(&r)] {
                assert!(!text.contains('{'), "{} : {text}", p.id);
            }
        }
        // Every keeping delay of the instance belongs to a declared processing.
        for k in Kept::ALL {
            assert!(
                REGISTER.iter().any(|p| p.delays.contains(&k)),
                "{k:?} sans traitement"
            );
        }
    }

    #[test]
    fn a_table_is_declared_once() {
        let mut all = declared_tables();
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), n, "une table déclarée deux fois");
    }

    #[test]
    fn the_markdown_names_each_processing_with_its_delay() {
        let md = markdown(
            &Retention::default(),
            "https://maillage.example",
            chrono::NaiveDate::from_ymd_opt(2026, 12, 4).expect("date"),
        );
        assert!(md.starts_with("# Registre des activités de traitement"));
        for p in REGISTER {
            assert!(md.contains(&format!("## {}", p.name)));
        }
        assert!(md.contains("1 an après la fin du mandat"));
        assert!(md.contains("`mandate_journal`"));
    }
}
