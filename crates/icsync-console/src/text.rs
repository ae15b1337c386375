//! Intercom message bodies are HTML written by customers and admins: the console shows them as
//! plain text (tags dropped, blocks on their own lines, entities decoded), never as markup, so
//! nothing in a message can run or restyle the page.

/// Tags that end a line of text.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
];

/// The text of an HTML fragment.
pub(crate) fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    let mut skipping: Option<String> = None;
    while let Some(start) = rest.find('<') {
        if skipping.is_none() {
            out.push_str(&decode_entities(&rest[..start]));
        }
        let Some(end) = rest[start..].find('>') else {
            // A lone `<`: text.
            if skipping.is_none() {
                out.push_str(&decode_entities(&rest[start..]));
            }
            rest = "";
            break;
        };
        let tag = &rest[start + 1..start + end];
        rest = &rest[start + end + 1..];
        let closing = tag.starts_with('/');
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if let Some(skipped) = &skipping {
            if closing && *skipped == name {
                skipping = None;
            }
            continue;
        }
        if !closing && (name == "script" || name == "style") {
            skipping = Some(name);
            continue;
        }
        if BLOCKS.contains(&name.as_str()) && !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
    }
    if skipping.is_none() {
        out.push_str(&decode_entities(rest));
    }
    let mut text = String::with_capacity(out.len());
    let mut blank = 0;
    for line in out.lines() {
        let line = line.trim();
        if line.is_empty() {
            blank += 1;
            if blank > 1 {
                continue;
            }
        } else {
            blank = 0;
        }
        text.push_str(line);
        text.push('\n');
    }
    text.trim().to_owned()
}

fn decode_entities(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let decoded = after.find(';').filter(|&end| end <= 10).and_then(|end| {
            let entity = &after[..end];
            let c = match entity {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                _ => entity.strip_prefix('#').and_then(|n| {
                    let code = match n.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok(),
                        None => n.parse().ok(),
                    };
                    code.and_then(char::from_u32)
                }),
            }?;
            Some((c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &after[end + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_becomes_lines_of_text() {
        assert_eq!(
            html_to_text("<p>How do I <b>export</b> everything?</p><p>Thanks &amp; bye</p>"),
            "How do I export everything?\nThanks & bye"
        );
        assert_eq!(html_to_text("one<br>two<br/>three"), "one\ntwo\nthree");
        assert_eq!(html_to_text("plain"), "plain");
        assert_eq!(html_to_text("a < b &lt; c &#233;&#x41;"), "a < b < c éA");
    }

    #[test]
    fn scripts_and_styles_are_dropped_whole() {
        assert_eq!(
            html_to_text("<p>hi</p><script>alert(1)</script><style>p{}</style><p>there</p>"),
            "hi\nthere"
        );
        assert_eq!(html_to_text("<img src=x onerror=alert(1)>ok"), "ok");
    }
}
