//! `[mcp]` of the configuration file: the hub's `/mcp` (`allowed_hosts`, `wait`, read by `ghl
//! serve --config` like its flags) and `[mcp.gateway]`, the approval gateway's rules (read by
//! `ghl mcp gateway --config`).

use std::path::Path;

use serde::Deserialize;

/// The keys of `[mcp]` that are `ghl serve` flags: (key, flag, many).
pub(super) const SERVE: &[(&str, &str, bool)] = &[
    ("allowed_hosts", "mcp-allowed-host", true),
    ("wait", "mcp-wait", false),
];

/// `[mcp.gateway]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayFile {
    /// Globs of tools that always need approval.
    #[serde(default)]
    pub approve: Vec<String>,
    /// Globs of tools that never do.
    #[serde(default)]
    pub allow: Vec<String>,
    /// Seconds the approver has.
    pub deadline: Option<u64>,
    /// Seconds a gated call waits before it says "still waiting".
    pub wait: Option<u64>,
    /// Seconds a forwarded call may take upstream.
    pub upstream_timeout: Option<u64>,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    mcp: Option<Mcp>,
}

#[derive(Deserialize)]
struct Mcp {
    #[serde(default)]
    gateway: Option<GatewayFile>,
}

/// The `[mcp.gateway]` table of `path` (empty when the file has none).
pub fn gateway(path: &Path) -> anyhow::Result<GatewayFile> {
    let name = path.display();
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("{name}: cannot read the configuration file: {e}"))?;
    // Only `[mcp.gateway]` is read here; the rest of the file is `ghl serve`'s.
    let file: File = toml::from_str(&text).map_err(|e| {
        let why = e.message().split_whitespace().collect::<Vec<_>>().join(" ");
        anyhow::anyhow!("{name}: [mcp.gateway]: {why}")
    })?;
    Ok(file.mcp.and_then(|m| m.gateway).unwrap_or_default())
}
