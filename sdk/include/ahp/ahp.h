/*
 * ahp.h — the agenthost plugin ABI ("ahp"), version 1.1. Pure C, no dependencies.
 *
 * ABI POLICY
 *  - The ABI major is in the entry symbol's name: a v1 plugin exports ahp_plugin_entry_v1().
 *    A future incompatible ABI adds ahp_plugin_entry_v2(); a host may serve both.
 *  - Every struct that crosses the boundary starts with `uint32_t struct_size` and
 *    `uint32_t abi_version` (AHP_MAKE_VERSION(major, minor)). Structs only grow by appending
 *    members at the end; nothing is ever reordered, retyped or removed. A reader copies
 *    min(its size, the other side's size) into a zeroed struct, so a missing slot reads NULL.
 *  - The host loads a plugin when the majors are equal and the minor the plugin requires
 *    (the abi_version of its ahp_plugin_v1 table) is <= the host's minor.
 *  - No C++ type, exception or allocator crosses the boundary. Strings are {ptr,len} UTF-8,
 *    not NUL-terminated. Every payload is a JSON document. Every failure is a status plus a
 *    message.
 *  - Ownership: memory passed *into* a function is borrowed for the duration of that call
 *    only; the callee copies what it keeps. Nothing is ever freed by the other side.
 *
 * THE TWO GENERIC CALLS
 *  - Host -> plugin: invoke(self, method, params_json, call). Methods: "describe",
 *    "tool.call", "command.execute", "hook.system_prompt", "hook.before_model",
 *    "hook.after_tool", "driver.chat". The plugin answers with host->call_set_result or
 *    host->call_set_error on the same `call`, and may stream with host->call_emit.
 *  - Plugin -> host: host->request(call, service, params_json, sink). Services: "fs.*",
 *    "http.request", "approval.ask", "storage.*", "secret.get", "connection.get", "log".
 *    The host answers through the sink before request() returns. request_with_body (1.1)
 *    passes a byte payload beside the params, for a service that sends one ("http.request"),
 *    so a large body (a model request carrying the whole conversation) is not escaped into
 *    JSON and parsed back.
 *  The same JSON-RPC-shaped names work unchanged for an out-of-process plugin over stdio.
 *
 * THREADS
 *  invoke() may be called concurrently from several host threads, each with its own `call`.
 *  A `call` handle is valid only until the invoke() it was passed to returns.
 */
#ifndef AHP_AHP_H
#define AHP_AHP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define AHP_ABI_MAJOR 1
#define AHP_ABI_MINOR 1
#define AHP_MAKE_VERSION(major, minor) ((uint32_t)(((uint32_t)(major) << 16) | (uint32_t)(minor)))
#define AHP_VERSION_MAJOR(v) ((uint32_t)(v) >> 16)
#define AHP_VERSION_MINOR(v) ((uint32_t)(v)&0xffffu)
#define AHP_ABI_VERSION AHP_MAKE_VERSION(AHP_ABI_MAJOR, AHP_ABI_MINOR)

/** The name of the entry symbol every v1 plugin exports. */
#define AHP_ENTRY_SYMBOL_V1 "ahp_plugin_entry_v1"

/** Borrowed UTF-8 text: `len` bytes at `ptr`, not NUL-terminated. */
typedef struct ahp_str {
    const char* ptr;
    size_t len;
} ahp_str;

/** Result of every ABI function. */
typedef enum ahp_status {
    AHP_OK = 0,
    AHP_ERROR = 1,            /**< failed; the message says why */
    AHP_INVALID_ARGUMENT = 2, /**< the params were wrong */
    AHP_NOT_FOUND = 3,        /**< unknown method, service, tool or command */
    AHP_UNSUPPORTED = 4,      /**< the method exists in the ABI but this side does not do it */
    AHP_CANCELLED = 5,        /**< the call was interrupted */
    AHP_DENIED = 6            /**< refused by policy (approval, workspace, network access) */
} ahp_status;

/** Log levels for the "log" host function. */
typedef enum ahp_log_level {
    AHP_LOG_DEBUG = 0,
    AHP_LOG_INFO = 1,
    AHP_LOG_WARN = 2,
    AHP_LOG_ERROR = 3
} ahp_log_level;

/** Opaque plugin instance, owned by the plugin (made by create, freed by destroy). */
typedef struct ahp_instance ahp_instance;
/** Opaque per-call context, owned by the host; valid only during the call it was passed to. */
typedef struct ahp_call ahp_call;

/** Where the host delivers the answer to a service request. Owned by the plugin. */
typedef struct ahp_sink {
    uint32_t struct_size;
    uint32_t abi_version;
    void* user; /**< passed back unchanged */
    /** Zero or more chunks of a streamed answer (an HTTP body). Return non-AHP_OK to stop it. */
    ahp_status (*on_chunk)(void* user, ahp_str data);
    /** Exactly once: the final JSON answer on success, or the error code and message. */
    void (*on_done)(void* user, ahp_status status, ahp_str json_or_message);
} ahp_sink;

/** Functions the host offers a plugin. Owned by the host, valid for the plugin's lifetime. */
typedef struct ahp_host_api_v1 {
    uint32_t struct_size;
    uint32_t abi_version;
    /** The call's JSON result (copied). The last one set wins. */
    void (*call_set_result)(ahp_call* call, ahp_str json);
    /** The call failed: `code` is a short category ("rate_limit", "invalid_arguments", …). */
    void (*call_set_error)(ahp_call* call, ahp_str code, ahp_str message);
    /** Stream one JSON event while the call runs (a model's text delta). AHP_CANCELLED = stop. */
    ahp_status (*call_emit)(ahp_call* call, ahp_str event_json);
    /** Non-zero once the call was interrupted; long work polls it. */
    int (*call_is_cancelled)(const ahp_call* call);
    /** Ask the host for a service; the answer reaches `sink` before this returns. */
    ahp_status (*request)(ahp_call* call, ahp_str service, ahp_str params_json, const ahp_sink* sink);
    /** Write a log line tagged with the plugin id. `call` may be NULL. */
    void (*log)(ahp_call* call, ahp_log_level level, ahp_str message);
    /* ---- 1.1 ---- */
    /** Like request, with `body` (borrowed bytes, any content) passed beside the params: the
     *  "body" of an "http.request". A service that takes no body answers AHP_INVALID_ARGUMENT,
     *  and so does a body given both here and in the params. Check struct_size before use: a
     *  1.0 host has no such slot (put the body in the params there). */
    ahp_status (*request_with_body)(ahp_call* call, ahp_str service, ahp_str params_json, ahp_str body,
                                    const ahp_sink* sink);
} ahp_host_api_v1;

/** The table a plugin's entry returns. Static storage in the plugin; never freed. */
typedef struct ahp_plugin_v1 {
    uint32_t struct_size;
    /** The ABI version the plugin requires: its major and the lowest host minor it needs. */
    uint32_t abi_version;
    const char* id;      /**< NUL-terminated, equals the manifest's id */
    const char* version; /**< NUL-terminated, equals the manifest's version */
    /** Make an instance from its JSON config. Errors go through host->call_set_error(call…). */
    ahp_status (*create)(const ahp_host_api_v1* host, ahp_str config_json, ahp_call* call,
                         ahp_instance** out_instance);
    /** Free an instance made by create. */
    void (*destroy)(ahp_instance* instance);
    /** The one generic call; see the method list at the top of this file. */
    ahp_status (*invoke)(ahp_instance* instance, ahp_str method, ahp_str params_json, ahp_call* call);
} ahp_plugin_v1;

/** Signature of the entry symbol. Returns NULL if the plugin cannot run at all. */
typedef const ahp_plugin_v1* (*ahp_plugin_entry_v1_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* AHP_AHP_H */
