use crate::model::Class;
use crate::model::rights::FsRights;

use super::access::*;
use super::document::*;
use super::expand::*;

#[test]
fn the_format_names_every_right_before_abi_9() {
    let ours: Vec<&str> = FsRights::supported(8).names().collect();
    assert_eq!(ours, fs_names());
    assert_eq!(named_fs(), FsRights::supported(8));
}

fn names(item: FsItem, abi: i64) -> Vec<&'static str> {
    item.rights(Some(abi)).unwrap().names().collect()
}

#[test]
fn groups_resolve_as_the_format_resolves_them() {
    assert_eq!(
        names(FsItem::ReadExecute, 1),
        ["execute", "read_file", "read_dir"]
    );
    assert_eq!(
        names(FsItem::ReadExecute, 2),
        ["execute", "read_file", "read_dir", "refer"]
    );
    assert_eq!(
        names(FsItem::ReadWrite, 1),
        [
            "write_file",
            "read_file",
            "read_dir",
            "remove_dir",
            "remove_file",
            "make_char",
            "make_dir",
            "make_reg",
            "make_sock",
            "make_fifo",
            "make_block",
            "make_sym"
        ]
    );
    assert_eq!(names(FsItem::All, 4).len(), 15);
    for abi in [5, 6, 7, 9, 10, i64::from(i32::MAX)] {
        assert_eq!(names(FsItem::All, abi), fs_names(), "ABI {abi}");
        let rw = FsItem::ReadWrite.rights(Some(abi)).unwrap();
        let rx = FsItem::ReadExecute.rights(Some(abi)).unwrap();
        assert_eq!(FsRights(rw.0 | rx.0), named_fs(), "ABI {abi}");
        assert_eq!(rw, class_rights(Class::Write), "ABI {abi}");
    }
    assert_eq!(FsItem::All.rights(None), None);
    assert_eq!(NetItem::All.rights(Some(3)), Some(0));
    assert_eq!(NetItem::All.rights(Some(4)), Some(BIND | CONNECT));
    assert_eq!(ScopeItem::All.rights(Some(5)), Some(0));
    assert_eq!(
        ScopeItem::All.rights(Some(6)),
        Some(SIGNAL | ABSTRACT_UNIX_SOCKET)
    );
}

#[test]
fn keys_are_spelled_per_format() {
    assert_eq!(Spelling::Json.key("handled_access_fs"), "handledAccessFs");
    assert_eq!(Spelling::Json.entry("path_beneath", 2), "pathBeneath[2]");
    assert_eq!(Spelling::Toml.entry("path_beneath", 2), "path_beneath[2]");
}

fn vars<'a>(list: &[(&'a str, &[&'a str])]) -> Variables<'a> {
    list.iter().map(|(n, v)| (*n, v.to_vec())).collect()
}

fn expand(template: &str, variables: &Variables<'_>) -> Result<Vec<String>, String> {
    let mut budget = Budget::new();
    super::expand::expand(template, variables, &mut budget)
}

#[test]
fn templates_expand_as_the_format_expands_them() {
    let v = vars(&[
        ("foo", &["a", "b"]),
        ("bar", &["X", "Y", "Z"]),
        ("none", &[]),
    ]);
    assert_eq!(
        expand("before/${foo}/${bar}/after", &v).unwrap(),
        [
            "before/a/X/after",
            "before/a/Y/after",
            "before/a/Z/after",
            "before/b/X/after",
            "before/b/Y/after",
            "before/b/Z/after"
        ]
    );
    let v = vars(&[("foo", &["bar"])]);
    for (template, expected) in [
        ("$$", "$"),
        ("$${foo}", "${foo}"),
        ("$${${foo}", "${bar"),
        ("{${foo}", "{bar"),
        ("a$b$", "a$b$"),
    ] {
        assert_eq!(expand(template, &v).unwrap(), [expected], "{template}");
    }
    assert_eq!(
        expand("/x/${none}", &vars(&[("none", &[])])).unwrap(),
        Vec::<String>::new()
    );
    assert_eq!(
        expand(" ${unclosed", &v).unwrap_err(),
        "unclosed variable reference starting at position 1"
    );
    assert_eq!(
        expand("${invalid-name}", &v).unwrap_err(),
        "invalid variable name at position 0: invalid character(s) in name (must be ASCII alphanumeric or '_')"
    );
    assert_eq!(
        expand("${nope}/x", &v).unwrap_err(),
        "variable `nope` is not declared"
    );
    assert_eq!(escape("/srv/$x"), "/srv/$$x");
    assert_eq!(expand(&escape("/a/${b}$$"), &v).unwrap(), ["/a/${b}$$"]);
}

#[test]
fn variable_names_follow_the_format() {
    for good in ["F", "FOO", "foo_", "foo__bar"] {
        assert!(is_variable_name(good), "{good}");
    }
    for bad in ["1foo", "_foo", "À", "foo-bar", "foo bar", " foo", ""] {
        assert!(!is_variable_name(bad), "{bad}");
    }
}
