//! What the page's address asks for: a scenario (`?scenario=NAME`, a
//! built-in; `?src=URL`, a file beside the page; `#scenario=DATA`, inline,
//! a permalink), the embedded form (`?embed&panels=graph,consoles`), the
//! language (`lang=en|zh`). Read from the raw query and fragment, so it is
//! tested natively; nothing in them is trusted beyond these words.

/// The parts of the page an embedding page may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Panels {
    pub graph: bool,
    pub consoles: bool,
    pub log: bool,
    pub data: bool,
}

impl Panels {
    pub const ALL: Panels = Panels { graph: true, consoles: true, log: true, data: true };
    /// What an embedded playground shows when `panels` is not given.
    pub const EMBED_DEFAULT: Panels = Panels { graph: true, consoles: true, log: true, data: false };

    /// `graph,consoles,log,data` in any order; unknown words are ignored,
    /// and a list naming none of them shows the default.
    pub fn parse(list: &str) -> Panels {
        let mut panels = Panels { graph: false, consoles: false, log: false, data: false };
        for word in list.split(',').map(str::trim) {
            match word {
                "graph" => panels.graph = true,
                "consoles" => panels.consoles = true,
                "log" => panels.log = true,
                "data" => panels.data = true,
                _ => {}
            }
        }
        if panels == (Panels { graph: false, consoles: false, log: false, data: false }) {
            Panels::EMBED_DEFAULT
        } else {
            panels
        }
    }
}

/// Where the page's scenario comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// None asked for: the plain page (the cluster kept in the browser).
    None,
    /// A built-in, by name.
    Builtin(String),
    /// A `.scn` file, by a URL relative to the page.
    File(String),
    /// base64url of the deflate-raw compressed text (a permalink).
    Inline(String),
    /// An embedding page sends it (the `<redis-playground>` element).
    FromParent,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    pub embed: bool,
    pub panels: Panels,
    /// `en` or `zh`.
    pub lang: &'static str,
    pub source: Source,
}

/// The longest inline scenario read from the address (its compressed,
/// encoded form; the text itself is capped when it is inflated).
pub const MAX_INLINE_CHARS: usize = 1024 * 1024;

/// Reads the page's query (`?…`, with or without its `?`) and fragment
/// (`#…`, with or without its `#`).
pub fn parse(query: &str, fragment: &str) -> Address {
    let params: Vec<(String, String)> = pairs(query.strip_prefix('?').unwrap_or(query));
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let embed = get("embed").is_some();
    let lang = match get("lang") {
        Some(l) if l.starts_with("zh") => "zh",
        _ => "en",
    };
    let panels = match get("panels") {
        Some(list) => Panels::parse(list),
        None if embed => Panels::EMBED_DEFAULT,
        None => Panels::ALL,
    };
    let inline = pairs(fragment.strip_prefix('#').unwrap_or(fragment)).into_iter().find(|(k, _)| k == "scenario").map(|(_, v)| v);
    let source = if let Some(data) = inline {
        Source::Inline(data)
    } else if let Some(name) = get("scenario").filter(|n| !n.is_empty()) {
        Source::Builtin(name.to_string())
    } else if let Some(url) = get("src").filter(|u| !u.is_empty()) {
        Source::File(url.to_string())
    } else if get("inline").is_some() {
        Source::FromParent
    } else {
        Source::None
    };
    Address { embed, panels, lang, source }
}

/// `a=1&b&c=x%20y` as decoded pairs.
fn pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// `%XX` and `+` decoded; a malformed escape is kept as written.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() && hex(bytes[i + 1]).is_some() && hex(bytes[i + 2]).is_some() => {
                out.push(hex(bytes[i + 1]).unwrap_or(0) * 16 + hex(bytes[i + 2]).unwrap_or(0));
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// Whether a `?src=` URL may be fetched: relative to the page (a file
/// beside it), or http(s); no other scheme.
pub fn is_fetchable_url(url: &str) -> bool {
    let url = url.trim();
    let lower = url.to_ascii_lowercase();
    let scheme = lower.split(['/', '?', '#']).next().unwrap_or("");
    !url.is_empty() && (!scheme.contains(':') || lower.starts_with("http://") || lower.starts_with("https://"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_plain_page_asks_for_nothing() {
        assert_eq!(parse("", ""), Address { embed: false, panels: Panels::ALL, lang: "en", source: Source::None });
    }

    #[test]
    fn scenarios_come_from_a_name_a_file_or_the_fragment() {
        assert_eq!(parse("?scenario=lesson-3", "").source, Source::Builtin("lesson-3".into()));
        assert_eq!(parse("src=lessons%2Fmine.scn", "").source, Source::File("lessons/mine.scn".into()));
        // The fragment wins: a permalink opened on a page that had a scenario.
        assert_eq!(parse("?scenario=lesson-3", "#scenario=abc-_").source, Source::Inline("abc-_".into()));
        assert_eq!(parse("?embed&inline", "").source, Source::FromParent);
    }

    #[test]
    fn the_embedded_form_shows_the_panels_asked_for() {
        let address = parse("?embed&panels=consoles,log&lang=zh", "");
        assert!(address.embed);
        assert_eq!(address.lang, "zh");
        assert_eq!(address.panels, Panels { graph: false, consoles: true, log: true, data: false });
        assert_eq!(parse("?embed", "").panels, Panels::EMBED_DEFAULT);
        assert_eq!(parse("?embed&panels=nonsense", "").panels, Panels::EMBED_DEFAULT);
        assert_eq!(parse("?lang=fr", "").lang, "en");
    }

    #[test]
    fn odd_escapes_do_not_break_the_reading() {
        assert_eq!(parse("?src=%zz%4", "").source, Source::File("%zz%4".into()));
        assert_eq!(parse("?src=%E4%B8%AD", "").source, Source::File("中".into()));
        assert_eq!(parse("?src=%FF", "").source, Source::File("\u{FFFD}".into()));
    }

    #[test]
    fn only_relative_and_http_urls_are_fetched() {
        assert!(is_fetchable_url("lesson.scn"));
        assert!(is_fetchable_url("../scn/a.scn?x=1:2"));
        assert!(is_fetchable_url("https://example.org/a.scn"));
        assert!(!is_fetchable_url("javascript:alert(1)"));
        assert!(!is_fetchable_url("data:text/plain,x"));
        assert!(!is_fetchable_url(" "));
    }
}
