"""Interactive demos of the notebooks: one module per notebook.

Each module holds the notebook-specific pure plot functions (data in, ``ax`` in, ``ax`` out) and
``make_*_demo(...)`` builders returning a :class:`lectures_lib.widgets.Demo`, so tests and the
slider benchmark build exactly the demo a student sees.
"""
