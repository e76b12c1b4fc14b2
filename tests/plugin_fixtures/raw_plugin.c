/*
 * raw_plugin.c — a plugin written against ahp.h alone, in C, without the C++ layer. The
 * fixture build compiles it several times with different defects switched on:
 *
 *   FIXTURE_ID            the table's id (a string literal)
 *   FIXTURE_ABI_MAJOR     the table's required ABI major (default AHP_ABI_MAJOR)
 *   FIXTURE_ABI_MINOR     the table's required ABI minor (default AHP_ABI_MINOR)
 *   FIXTURE_NULL_ENTRY    the entry returns NULL
 *   FIXTURE_NULL_INVOKE   the table's invoke slot is NULL
 *   FIXTURE_DESCRIBE_ID   the id the describe answer reports (default FIXTURE_ID)
 *
 * Its one tool, `noop`, answers "noop".
 */
#include <ahp/ahp.h>

#include <stdlib.h>
#include <string.h>

#ifndef FIXTURE_ID
#error "FIXTURE_ID must be defined"
#endif
#ifndef FIXTURE_ABI_MAJOR
#define FIXTURE_ABI_MAJOR AHP_ABI_MAJOR
#endif
#ifndef FIXTURE_ABI_MINOR
#define FIXTURE_ABI_MINOR AHP_ABI_MINOR
#endif
#ifndef FIXTURE_DESCRIBE_ID
#define FIXTURE_DESCRIBE_ID FIXTURE_ID
#endif

#define FIXTURE_STR2(x) #x
#define FIXTURE_STR(x) FIXTURE_STR2(x)

typedef struct raw_instance {
    const ahp_host_api_v1* host;
} raw_instance;

static ahp_str raw_str(const char* text) {
    ahp_str s;
    s.ptr = text;
    s.len = strlen(text);
    return s;
}

static ahp_status raw_create(const ahp_host_api_v1* host, ahp_str config_json, ahp_call* call,
                             ahp_instance** out_instance) {
    raw_instance* inst;
    (void)config_json;
    if (!out_instance) return AHP_INVALID_ARGUMENT;
    *out_instance = NULL;
    inst = (raw_instance*)malloc(sizeof(raw_instance));
    if (!inst) {
        if (host && call) host->call_set_error(call, raw_str("internal"), raw_str("out of memory"));
        return AHP_ERROR;
    }
    inst->host = host;
    *out_instance = (ahp_instance*)inst;
    return AHP_OK;
}

static void raw_destroy(ahp_instance* instance) { free(instance); }

#ifndef FIXTURE_NULL_INVOKE
static int raw_equals(ahp_str s, const char* text) {
    size_t n = strlen(text);
    return s.len == n && (n == 0 || memcmp(s.ptr, text, n) == 0);
}

static const char kDescribe[] =
    "{\"id\":\"" FIXTURE_DESCRIBE_ID "\",\"version\":\"1.0.0\","
    "\"abi\":\"" FIXTURE_STR(FIXTURE_ABI_MAJOR) "." FIXTURE_STR(FIXTURE_ABI_MINOR) "\","
    "\"tools\":[{\"name\":\"noop\",\"description\":\"Does nothing.\","
    "\"parameters\":{\"type\":\"object\",\"properties\":{}},\"mutating\":false}],"
    "\"commands\":[],\"hooks\":[]}";

static ahp_status raw_invoke(ahp_instance* instance, ahp_str method, ahp_str params_json,
                             ahp_call* call) {
    const ahp_host_api_v1* host = ((raw_instance*)instance)->host;
    (void)params_json;
    if (raw_equals(method, "describe")) {
        host->call_set_result(call, raw_str(kDescribe));
        return AHP_OK;
    }
    if (raw_equals(method, "tool.call")) {
        host->call_set_result(call, raw_str("\"noop\""));
        return AHP_OK;
    }
    host->call_set_error(call, raw_str("not_found"), raw_str("unknown method"));
    return AHP_NOT_FOUND;
}
#endif

static const ahp_plugin_v1 kTable = {
    sizeof(ahp_plugin_v1),
    AHP_MAKE_VERSION(FIXTURE_ABI_MAJOR, FIXTURE_ABI_MINOR),
    FIXTURE_ID,
    "1.0.0",
    &raw_create,
    &raw_destroy,
#ifdef FIXTURE_NULL_INVOKE
    NULL,
#else
    &raw_invoke,
#endif
};

__attribute__((visibility("default"))) const ahp_plugin_v1* ahp_plugin_entry_v1(void) {
#ifdef FIXTURE_NULL_ENTRY
    (void)kTable;
    return NULL;
#else
    return &kTable;
#endif
}
