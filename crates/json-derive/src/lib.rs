//! # mitgate-json-derive
//!
//! `#[derive(FromJson)]`: a type's JSON reader generated from the `#[serde(...)]` attributes it already
//! carries for its output, so each field's JSON name is written once. The attributes are read with
//! `serde_derive_internals`, the parser serde's own derive uses, so a name means here what it means to
//! serde (`rename`, `rename_all`, `default`, `default = "path"`, `skip_deserializing`,
//! `deny_unknown_fields`).
//!
//! What it generates, for a struct with named fields (the same calls a hand-written reader makes, so the
//! code is no larger than one):
//! - the list of known keys, in declaration order (it names the expected fields in the `unknown field`
//!   message), and `deny_unknown_fields` deciding whether another key is refused or skipped;
//! - per field, in declaration order: an `Option` is optional (missing or `null` is `None`), a field with
//!   `default` or `default = "path"` takes that default when missing, any other field is required;
//! - a skipped field (`skip_deserializing`) takes its default and is not a known key.
//!
//! For an enum of unit variants: a string naming one variant (serde's `unknown variant` error otherwise).
//!
//! Anything else serde can express (`flatten`, `alias`, `deserialize_with`, tagged enums, tuple structs, a
//! container `default`) is a compile error here rather than a silently different reader: write those
//! readers by hand against `mitgate_json::Object`.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as Tokens;
use quote::quote;
use serde_derive_internals::{ast, attr, Ctxt, Derive};
use syn::{parse_macro_input, DeriveInput};

/// Implements `mitgate_json::FromJson` from the type's serde attributes (see the crate documentation).
#[proc_macro_derive(FromJson, attributes(serde))]
pub fn derive_from_json(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand(&input).unwrap_or_else(syn::Error::into_compile_error).into()
}

fn expand(input: &DeriveInput) -> syn::Result<Tokens> {
    let cx = Ctxt::new();
    let bodies = match ast::Container::from_ast(&cx, input, Derive::Deserialize) {
        Some(container) => reader(&container),
        None => Ok((Tokens::new(), Tokens::new())),
    };
    cx.check()?;
    let (body, stream) = bodies?;

    let ident = &input.ident;
    let mut generics = input.generics.clone();
    for param in generics.type_params_mut() {
        param.bounds.push(syn::parse_quote!(::mitgate_json::FromJson));
    }
    let (impl_generics, ty_generics, where_clause) = generics.split_for_impl();
    Ok(quote! {
        #[automatically_derived]
        impl #impl_generics ::mitgate_json::FromJson for #ident #ty_generics #where_clause {
            fn from_json(
                value: &::mitgate_json::Value<'_>,
                path: &::mitgate_json::Path<'_>,
            ) -> ::core::result::Result<Self, ::mitgate_json::FieldError> {
                #body
            }

            ::mitgate_json::__with_speed! {
                fn read(r: &mut ::mitgate_json::Reader<'_>) -> ::core::option::Option<Self> {
                    #stream
                }
            }
        }
    })
}

fn unsupported(span: impl quote::ToTokens, what: &str) -> syn::Error {
    syn::Error::new_spanned(
        span,
        format!("#[derive(FromJson)] does not support {what}; write this reader by hand"),
    )
}

/// The bodies of `from_json` (through the tree) and `read` (straight from the text, feature `speed` of
/// mitgate-json: the same fields, defaults and refusals, see `mitgate_json::Reader`).
fn reader(container: &ast::Container<'_>) -> syn::Result<(Tokens, Tokens)> {
    let original = container.original;
    if !matches!(container.attrs.default(), attr::Default::None) {
        return Err(unsupported(original, "a container-level `#[serde(default)]`"));
    }
    if container.attrs.transparent()
        || container.attrs.type_from().is_some()
        || container.attrs.type_try_from().is_some()
    {
        return Err(unsupported(original, "`transparent`, `from` or `try_from`"));
    }
    match &container.data {
        ast::Data::Struct(ast::Style::Struct, fields) => struct_reader(container, fields),
        ast::Data::Struct(..) => Err(unsupported(original, "tuple or unit structs")),
        ast::Data::Enum(variants) => enum_reader(container, variants),
    }
}

/// How one field is read from its object.
enum Read<'a> {
    /// Present and not `null`, or an error (`missing field`).
    Required,
    /// An `Option`: missing or `null` is `None`.
    Optional,
    /// `T::default()` when missing.
    Default,
    /// The function's value when missing.
    DefaultWith(&'a syn::ExprPath),
}

fn struct_reader(container: &ast::Container<'_>, fields: &[ast::Field<'_>]) -> syn::Result<(Tokens, Tokens)> {
    let mut keys = Vec::new();
    let mut inits = Vec::new();
    // `read`: one slot per known field, filled as its key is met; then each field from its slot.
    let mut slots = Vec::new();
    let mut arms = Vec::new();
    let mut finals = Vec::new();
    for field in fields {
        let a = &field.attrs;
        if a.flatten() {
            return Err(unsupported(field.original, "`flatten`"));
        }
        if a.deserialize_with().is_some() {
            return Err(unsupported(field.original, "`deserialize_with` or `with`"));
        }
        if a.aliases().len() > 1 {
            return Err(unsupported(field.original, "`alias`"));
        }
        let member = &field.member;
        let how = match a.default() {
            attr::Default::None if is_option(field.ty) => Read::Optional,
            attr::Default::None => Read::Required,
            // `default` on an `Option` reads exactly as an `Option` without it: missing is `None`, and a
            // present `null` is `None` too.
            attr::Default::Default if is_option(field.ty) => Read::Optional,
            attr::Default::Default => Read::Default,
            attr::Default::Path(p) => Read::DefaultWith(p),
        };
        if a.skip_deserializing() {
            let value = match how {
                Read::DefaultWith(p) => quote!(#p()),
                _ => quote!(::core::default::Default::default()),
            };
            inits.push(quote!(#member: #value));
            finals.push(quote!(#member: #value));
            continue;
        }
        let key = a.name().deserialize_name();
        keys.push(key.to_string());
        let read = match how {
            Read::Required => quote!(o.req(#key)?),
            Read::Optional => quote!(o.opt(#key)?),
            Read::Default => quote!(o.or_default(#key)?),
            Read::DefaultWith(p) => quote!(o.or_else(#key, #p)?),
        };
        inits.push(quote!(#member: #read));
        let slot = quote::format_ident!("field_{}", keys.len());
        let ty = field.ty;
        slots.push(quote!(let mut #slot: ::core::option::Option<#ty> = ::core::option::Option::None;));
        // A key given twice is refused, as `Object` refuses it.
        arms.push(quote!(#key => {
            if #slot.is_some() {
                return ::core::option::Option::None;
            }
            #slot = ::core::option::Option::Some(<#ty as ::mitgate_json::FromJson>::read(r)?);
        }));
        let take = match how {
            Read::Required => quote!(#slot?),
            Read::Optional | Read::Default => quote!(#slot.unwrap_or_default()),
            Read::DefaultWith(p) => quote!(#slot.unwrap_or_else(#p)),
        };
        finals.push(quote!(#member: #take));
    }
    if keys.len() > 128 {
        // INVARIANT (mitgate_json::Object): at most 128 known keys, one bit each for the duplicate check.
        return Err(unsupported(container.original, "more than 128 fields"));
    }
    let deny = container.attrs.deny_unknown_fields();
    let unknown = if deny { quote!(return ::core::option::Option::None) } else { quote!(r.value()?;) };
    let body = quote! {
        const FIELDS: &[&str] = &[#(#keys),*];
        let o = value.object(path, FIELDS, #deny)?;
        ::core::result::Result::Ok(Self { #(#inits,)* })
    };
    let stream = quote! {
        #(#slots)*
        r.object(|r, key| {
            match &*key {
                #(#arms)*
                _ => { #unknown }
            }
            ::core::option::Option::Some(())
        })?;
        ::core::option::Option::Some(Self { #(#finals,)* })
    };
    Ok((body, stream))
}

fn enum_reader(
    container: &ast::Container<'_>,
    variants: &[ast::Variant<'_>],
) -> syn::Result<(Tokens, Tokens)> {
    if !matches!(container.attrs.tag(), attr::TagType::External) {
        return Err(unsupported(container.original, "tagged or untagged enums"));
    }
    let mut names = Vec::new();
    let mut arms = Vec::new();
    let mut stream_arms = Vec::new();
    for variant in variants {
        if !matches!(variant.style, ast::Style::Unit) {
            return Err(unsupported(variant.original, "enum variants with data"));
        }
        if variant.attrs.other() || variant.attrs.aliases().len() > 1 {
            return Err(unsupported(variant.original, "`other` or `alias` variants"));
        }
        if variant.attrs.skip_deserializing() {
            continue;
        }
        let name = variant.attrs.name().deserialize_name().to_string();
        let ident = &variant.ident;
        arms.push(quote!(#name => ::core::result::Result::Ok(Self::#ident)));
        stream_arms.push(quote!(#name => ::core::option::Option::Some(Self::#ident)));
        names.push(name);
    }
    let body = quote! {
        const NAMES: &[&str] = &[#(#names),*];
        let text = value.as_str(path, "a string")?;
        match text {
            #(#arms,)*
            _ => ::core::result::Result::Err(path.unknown_variant(value, text, NAMES)),
        }
    };
    let stream = quote! {
        match &*r.string()? {
            #(#stream_arms,)*
            _ => ::core::option::Option::None,
        }
    };
    Ok((body, stream))
}

/// Whether `ty` is written `Option<T>` (or `std::option::Option<T>`): serde reads such a field as
/// optional without a `default`, and so does this derive.
fn is_option(ty: &syn::Type) -> bool {
    let syn::Type::Path(p) = ty else { return false };
    p.qself.is_none()
        && p.path.segments.last().is_some_and(|s| {
            s.ident == "Option"
                && matches!(&s.arguments, syn::PathArguments::AngleBracketed(a) if a.args.len() == 1)
        })
}
