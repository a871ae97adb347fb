/* Built without Py_LIMITED_API: the full C API is visible, so this compiles. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* The length of a str's UTF-8 encoding, or -1 with an exception set. */
Py_ssize_t helper_utf8_len(PyObject *text) {
    const char *utf8 = PyUnicode_AsUTF8(text);
    if (utf8 == NULL) {
        return -1;
    }
    return (Py_ssize_t)strlen(utf8);
}
