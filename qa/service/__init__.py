"""The service every surface shares: the API, the CLI and the pages call it the same way.

* ``core``      ``QAService``: the settings, the lazy model and index, ``ask``, articles, stories
* ``requests``  request parsing against the limits, the same for every surface
* ``serialise`` records -> the JSON shapes: the one serialiser of the API, the CLI and the rest
* ``render``    plain-text renderings of the same records
* ``errors``    the error codes, the one error body and the request errors (no web library)

No module here imports Flask; importing this package imports none of them, so
``qa.service.errors`` stays light for the gunicorn worker.
"""
