//! Hostile input: random token streams, and valid policies mutated token by token, never make
//! an entry point panic, and always come out as code that parses: either a valid expansion,
//! or the user's code followed by `compile_error!`.
//!
//! The mutations start from valid policies: drop, duplicate, swap or replace a token, insert
//! one, wrap a run of tokens in a group (including the invisible groups `macro_rules!` makes),
//! and do any of that inside a group. Tokens come from the policy language and around it:
//! keywords and near-misses, raw and unicode identifiers, `=>` and other punctuation, strings
//! of any characters, integers of any size, every kind of literal and suffix.

use std::str::FromStr;

use proc_macro2::{Delimiter, Group, Literal, TokenStream, TokenTree};
use proptest::prelude::*;

use crate::sandbox_fn;

/// Valid policies: each expands without error (checked below).
const SEEDS: &[&str] = &[
    r#"read = "/etc""#,
    r#"read = ["/etc", "$TMP"], write = "$TMP/x?", connect = 443, strict"#,
    r#"exec = "/usr/bin", bind = 8080, connect = "*", allow_signals, strict"#,
    r#"write = "${APP_STATE_DIR}", connect = [80, 443], bind = "*", broad"#,
    r#"exec = "/usr/bin/env", preset = ["dynamic_loader", "locale"]"#,
    r#"read = "/srv", preset = ["dns", "tls_roots", "devices", "cpu_info"], quiet"#,
    r#"read = "$HOME/.config/app?", allow_abstract_unix_sockets, process"#,
    r#"crate = "::landlock_runtime", read = "$EXE_DIR/assets""#,
    r#"read = "$CWD""#,
    r#"read = ["//etc//", "$TMP//x/"], write = "/srv//data/?""#,
    "",
];

/// Block bodies placed after `=>`.
const BODIES: &[&str] = &["{ 1 + 1 }", "x", "std::fs::read(path)", "{}", "return 1"];

/// Items the attribute is put on.
const ITEMS: &[&str] = &[
    "fn f() {}",
    "pub fn main() -> u8 { 0 }",
    "fn g<T: Copy>(x: T) -> T where T: Clone { x }",
    "async fn h() {}",
    "#[tokio::main] async fn main() {}",
    "const fn c() {}",
    "struct S;",
    "impl S { fn m(&self) {} }",
    "fn bodyless();",
    "",
];

fn tokens(source: &str) -> TokenStream {
    TokenStream::from_str(source).unwrap()
}

/// One token (or a few) from in and around the policy language.
fn piece() -> impl Strategy<Value = TokenStream> {
    // Every key of the language, then what lies around it.
    let mut words: Vec<&str> = crate::model::KEYS.to_vec();
    words.extend([
        "raed",
        "r#read",
        "self",
        "Self",
        "super",
        "_",
        "réad",
        "读",
        "r#async",
        "async",
        "fn",
        "=",
        "=>",
        ",",
        ";",
        "?",
        "$",
        "#",
        "::",
        "-",
        "!",
        "&",
        "..",
        "<",
        ">",
        "'a",
        "443u16",
        "443i8",
        "0x1bb",
        "0o777",
        "0b1",
        "1_000",
        "1e9",
        "1.5",
        "-443",
        "0",
        "65535",
        "65536",
        "340282366920938463463374607431768211456",
        "true",
        "'c'",
        r#"b"/etc""#,
        r#"c"/etc""#,
        r##"r#"/etc"#"##,
        r#""/etc"suffix"#,
        r#""*""#,
        r#""/etc?""#,
        r#""$TMP/..""#,
        r#""${""#,
        r#""/a\0b""#,
        r#""::x::y""#,
        r#""a::""#,
        "[]",
        "()",
        "{}",
    ]);
    // Every preset name, as the string a policy gives it.
    words.extend(
        landlock_template::PRESETS
            .iter()
            .map(|p| &*Box::leak(format!("\"{p}\"").into_boxed_str())),
    );
    let words = prop::sample::select(words).prop_map(tokens);
    let strings =
        any::<String>().prop_map(|s| TokenStream::from(TokenTree::from(Literal::string(&s))));
    let ints =
        any::<u64>().prop_map(|n| TokenStream::from(TokenTree::from(Literal::u64_unsuffixed(n))));
    let floats = any::<f64>()
        .prop_filter("finite", |f| f.is_finite())
        .prop_map(|f| TokenStream::from(TokenTree::from(Literal::f64_unsuffixed(f))));
    prop_oneof![4 => words, 2 => strings, 1 => ints, 1 => floats]
}

fn delimiter() -> impl Strategy<Value = Delimiter> {
    prop::sample::select(vec![
        Delimiter::Parenthesis,
        Delimiter::Bracket,
        Delimiter::Brace,
        Delimiter::None,
    ])
}

/// One edit of a token list; indices are taken modulo its length.
#[derive(Clone, Debug)]
enum Edit {
    Drop(usize),
    Duplicate(usize),
    Swap(usize, usize),
    Replace(usize, TokenStream),
    Insert(usize, TokenStream),
    Wrap(usize, usize, Delimiter),
    Inside(usize, Box<Edit>),
}

fn edit() -> impl Strategy<Value = Edit> {
    let leaf = prop_oneof![
        any::<usize>().prop_map(Edit::Drop),
        any::<usize>().prop_map(Edit::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Swap(a, b)),
        (any::<usize>(), piece()).prop_map(|(i, p)| Edit::Replace(i, p)),
        (any::<usize>(), piece()).prop_map(|(i, p)| Edit::Insert(i, p)),
        (any::<usize>(), 0..6usize, delimiter()).prop_map(|(i, n, d)| Edit::Wrap(i, n, d)),
    ];
    leaf.prop_recursive(3, 8, 1, |inner| {
        (any::<usize>(), inner).prop_map(|(i, e)| Edit::Inside(i, Box::new(e)))
    })
}

fn apply(stream: TokenStream, edit: &Edit) -> TokenStream {
    let mut list: Vec<TokenTree> = stream.into_iter().collect();
    let len = list.len();
    let at = |i: usize| i % len.max(1);
    match edit {
        Edit::Insert(i, piece) => {
            let i = i % (len + 1);
            list.splice(i..i, piece.clone());
        }
        _ if len == 0 => {}
        Edit::Drop(i) => {
            list.remove(at(*i));
        }
        Edit::Duplicate(i) => {
            let token = list[at(*i)].clone();
            list.insert(at(*i), token);
        }
        Edit::Swap(a, b) => list.swap(at(*a), at(*b)),
        Edit::Replace(i, piece) => {
            let i = at(*i);
            list.splice(i..=i, piece.clone());
        }
        Edit::Wrap(i, n, delimiter) => {
            let start = at(*i);
            let end = (start + n).min(len);
            let inner: TokenStream = list.drain(start..end).collect();
            list.insert(start, TokenTree::Group(Group::new(*delimiter, inner)));
        }
        Edit::Inside(i, edit) => {
            let i = at(*i);
            if let TokenTree::Group(group) = &list[i] {
                let mut changed = Group::new(group.delimiter(), apply(group.stream(), edit));
                changed.set_span(group.span());
                list[i] = TokenTree::Group(changed);
            }
        }
    }
    list.into_iter().collect()
}

/// A valid policy with up to eight edits applied.
fn mutated_policy() -> impl Strategy<Value = TokenStream> {
    (
        prop::sample::select(SEEDS),
        prop::collection::vec(edit(), 0..8),
    )
        .prop_map(|(seed, edits)| edits.iter().fold(tokens(seed), apply))
}

/// Up to 24 random pieces, some of them nested in groups.
fn random_stream() -> impl Strategy<Value = TokenStream> {
    let flat = prop::collection::vec(piece(), 0..24)
        .prop_map(|pieces| pieces.into_iter().collect::<TokenStream>());
    flat.prop_recursive(3, 64, 4, |inner| {
        (prop::collection::vec(inner, 1..4), delimiter()).prop_map(|(parts, d)| {
            let parts: TokenStream = parts.into_iter().collect();
            TokenStream::from(TokenTree::Group(Group::new(d, parts)))
        })
    })
}

fn policy_input() -> impl Strategy<Value = TokenStream> {
    prop_oneof![3 => mutated_policy(), 1 => random_stream()]
}

/// A block input: a policy, usually followed by `=> BODY`, then mutated as a whole.
fn block_input() -> impl Strategy<Value = TokenStream> {
    (
        policy_input(),
        prop::option::weighted(0.9, prop::sample::select(BODIES)),
        prop::collection::vec(edit(), 0..3),
    )
        .prop_map(|(policy, body, edits)| {
            let mut input = policy;
            if let Some(body) = body {
                input.extend(tokens("=>"));
                input.extend(tokens(body));
            }
            edits.iter().fold(input, apply)
        })
}

fn has_errors(output: &TokenStream) -> bool {
    output.to_string().contains("compile_error")
}

/// The attribute's output: always items that parse; without errors, the same function with
/// the policy in its body (or moved below an async runtime's attribute); with errors, the
/// user's item first.
fn check_attribute(args: TokenStream, item: &str) -> Result<(), TestCaseError> {
    let output = sandbox_fn::expand(args.clone(), tokens(item));
    let text = output.to_string();
    let file = syn::parse2::<syn::File>(output.clone())
        .map_err(|e| TestCaseError::fail(format!("{e}: `{args}` on `{item}` gave `{text}`")))?;
    if has_errors(&output) {
        prop_assert!(
            text.starts_with(&tokens(item).to_string()),
            "the item must come first: `{text}`"
        );
        return Ok(());
    }
    let function = syn::parse_str::<syn::ItemFn>(item).map_err(|_| {
        TestCaseError::fail(format!(
            "`{item}` is not a function yet gave no error: `{text}`"
        ))
    })?;
    prop_assert_eq!(file.items.len(), 1, "{}", text);
    let syn::Item::Fn(expanded) = &file.items[0] else {
        return Err(TestCaseError::fail(format!("not a function: `{text}`")));
    };
    prop_assert_eq!(&expanded.sig.ident, &function.sig.ident);
    prop_assert!(
        text.contains("__LANDLOCK_POLICY") || text.contains(":: sandbox"),
        "{}",
        text
    );
    Ok(())
}

/// The block's and `policy!`'s output: always an expression; without errors, one that holds
/// the policy. `body` is the user's expression (the block form's, after `=>`), carried as
/// tokens: when it is not an expression itself, rustc reports it where the user wrote it, so
/// the output is only required to parse when the body does.
fn check_expression(
    output: TokenStream,
    input: &TokenStream,
    body: Option<TokenStream>,
) -> Result<(), TestCaseError> {
    let text = output.to_string();
    prop_assert!(!text.is_empty());
    if let Err(e) = syn::parse2::<syn::Expr>(output.clone()) {
        let bad_body = body
            .as_ref()
            .is_some_and(|b| syn::parse2::<syn::Block>(quote::quote!({ #b })).is_err());
        if !bad_body {
            return Err(TestCaseError::fail(format!("{e}: `{input}` gave `{text}`")));
        }
    }
    if !has_errors(&output) {
        prop_assert!(text.contains("__LANDLOCK_POLICY"), "{}", text);
    }
    Ok(())
}

/// What follows the first top-level `=>` of a block input: the body the macro carries. syn
/// looks through invisible groups, so they are flattened first.
fn body_of(input: &TokenStream) -> Option<TokenStream> {
    fn flatten(stream: TokenStream, into: &mut Vec<TokenTree>) {
        for token in stream {
            match token {
                TokenTree::Group(g) if g.delimiter() == Delimiter::None => {
                    flatten(g.stream(), into)
                }
                other => into.push(other),
            }
        }
    }
    let mut list = Vec::new();
    flatten(input.clone(), &mut list);
    let arrow = list.windows(2).position(|pair| match pair {
        [TokenTree::Punct(eq), TokenTree::Punct(gt)] => {
            eq.as_char() == '='
                && eq.spacing() == proc_macro2::Spacing::Joint
                && gt.as_char() == '>'
        }
        _ => false,
    })?;
    Some(list[arrow + 2..].iter().cloned().collect())
}

proptest! {
    // 512 cases by default; `PROPTEST_CASES=N` for a longer search.
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(512),
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_attribute_never_panics_and_always_parses(
        args in policy_input(),
        item in prop::sample::select(ITEMS),
    ) {
        check_attribute(args, item)?;
    }

    #[test]
    fn the_block_never_panics_and_always_parses(input in block_input()) {
        check_expression(sandbox_fn::expand_block(input.clone()), &input, body_of(&input))?;
    }

    #[test]
    fn policy_never_panics_and_always_parses(input in policy_input()) {
        check_expression(sandbox_fn::expand_policy(input.clone()), &input, None)?;
    }
}

#[test]
fn the_seeds_are_valid() {
    for seed in SEEDS {
        assert!(
            !has_errors(&sandbox_fn::expand(tokens(seed), tokens("fn f() {}"))),
            "{seed}"
        );
        assert!(
            !has_errors(&sandbox_fn::expand_policy(tokens(seed))),
            "{seed}"
        );
        let block = format!("{seed} => {{ 1 }}");
        if !seed.contains("process") {
            assert!(
                !has_errors(&sandbox_fn::expand_block(tokens(&block))),
                "{block}"
            );
        }
    }
}

#[test]
fn known_hostile_inputs() {
    let inputs = [
        "=> => =>",
        "read = => 1",
        "read = \"/etc\" => => 1",
        "=> read = \"/etc\"",
        "read = [[[[[[[[\"/etc\"]]]]]]]]",
        "connect = 99999999999999999999999999999999999999999",
        "connect = -0",
        "connect = [443, -1, 0x10000, 1e3]",
        "crate = \"\"",
        "crate = \"a::\"",
        "crate = \"::\"",
        "crate = \"r#crate\"",
        "crate = \"\\u{0}\"",
        "crate = \"a b c\"",
        "crate = \"(\"",
        "preset = \"\"",
        "preset = \"_\"",
        "preset = \"dynamic_loader_\"",
        "read = \"\\u{202e}/etc\"",
        "r#read = \"/etc\", r#strict",
        "read = \"/etc\"; write = \"/tmp\"",
        "read: \"/etc\"",
        "read == \"/etc\"",
        "strict = true, strict",
        ",,,,",
        "read = \"/etc\",,",
    ];
    for input in inputs {
        let input = tokens(input);
        check_attribute(input.clone(), "fn f() {}").unwrap();
        check_expression(sandbox_fn::expand_policy(input.clone()), &input, None).unwrap();
        let mut block = input.clone();
        block.extend(tokens("=> 1"));
        let body = body_of(&block);
        check_expression(sandbox_fn::expand_block(block.clone()), &block, body).unwrap();
    }
    // Invisible groups, as `macro_rules!` passes `$x:expr` and `$x:literal`.
    let invisible = |source: &str| {
        TokenStream::from(TokenTree::Group(Group::new(
            Delimiter::None,
            tokens(source),
        )))
    };
    let mut input = tokens("read =");
    input.extend(invisible("\"/etc\""));
    input.extend(tokens(", connect ="));
    input.extend(invisible("[443]"));
    let output = sandbox_fn::expand_policy(input.clone());
    assert!(!has_errors(&output), "{output}");
    check_expression(output, &input, None).unwrap();
}
