"""Every use of another library's private API, one module per library, each pinned by a test.

packgen reaches past these libraries' public API only where measurement showed a real cost
(pypdf's name writing, python-docx's package reading, docxtpl's XML clean-up) or where the public API
has no way to say what is needed (a reportlab canvas's font subsets). Keeping each such use here,
and tests/test_compat.py checking the behaviour relied on, means a new release that changes them
fails one test that names the library, not a build at a school.
"""
