//! `maillage user`: accounts, created and listed by the operator through the same service as
//! the administration page (the structures joined must exist).

use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Subcommand;
use maillage_app::NewUser;
use maillage_app::accounts::random_password;
use maillage_domain::policy::{Membership, TerritoryUnit};

use super::{Global, operator};

#[derive(Subcommand)]
pub enum UserWhat {
    /// Crée un compte. Le mot de passe est lu dans MAILLAGE_PASSWORD, sinon généré et affiché.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin: bool,
        /// Territoire coordonné : départements ou codes INSEE de communes (répétable).
        #[arg(long = "coordinates")]
        territory: Vec<String>,
        /// Structure dont la personne est membre (identifiant ; répétable).
        #[arg(long = "member-of")]
        member_of: Vec<String>,
    },
    /// Liste les comptes.
    List,
}

pub async fn run(global: &Global, what: &UserWhat) -> Result<ExitCode> {
    let app = global.app_for_writes().await?;
    match what {
        UserWhat::Add {
            email,
            name,
            admin,
            territory,
            member_of,
        } => {
            let territory = territory
                .iter()
                .map(|t| {
                    TerritoryUnit::parse(t).with_context(|| {
                        format!(
                            "territoire « {t} » : département (54, 2A, 971) ou code INSEE attendu"
                        )
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let (password, generated) = match std::env::var("MAILLAGE_PASSWORD") {
                Ok(p) if !p.is_empty() => (p, false),
                _ => (random_password(), true),
            };
            let new = NewUser {
                email: email.clone(),
                display_name: name.clone(),
                password: password.clone(),
                administrator: *admin,
                territory,
                memberships: member_of
                    .iter()
                    .map(|o| Membership {
                        organisation_id: o.clone(),
                        since: maillage_app::today(),
                        until: None,
                    })
                    .collect(),
            };
            let id = app.create_account(Some(&operator()), &new).await?;
            println!("Compte créé : {email} ({id})");
            if generated {
                println!(
                    "Mot de passe (à transmettre à la personne, il n'est pas conservé) : {password}"
                );
            }
        }
        UserWhat::List => {
            let (accounts, _) = app.accounts(Some(&operator())).await?;
            for a in accounts {
                println!(
                    "{} <{}> — {}",
                    a.user.display_name,
                    a.user.email,
                    a.actor.role_label()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
