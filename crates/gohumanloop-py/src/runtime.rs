//! Where the library's futures run: one tokio runtime for the module, driven by a blocking
//! call that releases the GIL, or by asyncio through an awaitable (`crate::awaitable`).

use std::future::Future;
use std::sync::OnceLock;

use pyo3::prelude::*;
use serde_json::Value;

use crate::errors::failed;

/// The module's runtime, started on first use.
pub(crate) fn runtime() -> PyResult<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .thread_name("gohumanloop")
                .build()
                .map_err(|e| format!("could not start the runtime: {e}"))
        })
        .as_ref()
        .map_err(failed)
}

/// Runs `future` to completion on the module's runtime, without holding the GIL.
pub(crate) fn block<T: Send>(
    py: Python<'_>,
    future: impl Future<Output = PyResult<T>> + Send,
) -> PyResult<T> {
    let runtime = runtime()?;
    py.detach(|| runtime.block_on(future))
}

/// Runs `f` inside the runtime's context (for constructors that start background tasks).
pub(crate) fn entered<T>(f: impl FnOnce() -> T) -> PyResult<T> {
    let _guard = runtime()?.enter();
    Ok(f())
}

/// JSON text from the Python side, parsed; a clear error for anything else.
pub(crate) fn parse(what: &str, text: &str) -> PyResult<Value> {
    serde_json::from_str(text).map_err(|e| failed(format!("{what} is not valid JSON: {e}")))
}

/// A value as JSON text for the Python side.
pub(crate) fn text(value: &impl serde::Serialize) -> PyResult<String> {
    serde_json::to_string(value).map_err(failed)
}

/// A `#[pymethods]` block whose calls each come twice: `name` blocks (releasing the GIL) and
/// `aname` returns an awaitable, both running the same body on a clone of `self.inner`. Other
/// methods are written out first, as usual.
macro_rules! sync_and_async {
    (
        impl $ty:ident {
            $($plain:item)*
        }
        calls {
            $(
                $(#[doc = $doc:literal])*
                fn $sync:ident / $asy:ident ( $($arg:ident : $argty:ty),* ) -> $ret:ty = |$me:ident| $body:expr;
            )*
        }
    ) => {
        #[pyo3::pymethods]
        impl $ty {
            $($plain)*
            $(
                $(#[doc = $doc])*
                fn $sync(&self, py: pyo3::Python<'_>, $($arg: $argty),*) -> pyo3::PyResult<$ret> {
                    let $me = self.inner.clone();
                    $crate::runtime::block(py, async move { $body })
                }
                $(#[doc = $doc])*
                #[doc = ""]
                #[doc = "Awaitable."]
                fn $asy<'py>(
                    &self,
                    py: pyo3::Python<'py>,
                    $($arg: $argty),*
                ) -> pyo3::PyResult<pyo3::Bound<'py, pyo3::PyAny>> {
                    let $me = self.inner.clone();
                    $crate::awaitable::awaitable(py, async move { $body })
                }
            )*
        }
    };
}
pub(crate) use sync_and_async;
