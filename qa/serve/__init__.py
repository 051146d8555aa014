"""Serving over HTTP in production: gunicorn and its worker, around the app of ``qa.web``.

* ``gunicorn`` ``run_gunicorn``: the model loaded before the fork, the build verified once
* ``worker``   the gthread worker that reads whole requests on its event loop

Importing this package imports none of them.
"""
