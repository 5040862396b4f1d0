//! WeCom callback XML.
