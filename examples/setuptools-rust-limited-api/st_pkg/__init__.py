from st_pkg._native import double  # noqa: F401
