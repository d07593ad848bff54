//! Stage 1: tokens to raw items (`key`, `key = value`), with no meaning attached yet.
//!
//! Parsing recovers at each comma, so one invocation reports every malformed item at once.

use proc_macro2::{TokenStream, TokenTree};
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::{Expr, Ident, Token};

use crate::Errors;

/// One `key` or `key = value` of a policy.
pub(crate) struct RawItem {
    pub key: Ident,
    pub value: Option<Expr>,
}

/// The policy items of `#[sandbox(...)]`.
pub(crate) fn attribute_args(args: TokenStream, errors: &mut Errors) -> Vec<RawItem> {
    let parser = |input: ParseStream| Ok(items(input, errors));
    parser.parse2(args).unwrap_or_default()
}

/// The input of `block::sandbox!(ITEMS => EXPR)`: the items and the expression's tokens.
pub(crate) struct BlockInput {
    pub items: Vec<RawItem>,
    pub body: Option<TokenStream>,
}

pub(crate) fn block_input(input: TokenStream, errors: &mut Errors) -> BlockInput {
    let parser = |input: ParseStream| {
        let items = items(input, errors);
        if input.is_empty() {
            errors.push(syn::Error::new(
                input.span(),
                "expected `=>` followed by the expression to run in the sandbox, as in `block::sandbox!(read = \"/etc\" => { ... })`",
            ));
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

/// Items separated by commas, up to the end of the input or a `=>`.
fn items(input: ParseStream, errors: &mut Errors) -> Vec<RawItem> {
    let mut items = Vec::new();
    while !input.is_empty() && !input.peek(Token![=>]) {
        match item(input) {
            Ok(item) => items.push(item),
            Err(e) => {
                errors.push(e);
                skip_to_comma(input);
            }
        }
        if input.is_empty() || input.peek(Token![=>]) {
            break;
        }
        if let Err(e) = input.parse::<Token![,]>() {
            errors.push(syn::Error::new(
                e.span(),
                "expected `,` between policy items",
            ));
            skip_to_comma(input);
            let _ = input.parse::<Token![,]>();
        }
    }
    items
}

fn item(input: ParseStream) -> syn::Result<RawItem> {
    // `crate` is a keyword; `Ident::parse_any` accepts it as a key.
    let key = input.call(Ident::parse_any).map_err(|e| {
        syn::Error::new(
            e.span(),
            "expected a policy item such as `read = \"/etc\"`, `connect = 443` or `strict`",
        )
    })?;
    if !input.peek(Token![=]) || input.peek(Token![=>]) {
        return Ok(RawItem { key, value: None });
    }
    input.parse::<Token![=]>()?;
    if input.is_empty() || input.peek(Token![,]) || input.peek(Token![=>]) {
        return Err(syn::Error::new(
            key.span(),
            format!("expected a value after `{key} =`"),
        ));
    }
    let value: Expr = input.parse()?;
    Ok(RawItem {
        key,
        value: Some(value),
    })
}

/// Skips tokens up to (not including) the next top-level `,` or `=>`.
fn skip_to_comma(input: ParseStream) {
    while !input.is_empty() && !input.peek(Token![,]) && !input.peek(Token![=>]) {
        let _ = input.parse::<TokenTree>();
    }
}
