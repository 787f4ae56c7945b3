//! Workshops and registrations.

use super::*;

#[tokio::test]
async fn workshops_seats_waiting_list_and_promotion() {
    use maillage_domain::diagnostic::Level;
    use maillage_domain::workshops::{RegistrationStatus, WorkshopForm};
    for store in backends().await {
        let w = WorkshopForm {
            title: "Premiers pas sur smartphone".into(),
            themes: vec!["materiel".into()],
            level_required: Level::Beginner.slug().into(),
            commune: "Toul".into(),
            sessions: "2026-12-03 14:00-16:00".into(),
            capacity: "2".into(),
            free: true,
            ..Default::default()
        }
        .validate("")
        .expect("valide");
        let id = store
            .create_workshop(&w, Some("aidant"))
            .await
            .expect("atelier");
        let mut regs = Vec::new();
        for name in ["Ana", "Bruno", "Chloé"] {
            regs.push(
                store
                    .register(&id, w.capacity, name, Some("06 00 00 00 00"), None)
                    .await
                    .expect("inscription"),
            );
        }
        let statuses: Vec<_> = regs.iter().map(|(r, _)| r.status).collect();
        assert_eq!(
            statuses,
            [
                RegistrationStatus::Registered,
                RegistrationStatus::Registered,
                RegistrationStatus::Waiting
            ],
            "{}",
            store.backend()
        );
        let stored = store
            .workshop(&id)
            .await
            .expect("lecture")
            .expect("présent");
        assert_eq!((stored.registered, stored.waiting), (2, 1));
        assert_eq!(stored.workshop.title, w.title);
        // Bruno cancels with his token: Chloé gets the seat.
        let bruno = store
            .registration_by_token(&regs[1].1)
            .await
            .expect("lecture")
            .expect("trouvé");
        assert_eq!(bruno.pseudonym, "Bruno");
        let (done, promoted) = store
            .cancel_registration(&bruno.id, w.capacity)
            .await
            .expect("annulation");
        assert!(done);
        assert_eq!(promoted.map(|r| r.pseudonym), Some("Chloé".to_string()));
        let (again, none) = store
            .cancel_registration(&bruno.id, w.capacity)
            .await
            .expect("annulation");
        assert!(!again && none.is_none());
        assert!(
            store
                .set_attendance(&regs[0].0.id, true)
                .await
                .expect("présence")
        );
        assert!(!store.set_attendance(&bruno.id, true).await.expect("annulé"));
        let list = store.registrations(&id).await.expect("liste");
        assert_eq!(list[0].attended, Some(true));
        assert_eq!(list[2].status, RegistrationStatus::Registered);
        assert_eq!(
            store
                .workshops_from("2026-12-01")
                .await
                .expect("à venir")
                .len(),
            1
        );
        assert!(
            store
                .workshops_from("2026-12-04")
                .await
                .expect("passés")
                .is_empty()
        );
        assert_eq!(
            store
                .purge_registrations("2026-12-04")
                .await
                .expect("purge"),
            3
        );
        assert!(store.delete_workshop(&id).await.expect("suppression"));
    }
}
