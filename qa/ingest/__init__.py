"""Ingest: the corpus in ``seeds/`` -> articles (``corpus``, ``formats``) -> passages (``passages``).

``formats`` reads each file format into articles with their canonical text and metadata;
``corpus`` lists, reads and hashes the files once; ``passages`` (pure, no I/O) cuts an
article into passages with exact citations. Nothing here imports a model or an index.
"""
