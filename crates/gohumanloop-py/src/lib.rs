//! `gohumanloop_rs._native`: the Rust library for Python. JSON crosses the boundary as text
//! (the Python package around it, `python/gohumanloop_rs`, turns it into Python values); every
//! call comes in a blocking form, which releases the GIL while it waits, and an `a…` form
//! that returns an awaitable for asyncio. Errors are [`errors::GoHumanLoopError`] with the
//! Rust message.

mod awaitable;
mod errors;
mod interrupts;
mod manager;
mod providers;
mod runtime;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<providers::Provider>()?;
    m.add_class::<manager::Manager>()?;
    m.add_class::<interrupts::Interrupts>()?;
    errors::register(m)?;
    awaitable::register(m)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
