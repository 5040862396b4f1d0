//! WeCom callback crypto.
