//! The hook's overhead per gated tool call, with an in-process provider that approves on
//! delivery: a scripted run of `CALLS` tool calls with the gate, against the same run without
//! it. Target: < 20 µs per gated call. Run: `cargo bench -p gohumanloop-rig`; the overhead is
//! (gated − plain) / `CALLS`.

// criterion's macros define public functions without documentation.
#![allow(missing_docs)]

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use gohumanloop::interrupt::{Interrupts, Local};
use gohumanloop::{Answer, InProcessProvider};
use gohumanloop_rig::Gate;
use rig_agent::agent::{Agent, AgentBuilder};
use rig_core::test_utils::{MockCompletionModel, MockTurn};
use rig_core::tool::{Tool, ToolContext, ToolExecutionError};
use serde_json::{json, Value};

/// Tool calls per run (one per model turn), then a final text turn.
const CALLS: usize = 20;

struct Touch;

impl Tool for Touch {
    const NAME: &'static str = "touch";
    type Args = Value;
    type Output = String;
    type Error = ToolExecutionError;

    fn description(&self) -> String {
        "Touches a file".into()
    }

    fn parameters(&self) -> Value {
        json!({"type": "object", "properties": {"path": {"type": "string"}}})
    }

    async fn call(&self, _: &mut ToolContext, _: Value) -> Result<String, Self::Error> {
        Ok("ok".into())
    }
}

fn agent() -> Agent {
    let mut turns: Vec<MockTurn> = (0..CALLS)
        .map(|i| {
            MockTurn::tool_call(
                format!("c{i}"),
                "touch",
                json!({"path": format!("/tmp/{i}")}),
            )
        })
        .collect();
    turns.push(MockTurn::text("done"));
    AgentBuilder::new(MockCompletionModel::from_turns(turns))
        .tool(Touch)
        .default_max_turns(CALLS + 1)
        .build()
}

fn gated_calls(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let mut group = c.benchmark_group(format!("run_of_{CALLS}_tool_calls"));
    group.bench_function("plain", |b| {
        b.to_async(&runtime).iter_batched(
            agent,
            |agent| async move { agent.prompt("go").await.unwrap() },
            BatchSize::SmallInput,
        )
    });
    // A fresh provider for each run: the in-process provider keeps every request it was asked
    // for its life, which would measure a growing heap rather than the hook.
    let gate = || {
        let approver = Arc::new(InProcessProvider::answering("auto", |_| Answer::approved()));
        Gate::new(Interrupts::new(Arc::new(Local::new(approver))))
    };
    group.bench_function("gated", |b| {
        b.to_async(&runtime).iter_batched(
            || (agent(), gate().hook()),
            |(agent, hook)| async move { agent.prompt("go").add_hook(hook).await.unwrap() },
            BatchSize::SmallInput,
        )
    });
    group.finish();

    // The same asking, alone: one call of a wrapped tool against the bare tool.
    let mut group = c.benchmark_group("one_tool_call");
    let args = json!({"path": "/tmp/a"});
    group.bench_function("bare", |b| {
        b.to_async(&runtime).iter(|| async {
            Touch
                .call(&mut ToolContext::new(), args.clone())
                .await
                .unwrap()
        })
    });
    let wrapped = gate().wrap(Touch);
    group.bench_function("approval_required", |b| {
        b.to_async(&runtime).iter(|| async {
            wrapped
                .call(&mut ToolContext::new(), args.clone())
                .await
                .unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, gated_calls);
criterion_main!(benches);
