//! The demo's library and watch.

use maillage_store::Store;

use crate::AppError;

/// The demo's library (the field's sheets, and a member's proposal waiting for review) and
/// watch (a few news items, the helper subscribed to two platforms).
pub(super) async fn load_library_and_watch(store: &Store, busiest: &str) -> Result<(), AppError> {
    use maillage_domain::resources::{ResourceForm, ResourceStatus};
    use maillage_domain::watch::{Frequency, NewsForm, Platform, Subscription};
    let content = maillage_domain::resources::initial_content()
        .map_err(|e| AppError::Invalid(format!("contenu initial de la ressourcerie : {e}")))?;
    store
        .seed_resources(maillage_domain::resources::INITIAL_CONTENT, &content)
        .await?;
    let helper = store.user_by_email("aidant@demo.maillage.example").await?;
    let coordinator = store
        .user_by_email("coordination@demo.maillage.example")
        .await?;
    if store
        .resources(Some(ResourceStatus::Proposed))
        .await?
        .is_empty()
    {
        let proposal = ResourceForm {
            title: "Créer son compte ameli pas à pas (démonstration)".into(),
            summary: "Un déroulé d'une heure pour ouvrir son compte ameli avec la personne, sur son propre téléphone.".into(),
            kind: "deroule".into(),
            body: "Avant : demander à la personne d'apporter sa carte Vitale, un relevé d'identité bancaire et son téléphone.\n\n1. Vérifier que l'adresse électronique fonctionne (envoyer un message test).\n\n2. Ouvrir ameli.fr depuis le téléphone de la personne, « Créer mon compte », saisir le numéro de sécurité sociale.\n\n3. Laisser la personne choisir et noter son mot de passe elle-même : l'aidant ne le voit ni ne le garde.\n\n4. Se déconnecter ensemble et se reconnecter pour vérifier.".into(),
            themes: vec!["demarches".into(), "sante".into()],
            levels: vec!["debutant".into(), "intermediaire".into()],
            audiences: vec!["aidants".into()],
            author: "Dominique Aidante".into(),
            licence: "CC BY-SA 4.0".into(),
            ..Default::default()
        }
        .validate("")
        .map_err(|e| AppError::Invalid(format!("ressource de démonstration : {e:?}")))?;
        store
            .create_resource(
                &proposal,
                ResourceStatus::Proposed,
                maillage_store::Proposer {
                    organisation_id: Some(busiest),
                    user_id: helper.as_ref().map(|u| u.id.as_str()),
                },
                None,
            )
            .await?;
    }
    if store.news(None, None).await?.is_empty() {
        let now = chrono::Utc::now();
        let items = [
            (
                3,
                "CAF : la déclaration trimestrielle se fait depuis l'application (démonstration)",
                "caf",
                "Les allocataires de la prime d'activité et du RSA",
                "La déclaration trimestrielle de ressources se fait aussi depuis l'application mobile « CAF - Mon Compte ».",
                "Montrez l'application à la personne et faites la première déclaration avec elle ; gardez la version du site pour les personnes sans smartphone.",
                "Prime d'activité, RSA, déclaration trimestrielle",
                false,
            ),
            (
                5,
                "Impôts : ouverture de la déclaration de revenus en ligne (démonstration)",
                "impots",
                "Tous les foyers fiscaux",
                "La déclaration en ligne ouvre au printemps ; les délais de fin dépendent du département.",
                "Vérifiez avec la personne son numéro fiscal et son mot de passe avant le rendez-vous ; les France Services aident aussi.",
                "Déclaration de revenus",
                false,
            ),
            (
                8,
                "ANTS : suivre sa demande de permis de conduire (démonstration)",
                "ants",
                "Les personnes qui demandent ou renouvellent leur permis",
                "Le suivi de la demande se fait dans l'espace conducteur de l'ANTS.",
                "Conseillez de noter le numéro de demande et d'activer les notifications par courriel.",
                "Permis de conduire",
                false,
            ),
            (
                1,
                "France Travail : espace personnel indisponible ce week-end (démonstration)",
                "france-travail",
                "Les demandeurs d'emploi",
                "Une maintenance rend l'espace personnel indisponible du samedi au dimanche soir.",
                "Prévenez les personnes qui doivent s'actualiser : le faire avant samedi ou dès lundi.",
                "Actualisation mensuelle",
                true,
            ),
        ];
        for (days_ago, title, platform, who, what, say, procedures, urgent) in items {
            let at = (now - chrono::Duration::days(days_ago))
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            let item = NewsForm {
                title: title.into(),
                what_changed: what.into(),
                who: who.into(),
                what_to_say: say.into(),
                platforms: vec![platform.into()],
                procedures: procedures.into(),
                urgent,
                ..Default::default()
            }
            .validate("", &at, "Claude Coordinateur (Meurthe-et-Moselle)")
            .map_err(|e| AppError::Invalid(format!("nouvelle de démonstration : {e:?}")))?;
            store
                .create_news(&item, coordinator.as_ref().map(|u| u.id.as_str()))
                .await?;
        }
        if let Some(helper) = &helper {
            store
                .save_subscription(&Subscription {
                    user_id: helper.id.clone(),
                    platforms: vec![Platform::Caf, Platform::Taxes],
                    frequency: Frequency::Weekly,
                    urgent_at_once: true,
                    next_digest_at: Some(
                        maillage_domain::watch::next_digest_after(now)
                            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    ),
                })
                .await?;
        }
    }
    Ok(())
}
