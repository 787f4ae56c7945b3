//! Charts drawn on the server as SVG, without JavaScript: each is an image described by its
//! title, and the page puts the table of its data right after it (screen readers, print).

use maillage_domain::french;
use maillage_domain::indicators::Table;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A horizontal bar chart (SVG) of a table: the chart is an image described by its title; the
/// table that follows it carries the data for screen readers and print.
pub fn bar_chart(t: &Table) -> String {
    let rows: Vec<(String, u64)> = t.rows.iter().map(|r| (r.label.clone(), r.value)).collect();
    bars_svg(t.indicator.id(), t.indicator.title(), &rows)
}

/// Horizontal bars (SVG) for labelled counts; zero rows are left out of the drawing.
pub fn bars_svg(id: &str, title: &str, rows: &[(String, u64)]) -> String {
    let rows: Vec<_> = rows.iter().filter(|(_, v)| *v > 0).collect();
    let max = rows.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let (width, bar_h, gap, label_w) = (640.0, 22.0, 8.0, 250.0);
    let height = rows.len() as f64 * (bar_h + gap) + gap;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"g-{id}\" preserveAspectRatio=\"xMinYMin meet\"><title id=\"g-{id}\">{title} : graphique, données dans le tableau qui suit</title>",
        id = escape(id),
        title = escape(title)
    );
    for (i, (label, value)) in rows.iter().enumerate() {
        let y = gap + i as f64 * (bar_h + gap);
        let w = ((width - label_w - 70.0) * *value as f64 / max as f64).max(2.0);
        let label: String = label.chars().take(38).collect();
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" class=\"chart-label\">{label}</text><rect x=\"{label_w}\" y=\"{y}\" width=\"{w:.1}\" height=\"{bar_h}\" class=\"chart-bar\"/><text x=\"{vx:.1}\" y=\"{ty}\" class=\"chart-value\">{value}</text>",
            lx = label_w - 8.0,
            ty = y + bar_h * 0.72,
            label = escape(&label),
            vx = label_w + w + 6.0,
            value = french::number(*value as f64),
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Two bars per line (SVG) — what is asked against what is offered — with the two series
/// named in a legend; lines where both are zero are left out of the drawing.
pub fn paired_bars_svg(
    id: &str,
    title: &str,
    (first, second): (&str, &str),
    rows: &[(String, u64, u64)],
) -> String {
    let rows: Vec<_> = rows.iter().filter(|(_, a, b)| a + b > 0).collect();
    let max = rows
        .iter()
        .map(|(_, a, b)| (*a).max(*b))
        .max()
        .unwrap_or(0)
        .max(1);
    let (width, bar_h, gap, label_w, legend_h) = (640.0, 14.0, 10.0, 250.0, 26.0);
    let height = legend_h + rows.len() as f64 * (2.0 * bar_h + gap) + gap;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"g-{id}\" preserveAspectRatio=\"xMinYMin meet\"><title id=\"g-{id}\">{title} : graphique, données dans le tableau qui suit</title>\
         <rect x=\"{label_w}\" y=\"6\" width=\"14\" height=\"14\" class=\"chart-bar\"/><text x=\"{l1}\" y=\"18\" class=\"chart-value\">{first}</text>\
         <rect x=\"{l2}\" y=\"6\" width=\"14\" height=\"14\" class=\"chart-bar-second\"/><text x=\"{l3}\" y=\"18\" class=\"chart-value\">{second}</text>",
        id = escape(id),
        title = escape(title),
        l1 = label_w + 20.0,
        l2 = label_w + 130.0,
        l3 = label_w + 150.0,
        first = escape(first),
        second = escape(second),
    );
    for (i, (label, a, b)) in rows.iter().enumerate() {
        let y = legend_h + gap + i as f64 * (2.0 * bar_h + gap);
        let label: String = label.chars().take(38).collect();
        svg.push_str(&format!(
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\" class=\"chart-label\">{label}</text>",
            lx = label_w - 8.0,
            ty = y + bar_h * 1.3,
            label = escape(&label),
        ));
        for (j, (value, class)) in [(*a, "chart-bar"), (*b, "chart-bar-second")]
            .into_iter()
            .enumerate()
        {
            let by = y + j as f64 * bar_h;
            let w = ((width - label_w - 70.0) * value as f64 / max as f64).max(2.0);
            svg.push_str(&format!(
                "<rect x=\"{label_w}\" y=\"{by}\" width=\"{w:.1}\" height=\"{h}\" class=\"{class}\"/><text x=\"{vx:.1}\" y=\"{ty:.1}\" class=\"chart-value\">{v}</text>",
                h = bar_h - 2.0,
                vx = label_w + w + 6.0,
                ty = by + bar_h * 0.75,
                v = french::number(value as f64),
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Activities by month as columns (SVG).
pub fn column_chart(t: &Table) -> String {
    let n = t.rows.len().max(1) as f64;
    let max = t.rows.iter().map(|r| r.value).max().unwrap_or(0).max(1);
    let (width, height, base) = (640.0, 220.0, 190.0);
    let col = width / n;
    let mut svg = format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-labelledby=\"g-{id}\"><title id=\"g-{id}\">{title} : graphique, données dans le tableau qui suit</title>",
        id = t.indicator.id(),
        title = escape(t.indicator.title())
    );
    for (i, r) in t.rows.iter().enumerate() {
        let h = 160.0 * r.value as f64 / max as f64;
        let x = i as f64 * col;
        svg.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" class=\"chart-bar\"/><text x=\"{:.1}\" y=\"{height}\" text-anchor=\"middle\" class=\"chart-label\">{}</text>",
            x + col * 0.15,
            base - h,
            col * 0.7,
            x + col / 2.0,
            escape(r.key.get(5..).unwrap_or(&r.key)),
        ));
    }
    svg.push_str("</svg>");
    svg
}
