//! The `Link` header (RFC 8288, section 3): the target of the link whose relation is `next`.

/// The target of the first link in `value` whose `rel` includes `next` (relation types are
/// compared without case, and `rel` may list several).
pub(crate) fn next_link(value: &str) -> Option<&str> {
    let mut rest = value;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        let after_open = rest.strip_prefix('<')?;
        let close = after_open.find('>')?;
        let target = &after_open[..close];
        rest = &after_open[close + 1..];
        let mut is_next = false;
        // Parameters: `; name=value` or `; name="quoted, value"` or `; name`.
        loop {
            rest = rest.trim_start();
            let Some(after_semicolon) = rest.strip_prefix(';') else {
                break;
            };
            rest = after_semicolon.trim_start();
            let name_end = rest.find(['=', ';', ',']).unwrap_or(rest.len());
            let name = rest[..name_end].trim();
            rest = &rest[name_end..];
            let mut value = String::new();
            if let Some(after_equals) = rest.strip_prefix('=') {
                rest = after_equals.trim_start();
                if let Some(quoted) = rest.strip_prefix('"') {
                    let mut chars = quoted.char_indices();
                    let mut end = quoted.len();
                    while let Some((i, c)) = chars.next() {
                        match c {
                            '\\' => {
                                if let Some((_, escaped)) = chars.next() {
                                    value.push(escaped);
                                }
                            }
                            '"' => {
                                end = i + 1;
                                break;
                            }
                            c => value.push(c),
                        }
                    }
                    rest = &quoted[end..];
                } else {
                    let value_end = rest.find([';', ',']).unwrap_or(rest.len());
                    value.push_str(rest[..value_end].trim());
                    rest = &rest[value_end..];
                }
            }
            if name.eq_ignore_ascii_case("rel")
                && value
                    .split_ascii_whitespace()
                    .any(|rel| rel.eq_ignore_ascii_case("next"))
            {
                is_next = true;
            }
        }
        if is_next {
            return Some(target);
        }
        // Skip anything up to the next link.
        match rest.find(',') {
            Some(comma) => rest = &rest[comma..],
            None => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::next_link;

    #[test]
    fn finds_the_next_link() {
        let github = r#"<https://api.github.com/user/repos?page=3&per_page=100>; rel="next", <https://api.github.com/user/repos?page=50&per_page=100>; rel="last""#;
        assert_eq!(
            next_link(github),
            Some("https://api.github.com/user/repos?page=3&per_page=100")
        );
        let last_only =
            r#"<https://a.test/x?page=1>; rel="first", <https://a.test/x?page=9>; rel=last"#;
        assert_eq!(next_link(last_only), None);
        assert_eq!(next_link(""), None);
    }

    #[test]
    fn reads_quoted_commas_several_relations_and_other_parameters() {
        let value = r#"</items?after=a,b>; title="one, two; three"; rel="prev", </items?after=c>; type="application/json"; REL="Next alternate""#;
        assert_eq!(next_link(value), Some("/items?after=c"));
        let escaped =
            r#"<https://a.test/1>; title="a \"quoted\" rel=next", <https://a.test/2>; rel=next"#;
        assert_eq!(next_link(escaped), Some("https://a.test/2"));
    }
}
