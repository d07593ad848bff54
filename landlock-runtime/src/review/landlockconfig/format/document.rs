//! The document in its two spellings (JSON in camelCase, TOML in snake_case): its keys, the
//! rules the format sets on them, and the names of its variables.

use serde::{Deserialize, Serialize};

use super::access::{FsItem, NetItem, ScopeItem, non_empty};

/// How a document writes its keys: JSON in camelCase, TOML in snake_case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(in crate::review::landlockconfig) enum Spelling {
    Json,
    Toml,
}

impl Spelling {
    /// `key`, written in snake_case, as this spelling writes it.
    pub(in crate::review::landlockconfig) fn key(self, key: &str) -> String {
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
    pub(in crate::review::landlockconfig) fn entry(self, key: &str, index: usize) -> String {
        format!("{}[{index}]", self.key(key))
    }
}

/// A document, whichever its spelling: the keys it has, as written (groups unresolved,
/// templates unexpanded). An absent list is empty; a present one never is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(in crate::review::landlockconfig) struct Document {
    pub abi: Option<i64>,
    pub variable: Vec<Variable>,
    pub ruleset: Vec<Ruleset>,
    pub path_beneath: Vec<PathBeneath>,
    pub net_port: Vec<NetPort>,
}

/// A `variable` entry: a name and its set of values (its keys are the same in both spellings).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(in crate::review::landlockconfig) struct Variable {
    pub name: String,
    #[serde(
        default,
        deserialize_with = "non_empty",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub literal: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(in crate::review::landlockconfig) struct Ruleset {
    pub handled_access_fs: Vec<FsItem>,
    pub handled_access_net: Vec<NetItem>,
    pub scoped: Vec<ScopeItem>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(in crate::review::landlockconfig) struct PathBeneath {
    pub allowed_access: Vec<FsItem>,
    pub parent: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(in crate::review::landlockconfig) struct NetPort {
    pub allowed_access: Vec<NetItem>,
    pub port: Vec<u64>,
}

/// One spelling of the document's keys, for serde: the same shapes as [`Document`] and its
/// entries, renamed, refusing unknown keys and empty lists as the format does.
macro_rules! spelling {
    ($module:ident, $case:literal) => {
        pub(in crate::review::landlockconfig) mod $module {
            use serde::{Deserialize, Serialize};

            use super::{FsItem, NetItem, ScopeItem, Variable, non_empty};

            #[derive(Deserialize, Serialize)]
            #[serde(deny_unknown_fields, rename_all = $case)]
            pub(in crate::review::landlockconfig) struct Document {
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
    pub(in crate::review::landlockconfig) fn from_json(text: &str) -> Result<Document, String> {
        serde_json::from_str::<camel::Document>(text)
            .map(Document::from)
            .map_err(|e| e.to_string())
    }

    /// Parses the TOML spelling; the error is the parser's message, with the line and column.
    #[cfg(feature = "toml")]
    pub(in crate::review::landlockconfig) fn from_toml(text: &str) -> Result<Document, String> {
        toml::from_str::<snake::Document>(text)
            .map(Document::from)
            .map_err(|e| e.to_string().trim_end().to_owned())
    }

    /// The JSON spelling, for serde.
    pub(in crate::review::landlockconfig) fn json_spelling(&self) -> camel::Document {
        camel::Document::from(self.clone())
    }

    /// The TOML spelling.
    #[cfg(feature = "toml")]
    pub(in crate::review::landlockconfig) fn to_toml(&self) -> String {
        toml::to_string_pretty(&snake::Document::from(self.clone()))
            .expect("strings, integers and lists only, values before tables")
    }
}

/// Why `name` cannot name a variable of the format, in its words.
pub(super) fn name_problem(name: &str) -> Option<&'static str> {
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
pub(in crate::review::landlockconfig) fn is_variable_name(name: &str) -> bool {
    name_problem(name).is_none()
}

/// `text` as literal text in a `parent` template: every `$` doubled.
pub(in crate::review::landlockconfig) fn escape(text: &str) -> String {
    text.replace('$', "$$")
}
