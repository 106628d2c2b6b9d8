// A plugin that claims another policy interface version: dlsched must refuse to load it.
extern "C" int dlsched_policy_api_version() { return 999; }
extern "C" void dlsched_register_policies() {}
