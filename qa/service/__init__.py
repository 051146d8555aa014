"""The service every surface shares: the API, the CLI and the pages call it the same way.

* ``core``    ``QAService``: the settings, the lazy model and index, ``ask``, articles, stories
* ``schema``  request parsing against the limits, and records -> the JSON shapes (one serialiser)
* ``render``  plain-text renderings of the same records
* ``errors``  the error codes, the one error body and the request errors (no web library)

No module here imports Flask; importing this package imports none of them, so
``qa.service.errors`` stays light for the gunicorn worker.
"""
