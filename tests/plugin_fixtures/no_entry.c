/* no_entry.c — a shared object that exports a function, but not ahp_plugin_entry_v1. */
__attribute__((visibility("default"))) int fixture_not_a_plugin(int x) { return x + 1; }
