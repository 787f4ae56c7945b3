//! Authorisation: who may do what, in one place. Pages, API and CLI all ask [`authorize`];
//! the rules are tested as a matrix (role × action × ownership) below.
//!
//! - everyone, signed in or not, reads and searches the directory and exports it;
//! - a helper who is a member of an organisation (membership dated, in force today) creates and
//!   edits that organisation's places;
//! - a coordinator creates, edits, deletes and imports the places of their territory
//!   (départements or communes) and manages the organisations there;
//! - an administrator does everything, including accounts and roles.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Part of a coordinator's territory.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "code", rename_all = "snake_case")]
pub enum TerritoryUnit {
    Departement(String),
    Commune(String),
}

impl TerritoryUnit {
    /// Parses `"13"`, `"2A"`, `"971"` (département) or a 5-character INSEE code (commune).
    pub fn parse(code: &str) -> Option<Self> {
        let c = code.trim().to_ascii_uppercase();
        match c.len() {
            2 | 3 if c.chars().all(|x| x.is_ascii_alphanumeric()) => Some(Self::Departement(c)),
            5 => crate::fields::insee_code(&c).ok().map(Self::Commune),
            _ => None,
        }
    }

    pub fn code(&self) -> &str {
        match self {
            Self::Departement(c) | Self::Commune(c) => c,
        }
    }

    fn covers(&self, loc: &Location) -> bool {
        match self {
            Self::Departement(d) => loc.departement.as_deref() == Some(d.as_str()),
            Self::Commune(c) => loc.insee_code.as_deref() == Some(c.as_str()),
        }
    }
}

/// A dated membership of a helper in an organisation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub organisation_id: String,
    pub since: NaiveDate,
    pub until: Option<NaiveDate>,
}

impl Membership {
    pub fn in_force(&self, today: NaiveDate) -> bool {
        self.since <= today && self.until.is_none_or(|u| today <= u)
    }
}

/// Who is acting, with everything the rules need.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Actor {
    pub user_id: String,
    pub administrator: bool,
    /// Empty for a user who coordinates nothing.
    pub territory: Vec<TerritoryUnit>,
    pub memberships: Vec<Membership>,
}

impl Actor {
    pub fn is_coordinator(&self) -> bool {
        !self.territory.is_empty()
    }

    pub fn member_of(&self, organisation_id: &str, today: NaiveDate) -> bool {
        self.memberships
            .iter()
            .any(|m| m.organisation_id == organisation_id && m.in_force(today))
    }

    pub fn coordinates(&self, loc: &Location) -> bool {
        self.territory.iter().any(|t| t.covers(loc))
    }

    /// A short French description of the role, for pages.
    pub fn role_label(&self) -> &'static str {
        if self.administrator {
            "administrateur"
        } else if self.is_coordinator() {
            "coordinateur"
        } else if !self.memberships.is_empty() {
            "aidant membre d'une structure"
        } else {
            "aidant"
        }
    }
}

/// Where a place is and who runs it: what ownership rules look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Location {
    pub organisation_id: Option<String>,
    pub insee_code: Option<String>,
    pub departement: Option<String>,
}

/// What someone wants to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    ReadDirectory,
    ExportDirectory,
    /// Create a place at this location (organisation and commune of the new place).
    CreatePlace(Location),
    UpdatePlace(Location),
    DeletePlace(Location),
    /// Import a file of places (each row is then checked with `CreatePlace`/`UpdatePlace`).
    ImportPlaces,
    ManageOrganisation(Location),
    ManageAccounts,
    /// See the queue of likely duplicates (coordinators; each pair is then checked).
    ReviewDuplicates,
    /// See the quality of the directory of one's territory (freshness, completeness).
    ReviewQuality,
    /// Merge, mark "not a duplicate" or undo a merge for a place at this location.
    ResolveDuplicate(Location),
    /// Start an update campaign over one's territory, follow it, send reminders, close it.
    /// (Answering a campaign needs no account: the personal link is the permission, checked by
    /// [`crate::campaigns::check_link`].)
    RunCampaign,
    /// Record a diagnostic for an organisation, or read and erase the diagnostics and followed
    /// persons of that organisation: its members only — personal data stay within the
    /// structure that collected them (administrators and coordinators included only when
    /// members).
    HandlePersons {
        organisation_id: String,
    },
    /// See the helpers' part of a place: its referent (name, role, e-mail, phone), its
    /// structure and provenance — signed-in members of the network only, on the page, in the
    /// API and in every export alike.
    ReadHelpersPart,
    /// Adapt the network's questionnaires (a new version: wording, added questions).
    EditQuestionnaires,
    /// Publish, edit or delete a workshop of a structure at a location, see its registrations
    /// and take attendance: the structure's members and the territory's coordinators.
    ManageWorkshop(Location),
    /// See a workshop's registrations (first names, contacts), take attendance, cancel a
    /// registration: the members of the workshop's structure only — personal data stay within
    /// the structure that collected them (coordinators and administrators included only when
    /// members). A workshop of no structure: whoever manages it.
    HandleRegistrations(Location),
    /// Propose a resource to the library: members of a structure and coordinators (a
    /// coordinator's proposal is published at once).
    ProposeResource,
    /// Edit a resource proposed by this structure (`None`: proposed by no structure, e.g. the
    /// initial content): its members, and the coordinators who publish.
    EditResource {
        organisation_id: Option<String>,
    },
    /// Publish, refuse or delete resources, see the dead links: the coordinators.
    PublishResources,
    /// Post, edit or delete an item of the watch on public platforms: the coordinators.
    PostNews,
    /// Subscribe to the watch's digests: anyone signed in.
    SubscribeWatch,
    /// See the analysis of a territory (coverage of the offer, and later fragility, needs,
    /// surveys — issue #20): anyone signed in. It reads public data (the directory, official
    /// populations) and aggregates; the work of a large zone stays behind an account.
    ViewTerritory,
    /// Import communes' indicators (digital fragility, population aged 15 and over): the
    /// coordinators and administrators — the figures are the whole network's.
    ImportIndicators,
    /// Run the network's surveys (seed 002): start one over the places of one's territory,
    /// send the personal links, read the results, follow the exchanges of equipment, close it —
    /// the coordinators (each place checked against their territory by the service).
    RunSurvey,
    /// Type in a paper answer to a survey for this place: its structure's members and the
    /// coordinators of its territory (the same rule as editing the place).
    EnterSurveyAnswer(Location),
    /// Let a survey's answer update the place's entry (wifi, step-free access, fields of
    /// intervention, referent): the place's structure — its members, or its personal link —
    /// and, for a place no structure holds, the coordinators of its territory.
    ConfirmSurveyChanges(Location),
    /// Look for the places that answer a request: everyone (nothing about the person is kept).
    Orient,
    /// Edit the catalogue of common requests: the coordinators.
    EditCatalogue,
    /// Send a referral on behalf of this structure: its members only (the person's data leave
    /// with the structure that collected them).
    SendReferral {
        organisation_id: String,
    },
    /// Read a referral sent or received by this structure and answer it: its members only.
    HandleReferral {
        organisation_id: String,
    },
    /// See the network's flows of referrals, aggregated (no person's data): the coordinators.
    ViewFlows,
    /// Record, edit, duplicate or delete this structure's activity records, see its followed
    /// persons' timelines and import past records: its members only.
    RecordActivity {
        organisation_id: String,
    },
    /// Read the private notes of a record: its author only.
    ReadActivityNotes {
        author_id: Option<String>,
    },
    /// See the aggregated statistics of a structure (no person's data): its members, the
    /// coordinators of its territory, administrators.
    ViewStatistics(Location),
    /// Give out or revoke the public link to a structure's statistics, and the link to its
    /// before/after survey: its members.
    ShareStatistics {
        organisation_id: String,
    },
    /// Grant or withdraw a helper's habilitation to record and use mandates for the structure at
    /// this location: the coordinators of its territory and administrators.
    GrantHabilitation(Location),
    /// Record a mandate for this structure, or act under one: its members who hold an active
    /// habilitation (administrators and coordinators included only when both).
    ActUnderMandate {
        organisation_id: String,
        habilitated: bool,
    },
    /// See this structure's mandates and what was done under them, print their attestations,
    /// revoke one (at the person's request or the structure's): its members.
    ReadMandates {
        organisation_id: String,
    },
    /// Verify the journal of mandates as a whole: administrators (operators).
    VerifyJournal,
    /// Name the member of a structure who is its referent for personal data: the coordinators
    /// of its territory and administrators.
    AppointDataReferent(Location),
    /// Read who opened which followed person, diagnostic or mandate of this structure: its
    /// referent for personal data, while a member.
    ReadAccessLog {
        organisation_id: String,
        referent: bool,
    },
}

/// The answer, with the reason in French when refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// Not signed in: sign in first.
    SignInRequired,
    Deny(&'static str),
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allow)
    }
}

/// The single authorisation rule of Maillage.
pub fn authorize(actor: Option<&Actor>, action: &Action, today: NaiveDate) -> Decision {
    use Action::*;
    match action {
        ReadDirectory | ExportDirectory | Orient => return Decision::Allow,
        _ => {}
    }
    let Some(actor) = actor else {
        return Decision::SignInRequired;
    };
    if let HandlePersons { organisation_id } = action {
        return if actor.member_of(organisation_id, today) {
            Decision::Allow
        } else {
            Decision::Deny("seuls les membres de la structure qui suit la personne y ont accès")
        };
    }
    // Records hold links to followed persons: they stay within the structure, administrators
    // included unless members.
    if let RecordActivity { organisation_id } | ShareStatistics { organisation_id } = action {
        return if actor.member_of(organisation_id, today) {
            Decision::Allow
        } else {
            Decision::Deny("réservé aux membres de la structure")
        };
    }
    if let ReadActivityNotes { author_id } = action {
        return if author_id.as_deref() == Some(actor.user_id.as_str()) {
            Decision::Allow
        } else {
            Decision::Deny("les notes d'un compte rendu ne sont lues que par leur auteur")
        };
    }
    if let SendReferral { organisation_id } | HandleReferral { organisation_id } = action {
        return if actor.member_of(organisation_id, today) {
            Decision::Allow
        } else {
            Decision::Deny(
                "seuls les membres des structures concernées par l'orientation y ont accès",
            )
        };
    }
    if let ReadHelpersPart = action {
        return Decision::Allow;
    }
    // Mandates bind a person and a structure: its members only, administrators included only
    // when members; acting needs a habilitation on top.
    if let ReadMandates { organisation_id } = action {
        return if actor.member_of(organisation_id, today) {
            Decision::Allow
        } else {
            Decision::Deny("les mandats ne sont vus que par les membres de la structure mandatée")
        };
    }
    if let ReadAccessLog {
        organisation_id,
        referent,
    } = action
    {
        return if actor.member_of(organisation_id, today) && *referent {
            Decision::Allow
        } else {
            Decision::Deny(
                "le journal des consultations est lu par le référent données personnelles de la structure",
            )
        };
    }
    if let ActUnderMandate {
        organisation_id,
        habilitated,
    } = action
    {
        return if !actor.member_of(organisation_id, today) {
            Decision::Deny("les mandats ne sont vus que par les membres de la structure mandatée")
        } else if !habilitated {
            Decision::Deny(
                "seuls les aidants habilités de la structure enregistrent et utilisent des mandats : demandez l'habilitation à votre coordinateur",
            )
        } else {
            Decision::Allow
        };
    }
    if let HandleRegistrations(loc) = action {
        return match &loc.organisation_id {
            Some(o) if actor.member_of(o, today) => Decision::Allow,
            Some(_) => Decision::Deny(
                "les inscrits d'un atelier ne sont vus que par les membres de la structure qui l'organise",
            ),
            None => authorize(Some(actor), &ManageWorkshop(loc.clone()), today),
        };
    }
    // What a survey's answer changes on a place's entry: its structure says yes, administrators
    // included only when members; a place no structure holds, its territory's coordinators.
    if let ConfirmSurveyChanges(loc) = action
        && let Some(o) = &loc.organisation_id
    {
        return if actor.member_of(o, today) {
            Decision::Allow
        } else {
            Decision::Deny("seule la structure du lieu confirme ce qui change sur sa fiche")
        };
    }
    if actor.administrator {
        return Decision::Allow;
    }
    let a_member = actor.memberships.iter().any(|m| m.in_force(today));
    match action {
        ReadDirectory | ExportDirectory | Orient => Decision::Allow,
        CreatePlace(loc) | UpdatePlace(loc) | ManageWorkshop(loc) | EnterSurveyAnswer(loc) => {
            let member = loc
                .organisation_id
                .as_deref()
                .is_some_and(|o| actor.member_of(o, today));
            if member || actor.coordinates(loc) {
                Decision::Allow
            } else {
                Decision::Deny(
                    "ce lieu n'appartient ni à une de vos structures ni à votre territoire",
                )
            }
        }
        DeletePlace(loc) | ManageOrganisation(loc) => {
            if actor.coordinates(loc) {
                Decision::Allow
            } else {
                Decision::Deny("seul un coordinateur du territoire peut faire cela")
            }
        }
        ImportPlaces => {
            if actor.is_coordinator() {
                Decision::Allow
            } else {
                Decision::Deny("l'import de fichiers est réservé aux coordinateurs")
            }
        }
        ReviewDuplicates => {
            if actor.is_coordinator() {
                Decision::Allow
            } else {
                Decision::Deny("la revue des doublons est réservée aux coordinateurs")
            }
        }
        ImportIndicators => {
            if actor.is_coordinator() {
                Decision::Allow
            } else {
                Decision::Deny(
                    "l'import des indicateurs des communes est réservé aux coordinateurs",
                )
            }
        }
        ReviewQuality => {
            if actor.is_coordinator() {
                Decision::Allow
            } else {
                Decision::Deny("le suivi de la qualité de l'annuaire est réservé aux coordinateurs")
            }
        }
        RunCampaign => {
            if actor.is_coordinator() {
                Decision::Allow
            } else {
                Decision::Deny("les campagnes de mise à jour sont réservées aux coordinateurs")
            }
        }
        ConfirmSurveyChanges(loc) => {
            if actor.coordinates(loc) {
                Decision::Allow
            } else {
                Decision::Deny("seule la structure du lieu confirme ce qui change sur sa fiche")
            }
        }
        RunSurvey => {
            if actor.is_coordinator() {
                Decision::Allow
            } else {
                Decision::Deny("les enquêtes du réseau sont conduites par les coordinateurs")
            }
        }
        ResolveDuplicate(loc) => {
            if actor.coordinates(loc) {
                Decision::Allow
            } else {
                Decision::Deny("ce lieu n'est pas dans votre territoire")
            }
        }
        ManageAccounts => Decision::Deny("la gestion des comptes est réservée aux administrateurs"),
        ReadHelpersPart => Decision::Allow,
        HandleRegistrations(_) => Decision::Deny("réservé aux membres de la structure"),
        HandlePersons { .. } => Decision::Deny("réservé aux membres de la structure"),
        EditQuestionnaires => {
            if actor.is_coordinator() {
                Decision::Allow
            } else {
                Decision::Deny("les questionnaires du réseau sont adaptés par ses coordinateurs")
            }
        }
        ProposeResource => {
            if a_member || actor.is_coordinator() {
                Decision::Allow
            } else {
                Decision::Deny(
                    "proposer une ressource est ouvert aux membres d'une structure du réseau",
                )
            }
        }
        EditResource { organisation_id } => {
            let own = organisation_id
                .as_deref()
                .is_some_and(|o| actor.member_of(o, today));
            if own || actor.is_coordinator() {
                Decision::Allow
            } else {
                Decision::Deny("cette ressource a été proposée par une autre structure")
            }
        }
        PublishResources => {
            if actor.is_coordinator() {
                Decision::Allow
            } else {
                Decision::Deny("la publication des ressources est réservée aux coordinateurs")
            }
        }
        PostNews => {
            if actor.is_coordinator() {
                Decision::Allow
            } else {
                Decision::Deny("les nouvelles de la veille sont publiées par les coordinateurs")
            }
        }
        SubscribeWatch | ViewTerritory => Decision::Allow,
        SendReferral { .. } | HandleReferral { .. } => {
            Decision::Deny("réservé aux membres des structures concernées")
        }
        EditCatalogue => {
            if actor.is_coordinator() {
                Decision::Allow
            } else {
                Decision::Deny("le catalogue des demandes est tenu par les coordinateurs")
            }
        }
        ViewFlows => {
            if actor.is_coordinator() {
                Decision::Allow
            } else {
                Decision::Deny("les flux d'orientation du réseau sont suivis par les coordinateurs")
            }
        }
        RecordActivity { .. } | ShareStatistics { .. } | ReadActivityNotes { .. } => {
            Decision::Deny("réservé aux membres de la structure")
        }
        GrantHabilitation(loc) | AppointDataReferent(loc) => {
            if actor.coordinates(loc) {
                Decision::Allow
            } else {
                Decision::Deny(
                    "les habilitations sont données par les coordinateurs du territoire de la structure",
                )
            }
        }
        ReadMandates { .. } | ActUnderMandate { .. } | ReadAccessLog { .. } => {
            Decision::Deny("réservé aux membres de la structure")
        }
        VerifyJournal => {
            Decision::Deny("la vérification du journal est réservée aux administrateurs")
        }
        ViewStatistics(loc) => {
            let member = loc
                .organisation_id
                .as_deref()
                .is_some_and(|o| actor.member_of(o, today));
            if member || actor.administrator || actor.coordinates(loc) {
                Decision::Allow
            } else {
                Decision::Deny(
                    "les statistiques d'une structure sont vues par ses membres et les coordinateurs de son territoire",
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn today() -> NaiveDate {
        day("2026-11-22")
    }

    #[derive(Clone, Copy, Debug)]
    enum Who {
        Anonymous,
        Helper,
        Member,
        FormerMember,
        Coordinator,
        OtherCoordinator,
        Admin,
    }

    impl Who {
        const ALL: [Who; 7] = [
            Who::Anonymous,
            Who::Helper,
            Who::Member,
            Who::FormerMember,
            Who::Coordinator,
            Who::OtherCoordinator,
            Who::Admin,
        ];
    }

    fn actor(who: Who) -> Option<Actor> {
        let base = Actor {
            user_id: "u".into(),
            ..Default::default()
        };
        let membership = |until| Membership {
            organisation_id: "org-1".into(),
            since: day("2025-01-01"),
            until,
        };
        match who {
            Who::Anonymous => None,
            Who::Helper => Some(base),
            Who::Member => Some(Actor {
                memberships: vec![membership(None)],
                ..base
            }),
            Who::FormerMember => Some(Actor {
                memberships: vec![membership(Some(day("2026-06-30")))],
                ..base
            }),
            Who::Coordinator => Some(Actor {
                territory: vec![TerritoryUnit::Departement("84".into())],
                ..base
            }),
            Who::OtherCoordinator => Some(Actor {
                territory: vec![TerritoryUnit::Commune("13055".into())],
                ..base
            }),
            Who::Admin => Some(Actor {
                administrator: true,
                ..base
            }),
        }
    }

    /// A place of org-1 in Avignon (84), and a place of another organisation elsewhere.
    fn own() -> Location {
        Location {
            organisation_id: Some("org-1".into()),
            insee_code: Some("84007".into()),
            departement: Some("84".into()),
        }
    }
    fn foreign() -> Location {
        Location {
            organisation_id: Some("org-2".into()),
            insee_code: Some("69123".into()),
            departement: Some("69".into()),
        }
    }

    #[test]
    fn authorisation_matrix() {
        use Who::*;
        // (who, [read, export, create own, update own, update foreign, delete own, import, manage org own, accounts, review duplicates, resolve duplicate own, resolve duplicate foreign, review quality, run campaign, persons of org-1, edit questionnaires])
        let expected: [(Who, [bool; 16]); 7] = [
            (
                Anonymous,
                [
                    true, true, false, false, false, false, false, false, false, false, false,
                    false, false, false, false, false,
                ],
            ),
            (
                Helper,
                [
                    true, true, false, false, false, false, false, false, false, false, false,
                    false, false, false, false, false,
                ],
            ),
            (
                Member,
                [
                    true, true, true, true, false, false, false, false, false, false, false, false,
                    false, false, true, false,
                ],
            ),
            (
                FormerMember,
                [
                    true, true, false, false, false, false, false, false, false, false, false,
                    false, false, false, false, false,
                ],
            ),
            (
                Coordinator,
                [
                    true, true, true, true, false, true, true, true, false, true, true, false,
                    true, true, false, true,
                ],
            ),
            (
                OtherCoordinator,
                [
                    true, true, false, false, false, false, true, false, false, true, false, false,
                    true, true, false, true,
                ],
            ),
            (
                Admin,
                [
                    true, true, true, true, true, true, true, true, true, true, true, true, true,
                    true, false, true,
                ],
            ),
        ];
        for (who, want) in expected {
            let a = actor(who);
            let actions = [
                Action::ReadDirectory,
                Action::ExportDirectory,
                Action::CreatePlace(own()),
                Action::UpdatePlace(own()),
                Action::UpdatePlace(foreign()),
                Action::DeletePlace(own()),
                Action::ImportPlaces,
                Action::ManageOrganisation(own()),
                Action::ManageAccounts,
                Action::ReviewDuplicates,
                Action::ResolveDuplicate(own()),
                Action::ResolveDuplicate(foreign()),
                Action::ReviewQuality,
                Action::RunCampaign,
                Action::HandlePersons {
                    organisation_id: "org-1".into(),
                },
                Action::EditQuestionnaires,
            ];
            for (action, allowed) in actions.iter().zip(want) {
                let d = authorize(a.as_ref(), action, today());
                assert_eq!(d.is_allowed(), allowed, "{who:?} {action:?} → {d:?}");
            }
        }
    }

    #[test]
    fn registrations_stay_with_the_structure_that_organises() {
        use Who::*;
        let of_org = Action::HandleRegistrations(own());
        for (who, allowed) in [
            (Member, true),
            (FormerMember, false),
            (Helper, false),
            (Coordinator, false),
            (OtherCoordinator, false),
            (Admin, false),
        ] {
            let a = actor(who);
            assert_eq!(
                authorize(a.as_ref(), &of_org, today()).is_allowed(),
                allowed,
                "{who:?}"
            );
        }
        assert_eq!(authorize(None, &of_org, today()), Decision::SignInRequired);
    }

    #[test]
    fn the_helpers_part_of_a_place_is_for_signed_in_members_only() {
        use Who::*;
        assert_eq!(
            authorize(None, &Action::ReadHelpersPart, today()),
            Decision::SignInRequired
        );
        for who in [Helper, Coordinator, OtherCoordinator, Admin] {
            let a = actor(who);
            assert!(authorize(a.as_ref(), &Action::ReadHelpersPart, today()).is_allowed());
        }
    }

    #[test]
    fn library_and_watch_matrix() {
        use Who::*;
        // (who, [propose resource, edit own-structure resource, edit other structure's
        // resource, edit initial content, publish resources, post news, subscribe watch])
        let expected: [(Who, [bool; 7]); 7] = [
            (Anonymous, [false, false, false, false, false, false, false]),
            (Helper, [false, false, false, false, false, false, true]),
            (Member, [true, true, false, false, false, false, true]),
            (
                FormerMember,
                [false, false, false, false, false, false, true],
            ),
            (Coordinator, [true, true, true, true, true, true, true]),
            (OtherCoordinator, [true, true, true, true, true, true, true]),
            (Admin, [true, true, true, true, true, true, true]),
        ];
        for (who, want) in expected {
            let a = actor(who);
            let actions = [
                Action::ProposeResource,
                Action::EditResource {
                    organisation_id: Some("org-1".into()),
                },
                Action::EditResource {
                    organisation_id: Some("org-2".into()),
                },
                Action::EditResource {
                    organisation_id: None,
                },
                Action::PublishResources,
                Action::PostNews,
                Action::SubscribeWatch,
            ];
            for (action, allowed) in actions.iter().zip(want) {
                let d = authorize(a.as_ref(), action, today());
                assert_eq!(d.is_allowed(), allowed, "{who:?} {action:?} → {d:?}");
            }
        }
    }

    #[test]
    fn the_territory_is_seen_by_every_account_only() {
        use Who::*;
        for who in Who::ALL {
            let a = actor(who);
            let d = authorize(a.as_ref(), &Action::ViewTerritory, today());
            assert_eq!(d.is_allowed(), !matches!(who, Anonymous), "{who:?} → {d:?}");
            for action in [Action::ImportIndicators, Action::RunSurvey] {
                let d = authorize(a.as_ref(), &action, today());
                assert_eq!(
                    d.is_allowed(),
                    matches!(who, Coordinator | OtherCoordinator | Admin),
                    "{who:?} {action:?} → {d:?}"
                );
            }
            // The changes an answer brings: the structure only (an administrator is no member).
            let d = authorize(a.as_ref(), &Action::ConfirmSurveyChanges(own()), today());
            assert_eq!(d.is_allowed(), matches!(who, Member), "{who:?} → {d:?}");
            let unheld = Location {
                organisation_id: None,
                ..own()
            };
            let d = authorize(a.as_ref(), &Action::ConfirmSurveyChanges(unheld), today());
            assert_eq!(
                d.is_allowed(),
                matches!(who, Coordinator | Admin),
                "{who:?} → {d:?}"
            );
            // A paper answer for a place: its structure and its territory's coordinator.
            let d = authorize(a.as_ref(), &Action::EnterSurveyAnswer(own()), today());
            assert_eq!(
                d.is_allowed(),
                matches!(who, Member | Coordinator | Admin),
                "{who:?} → {d:?}"
            );
        }
    }

    #[test]
    fn activity_and_statistics_matrix() {
        use Who::*;
        // (who, [record for org-1, record for org-2, read own notes, read another's notes,
        // statistics of org-1 (département 84), share org-1's statistics])
        let expected: [(Who, [bool; 6]); 7] = [
            (Anonymous, [false, false, false, false, false, false]),
            (Helper, [false, false, true, false, false, false]),
            (Member, [true, false, true, false, true, true]),
            (FormerMember, [false, false, true, false, false, false]),
            (Coordinator, [false, false, true, false, true, false]),
            (OtherCoordinator, [false, false, true, false, false, false]),
            (Admin, [false, false, true, false, true, false]),
        ];
        for (who, want) in expected {
            let a = actor(who);
            let me = a.as_ref().map(|a| a.user_id.clone());
            let actions = [
                Action::RecordActivity {
                    organisation_id: "org-1".into(),
                },
                Action::RecordActivity {
                    organisation_id: "org-2".into(),
                },
                Action::ReadActivityNotes {
                    author_id: me.clone().or(Some("personne".into())),
                },
                Action::ReadActivityNotes {
                    author_id: Some("quelqu-un-d-autre".into()),
                },
                Action::ViewStatistics(own()),
                Action::ShareStatistics {
                    organisation_id: "org-1".into(),
                },
            ];
            for (action, allowed) in actions.iter().zip(want) {
                let d = authorize(a.as_ref(), action, today());
                assert_eq!(d.is_allowed(), allowed, "{who:?} {action:?} → {d:?}");
            }
        }
    }

    #[test]
    fn mandates_matrix() {
        use Who::*;
        // (who, [grant habilitation in org-1 (département 84), act for org-1 when habilitated,
        // act for org-1 without habilitation, act for org-2 when habilitated, read org-1's
        // mandates, read org-2's, verify the journal])
        let expected: [(Who, [bool; 7]); 7] = [
            (Anonymous, [false, false, false, false, false, false, false]),
            (Helper, [false, false, false, false, false, false, false]),
            (Member, [false, true, false, false, true, false, false]),
            (
                FormerMember,
                [false, false, false, false, false, false, false],
            ),
            (
                Coordinator,
                [true, false, false, false, false, false, false],
            ),
            (
                OtherCoordinator,
                [false, false, false, false, false, false, false],
            ),
            // A person's mandates stay with the structure they bind, administrators included.
            (Admin, [true, false, false, false, false, false, true]),
        ];
        for (who, want) in expected {
            let a = actor(who);
            let act = |org: &str, habilitated| Action::ActUnderMandate {
                organisation_id: org.into(),
                habilitated,
            };
            let actions = [
                Action::GrantHabilitation(own()),
                act("org-1", true),
                act("org-1", false),
                act("org-2", true),
                Action::ReadMandates {
                    organisation_id: "org-1".into(),
                },
                Action::ReadMandates {
                    organisation_id: "org-2".into(),
                },
                Action::VerifyJournal,
                Action::AppointDataReferent(own()),
                Action::ReadAccessLog {
                    organisation_id: "org-1".into(),
                    referent: true,
                },
                Action::ReadAccessLog {
                    organisation_id: "org-1".into(),
                    referent: false,
                },
            ];
            for (action, allowed) in actions.iter().zip(want) {
                let d = authorize(a.as_ref(), action, today());
                assert_eq!(d.is_allowed(), allowed, "{who:?} {action:?} → {d:?}");
            }
        }
    }

    #[test]
    fn orientation_and_referral_matrix() {
        use Who::*;
        // (who, [orient, edit catalogue, send for org-1, handle org-1's referrals, handle
        // org-2's referrals, view flows])
        let expected: [(Who, [bool; 6]); 7] = [
            (Anonymous, [true, false, false, false, false, false]),
            (Helper, [true, false, false, false, false, false]),
            (Member, [true, false, true, true, false, false]),
            (FormerMember, [true, false, false, false, false, false]),
            (Coordinator, [true, true, false, false, false, true]),
            (OtherCoordinator, [true, true, false, false, false, true]),
            // Persons' data stay with the structures involved, administrators included.
            (Admin, [true, true, false, false, false, true]),
        ];
        for (who, want) in expected {
            let a = actor(who);
            let actions = [
                Action::Orient,
                Action::EditCatalogue,
                Action::SendReferral {
                    organisation_id: "org-1".into(),
                },
                Action::HandleReferral {
                    organisation_id: "org-1".into(),
                },
                Action::HandleReferral {
                    organisation_id: "org-2".into(),
                },
                Action::ViewFlows,
            ];
            for (action, allowed) in actions.iter().zip(want) {
                let d = authorize(a.as_ref(), action, today());
                assert_eq!(d.is_allowed(), allowed, "{who:?} {action:?} → {d:?}");
            }
        }
    }

    #[test]
    fn anonymous_is_asked_to_sign_in_and_others_get_a_reason() {
        assert_eq!(
            authorize(None, &Action::UpdatePlace(own()), today()),
            Decision::SignInRequired
        );
        let d = authorize(
            actor(Who::Helper).as_ref(),
            &Action::UpdatePlace(own()),
            today(),
        );
        assert!(matches!(d, Decision::Deny(reason) if reason.contains("structures")));
    }

    #[test]
    fn membership_starts_on_its_date() {
        let m = Membership {
            organisation_id: "o".into(),
            since: day("2026-12-01"),
            until: None,
        };
        assert!(!m.in_force(today()));
        assert!(m.in_force(day("2026-12-01")));
    }

    #[test]
    fn territory_codes() {
        assert_eq!(
            TerritoryUnit::parse("2a"),
            Some(TerritoryUnit::Departement("2A".into()))
        );
        assert_eq!(
            TerritoryUnit::parse("971"),
            Some(TerritoryUnit::Departement("971".into()))
        );
        assert_eq!(
            TerritoryUnit::parse("84007"),
            Some(TerritoryUnit::Commune("84007".into()))
        );
        assert_eq!(TerritoryUnit::parse("8400"), None);
    }
}
