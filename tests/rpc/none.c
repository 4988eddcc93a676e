/* Keeps the rpc_test_protos library non-empty when no test .proto exists. */
int ward_rpc_test_protos_none;
