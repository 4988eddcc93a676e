/* The library test-debug's debuggee loads and unloads with dlopen/dlclose. */
int ward_test_dl_module(void);

int ward_test_dl_module(void)
{
        return 42;
}
