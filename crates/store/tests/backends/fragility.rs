//! Communes' indicators (issue #20) on both databases: an import replaces the rows of its
//! communes only, in one transaction, more than a statement's hundred at once.

use maillage_domain::fragility::CommuneIndicators;

use super::*;

fn commune(code: &str, poverty: f64, population: Option<u32>) -> CommuneIndicators {
    CommuneIndicators {
        insee_code: code.into(),
        values: [("taux_pauvrete".to_string(), poverty)]
            .into_iter()
            .collect(),
        population_15_plus: population,
    }
}

#[tokio::test]
async fn an_import_replaces_the_rows_of_its_communes_only() {
    for store in backends().await {
        let first: Vec<CommuneIndicators> = (0..250)
            .map(|i| commune(&format!("54{i:03}"), f64::from(i) / 10.0, Some(1_000 + i)))
            .collect();
        assert_eq!(
            store
                .import_commune_indicators(&first, "fichier national")
                .await
                .expect("import"),
            250
        );
        // A second file for two communes: theirs replaced, the others kept.
        let second = [
            commune("54001", 42.5, None),
            commune("13055", 25.0, Some(700_000)),
        ];
        store
            .import_commune_indicators(&second, "fichier du réseau")
            .await
            .expect("second import");
        let all = store.commune_indicators().await.expect("lecture");
        assert_eq!(all.len(), 251, "{}", store.backend());
        let by_code = |code: &str| {
            all.iter()
                .find(|s| s.indicators.insee_code == code)
                .expect(code)
        };
        assert_eq!(by_code("54001").indicators, second[0]);
        assert_eq!(by_code("54001").source, "fichier du réseau");
        assert_eq!(by_code("54002").indicators, first[2]);
        assert_eq!(by_code("54002").source, "fichier national");
        assert_eq!(
            by_code("13055").indicators.population_15_plus,
            Some(700_000)
        );
    }
}
