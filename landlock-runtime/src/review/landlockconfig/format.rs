//! The landlockconfig document itself: its keys in both spellings, its access names and `abi.*`
//! groups, and the rules the format sets (non-empty lists, the range of `abi`, variable names,
//! `${name}` references). It knows nothing of policies: `import` and `export` translate.

use std::collections::{HashMap, HashSet};

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};

use crate::kernel::MAX_KNOWN_ABI;
use crate::model::Class;
use crate::model::rights::{FS_RIGHTS, FsRights, SCOPES_ABI, TCP_ABI};

use super::{MAX_PATHS, MAX_PATHS_BYTES};

/// What the format accepts in a list of filesystem rights: its three groups, then every right
/// it names, in the kernel's order. `resolve_unix` (ABI 9) has no name in the format yet.
const FS_ITEMS: [&str; 19] = [
    "abi.all",
    "abi.read_execute",
    "abi.read_write",
    "execute",
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
    "make_sym",
    "refer",
    "truncate",
    "ioctl_dev",
];

/// The rights among [`FS_ITEMS`].
fn fs_names() -> &'static [&'static str] {
    &FS_ITEMS[3..]
}

/// The kernel's bit of the right the format calls `name`.
fn fs_bit(name: &str) -> Option<u64> {
    FS_RIGHTS.iter().find(|r| r.name == name).map(|r| r.bit)
}

/// Every filesystem right the format can name.
pub(super) fn named_fs() -> FsRights {
    FsRights(
        fs_names()
            .iter()
            .filter_map(|name| fs_bit(name))
            .fold(0, |acc, bit| acc | bit),
    )
}

/// The ABI at which a class of the policy language is compared with the format's rights: the
/// last one whose rights the format names all of.
const CLASS_ABI: u32 = 8;

/// What a class grants beneath a directory, among the rights the format names.
pub(super) fn class_rights(class: Class) -> FsRights {
    FsRights(FsRights::of_class(class, CLASS_ABI).0 & named_fs().0)
}

/// `refer`: linking and renaming a file between directories.
pub(super) fn refer() -> FsRights {
    FsRights(fs_bit("refer").expect("a right of the kernel"))
}

/// The ABI the format resolves a group at: the document's `abi`, capped at the newest this
/// crate knows, as the format treats a larger one as the newest it knows.
fn group_abi(abi: i64) -> u32 {
    u32::try_from(abi).map_or(MAX_KNOWN_ABI, |abi| abi.min(MAX_KNOWN_ABI))
}

/// An item of a list of filesystem rights: a group, or one right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum FsItem {
    /// `abi.all`: every right of the ABI.
    All,
    /// `abi.read_execute`: `execute`, `read_file`, `read_dir`, and `refer` from ABI 2.
    ReadExecute,
    /// `abi.read_write`: every right of the ABI but `execute`.
    ReadWrite,
    /// One right, by the format's name of it.
    Right(&'static str),
}

impl FsItem {
    fn parse(name: &str) -> Option<FsItem> {
        match name {
            "abi.all" => Some(FsItem::All),
            "abi.read_execute" => Some(FsItem::ReadExecute),
            "abi.read_write" => Some(FsItem::ReadWrite),
            _ => fs_names()
                .iter()
                .find(|n| **n == name)
                .map(|n| FsItem::Right(n)),
        }
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            FsItem::All => FS_ITEMS[0],
            FsItem::ReadExecute => FS_ITEMS[1],
            FsItem::ReadWrite => FS_ITEMS[2],
            FsItem::Right(name) => name,
        }
    }

    /// Each right of `rights` that the format names, as an item.
    pub(super) fn rights_of(rights: FsRights) -> Vec<FsItem> {
        rights
            .names()
            .filter_map(|name| fs_names().iter().find(|n| **n == name))
            .map(|name| FsItem::Right(name))
            .collect()
    }

    /// The rights it stands for in a document of `abi`; `None` for a group without `abi`.
    fn rights(self, abi: Option<i64>) -> Option<FsRights> {
        let named = named_fs().0;
        let group = |abi: i64| FsRights::supported(group_abi(abi)).0 & named;
        let bits = match self {
            FsItem::Right(name) => fs_bit(name).expect("a right of the kernel"),
            FsItem::All => group(abi?),
            FsItem::ReadExecute => {
                let abi = abi?;
                FsRights::of_class(Class::Exec, group_abi(abi)).0 | (group(abi) & refer().0)
            }
            FsItem::ReadWrite => group(abi?) & !fs_bit("execute").expect("a right of the kernel"),
        };
        Some(FsRights(bits))
    }
}

impl Serialize for FsItem {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for FsItem {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        FsItem::parse(&name).ok_or_else(|| de::Error::unknown_variant(&name, &FS_ITEMS))
    }
}

/// TCP rights, as bits: bind, connect.
pub(super) const BIND: u8 = 1;
pub(super) const CONNECT: u8 = 2;

/// An item of a list of TCP rights.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub(super) enum NetItem {
    /// Both, from ABI 4.
    #[serde(rename = "abi.all")]
    All,
    #[serde(rename = "bind_tcp")]
    BindTcp,
    #[serde(rename = "connect_tcp")]
    ConnectTcp,
}

impl NetItem {
    fn name(self) -> &'static str {
        match self {
            NetItem::All => "abi.all",
            NetItem::BindTcp => "bind_tcp",
            NetItem::ConnectTcp => "connect_tcp",
        }
    }

    fn rights(self, abi: Option<i64>) -> Option<u8> {
        Some(match self {
            NetItem::All if group_abi(abi?) >= TCP_ABI => BIND | CONNECT,
            NetItem::All => 0,
            NetItem::BindTcp => BIND,
            NetItem::ConnectTcp => CONNECT,
        })
    }
}

/// IPC scopes, as bits.
pub(super) const SIGNAL: u8 = 1;
pub(super) const ABSTRACT_UNIX_SOCKET: u8 = 2;

/// An item of a list of scopes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub(super) enum ScopeItem {
    /// Both, from ABI 6.
    #[serde(rename = "abi.all")]
    All,
    #[serde(rename = "abstract_unix_socket")]
    AbstractUnixSocket,
    #[serde(rename = "signal")]
    Signal,
}

impl ScopeItem {
    fn name(self) -> &'static str {
        match self {
            ScopeItem::All => "abi.all",
            ScopeItem::AbstractUnixSocket => "abstract_unix_socket",
            ScopeItem::Signal => "signal",
        }
    }

    fn rights(self, abi: Option<i64>) -> Option<u8> {
        Some(match self {
            ScopeItem::All if group_abi(abi?) >= SCOPES_ABI => SIGNAL | ABSTRACT_UNIX_SOCKET,
            ScopeItem::All => 0,
            ScopeItem::AbstractUnixSocket => ABSTRACT_UNIX_SOCKET,
            ScopeItem::Signal => SIGNAL,
        })
    }
}

/// A list the format requires to have at least one item, with its own message when empty.
fn non_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    let items = Vec::<T>::deserialize(deserializer)?;
    if items.is_empty() {
        return Err(de::Error::invalid_length(0, &"at least one element"));
    }
    Ok(items)
}

/// How a document writes its keys: JSON in camelCase, TOML in snake_case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Spelling {
    Json,
    Toml,
}

impl Spelling {
    /// `key`, written in snake_case, as this spelling writes it.
    pub(super) fn key(self, key: &str) -> String {
        match self {
            Spelling::Toml => key.to_owned(),
            Spelling::Json => {
                let mut out = String::with_capacity(key.len());
                let mut upper = false;
                for c in key.chars() {
                    match c {
                        '_' => upper = true,
                        c if upper => {
                            out.push(c.to_ascii_uppercase());
                            upper = false;
                        }
                        c => out.push(c),
                    }
                }
                out
            }
        }
    }

    /// Entry `index` of the list `key`, as a message names it: `pathBeneath[1]`.
    pub(super) fn entry(self, key: &str, index: usize) -> String {
        format!("{}[{index}]", self.key(key))
    }
}

/// A document, whichever its spelling: the keys it has, as written (groups unresolved,
/// templates unexpanded). An absent list is empty; a present one never is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Document {
    pub abi: Option<i64>,
    pub variable: Vec<Variable>,
    pub ruleset: Vec<Ruleset>,
    pub path_beneath: Vec<PathBeneath>,
    pub net_port: Vec<NetPort>,
}

/// A `variable` entry: a name and its set of values (its keys are the same in both spellings).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Variable {
    pub name: String,
    #[serde(
        default,
        deserialize_with = "non_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub literal: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Ruleset {
    pub handled_access_fs: Vec<FsItem>,
    pub handled_access_net: Vec<NetItem>,
    pub scoped: Vec<ScopeItem>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct PathBeneath {
    pub allowed_access: Vec<FsItem>,
    pub parent: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct NetPort {
    pub allowed_access: Vec<NetItem>,
    pub port: Vec<u64>,
}

/// One spelling of the document's keys, for serde: the same shapes as [`Document`] and its
/// entries, renamed, refusing unknown keys and empty lists as the format does.
macro_rules! spelling {
    ($module:ident, $case:literal) => {
        pub(super) mod $module {
            use serde::{Deserialize, Serialize};

            use super::{FsItem, NetItem, ScopeItem, Variable, non_empty};

            #[derive(Deserialize, Serialize)]
            #[serde(deny_unknown_fields, rename_all = $case)]
            pub(in super::super) struct Document {
                #[serde(default, skip_serializing_if = "Option::is_none")]
                abi: Option<i64>,
                #[serde(
                    default,
                    deserialize_with = "non_empty",
                    skip_serializing_if = "Vec::is_empty"
                )]
                variable: Vec<Variable>,
                #[serde(
                    default,
                    deserialize_with = "non_empty",
                    skip_serializing_if = "Vec::is_empty"
                )]
                ruleset: Vec<Ruleset>,
                #[serde(
                    default,
                    deserialize_with = "non_empty",
                    skip_serializing_if = "Vec::is_empty"
                )]
                path_beneath: Vec<PathBeneath>,
                #[serde(
                    default,
                    deserialize_with = "non_empty",
                    skip_serializing_if = "Vec::is_empty"
                )]
                net_port: Vec<NetPort>,
            }

            #[derive(Deserialize, Serialize)]
            #[serde(deny_unknown_fields, rename_all = $case)]
            struct Ruleset {
                #[serde(
                    default,
                    deserialize_with = "non_empty",
                    skip_serializing_if = "Vec::is_empty"
                )]
                handled_access_fs: Vec<FsItem>,
                #[serde(
                    default,
                    deserialize_with = "non_empty",
                    skip_serializing_if = "Vec::is_empty"
                )]
                handled_access_net: Vec<NetItem>,
                #[serde(
                    default,
                    deserialize_with = "non_empty",
                    skip_serializing_if = "Vec::is_empty"
                )]
                scoped: Vec<ScopeItem>,
            }

            #[derive(Deserialize, Serialize)]
            #[serde(deny_unknown_fields, rename_all = $case)]
            struct PathBeneath {
                #[serde(deserialize_with = "non_empty")]
                allowed_access: Vec<FsItem>,
                #[serde(deserialize_with = "non_empty")]
                parent: Vec<String>,
            }

            #[derive(Deserialize, Serialize)]
            #[serde(deny_unknown_fields, rename_all = $case)]
            struct NetPort {
                #[serde(deserialize_with = "non_empty")]
                allowed_access: Vec<NetItem>,
                #[serde(deserialize_with = "non_empty")]
                port: Vec<u64>,
            }

            impl From<Document> for super::Document {
                fn from(d: Document) -> super::Document {
                    super::Document {
                        abi: d.abi,
                        variable: d.variable,
                        ruleset: d
                            .ruleset
                            .into_iter()
                            .map(|r| super::Ruleset {
                                handled_access_fs: r.handled_access_fs,
                                handled_access_net: r.handled_access_net,
                                scoped: r.scoped,
                            })
                            .collect(),
                        path_beneath: d
                            .path_beneath
                            .into_iter()
                            .map(|p| super::PathBeneath {
                                allowed_access: p.allowed_access,
                                parent: p.parent,
                            })
                            .collect(),
                        net_port: d
                            .net_port
                            .into_iter()
                            .map(|n| super::NetPort {
                                allowed_access: n.allowed_access,
                                port: n.port,
                            })
                            .collect(),
                    }
                }
            }

            impl From<super::Document> for Document {
                fn from(d: super::Document) -> Document {
                    Document {
                        abi: d.abi,
                        variable: d.variable,
                        ruleset: d
                            .ruleset
                            .into_iter()
                            .map(|r| Ruleset {
                                handled_access_fs: r.handled_access_fs,
                                handled_access_net: r.handled_access_net,
                                scoped: r.scoped,
                            })
                            .collect(),
                        path_beneath: d
                            .path_beneath
                            .into_iter()
                            .map(|p| PathBeneath {
                                allowed_access: p.allowed_access,
                                parent: p.parent,
                            })
                            .collect(),
                        net_port: d
                            .net_port
                            .into_iter()
                            .map(|n| NetPort {
                                allowed_access: n.allowed_access,
                                port: n.port,
                            })
                            .collect(),
                    }
                }
            }
        }
    };
}

spelling!(camel, "camelCase");
spelling!(snake, "snake_case");

impl Document {
    /// Parses the JSON spelling; the error is the parser's message, with the line and column.
    pub(super) fn from_json(text: &str) -> Result<Document, String> {
        serde_json::from_str::<camel::Document>(text)
            .map(Document::from)
            .map_err(|e| e.to_string())
    }

    /// Parses the TOML spelling; the error is the parser's message, with the line and column.
    #[cfg(feature = "toml")]
    pub(super) fn from_toml(text: &str) -> Result<Document, String> {
        toml::from_str::<snake::Document>(text)
            .map(Document::from)
            .map_err(|e| e.to_string().trim_end().to_owned())
    }

    /// The JSON spelling, for serde.
    pub(super) fn json_spelling(&self) -> camel::Document {
        camel::Document::from(self.clone())
    }

    /// The TOML spelling.
    #[cfg(feature = "toml")]
    pub(super) fn to_toml(&self) -> String {
        toml::to_string_pretty(&snake::Document::from(self.clone()))
            .expect("strings, integers and lists only, values before tables")
    }

    /// What the document handles and allows, with its groups resolved at its `abi` and its
    /// templates expanded; or every way it breaks the format's rules.
    pub(super) fn resolve(&self, spelling: Spelling) -> Result<Config, Vec<String>> {
        let mut problems = Vec::new();
        if self.variable.is_empty()
            && self.ruleset.is_empty()
            && self.path_beneath.is_empty()
            && self.net_port.is_empty()
        {
            problems.push(format!(
                "empty configuration: it needs at least one of `{}`, `{}`, `{}`, `{}`",
                spelling.key("variable"),
                spelling.key("ruleset"),
                spelling.key("path_beneath"),
                spelling.key("net_port"),
            ));
        }
        if let Some(abi) = self.abi
            && !(1..=i64::from(i32::MAX)).contains(&abi)
        {
            problems.push(format!(
                "`abi` is {abi}: the ABI version must be between 1 and 2^31 - 1 (inclusive)"
            ));
        }
        let variables = self.variables(spelling, &mut problems);
        let mut budget = Budget::new();
        // A group needs `abi`, which says which rights it stands for.
        let mut without_abi = Vec::new();
        let mut needs_abi = |what: String, group: &str| {
            without_abi.push(format!(
                "`{what}` has `{group}`, which needs the top-level `abi`: the group stands for the rights of that ABI"
            ))
        };
        let mut config = Config::default();
        for (i, ruleset) in self.ruleset.iter().enumerate() {
            let at = spelling.entry("ruleset", i);
            if ruleset == &Ruleset::default() {
                problems.push(format!(
                    "`{at}` is empty: give `{}`, `{}` or `{}`",
                    spelling.key("handled_access_fs"),
                    spelling.key("handled_access_net"),
                    spelling.key("scoped"),
                ));
            }
            for item in &ruleset.handled_access_fs {
                match item.rights(self.abi) {
                    Some(rights) => config.handled_fs.0 |= rights.0,
                    None => needs_abi(
                        format!("{at}.{}", spelling.key("handled_access_fs")),
                        item.name(),
                    ),
                }
            }
            for item in &ruleset.handled_access_net {
                match item.rights(self.abi) {
                    Some(rights) => config.handled_net |= rights,
                    None => needs_abi(
                        format!("{at}.{}", spelling.key("handled_access_net")),
                        item.name(),
                    ),
                }
            }
            for item in &ruleset.scoped {
                match item.rights(self.abi) {
                    Some(rights) => config.scoped |= rights,
                    None => needs_abi(format!("{at}.scoped"), item.name()),
                }
            }
        }
        for (i, rule) in self.path_beneath.iter().enumerate() {
            let at = spelling.entry("path_beneath", i);
            let mut access = 0;
            for item in &rule.allowed_access {
                match item.rights(self.abi) {
                    Some(rights) => access |= rights.0,
                    None => needs_abi(
                        format!("{at}.{}", spelling.key("allowed_access")),
                        item.name(),
                    ),
                }
            }
            let mut paths = Vec::new();
            let mut seen = HashSet::new();
            for (j, parent) in rule.parent.iter().enumerate() {
                if budget.exhausted {
                    // Said once, where it ran out: every later parent would say it again.
                    break;
                }
                match expand(parent, &variables, &mut budget) {
                    Ok(expanded) => {
                        for path in expanded {
                            if seen.insert(path.clone()) {
                                paths.push(path);
                            }
                        }
                    }
                    Err(why) => problems.push(format!("`{at}.parent[{j}]` (`{parent}`): {why}")),
                }
            }
            // Rights are handled as soon as a rule allows them; a rule left with no right
            // (a group of an ABI without it) grants nothing.
            config.handled_fs.0 |= access;
            if access != 0 {
                config.rules.push(FsRule {
                    entry: i,
                    access: FsRights(access),
                    paths,
                });
            }
        }
        for (i, rule) in self.net_port.iter().enumerate() {
            let at = spelling.entry("net_port", i);
            let mut access = 0;
            for item in &rule.allowed_access {
                match item.rights(self.abi) {
                    Some(rights) => access |= rights,
                    None => needs_abi(
                        format!("{at}.{}", spelling.key("allowed_access")),
                        item.name(),
                    ),
                }
            }
            config.handled_net |= access;
            if access != 0 {
                config.ports.push(PortRule {
                    entry: i,
                    access,
                    ports: rule.port.clone(),
                });
            }
        }
        problems.extend(without_abi);
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    /// Every variable's values, declarations of one name merged, in the order written, each
    /// once.
    fn variables(&self, spelling: Spelling, problems: &mut Vec<String>) -> Variables<'_> {
        let mut variables: Variables<'_> = HashMap::new();
        let mut seen: HashSet<(&str, &str)> = HashSet::new();
        for (i, variable) in self.variable.iter().enumerate() {
            if let Some(why) = name_problem(&variable.name) {
                problems.push(format!(
                    "`{}` names `{}`: {why}",
                    spelling.entry("variable", i),
                    variable.name
                ));
                continue;
            }
            let values = variables.entry(&variable.name).or_default();
            for value in &variable.literal {
                if seen.insert((&variable.name, value)) {
                    values.push(value);
                }
            }
        }
        variables
    }
}

/// Why `name` cannot name a variable of the format, in its words.
fn name_problem(name: &str) -> Option<&'static str> {
    let mut chars = name.chars();
    match chars.next() {
        None => Some("name cannot be empty"),
        Some(c) if !c.is_ascii_alphabetic() => {
            Some("invalid first character in name (must be ASCII alphabetic)")
        }
        _ if !chars.all(|c| c.is_ascii_alphanumeric() || c == '_') => {
            Some("invalid character(s) in name (must be ASCII alphanumeric or '_')")
        }
        _ => None,
    }
}

/// Whether `name` can name a variable of the format.
pub(super) fn is_variable_name(name: &str) -> bool {
    name_problem(name).is_none()
}

/// `text` as literal text in a `parent` template: every `$` doubled.
pub(super) fn escape(text: &str) -> String {
    text.replace('$', "$$")
}

/// One piece of a `parent` template.
enum Piece<'a> {
    Text(String),
    Variable(&'a str),
}

/// Splits a `parent` template: `${name}` is a variable, `$$` a `$`, and any other `$` itself.
fn pieces(template: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    // Where the text not yet looked at starts; each run without `$` is copied at once.
    let mut from = 0;
    while let Some(found) = template[from..].find('$') {
        let at = from + found;
        text.push_str(&template[from..at]);
        match template.as_bytes().get(at + 1) {
            Some(b'$') => {
                text.push('$');
                from = at + 2;
            }
            Some(b'{') => {
                let start = at + 2;
                let Some(length) = template[start..].find('}') else {
                    return Err(format!(
                        "unclosed variable reference starting at position {at}"
                    ));
                };
                let name = &template[start..start + length];
                if let Some(why) = name_problem(name) {
                    return Err(format!("invalid variable name at position {at}: {why}"));
                }
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(Piece::Variable(name));
                // Past the name and its closing brace.
                from = start + length + 1;
            }
            _ => {
                text.push('$');
                from = at + 1;
            }
        }
    }
    text.push_str(&template[from..]);
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

/// Every variable's values, by name.
type Variables<'a> = HashMap<&'a str, Vec<&'a str>>;

/// What a document's `parent` entries may still stand for (see [`MAX_PATHS`]).
struct Budget {
    /// Paths.
    paths: usize,
    /// Bytes, all paths together.
    bytes: usize,
    /// Whether a template was refused for going past it.
    exhausted: bool,
}

impl Budget {
    /// The budget of one document.
    fn new() -> Budget {
        Budget {
            paths: MAX_PATHS,
            bytes: MAX_PATHS_BYTES,
            exhausted: false,
        }
    }
}

/// The longest path the kernel takes, in bytes: `PATH_MAX` less its terminating NUL.
const MAX_PATH_BYTES: usize = libc::PATH_MAX as usize - 1;

/// Every string a `parent` template stands for: each combination of its variables' values.
/// They are counted and measured before one is made, and refused when they would be more, or
/// longer, than `budget` has left, or one longer than a path can be: a small document cannot
/// make the import work or allocate without bound.
fn expand(
    template: &str,
    variables: &Variables<'_>,
    budget: &mut Budget,
) -> Result<Vec<String>, String> {
    let pieces = pieces(template)?;
    let mut count: usize = 1;
    let (mut text, mut longest) = (0, 0);
    // Each variable's number of values and their total length.
    let mut sizes = Vec::new();
    // The variable at which the count went past the budget, and its number of values.
    let mut past = None;
    for piece in &pieces {
        match piece {
            Piece::Text(t) => {
                text += t.len();
                longest += t.len();
            }
            Piece::Variable(name) => {
                let Some(values) = variables.get(name) else {
                    return Err(format!("variable `{name}` is not declared"));
                };
                count = count.saturating_mul(values.len());
                longest += values.iter().map(|v| v.len()).max().unwrap_or(0);
                sizes.push((values.len(), values.iter().map(|v| v.len()).sum::<usize>()));
                if count > budget.paths && past.is_none() {
                    past = Some((name, values.len()));
                }
            }
        }
    }
    if count == 0 {
        return Ok(Vec::new());
    }
    if count > budget.paths {
        budget.exhausted = true;
        return Err(match past {
            Some((name, values)) => format!(
                "with the {values} values of variable `{name}`, the document's paths would be more than {MAX_PATHS}, the most an import takes"
            ),
            None => {
                format!("the document names more than {MAX_PATHS} paths, the most an import takes")
            }
        });
    }
    // Each value of a variable is in `count / values` of the paths; the text in all of them.
    let bytes = sizes
        .iter()
        .fold(count.saturating_mul(text), |bytes, &(n, sum)| {
            bytes.saturating_add((count / n).saturating_mul(sum))
        });
    if bytes > budget.bytes {
        budget.exhausted = true;
        return Err(format!(
            "the document's paths would be more than {MAX_PATHS_BYTES} bytes together, the most an import takes"
        ));
    }
    if longest > MAX_PATH_BYTES {
        return Err(format!(
            "its paths would be up to {longest} bytes long, and a path has at most {MAX_PATH_BYTES}"
        ));
    }
    budget.paths -= count;
    budget.bytes -= bytes;
    let mut out = vec![String::new()];
    for piece in pieces {
        match piece {
            Piece::Text(text) => out.iter_mut().for_each(|s| s.push_str(&text)),
            Piece::Variable(name) => {
                let values = &variables[name];
                out = out
                    .iter()
                    .flat_map(|s| values.iter().map(move |v| format!("{s}{v}")))
                    .collect();
            }
        }
    }
    Ok(out)
}

/// What a document handles and allows.
#[derive(Debug, Default)]
pub(super) struct Config {
    /// Handled filesystem rights: those of `ruleset` and those its rules allow.
    pub handled_fs: FsRights,
    /// Handled TCP rights ([`BIND`], [`CONNECT`]): those of `ruleset` and of its port rules.
    pub handled_net: u8,
    /// Restricted scopes ([`SIGNAL`], [`ABSTRACT_UNIX_SOCKET`]).
    pub scoped: u8,
    /// The `path_beneath` entries that allow something, in order.
    pub rules: Vec<FsRule>,
    /// The `net_port` entries that allow something, in order.
    pub ports: Vec<PortRule>,
}

/// A `path_beneath` entry, resolved.
#[derive(Debug)]
pub(super) struct FsRule {
    /// Its index in the document.
    pub entry: usize,
    pub access: FsRights,
    /// Its parents, expanded, as strings (relative ones not yet made absolute).
    pub paths: Vec<String>,
}

/// A `net_port` entry, resolved.
#[derive(Debug)]
pub(super) struct PortRule {
    pub entry: usize,
    /// [`BIND`], [`CONNECT`].
    pub access: u8,
    /// As written: any unsigned integer.
    pub ports: Vec<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

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
        super::expand(template, variables, &mut budget)
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
}
