//! Awaitables: a library future runs on the module's runtime and its outcome is handed to an
//! asyncio future of the caller's running loop (`call_soon_threadsafe`).
//!
//! Why not a ready-made bridge: a runtime thread that delivers while the interpreter shuts
//! down is stopped by CPython in the middle of its Python call (it may not take the GIL
//! then), and unwinding it drops Python objects without the GIL — a crash at exit. So every
//! delivery is counted, and an `atexit` hook (which runs before the shutdown) stops new ones
//! and lets those under way finish, with the GIL released.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyCFunction;
use pyo3::IntoPyObjectExt;

use crate::runtime::runtime;

/// Deliveries under way (holding or waiting for the GIL).
static DELIVERING: AtomicUsize = AtomicUsize::new(0);
/// Set at exit: no delivery starts after it.
static CLOSING: AtomicBool = AtomicBool::new(false);
/// `settle`, as a Python callable (made once).
static SETTLE: PyOnceLock<Py<PyCFunction>> = PyOnceLock::new();

/// A delivery's place in the count; `None` once the interpreter is closing.
struct Delivery;

impl Delivery {
    fn begin() -> Option<Self> {
        DELIVERING.fetch_add(1, Ordering::SeqCst);
        if CLOSING.load(Ordering::SeqCst) {
            DELIVERING.fetch_sub(1, Ordering::SeqCst);
            return None;
        }
        Some(Self)
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        DELIVERING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Sets `future`'s result (or exception) unless it is done already (cancelled).
#[pyfunction]
fn settle(future: &Bound<'_, PyAny>, outcome: Bound<'_, PyAny>, failed: bool) -> PyResult<()> {
    if future.call_method0("done")?.is_truthy()? {
        return Ok(());
    }
    let method = if failed {
        "set_exception"
    } else {
        "set_result"
    };
    future.call_method1(method, (outcome,))?;
    Ok(())
}

/// Called by the future when it is done: a cancelled await stops the library's work.
#[pyclass]
struct AbortOnCancel(tokio::task::AbortHandle);

#[pymethods]
impl AbortOnCancel {
    fn __call__(&self, future: &Bound<'_, PyAny>) -> PyResult<()> {
        if future.call_method0("cancelled")?.is_truthy()? {
            self.0.abort();
        }
        Ok(())
    }
}

/// The `atexit` hook: no new deliveries; waits (GIL released, at most 5 s) for those under way.
#[pyfunction]
fn close(py: Python<'_>) {
    CLOSING.store(true, Ordering::SeqCst);
    py.detach(|| {
        let until = Instant::now() + Duration::from_secs(5);
        while DELIVERING.load(Ordering::SeqCst) > 0 && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
}

/// An asyncio future (of the running loop) of `future`'s outcome.
pub(crate) fn awaitable<'py, T>(
    py: Python<'py>,
    future: impl Future<Output = PyResult<T>> + Send + 'static,
) -> PyResult<Bound<'py, PyAny>>
where
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    let event_loop = py.import("asyncio")?.call_method0("get_running_loop")?;
    let waiter = event_loop.call_method0("create_future")?;
    let (loop_ref, waiter_ref) = (event_loop.unbind(), waiter.clone().unbind());
    let task = runtime()?.spawn(async move {
        let outcome = future.await;
        let Some(_delivery) = Delivery::begin() else {
            return;
        };
        Python::attach(|py| {
            let (value, failed) = match outcome.and_then(|v| v.into_py_any(py)) {
                Ok(value) => (value, false),
                Err(error) => (error.into_value(py).into_any(), true),
            };
            if let Some(settle) = SETTLE.get(py) {
                // A closed loop refuses: nobody awaits any more.
                let _ = loop_ref.call_method1(
                    py,
                    "call_soon_threadsafe",
                    (settle, waiter_ref, value, failed),
                );
            }
        });
    });
    waiter.call_method1("add_done_callback", (AbortOnCancel(task.abort_handle()),))?;
    Ok(waiter)
}

/// Registers `settle` and the `atexit` hook.
pub(crate) fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let settle = wrap_pyfunction!(settle, m)?;
    let _ = SETTLE.set(py, settle.unbind());
    let close = wrap_pyfunction!(close, m)?;
    py.import("atexit")?.call_method1("register", (close,))?;
    Ok(())
}
