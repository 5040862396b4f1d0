//! How long reading one reply takes: MIME decoding, charset, quote stripping and grammar, on
//! real clients' replies from the test corpus.

// criterion's macros define public functions without documentation.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use gohumanloop::model::LoopType;
use gohumanloop::providers::email::reply::read_raw;

fn corpus(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/email_corpus/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(path).expect("corpus file")
}

fn replies(c: &mut Criterion) {
    let mut group = c.benchmark_group("read_reply");
    for name in [
        "gmail_en_approve.eml",
        "foxmail_zh_approve_gbk.eml",
        "htmlonly_zh_approve_base64.eml",
        "outlook_en_approve.eml",
    ] {
        let raw = corpus(name);
        group.bench_function(name.trim_end_matches(".eml"), |b| {
            b.iter(|| read_raw(std::hint::black_box(&raw), LoopType::Approval))
        });
    }
    group.finish();
}

criterion_group!(benches, replies);
criterion_main!(benches);
