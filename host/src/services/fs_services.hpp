// The fs.* host services over a session's file store (DESIGN §3): every file a plugin touches
// goes through the store, so the workspace boundary, the blocklist and the approval gate apply.
//
// THE PROTOCOL (docs/fs-services.md; the filesystem plugin is written against it):
// ## The fs.* host-service protocol (shared contract between the host and the filesystem plugin)
// All paths are workspace paths: "a.txt", "/a.txt" and "/workspace/a.txt" name the same file. Every failure is a ServiceError whose message names the path and says what is wrong; statuses: AHP_NOT_FOUND (missing), AHP_INVALID_ARGUMENT (bad path: `..`, NUL, escapes the workspace), AHP_DENIED (blocklisted path, read-only file, approval denied — message says which), AHP_ERROR (anything else; a CAS conflict message starts with "conflict:").
// - `fs.read` {path, offset?: 0-based line, limit?: lines, max_bytes?} → {content, total_lines, lines_shown, offset, size, sha256 ("sha256:<hex>" of the WHOLE file), binary: bool, truncated: bool}. With no range the whole file. A binary file (NUL byte in the first 8 KiB, or invalid UTF-8) gives binary=true and content "" (never the bytes). Must handle a 10 MB file with a line range in well under 20 ms (mmap or read once, scan for newlines, copy only the range).
// - `fs.write` {path, content, expected_sha256?} → {created: bool, size, sha256}. Creates parent folders. With expected_sha256 it is compare-and-swap: if the file's current hash differs → AHP_ERROR "conflict: <path> changed since it was read". Goes through the write blocklist and the approval gate (the gate shows a unified diff of before/after).
// - `fs.delete` {path, recursive?} → {deleted: bool}. Blocklist + approval gate ("delete <path>" / "delete <path> recursively").
// - `fs.list` {path, offset?, limit? (default 200, max 1000)} → {entries: [{name, is_dir, size}], total}. Sorted by name.
// - `fs.stat` {path} → {exists, is_dir, size, read_only, mtime (RFC 3339)}.
// - `fs.glob` {pattern (e.g. "src/**/*.cpp"), path?, limit? (default 200, max 1000)} → {paths: [...], truncated, stopped?}. Skips .git and .gitignore'd paths.
// - `fs.grep` {pattern (ECMAScript-ish regex), path?, glob?, case_insensitive?, limit? (default 200, max 1000)} → {matches: [{path, line (1-based), text (cut to 400 chars)}], files_searched, truncated, stopped?}. Skips binary files, .git, and .gitignore'd paths. Goal: over 20,000 files / 200 MB within 1.5× of `grep -rn`.
// - `workspace.info` {} (permission "exec") → {root: absolute host path of the workspace (for bash's cwd), display_root: "/workspace"}.
// Bounds (docs/fs-services.md): paths of at most 128 components; fs.read content at most 32 MiB, streamed; walks stop at 128 levels, 200,000 entries or 2e8 matching steps and say so in `stopped`; a delete checks its whole tree first. Names that are not UTF-8 are `\xNN`-escaped both ways. An interrupted call stops its walk or read: AHP_CANCELLED.
// Permissions (in the plugin manifest): fs.read, fs.stat, fs.list, fs.glob, fs.grep need "fs.read"; fs.write and fs.delete need "fs.write"; workspace.info needs "exec".
#pragma once

#include "core/session.hpp"
#include "plugins/plugin_instance.hpp"

namespace agenthost {

/// Add fs.read, fs.stat, fs.list, fs.glob, fs.grep (permission fs.read), fs.write, fs.delete
/// (fs.write) and workspace.info (exec), as the protocol above says. Store refinements the
/// protocol leaves open: `truncated` in fs.read means max_bytes cut the range; glob and grep
/// patterns without '/' match a file name at any depth; glob lists files only; grep patterns
/// are RE2 syntax (no lookaround, no backreferences).
void add_file_services(ServiceRouter& router, Session& session);

}  // namespace agenthost
