//! The README and the guide (landlock-runtime/docs/*.md) stay one text: every Rust example of
//! the README is a doctest of the guide or of the crate page, the policy-language table is the
//! guide's, and every relative link leads to a file and a heading that exist.

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The Markdown files of the guide, by their path from the workspace root.
fn guide_files() -> Vec<PathBuf> {
    let dir = Path::new(ROOT).join("landlock-runtime/docs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    files.sort();
    files
}

/// The fenced code blocks of a Markdown text: (info string, body), the body unindented as the
/// fence is.
fn code_blocks(text: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let indent = line.len() - line.trim_start().len();
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        let mut body = String::new();
        for inner in lines.by_ref() {
            if inner.trim_start() == "```" {
                break;
            }
            body.push_str(inner.get(indent..).unwrap_or(inner.trim_start()));
            body.push('\n');
        }
        blocks.push((info.to_owned(), body));
    }
    blocks
}

/// A Rust doctest as rustdoc shows it: without its hidden lines (`# ...`).
fn shown(body: &str) -> String {
    body.lines()
        .filter(|line| *line != "#" && !line.starts_with("# "))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// Whether a fence's info string makes rustdoc take the block for Rust: no tag, or only
/// `rust` and rustdoc's own attributes.
fn is_rust(info: &str) -> bool {
    info.split(',').map(str::trim).all(|tag| {
        matches!(
            tag,
            "" | "rust" | "no_run" | "should_panic" | "compile_fail" | "ignore"
        ) || tag.starts_with("edition")
    })
}

/// The doc comment of the crate page (`//!` lines of landlock-runtime/src/lib.rs), as Markdown.
fn crate_page() -> String {
    read(&Path::new(ROOT).join("landlock-runtime/src/lib.rs"))
        .lines()
        .filter_map(|line| line.strip_prefix("//!"))
        .map(|line| format!("{}\n", line.strip_prefix(' ').unwrap_or(line)))
        .collect()
}

#[test]
fn every_rust_example_of_the_readme_is_a_doctest() {
    let readme = read(&Path::new(ROOT).join("README.md"));
    let mut doctests: Vec<String> = Vec::new();
    for text in guide_files().iter().map(|f| read(f)).chain([crate_page()]) {
        for (info, body) in code_blocks(&text) {
            if is_rust(&info) {
                assert!(!info.contains("ignore"), "an ignored example: {body}");
                doctests.push(shown(&body));
            }
        }
    }
    let mut checked = 0;
    for (info, body) in code_blocks(&readme) {
        if is_rust(&info) {
            assert!(
                doctests.contains(&body),
                "this README example is no doctest of the guide or the crate page:\n{body}"
            );
            checked += 1;
        }
    }
    // The pitch, the attribute and block forms, and a child process.
    assert_eq!(checked, 3);
}

/// The rows of the first table whose header is `| item | meaning |`.
fn policy_table(text: &str) -> &str {
    let start = text
        .find("| item | meaning |\n")
        .expect("the policy-language table");
    let end = text[start..].find("\n\n").map_or(text.len(), |n| start + n);
    &text[start..end]
}

#[test]
fn the_readme_policy_table_is_the_guides() {
    let readme = read(&Path::new(ROOT).join("README.md"));
    let guide = read(&Path::new(ROOT).join("landlock-runtime/docs/policy-language.md"));
    assert_eq!(policy_table(&readme), policy_table(&guide));
    assert_eq!(readme.matches("| item | meaning |").count(), 1);
    assert_eq!(guide.matches("| item | meaning |").count(), 1);
}

/// GitHub's anchor of a heading: lower case, spaces as `-`, other punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a Markdown file's headings (outside code blocks).
fn anchors(text: &str) -> Vec<String> {
    let mut in_code = false;
    let mut found = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
        } else if !in_code && line.starts_with('#') {
            found.push(anchor(line.trim_start_matches('#')));
        }
    }
    found
}

/// The relative targets of a Markdown text's links: inline `](target)` and definitions
/// `[label]: target`.
fn relative_links(text: &str) -> Vec<String> {
    let mut links = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        if let Some(end) = rest.find(')') {
            links.push(rest[..end].to_owned());
        }
    }
    for line in text.lines() {
        if let Some((label, target)) = line.split_once("]: ")
            && label.starts_with('[')
            && !label.contains(' ')
        {
            links.push(target.trim().to_owned());
        }
    }
    links.retain(|link| !link.contains("://") && !link.starts_with("crate::"));
    links
}

fn check_links(file: &Path) -> usize {
    let text = read(file);
    let dir = file.parent().unwrap();
    let links = relative_links(&text);
    for link in &links {
        let (path, fragment) = link.split_once('#').unwrap_or((link, ""));
        let target = if path.is_empty() {
            file.to_path_buf()
        } else {
            dir.join(path)
        };
        assert!(
            target.exists(),
            "{}: `{link}` leads to no file",
            file.display()
        );
        if !fragment.is_empty() {
            assert!(
                anchors(&read(&target)).iter().any(|a| a == fragment),
                "{}: `{link}` leads to no heading",
                file.display()
            );
        }
    }
    links.len()
}

#[test]
fn every_relative_link_of_the_readme_and_the_guide_leads_somewhere() {
    assert!(check_links(&Path::new(ROOT).join("README.md")) >= 15);
    for file in guide_files() {
        check_links(&file);
    }
}
