//! Stage 1: tokens to raw items (`key`, `key = value`), with no meaning attached yet.
//!
//! Parsing recovers at each comma, so one invocation reports every malformed item at once.

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Ident, Lit, Token};

use crate::Errors;

/// The keys written alone, without a value: after one, the syntax expects `,` (or the end),
/// not `=`. The model gives each its meaning.
pub(crate) const FLAGS: &[&str] = &[
    "allow_signals",
    "allow_abstract_unix_sockets",
    "strict",
    "process",
    "own_thread",
    "broad",
    "quiet",
];

/// One `key` or `key = value` of a policy.
pub(crate) struct RawItem {
    pub key: Ident,
    /// The `=`, also when no value follows it (`read = ,`), so that the model can say so.
    pub eq: Option<Token![=]>,
    pub value: Option<Expr>,
}

/// The policy items of `#[sandbox(...)]`.
pub(crate) fn attribute_args(args: TokenStream, errors: &mut Errors) -> Vec<RawItem> {
    let parser = |input: ParseStream| Ok(items(input, Form::Attribute, errors).0);
    parser.parse2(args).unwrap_or_default()
}

/// Which macro the items are written in: the block form also ends them with `=>`, so its
/// messages mention it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Attribute,
    Block,
}

impl Form {
    /// What else may follow an item, besides `,`.
    fn or_arrow(self) -> &'static str {
        match self {
            Form::Attribute => "",
            Form::Block => ", or `=>` before the expression to run",
        }
    }
}

/// The input of `block::sandbox!(ITEMS => EXPR)`: the items and the expression's tokens.
pub(crate) struct BlockInput {
    pub items: Vec<RawItem>,
    pub body: Option<TokenStream>,
}

pub(crate) fn block_input(input: TokenStream, errors: &mut Errors) -> BlockInput {
    // Where a missing `=>` is reported: after the last token, or on the whole call if empty.
    let last = input.clone().into_iter().last().map(|t| t.span());
    let parser = |input: ParseStream| {
        let (items, recovered) = items(input, Form::Block, errors);
        if input.is_empty() {
            // After a malformed item that ran to the end, the missing `=>` is most likely that
            // same mistake, already reported with `=>` among what was expected.
            if !recovered {
                errors.push(syn::Error::new(
                    last.unwrap_or_else(|| input.span()),
                    "expected `=>` followed by the expression to run in the sandbox, as in `block::sandbox!(read = \"/etc\" => { ... })`",
                ));
            }
            return Ok(BlockInput { items, body: None });
        }
        let arrow: Token![=>] = input.parse()?;
        let body: TokenStream = input.parse()?;
        if body.is_empty() {
            errors.push(syn::Error::new_spanned(
                arrow,
                "expected an expression after `=>`: the code to run in the sandbox",
            ));
            return Ok(BlockInput { items, body: None });
        }
        if let Err(e) = one_expression.parse2(body.clone()) {
            errors.push(e);
            return Ok(BlockInput { items, body: None });
        }
        Ok(BlockInput {
            items,
            body: Some(body),
        })
    };
    match parser.parse2(input) {
        Ok(parsed) => parsed,
        Err(e) => {
            errors.push(e);
            BlockInput {
                items: Vec::new(),
                body: None,
            }
        }
    }
}

/// Checks that the body of the block form is one expression, so that it can be the body of the
/// closure as it is, and so that a mistake is reported under its own token rather than as a
/// confusing error in the generated closure.
fn one_expression(input: ParseStream) -> syn::Result<()> {
    input.parse::<Expr>()?;
    if !input.is_empty() {
        return Err(input.error(
            "expected the end of the expression to run in the sandbox: to run several statements, put them in a block, as in `=> { let x = ...; x.len() }`",
        ));
    }
    Ok(())
}

/// Items separated by commas, up to the end of the input or a `=>`; also whether the input
/// was skipped to its end after a malformed item.
fn items(input: ParseStream, form: Form, errors: &mut Errors) -> (Vec<RawItem>, bool) {
    let mut items: Vec<RawItem> = Vec::new();
    let mut recovered = false;
    while !input.is_empty() && !input.peek(Token![=>]) {
        let previous = items.last().map(|i| &i.key);
        match item(input, previous, form, errors) {
            Ok(item) => {
                items.push(item);
                recovered = false;
            }
            Err(e) => {
                errors.push(e);
                skip_to_comma(input);
                recovered = true;
            }
        }
        if input.is_empty() || input.peek(Token![=>]) {
            break;
        }
        if input.parse::<Token![,]>().is_ok() {
            continue;
        }
        errors.push(syn::Error::new(
            input.span(),
            format!("expected `,` between policy items{}", form.or_arrow()),
        ));
        // When the next item is there, read it as if the comma were: its mistakes count too.
        if !input.peek(Ident::peek_any) {
            skip_to_comma(input);
            let _ = input.parse::<Token![,]>();
            recovered = true;
        }
    }
    (items, recovered)
}

fn item(
    input: ParseStream,
    previous: Option<&Ident>,
    form: Form,
    errors: &mut Errors,
) -> syn::Result<RawItem> {
    if !input.peek(Ident::peek_any) {
        return Err(not_a_key(input, previous, form));
    }
    // `crate` is a keyword; `Ident::parse_any` accepts it as a key.
    let key = input.call(Ident::parse_any)?;
    if input.is_empty() || input.peek(Token![,]) || input.peek(Token![=>]) {
        return Ok(RawItem {
            key,
            eq: None,
            value: None,
        });
    }
    let eq = if input.peek(Token![==]) {
        let eqeq: Token![==] = input.parse()?;
        errors.push(syn::Error::new_spanned(
            eqeq,
            format!("expected `=`, found `==`: write `{key} = ...`"),
        ));
        Token![=](eqeq.spans[0])
    } else if input.peek(Token![=]) {
        input.parse()?
    } else {
        let expected = if FLAGS.contains(&key.to_string().as_str()) {
            format!("expected `,` after `{key}`{}", form.or_arrow())
        } else {
            format!("expected `=` after `{key}`, as in `{key} = ...`")
        };
        return Err(syn::Error::new(input.span(), expected));
    };
    if input.is_empty() || input.peek(Token![,]) || input.peek(Token![=>]) {
        return Ok(RawItem {
            key,
            eq: Some(eq),
            value: None,
        });
    }
    Ok(RawItem {
        key,
        eq: Some(eq),
        value: Some(input.parse()?),
    })
}

/// The error for a token that cannot start an item. A lone value after an item is most likely
/// a second value for it, written without a list.
fn not_a_key(input: ParseStream, previous: Option<&Ident>, form: Form) -> syn::Error {
    match (input.fork().parse::<Lit>(), previous) {
        (Ok(lit @ (Lit::Str(_) | Lit::Int(_))), Some(key)) => syn::Error::new(
            lit.span(),
            format!(
                "expected a policy item, found a value: to give `{key}` several values, write them as a list, as in `{key} = [..., {}]`",
                lit.to_token_stream()
            ),
        ),
        _ => syn::Error::new(
            input.span(),
            format!(
                "expected a policy item such as `read = \"/etc\"`, `connect = 443` or `strict`{}",
                form.or_arrow()
            ),
        ),
    }
}

/// Skips tokens up to (not including) the next top-level `,` or `=>`.
fn skip_to_comma(input: ParseStream) {
    while !input.is_empty() && !input.peek(Token![,]) && !input.peek(Token![=>]) {
        let _ = input.parse::<TokenTree>();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quote::quote;

    fn parse(args: TokenStream) -> (Vec<String>, Vec<String>) {
        let mut errors = Errors::new();
        let items = attribute_args(args, &mut errors);
        let keys = items.iter().map(|i| i.key.to_string()).collect();
        let messages = errors.iter().map(|e| e.to_string()).collect();
        (keys, messages)
    }

    #[test]
    fn a_missing_comma_keeps_the_next_item() {
        let (keys, errors) = parse(quote!(read = "/etc" write = "$TMP", strict));
        assert_eq!(keys, ["read", "write", "strict"]);
        assert_eq!(errors, ["expected `,` between policy items"]);
    }

    #[test]
    fn a_malformed_item_is_skipped_alone() {
        let (keys, errors) = parse(quote!(read: "/etc", connect = 443));
        assert_eq!(keys, ["connect"]);
        assert_eq!(errors, ["expected `=` after `read`, as in `read = ...`"]);
    }

    #[test]
    fn a_lone_value_suggests_a_list() {
        let (keys, errors) = parse(quote!(connect = 80, 443));
        assert_eq!(keys, ["connect"]);
        assert_eq!(
            errors,
            [
                "expected a policy item, found a value: to give `connect` several values, write them as a list, as in `connect = [..., 443]`"
            ]
        );
    }

    #[test]
    fn a_missing_value_keeps_its_equals_sign() {
        let mut errors = Errors::new();
        let items = attribute_args(quote!(read =, strict), &mut errors);
        assert!(errors.is_empty());
        assert!(items[0].eq.is_some() && items[0].value.is_none());
        assert!(items[1].eq.is_none() && items[1].value.is_none());
    }

    #[test]
    fn block_body_is_one_expression() {
        let mut errors = Errors::new();
        let input = block_input(quote!(read = "/etc", => { 1 }), &mut errors);
        assert!(errors.is_empty());
        assert_eq!(input.body.unwrap().to_string(), quote!({ 1 }).to_string());

        let input = block_input(quote!(read = "/etc" => a, b), &mut errors);
        assert!(input.body.is_none());
        assert_eq!(errors.len(), 1);
    }

    #[test]
    fn a_missing_arrow_is_reported_once() {
        let mut errors = Errors::new();
        block_input(quote!(read = "/etc", { 1 }), &mut errors);
        assert_eq!(errors.len(), 1, "{:?}", errors);
        assert!(
            errors[0]
                .to_string()
                .contains("or `=>` before the expression")
        );

        let mut errors = Errors::new();
        block_input(quote!(read = "/etc"), &mut errors);
        assert_eq!(errors.len(), 1);
        assert!(errors[0].to_string().starts_with("expected `=>`"));
    }
}
