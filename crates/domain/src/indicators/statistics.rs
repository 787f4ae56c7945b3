//! The statistics as pages, exports and the API show them: figures, tables, their public view.

use super::*;

/// A headline figure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub indicator: Indicator,
    pub value: f64,
}

/// A table: rows of (key, label, value); `base` is what shares are computed against.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Table {
    pub indicator: Indicator,
    pub base: u64,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub key: String,
    pub label: String,
    pub value: u64,
}

impl Table {
    /// Share of a row in the base, in percent with one decimal.
    pub fn share(&self, value: u64) -> f64 {
        if self.base == 0 {
            0.0
        } else {
            (value as f64 * 1000.0 / self.base as f64).round() / 10.0
        }
    }
}

/// Every indicator for a filter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statistics {
    pub figures: Vec<Figure>,
    pub tables: Vec<Table>,
}

/// What a structure's public link opens: its statistics, or its before/after survey form. Each
/// structure has at most one live link per purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SharePurpose {
    /// `/statistiques/publiques/{token}`: the aggregated statistics, no person's data.
    Statistics,
    /// `/enquete/{token}`: the survey a person fills in alone.
    Survey,
}

impl SharePurpose {
    /// The name stored beside the link.
    pub fn as_str(self) -> &'static str {
        match self {
            SharePurpose::Statistics => "statistiques",
            SharePurpose::Survey => "enquete",
        }
    }
}

/// Public statistics links: a cell counting fewer than this many is never shown alone.
pub const SMALL_CELL: u64 = 5;
/// Public statistics links: the period shown spans at least this many days.
pub const PUBLIC_MIN_DAYS: i64 = 28;

impl Statistics {
    /// What a public link shows (no account, anyone holding the link): no table of helpers or
    /// of procedures' names (free text written by helpers), and in every table the rows
    /// counting fewer than [`SMALL_CELL`] are grouped into one « Autres (moins de 5 chacun) »
    /// row — or left out when, together, they are still fewer than [`SMALL_CELL`] — so that no
    /// small group of people can be singled out.
    pub fn for_public(mut self) -> Statistics {
        self.tables
            .retain(|t| !matches!(t.indicator, Indicator::Helpers | Indicator::ProcedureNames));
        for t in &mut self.tables {
            let small: u64 = t
                .rows
                .iter()
                .filter(|r| r.value > 0 && r.value < SMALL_CELL)
                .map(|r| r.value)
                .sum();
            if small == 0 {
                continue;
            }
            t.rows.retain(|r| r.value == 0 || r.value >= SMALL_CELL);
            if small >= SMALL_CELL {
                t.rows.push(Row {
                    key: "autres".into(),
                    label: format!("Autres (moins de {SMALL_CELL} chacun)"),
                    value: small,
                });
            }
        }
        self
    }

    pub fn figure(&self, i: Indicator) -> f64 {
        self.figures
            .iter()
            .find(|f| f.indicator == i)
            .map(|f| f.value)
            .unwrap_or(0.0)
    }
    pub fn table(&self, i: Indicator) -> Option<&Table> {
        self.tables.iter().find(|t| t.indicator == i)
    }
    /// Names entities (places, communes, helpers) whose rows hold identifiers.
    pub fn relabel(&mut self, i: Indicator, mut name: impl FnMut(&str) -> Option<String>) {
        if let Some(t) = self.tables.iter_mut().find(|t| t.indicator == i) {
            for row in &mut t.rows {
                if let Some(n) = name(&row.key) {
                    row.label = n;
                }
            }
        }
    }
}
