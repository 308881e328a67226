//! The live page: one HTML file, its style sheet and its script (files under `page/`, kept
//! apart to edit them as what they are), put together once into a single self-contained
//! document. It loads nothing else: no CDN, no fonts, no network beyond this server.

const INDEX: &str = include_str!("page/index.html");
const STYLE: &str = include_str!("page/style.css");
const SCRIPT: &str = include_str!("page/app.js");

/// The page with its style and script inlined.
pub fn html() -> String {
    INDEX
        .replacen("/*STYLE*/", STYLE, 1)
        .replacen("/*SCRIPT*/", SCRIPT, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_is_whole_and_loads_nothing_from_elsewhere() {
        let page = html();
        assert!(!page.contains("/*STYLE*/") && !page.contains("/*SCRIPT*/"));
        assert!(page.contains(STYLE) && page.contains(SCRIPT));
        for outside in ["http://", "https://", "src=\"//", "@import", "url("] {
            assert!(!page.contains(outside), "the page refers to {outside}");
        }
        // Every live figure names its field: in the markup, or made by the script.
        for metric in [
            "score_avg_100",
            "score_avg_1000",
            "steps_per_s",
            "iteration",
            "state",
            "evaluation.mean_score",
        ] {
            assert!(
                page.contains(&format!("data-metric=\"{metric}\"")),
                "{metric}"
            );
        }
        for metric in [
            "policy_loss",
            "value_loss",
            "entropy",
            "approx_kl",
            "clip_fraction",
        ] {
            assert!(SCRIPT.contains(&format!("[\"{metric}\", ")), "{metric}");
        }
        assert!(SCRIPT.contains("\"data-metric\": key"));
        assert!(SCRIPT.contains("\"data-metric\": `reach_rates.${tile}`"));
    }
}
