//! The Python exceptions: every failure of the library is a `GoHumanLoopError` carrying the
//! Rust message; a damaged or foreign interrupt token is its subclass `BadToken`.

use pyo3::prelude::*;

pyo3::create_exception!(
    _native,
    GoHumanLoopError,
    pyo3::exceptions::PyException,
    "A gohumanloop call failed; the message says why."
);
pyo3::create_exception!(
    _native,
    BadToken,
    GoHumanLoopError,
    "An interrupt token that cannot be resumed here: damaged, or made by another provider."
);

/// The Python exception for a library error.
pub(crate) fn to_py(error: gohumanloop::Error) -> PyErr {
    match error {
        gohumanloop::Error::BadToken(_) => BadToken::new_err(error.to_string()),
        other => GoHumanLoopError::new_err(other.to_string()),
    }
}

/// The Python exception for any other failure (a provider's, bad JSON from the caller).
pub(crate) fn failed(message: impl std::fmt::Display) -> PyErr {
    GoHumanLoopError::new_err(message.to_string())
}

pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("GoHumanLoopError", py.get_type::<GoHumanLoopError>())?;
    m.add("BadToken", py.get_type::<BadToken>())?;
    Ok(())
}
