//! A policy as a landlockconfig document: what it handles, one rule per class, its ports and
//! scopes; its variables resolved here, its optional paths those that exist here.

use landlock_template::{Base, PathTemplate};

use super::ExportError;
use super::format::{
    Document, FsItem, NetItem, NetPort, PathBeneath, Ruleset, ScopeItem, Variable, class_rights,
    escape, is_variable_name, named_fs,
};
use crate::model::rights::{FS_RIGHTS, SCOPES_ABI, TCP_ABI};
use crate::model::{Class, FsGrant, GrantPath};
use crate::policy::Policy;
use crate::prepare::resolve::{Resolved, resolve};

/// The document that says what `policy` says, as far as the format can.
pub(super) fn document(policy: &Policy) -> Result<Document, ExportError> {
    let mut variables: Vec<Variable> = Vec::new();
    // The parents of each class, in the order of the policy, presets' paths after its own.
    let mut parents: [(Class, Vec<String>); 3] = [
        (Class::Read, Vec::new()),
        (Class::Exec, Vec::new()),
        (Class::Write, Vec::new()),
    ];
    let presets = policy.presets().iter().flat_map(|p| p.grants());
    for grant in policy.grants().iter().chain(presets) {
        let Some(parent) = parent(policy, grant, &mut variables)? else {
            continue;
        };
        let list = &mut parents
            .iter_mut()
            .find(|(class, _)| *class == grant.class())
            .expect("every class")
            .1;
        if !list.contains(&parent) {
            list.push(parent);
        }
    }

    // What the policy leaves unhandled (imported from a document for an older ABI), the
    // document leaves unhandled too: neither handled nor allowed by a rule.
    let named = named_fs().minus(policy.unhandled_fs);
    let mut abi = FS_RIGHTS
        .iter()
        .filter(|r| r.bit & named.0 != 0)
        .map(|r| r.abi)
        .max()
        .unwrap_or(1);
    let mut net = Vec::new();
    let mut ports = Vec::new();
    for (which, item) in [
        (policy.bind(), NetItem::BindTcp),
        (policy.connect(), NetItem::ConnectTcp),
    ] {
        if let Some(argument) = which.arguments().first() {
            return Err(ExportError::Argument {
                origin: policy.origin().clone(),
                argument: argument.to_string(),
            });
        }
        if let Some(list) = which.allowed() {
            net.push(item);
            abi = abi.max(TCP_ABI);
            if !list.is_empty() {
                ports.push(NetPort {
                    allowed_access: vec![item],
                    port: list.iter().map(|&p| u64::from(p)).collect(),
                });
            }
        }
    }
    let scopes = policy.scopes();
    let mut scoped = Vec::new();
    if scopes.abstract_unix_sockets {
        scoped.push(ScopeItem::AbstractUnixSocket);
    }
    if scopes.signals {
        scoped.push(ScopeItem::Signal);
    }
    if !scoped.is_empty() {
        abi = abi.max(SCOPES_ABI);
    }
    Ok(Document {
        abi: Some(i64::from(abi)),
        variable: variables,
        ruleset: vec![Ruleset {
            handled_access_fs: FsItem::rights_of(named),
            handled_access_net: net,
            scoped,
        }],
        path_beneath: parents
            .into_iter()
            .filter(|(_, list)| !list.is_empty())
            .map(|(class, parent)| PathBeneath {
                allowed_access: FsItem::rights_of(class_rights(class).minus(policy.unhandled_fs)),
                parent,
            })
            .collect(),
        net_port: ports,
    })
}

/// The `parent` that names `grant`'s path (`None`: an optional path that is not there), and
/// the variable it uses, added to `variables`.
fn parent(
    policy: &Policy,
    grant: &FsGrant,
    variables: &mut Vec<Variable>,
) -> Result<Option<String>, ExportError> {
    let utf8 = |path: &std::path::Path| {
        path.to_str()
            .map(str::to_owned)
            .ok_or_else(|| ExportError::NotUtf8 {
                origin: policy.origin().clone(),
                path: path.to_owned(),
            })
    };
    let template = match grant.path() {
        GrantPath::Template(template) => template,
        GrantPath::Literal(path) => return Ok(Some(escape(&utf8(path)?))),
        GrantPath::Argument(name) => {
            return Err(ExportError::Argument {
                origin: policy.origin().clone(),
                argument: name.to_string(),
            });
        }
    };
    let (path, variable) = match resolve(template, policy.cwd.as_deref()) {
        Ok(Resolved::Path(path, variable)) => (path, variable),
        Ok(Resolved::SkippedUnset) => return Ok(None),
        Err(kind) => return Err(ExportError::Unresolved(policy.error(kind))),
    };
    // The format has no optional path: tools skip a missing one with a warning. An optional
    // path is exported where it exists, so that the file says what is granted here.
    if grant.is_optional() && !path.exists() {
        return Ok(None);
    }
    let resolved = utf8(&path)?;
    let Some(variable) = variable else {
        return Ok(Some(escape(&resolved)));
    };
    let parsed = PathTemplate::parse(template).expect("a policy's templates are valid");
    let name = match parsed.base() {
        Base::Env(name) => name,
        Base::Tmp => "TMP",
        Base::Home => "HOME",
        Base::Cwd => "CWD",
        Base::ExeDir => "EXE_DIR",
        Base::Root => unreachable!("a variable"),
    };
    let value = variable.value.to_str();
    // A variable of the format holds literal values, here the one this process sees. Where the
    // format cannot name it, or one name would hold two values, the path is written out.
    let usable = match (value, variables.iter().find(|v| v.name == name)) {
        (Some(value), Some(known)) => known.literal == [value],
        (Some(_), None) => is_variable_name(name),
        (None, _) => false,
    };
    if !usable {
        return Ok(Some(escape(&resolved)));
    }
    if !variables.iter().any(|v| v.name == name) {
        variables.push(Variable {
            name: name.to_owned(),
            literal: vec![value.expect("checked").to_owned()],
        });
    }
    Ok(Some(format!("${{{name}}}{}", escape(parsed.tail()))))
}
