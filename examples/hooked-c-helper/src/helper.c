/* Compiled by cargo_abi3_build_hook::cc_build(): Py_LIMITED_API is the Rust part's floor. */
#include <Python.h>

#if !defined(Py_LIMITED_API) || Py_LIMITED_API != 0x03090000
#error "cc_build() should define Py_LIMITED_API=0x03090000 (the abi3-py39 floor)"
#endif

PyObject *helper_answer(void) {
    return PyLong_FromLong(42);
}
