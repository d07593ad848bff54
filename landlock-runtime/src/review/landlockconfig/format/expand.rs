//! What a document handles and allows, with its variables expanded within bounds
//! (`MAX_PATHS`, `MAX_PATHS_BYTES`) in linear time.

use std::collections::{HashMap, HashSet};

use crate::model::rights::FsRights;

use super::document::{Document, Ruleset, Spelling, name_problem};
use crate::review::landlockconfig::{MAX_PATHS, MAX_PATHS_BYTES};

impl Document {
    /// What the document handles and allows, with its groups resolved at its `abi` and its
    /// templates expanded; or every way it breaks the format's rules.
    pub(in crate::review::landlockconfig) fn resolve(
        &self,
        spelling: Spelling,
    ) -> Result<Config, Vec<String>> {
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
    pub(in crate::review::landlockconfig) fn variables(
        &self,
        spelling: Spelling,
        problems: &mut Vec<String>,
    ) -> Variables<'_> {
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

/// One piece of a `parent` template.
pub(super) enum Piece<'a> {
    Text(String),
    Variable(&'a str),
}

/// Splits a `parent` template: `${name}` is a variable, `$$` a `$`, and any other `$` itself.
pub(super) fn pieces(template: &str) -> Result<Vec<Piece<'_>>, String> {
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
pub(super) type Variables<'a> = HashMap<&'a str, Vec<&'a str>>;

/// What a document's `parent` entries may still stand for (see [`MAX_PATHS`]).
pub(super) struct Budget {
    /// Paths.
    pub(in crate::review::landlockconfig) paths: usize,
    /// Bytes, all paths together.
    pub(in crate::review::landlockconfig) bytes: usize,
    /// Whether a template was refused for going past it.
    pub(in crate::review::landlockconfig) exhausted: bool,
}

impl Budget {
    /// The budget of one document.
    pub(in crate::review::landlockconfig) fn new() -> Budget {
        Budget {
            paths: MAX_PATHS,
            bytes: MAX_PATHS_BYTES,
            exhausted: false,
        }
    }
}

/// The longest path the kernel takes, in bytes: `PATH_MAX` less its terminating NUL.
pub(super) const MAX_PATH_BYTES: usize = libc::PATH_MAX as usize - 1;

/// Every string a `parent` template stands for: each combination of its variables' values.
/// They are counted and measured before one is made, and refused when they would be more, or
/// longer, than `budget` has left, or one longer than a path can be: a small document cannot
/// make the import work or allocate without bound.
pub(super) fn expand(
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
pub(in crate::review::landlockconfig) struct Config {
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
pub(in crate::review::landlockconfig) struct FsRule {
    /// Its index in the document.
    pub entry: usize,
    pub access: FsRights,
    /// Its parents, expanded, as strings (relative ones not yet made absolute).
    pub paths: Vec<String>,
}

/// A `net_port` entry, resolved.
#[derive(Debug)]
pub(in crate::review::landlockconfig) struct PortRule {
    pub entry: usize,
    /// [`BIND`], [`CONNECT`].
    pub access: u8,
    /// As written: any unsigned integer.
    pub ports: Vec<u64>,
}
