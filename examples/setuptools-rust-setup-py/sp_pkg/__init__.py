from sp_pkg._native import double  # noqa: F401
