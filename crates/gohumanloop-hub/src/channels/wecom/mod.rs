//! The WeCom (WeChat Work) channel: a `template_card` per request, decided in the card, every
//! copy closed after any change; or, per route, an approval application (the original's OA
//! mode).

pub mod crypto;
pub mod xml;
