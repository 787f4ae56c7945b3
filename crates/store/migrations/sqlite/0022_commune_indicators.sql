-- Issue #20: indicators of digital fragility per commune, imported from a file (public
-- statistics, no person): the values by indicator as JSON, the population aged 15 and over,
-- where they came from and when.
CREATE TABLE commune_indicators (
    insee_code TEXT PRIMARY KEY,
    data TEXT NOT NULL,
    population_15_plus BIGINT,
    source TEXT NOT NULL,
    imported_on TEXT NOT NULL
);
